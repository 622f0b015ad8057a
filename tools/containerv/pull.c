/*
 * pull, push, search --list-tags: the registry client's commands (login.c: login, logout).
 *
 * Registry failures exit 1 (docker's daemon-side errors); malformed flags
 * exit 125.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "flags.h"
#include "output.h"
#include "progress.h"

#define EXIT_REGISTRY_FAILURE 1

/* Flags pull, push and login share. */
struct registry_flags {
	int tls_verify;
	int quiet;
	const char *platform;
	const char *cert_dir;
	const char *creds;
	const char *auth_file;
	char *username; /* split from --creds */
};

/* Fills options from the flags; 0, or an exit code after printing the error. */
static int registry_options_from_flags(struct registry_flags *flags, struct containerv_registry_options *options,
                                       char platform_parts[3][32])
{
	options->tls_verify = flags->tls_verify;
	options->cert_dir = flags->cert_dir;
	options->auth_file = flags->auth_file;
	if (flags->creds != NULL) {
		const char *colon = strchr(flags->creds, ':');
		if (colon == NULL || colon == flags->creds)
			return cli_fail(EXIT_CLI_ERROR, "invalid --creds: expected USER:PASSWORD");
		flags->username = xstrdup(flags->creds);
		flags->username[colon - flags->creds] = '\0';
		options->username = flags->username;
		options->password = colon + 1;
	}
	if (flags->platform != NULL) {
		const char *text = flags->platform;
		int part = 0;
		memset(platform_parts, 0, 3 * 32);
		for (const char *p = text; *p; p++) {
			if (*p == '/') {
				if (++part > 2)
					break;
				continue;
			}
			size_t length = strlen(platform_parts[part]);
			if (length + 1 >= 32)
				return cli_fail(EXIT_CLI_ERROR, "invalid --platform %s", text);
			platform_parts[part][length] = *p;
		}
		if (part < 1 || part > 2 || platform_parts[0][0] == '\0' || platform_parts[1][0] == '\0')
			return cli_fail(EXIT_CLI_ERROR, "invalid --platform %s: expected OS/ARCH[/VARIANT]", text);
		options->os = platform_parts[0];
		options->architecture = platform_parts[1];
		options->variant = platform_parts[2][0] ? platform_parts[2] : NULL;
	}
	return 0;
}

int cli_image_pull(const char *reference, const struct containerv_registry_options *base, bool quiet, FILE *out)
{
	struct containerv_registry_options options = *base;
	struct progress progress;
	char digest[72];
	int result;

	progress_init(&progress, out, quiet, false);
	options.progress = progress_callback;
	options.user = &progress;
	result = containerv_image_pull(reference, &options, digest);
	progress_free(&progress);
	if (result < 0)
		return cli_fail_library(EXIT_REGISTRY_FAILURE, NULL);
	return 0;
}

int cmd_pull(int argc, char **argv)
{
	static struct registry_flags flags = {.tls_verify = 1};
	static const struct flag table[] = {
	        {"platform", 0, FLAG_STRING, &flags.platform, "string",
	         "Pull this platform of a multi-arch image (os/arch[/variant])"},
	        {"tls-verify", 0, FLAG_BOOL, &flags.tls_verify, NULL,
	         "Verify TLS certificates (false also allows plain http)"},
	        {"quiet", 'q', FLAG_BOOL, &flags.quiet, NULL, "Suppress verbose output: print only the image name"},
	        {"cert-dir", 0, FLAG_STRING, &flags.cert_dir, "path",
	         "Trust the CA certificates (*.crt) in this directory"},
	        {"creds", 0, FLAG_STRING, &flags.creds, "user:password", "Credentials for the registry"},
	        {"authfile", 0, FLAG_STRING, &flags.auth_file, "path", "Read credentials from this auth file"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "pull",
	        "[OPTIONS] NAME[:TAG|@DIGEST]",
	        "Download an image from a registry",
	        table,
	        false,
	        1,
	        1,
	        "Credentials: --creds, else $REGISTRY_AUTH_FILE, `containerv login`'s file, ~/.docker/config.json.",
	};
	struct containerv_registry_options options = CONTAINERV_REGISTRY_OPTIONS_INIT;
	_cleanup_free_ char **words = NULL;
	struct arguments positional;
	char platform[3][32];
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	code = registry_options_from_flags(&flags, &options, platform);
	if (code == 0)
		code = cli_image_pull(words[0], &options, flags.quiet, stdout);
	if (code == 0 && flags.quiet)
		printf("%s\n", words[0]);
	free(flags.username);
	return code;
}

int cmd_push(int argc, char **argv)
{
	static struct registry_flags flags = {.tls_verify = 1};
	static const char *chunk_size;
	static const struct flag table[] = {
	        {"tls-verify", 0, FLAG_BOOL, &flags.tls_verify, NULL,
	         "Verify TLS certificates (false also allows plain http)"},
	        {"quiet", 'q', FLAG_BOOL, &flags.quiet, NULL, "Suppress verbose output"},
	        {"cert-dir", 0, FLAG_STRING, &flags.cert_dir, "path",
	         "Trust the CA certificates (*.crt) in this directory"},
	        {"creds", 0, FLAG_STRING, &flags.creds, "user:password", "Credentials for the registry"},
	        {"authfile", 0, FLAG_STRING, &flags.auth_file, "path", "Read credentials from this auth file"},
	        {"chunk-size", 0, FLAG_STRING, &chunk_size, "size",
	         "Upload blobs in chunks of this size (default: one request)"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "push", "[OPTIONS] IMAGE [DESTINATION]", "Upload an image to a registry", table, false, 1, 2, NULL,
	};
	struct containerv_registry_options options = CONTAINERV_REGISTRY_OPTIONS_INIT;
	_cleanup_free_ char **words = NULL;
	struct arguments positional;
	struct progress progress;
	char platform[3][32];
	int64_t chunk = 0;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (chunk_size != NULL && (containerv_parse_size(chunk_size, &chunk) < 0 || chunk <= 0))
		return cli_fail(EXIT_CLI_ERROR, "invalid --chunk-size %s", chunk_size);
	code = registry_options_from_flags(&flags, &options, platform);
	if (code != 0)
		return code;
	options.chunk_size = (uint64_t)chunk;
	progress_init(&progress, stdout, flags.quiet, true);
	options.progress = progress_callback;
	options.user = &progress;
	if (containerv_image_push(words[0], positional.count > 1 ? words[1] : NULL, &options) < 0)
		code = cli_fail_library(EXIT_REGISTRY_FAILURE, NULL);
	progress_free(&progress);
	free(flags.username);
	return code;
}

int cmd_search(int argc, char **argv)
{
	static struct registry_flags flags = {.tls_verify = 1};
	static int list_tags;
	static const struct flag table[] = {
	        {"list-tags", 0, FLAG_BOOL, &list_tags, NULL,
	         "List the tags of the repository (the only search there is)"},
	        {"tls-verify", 0, FLAG_BOOL, &flags.tls_verify, NULL,
	         "Verify TLS certificates (false also allows plain http)"},
	        {"cert-dir", 0, FLAG_STRING, &flags.cert_dir, "path",
	         "Trust the CA certificates (*.crt) in this directory"},
	        {"creds", 0, FLAG_STRING, &flags.creds, "user:password", "Credentials for the registry"},
	        {"authfile", 0, FLAG_STRING, &flags.auth_file, "path", "Read credentials from this auth file"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "search", "--list-tags [OPTIONS] REGISTRY/NAME", "List the tags of a repository", table, false, 1, 1,
	        NULL,
	};
	struct containerv_registry_options options = CONTAINERV_REGISTRY_OPTIONS_INIT;
	_cleanup_free_ char **words = NULL;
	struct arguments positional;
	char platform[3][32];
	char **tags = NULL;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (!list_tags)
		return cli_fail(EXIT_CLI_ERROR,
		                "search: only --list-tags is supported (registries have no search API)");
	code = registry_options_from_flags(&flags, &options, platform);
	if (code == 0 && containerv_registry_tags(words[0], &options, &tags) < 0)
		code = cli_fail_library(EXIT_REGISTRY_FAILURE, NULL);
	for (char **tag = tags; tag != NULL && *tag != NULL; tag++)
		printf("%s\n", *tag);
	containerv_strings_free(tags);
	free(flags.username);
	return code;
}
