/*
 * <arpa/inet.h> for the Windows build (on the include path of the Windows target only):
 * inet_pton, inet_ntop and the byte-order functions are Winsock's (ws2_32).
 */
#ifndef CONTAINERV_PLATFORM_WINDOWS_ARPA_INET_H
#define CONTAINERV_PLATFORM_WINDOWS_ARPA_INET_H

#include <winsock2.h>
#include <ws2tcpip.h>

/* objbase.h's "#define interface struct" would rename the shared code's fields of that name. */
#undef interface

#endif
