/* cv_random_bytes on Windows: rand_s, which the C runtime draws from RtlGenRandom (the system's CSPRNG). */
#define _CRT_RAND_S
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/util.h"

int cv_random_bytes(void *buffer, size_t length)
{
	unsigned char *out = buffer;

	for (size_t done = 0; done < length;) {
		unsigned int value;
		if (rand_s(&value) != 0)
			return cv_error_errno(EIO, "rand_s: no random bytes");
		size_t take = length - done < sizeof value ? length - done : sizeof value;
		memcpy(out + done, &value, take);
		done += take;
	}
	return 0;
}
