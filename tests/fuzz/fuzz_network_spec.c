/*
 * Fuzz harness: the network flags' parsers. The first byte picks one:
 *   'p' a --publish spec ([IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp])
 *   'e' an exposed port (an image's ExposedPorts key, --expose: PORT[/proto])
 *   's' a --subnet (A.B.C.D/N)   'a' an address (--ip, --gateway)
 * Whatever is accepted is well-formed (ports in range, a known protocol, a
 * prefix of 0..32 with no host bits set), and a published port written back as
 * IP:HOST_PORT:CONTAINER_PORT/PROTO parses to the same value; a refusal sets errno.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network/network-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_port(const char *text, bool exposed_only)
{
	struct cv_port port, again;
	char formatted[64], address[16];

	errno = 0;
	if (cv_port_parse(text, &port, exposed_only) < 0) {
		if (errno == 0)
			abort();
		return;
	}
	if (port.container_port == 0 || (port.protocol != CV_PROTOCOL_TCP && port.protocol != CV_PROTOCOL_UDP) ||
	    (!exposed_only && port.host_port == 0))
		abort();
	if (exposed_only)
		return;
	cv_address_format(port.host_address, address);
	snprintf(formatted, sizeof formatted, "%s:%u:%u/%s", address, port.host_port, port.container_port,
	         port.protocol == CV_PROTOCOL_UDP ? "udp" : "tcp");
	if (cv_port_parse(formatted, &again, false) < 0 || memcmp(&port, &again, sizeof port) != 0)
		abort();
}

static void check_subnet(const char *text)
{
	struct cv_subnet subnet;

	errno = 0;
	if (cv_subnet_parse(text, &subnet) < 0) {
		if (errno == 0)
			abort();
		return;
	}
	if (subnet.prefix < 0 || subnet.prefix > 32 ||
	    (subnet.prefix < 32 && (subnet.address & (0xffffffffu >> subnet.prefix)) != 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t address;
	char *text;

	if (size == 0)
		return 0;
	text = malloc(size);
	if (text == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0]) {
	case 'p':
		check_port(text, false);
		break;
	case 'e':
		check_port(text, true);
		break;
	case 's':
		check_subnet(text);
		break;
	case 'a':
		errno = 0;
		if (cv_address_parse(text, &address) < 0 && errno == 0)
			abort();
		break;
	default:
		break;
	}
	free(text);
	return 0;
}
