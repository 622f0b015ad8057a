/*
 * IPv4 addresses, subnets and port specifications: parsing is strict (the
 * text comes from users and from config files), every refusal names the
 * input.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/digest.h"
#include "common/error.h"
#include "network/network-internal.h"

int cv_address_parse(const char *text, uint32_t *address)
{
	struct in_addr parsed;

	/* inet_pton takes only four decimal parts: no "10.1", no hex, no octal. */
	if (text == NULL || inet_pton(AF_INET, text, &parsed) != 1)
		return cv_error_errno(EINVAL, "invalid IPv4 address \"%s\"", text ? text : "");
	*address = ntohl(parsed.s_addr);
	return 0;
}

void cv_address_format(uint32_t address, char buffer[16])
{
	snprintf(buffer, 16, "%u.%u.%u.%u", address >> 24, (address >> 16) & 255, (address >> 8) & 255, address & 255);
}

uint32_t cv_prefix_mask(int prefix)
{
	return prefix <= 0 ? 0 : prefix >= 32 ? 0xffffffffu : ~((1u << (32 - prefix)) - 1);
}

int cv_subnet_parse(const char *text, struct cv_subnet *subnet)
{
	char address[32];
	const char *slash = text != NULL ? strchr(text, '/') : NULL;
	char *end;
	long prefix;
	uint32_t value = 0;

	if (slash == NULL || (size_t)(slash - text) >= sizeof address || slash[1] == '\0')
		return cv_error_errno(EINVAL, "invalid subnet \"%s\": expected CIDR such as 10.1.0.0/24",
		                      text ? text : "");
	snprintf(address, sizeof address, "%.*s", (int)(slash - text), text);
	errno = 0;
	prefix = strtol(slash + 1, &end, 10);
	if (*end != '\0' || errno != 0 || slash[1] < '0' || slash[1] > '9' || prefix < 0 || prefix > 32)
		return cv_error_errno(EINVAL, "invalid subnet \"%s\": bad prefix length", text);
	if (cv_address_parse(address, &value) < 0)
		return cv_error_errno(EINVAL, "invalid subnet \"%s\": bad address", text);
	if (prefix < 8 || prefix > 30)
		return cv_error_errno(EINVAL, "invalid subnet \"%s\": the prefix must be from /8 to /30", text);
	if ((value & ~cv_prefix_mask((int)prefix)) != 0) {
		char network[16];
		cv_address_format(value & cv_prefix_mask((int)prefix), network);
		return cv_error_errno(EINVAL, "invalid subnet \"%s\": host bits set (did you mean %s/%ld?)", text,
		                      network, prefix);
	}
	subnet->address = value;
	subnet->prefix = (int)prefix;
	return 0;
}

void cv_subnet_format(const struct cv_subnet *subnet, char buffer[20])
{
	char address[16];

	cv_address_format(subnet->address, address);
	snprintf(buffer, 20, "%s/%d", address, subnet->prefix);
}

int cv_netmask_prefix(const char *netmask)
{
	uint32_t mask = 0;

	if (cv_address_parse(netmask, &mask) < 0)
		return -1;
	for (int prefix = 0; prefix <= 32; prefix++)
		if (cv_prefix_mask(prefix) == mask)
			return prefix;
	return cv_error_errno(EINVAL, "invalid netmask \"%s\": not contiguous", netmask);
}

bool cv_subnet_contains(const struct cv_subnet *subnet, uint32_t address)
{
	return (address & cv_prefix_mask(subnet->prefix)) == subnet->address;
}

bool cv_subnets_overlap(const struct cv_subnet *a, const struct cv_subnet *b)
{
	int prefix = a->prefix < b->prefix ? a->prefix : b->prefix;

	return (a->address & cv_prefix_mask(prefix)) == (b->address & cv_prefix_mask(prefix));
}

static int parse_port_number(const char *text, size_t length, uint16_t *port, const char *whole)
{
	unsigned long value = 0;

	if (length == 0 || length > 5)
		return cv_error_errno(EINVAL, "invalid port \"%s\"", whole);
	for (size_t i = 0; i < length; i++) {
		if (text[i] < '0' || text[i] > '9')
			return cv_error_errno(EINVAL, "invalid port \"%s\"", whole);
		value = value * 10 + (unsigned long)(text[i] - '0');
	}
	if (value == 0 || value > 65535)
		return cv_error_errno(EINVAL, "invalid port \"%s\": out of range 1-65535", whole);
	*port = (uint16_t)value;
	return 0;
}

int cv_port_parse(const char *text, struct cv_port *port, bool exposed_only)
{
	char body[64];
	const char *slash;
	char *colon;
	size_t length;

	memset(port, 0, sizeof *port);
	port->protocol = CV_PROTOCOL_TCP;
	if (text == NULL || strlen(text) >= sizeof body)
		return cv_error_errno(EINVAL, "invalid port specification \"%s\"", text ? text : "");
	slash = strchr(text, '/');
	length = slash != NULL ? (size_t)(slash - text) : strlen(text);
	if (slash != NULL) {
		if (strcmp(slash + 1, "udp") == 0)
			port->protocol = CV_PROTOCOL_UDP;
		else if (strcmp(slash + 1, "tcp") != 0)
			return cv_error_errno(EINVAL, "invalid port specification \"%s\": the protocol is tcp or udp",
			                      text);
	}
	snprintf(body, sizeof body, "%.*s", (int)length, text);
	colon = strrchr(body, ':');
	if (exposed_only || colon == NULL) {
		if (!exposed_only)
			return cv_error_errno(
			        EINVAL, "invalid port specification \"%s\": expected [IP:]HOST_PORT:CONTAINER_PORT",
			        text);
		return parse_port_number(body, strlen(body), &port->container_port, text);
	}
	if (parse_port_number(colon + 1, strlen(colon + 1), &port->container_port, text) < 0)
		return -1;
	*colon = '\0';
	colon = strrchr(body, ':');
	if (colon != NULL) {
		*colon = '\0';
		if (body[0] != '\0' && cv_address_parse(body, &port->host_address) < 0)
			return cv_error_errno(EINVAL, "invalid port specification \"%s\": bad host address", text);
		return parse_port_number(colon + 1, strlen(colon + 1), &port->host_port, text);
	}
	return parse_port_number(body, strlen(body), &port->host_port, text);
}

void cv_port_format(const struct cv_port *port, char *buffer, size_t size)
{
	char address[16] = "0.0.0.0";

	if (port->host_address != 0)
		cv_address_format(port->host_address, address);
	snprintf(buffer, size, "%s:%u->%u/%s", address, port->host_port, port->container_port,
	         port->protocol == CV_PROTOCOL_UDP ? "udp" : "tcp");
}

static bool hex_run(const char *text, size_t length)
{
	for (size_t i = 0; i < length; i++)
		if (!((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f')))
			return false;
	return true;
}

bool cv_network_bridge_name_is_ours(const char *name)
{
	return strcmp(name, CV_DEFAULT_BRIDGE) == 0 ||
	       (strlen(name) == 15 && strncmp(name, "cvbr-", 5) == 0 && hex_run(name + 5, 10));
}

int cv_network_root_bridge_name(const char *real_root, char bridge[16])
{
	char digest[CV_DIGEST_SIZE];

	if (cv_digest_buffer(real_root, strlen(real_root), digest) < 0)
		return -1;
	snprintf(bridge, 16, "cvbr-%.10s", cv_digest_hex(digest));
	return 0;
}

bool cv_network_veth_name_is_ours(const char *name)
{
	size_t length = strlen(name);

	if (length < 14 || length > 15 || strncmp(name, "cv", 2) != 0 || !hex_run(name + 2, 10) ||
	    (name[12] != 'e' && name[12] != 'x'))
		return false;
	for (size_t i = 13; i < length; i++)
		if (name[i] < '0' || name[i] > '9')
			return false;
	return true;
}
