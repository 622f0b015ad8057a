/*
 * Fuzz harness: the resource flags (--memory, --memory-swap, --cpus,
 * --cpu-shares, --cpuset-cpus/-mems, --pids-limit, --blkio-weight, and the
 * size of a volume's -o size=). The first byte picks the flag, the rest is
 * its text. A size accepted is positive; --cpus gives a positive quota over
 * its period; limits accepted pass containerv_limits_validate; a refusal
 * sets errno.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <chef/containerv.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_flags(char flag, const char *text)
{
	struct containerv_spec_limit_flags flags = CONTAINERV_SPEC_LIMIT_FLAGS_INIT;
	struct containerv_limits limits = CONTAINERV_LIMITS_INIT;

	switch (flag) {
	case 'm':
		flags.memory = text;
		break;
	case 'w':
		flags.memory = "64m";
		flags.memory_swap = text;
		break;
	case 'c':
		flags.cpus = text;
		break;
	case 'h':
		flags.cpu_shares = text;
		break;
	case 'C':
		flags.cpuset_cpus = text;
		break;
	case 'M':
		flags.cpuset_mems = text;
		break;
	case 'p':
		flags.pids_limit = text;
		break;
	case 'b':
		flags.blkio_weight = text;
		break;
	default:
		return;
	}
	errno = 0;
	if (containerv_spec_parse_limits(&flags, &limits) == 0) {
		if (containerv_limits_validate(&limits) != 0)
			abort();
	} else if (errno == 0) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t quota, period;
	int64_t bytes;
	char *text;

	if (size == 0)
		return 0;
	text = malloc(size);
	if (text == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (data[0] == 's') {
		errno = 0;
		if (containerv_parse_size(text, &bytes) == 0 ? bytes <= 0 : errno == 0)
			abort();
	} else if (data[0] == 'q') {
		errno = 0;
		if (containerv_parse_cpus(text, &quota, &period) == 0 ? quota == 0 || period == 0 : errno == 0)
			abort();
	} else {
		check_flags((char)data[0], text);
	}
	free(text);
	return 0;
}
