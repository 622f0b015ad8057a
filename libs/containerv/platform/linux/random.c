/* cv_random_bytes on Linux: getrandom(2), which blocks only until the pool is first initialised. */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/random.h>

#include "common/error.h"
#include "common/util.h"

int cv_random_bytes(void *buffer, size_t length)
{
	size_t done = 0;

	while (done < length) {
		ssize_t n = getrandom((char *)buffer + done, length - done, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return cv_error_sys("getrandom");
		done += (size_t)n;
	}
	return 0;
}
