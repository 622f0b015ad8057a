/*
 * login, logout: credentials checked against the registry, then kept in
 * the login file (containerv_registry_login / _logout). Registry failures
 * exit 1, malformed flags 125.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>

#include "cli.h"
#include "flags.h"
#include "output.h"
#include "progress.h"

#define EXIT_REGISTRY_FAILURE 1

/* Reads the password from stdin: one line, without its newline; no echo on a terminal. */
static char *read_password(bool prompt)
{
	struct termios old, quiet;
	bool terminal = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	char *line = NULL;
	size_t size = 0;
	ssize_t length;

	if (prompt && terminal) {
		fputs("Password: ", stderr);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	length = getline(&line, &size, stdin);
	if (prompt && terminal) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (length < 0) {
		free(line);
		return NULL;
	}
	while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r'))
		line[--length] = '\0';
	return line;
}

int cmd_login(int argc, char **argv)
{
	static int tls_verify = 1;
	static const char *username, *password, *cert_dir, *auth_file;
	static int password_stdin;
	static const struct flag table[] = {
	        {"username", 'u', FLAG_STRING, &username, "string", "User name"},
	        {"password", 'p', FLAG_STRING, &password, "string",
	         "Password (visible to other users: prefer --password-stdin)"},
	        {"password-stdin", 0, FLAG_BOOL, &password_stdin, NULL, "Take the password from stdin"},
	        {"tls-verify", 0, FLAG_BOOL, &tls_verify, NULL,
	         "Verify TLS certificates (false also allows plain http)"},
	        {"cert-dir", 0, FLAG_STRING, &cert_dir, "path", "Trust the CA certificates (*.crt) in this directory"},
	        {"authfile", 0, FLAG_STRING, &auth_file, "path", "Write the credentials to this auth file"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "login",
	        "[OPTIONS] REGISTRY",
	        "Log in to a registry",
	        table,
	        false,
	        1,
	        1,
	        "The credentials are checked, then stored (mode 0600) in --authfile, $REGISTRY_AUTH_FILE or\n"
	        "~/.config/containerv/auth.json.",
	};
	struct containerv_registry_options options = CONTAINERV_REGISTRY_OPTIONS_INIT;
	_cleanup_free_ char **words = NULL;
	_cleanup_free_ char *typed = NULL;
	_cleanup_free_ char *typed_user = NULL;
	struct arguments positional;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (password != NULL && password_stdin)
		return cli_fail(EXIT_CLI_ERROR, "--password and --password-stdin are mutually exclusive");
	if (username == NULL && isatty(STDIN_FILENO) && !password_stdin) {
		_cleanup_free_ char *line = NULL;
		size_t size = 0;
		ssize_t length;
		fputs("Username: ", stderr);
		length = getline(&line, &size, stdin);
		while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r'))
			line[--length] = '\0';
		if (length > 0)
			typed_user = steal_pointer(&line);
		username = typed_user;
	}
	if (username == NULL)
		return cli_fail(EXIT_CLI_ERROR, "login %s: a user name is needed (-u)", words[0]);
	if (password == NULL) {
		if (!password_stdin && !isatty(STDIN_FILENO))
			return cli_fail(EXIT_CLI_ERROR, "login %s: no password: use -p or --password-stdin", words[0]);
		typed = read_password(!password_stdin);
		if (typed == NULL || typed[0] == '\0')
			return cli_fail(EXIT_CLI_ERROR, "login %s: no password given", words[0]);
		password = typed;
	}
	options.tls_verify = tls_verify;
	options.cert_dir = cert_dir;
	options.auth_file = auth_file;
	if (containerv_registry_login(words[0], username, password, &options) < 0)
		return cli_fail_library(EXIT_REGISTRY_FAILURE, NULL);
	printf("Login Succeeded\n");
	return 0;
}

int cmd_logout(int argc, char **argv)
{
	static const char *auth_file;
	static const struct flag table[] = {
	        {"authfile", 0, FLAG_STRING, &auth_file, "path", "Remove the credentials from this auth file"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "logout", "[OPTIONS] REGISTRY", "Log out from a registry", table, false, 1, 1, NULL,
	};
	_cleanup_free_ char **words = NULL;
	struct arguments positional;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (containerv_registry_logout(words[0], auth_file) < 0)
		return cli_fail_library(EXIT_REGISTRY_FAILURE, NULL);
	printf("Removed login credentials for %s\n", words[0]);
	return 0;
}
