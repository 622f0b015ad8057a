/*
 * The /etc/hosts and /etc/resolv.conf a container sees: made before each
 * start; the init writes them into a tmpfs of its own and binds them over
 * the image's (runtime.c, rootfs.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "common/util.h"
#include "network/network-internal.h"

static int make_hosts(const struct cv_network_config *config, const char *hostname, const char *name, uint32_t address,
                      char **out)
{
	cleanup_free char *text = NULL;
	size_t length = 0;
	FILE *stream = open_memstream(&text, &length);
	char dotted[16];

	if (stream == NULL)
		return cv_error_sys("hosts");
	fprintf(stream, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
	if (address != 0) {
		cv_address_format(address, dotted);
		fprintf(stream, "%s\t%s", dotted, hostname);
		if (name != NULL && name[0] != '\0' && strcmp(name, hostname) != 0)
			fprintf(stream, " %s", name);
		fputc('\n', stream);
	} else {
		fprintf(stream, "127.0.1.1\t%s\n", hostname);
	}
	/* Validated NAME:IP entries (containerv_options_add_host). */
	for (size_t i = 0; config->extra_hosts != NULL && config->extra_hosts[i] != NULL; i++) {
		const char *entry = config->extra_hosts[i];
		const char *colon = strchr(entry, ':');
		if (colon != NULL)
			fprintf(stream, "%s\t%.*s\n", colon + 1, (int)(colon - entry), entry);
	}
	if (fclose(stream) != 0)
		return cv_error_sys("hosts");
	*out = cv_steal_pointer(&text);
	return 0;
}

/*
 * The host's resolv.conf; --dns servers replace its name servers; loopback ones cannot work in
 * another netns. On a user network, the network's DNS server replaces them all: it answers the
 * network's names and forwards the rest to the container's --dns servers, else to the host's
 * resolvers (search and options lines are kept, as docker's).
 */
static int make_resolv_conf(const struct cv_network_config *config, uint32_t dns_server, char **out)
{
	cleanup_free char *host = NULL;
	cleanup_free char *text = NULL;
	size_t length = 0;
	bool keep_loopback = config->mode == CV_NETWORK_HOST;
	FILE *stream;

	if (cv_read_file("/etc/resolv.conf", &host, NULL, 1 << 16) < 0) {
		cv_error_clear();
		host = cv_strdup("");
		if (host == NULL)
			return -1;
	}
	stream = open_memstream(&text, &length);
	if (stream == NULL)
		return cv_error_sys("resolv.conf");
	for (size_t i = 0; dns_server == 0 && config->dns != NULL && config->dns[i] != NULL; i++)
		fprintf(stream, "nameserver %s\n", config->dns[i]);
	if (dns_server != 0) {
		char dotted[16];
		cv_address_format(dns_server, dotted);
		fprintf(stream, "nameserver %s\n", dotted);
	}
	char *save = NULL;
	for (char *line = strtok_r(host, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "nameserver", 10) == 0) {
			if (config->dns != NULL || dns_server != 0)
				continue;
			if (!keep_loopback && (strstr(line, " 127.") != NULL || strstr(line, " ::1") != NULL))
				continue;
		}
		fprintf(stream, "%s\n", line);
	}
	if (fclose(stream) != 0)
		return cv_error_sys("resolv.conf");
	*out = cv_steal_pointer(&text);
	return 0;
}

int cv_network_etc_texts(const struct cv_network_config *config, const char *hostname, const char *name,
                         uint32_t address, uint32_t dns_server, char **hosts, char **resolv_conf)
{
	*hosts = *resolv_conf = NULL;
	if (make_hosts(config, hostname, name, address, hosts) < 0 ||
	    make_resolv_conf(config, dns_server, resolv_conf) < 0) {
		free(*hosts);
		*hosts = NULL;
		return cv_error_prefix("network files");
	}
	return 0;
}
