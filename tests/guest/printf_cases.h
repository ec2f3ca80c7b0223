/* SPDX-License-Identifier: MIT */
/*
 * The printf formats the SDK's formatter is checked with, as an X-macro of argument lists
 * (format first): tests/guest/test_format.c compares tdx_snprintf with the host C library's
 * snprintf for each, and tests/guest/printf_guest.c prints them with tdx_printf in a real TD
 * for test_guest_rt.c to compare with the host's output. Values only (no addresses of
 * objects), so guest and host print the same.
 */
#ifndef TDXSIM_TESTS_GUEST_PRINTF_CASES_H
#define TDXSIM_TESTS_GUEST_PRINTF_CASES_H

#include <stddef.h>
#include <stdint.h>

/*
 * Some cases pass int arguments to %hh and %h on purpose: C converts them to char and short
 * at output (300 prints as 44), which is what they test. clang's -Wformat calls that a type
 * mismatch (gcc does not), so it is off where these cases are expanded.
 */
#ifdef __clang__
#pragma clang diagnostic ignored "-Wformat"
#endif

#define PRINTF_CASES(X)                                                                            \
	X("[%+d] [%s]", 5, "next")                                                                 \
	X("[%d] [%i] [%d] [%d]", 0, -1, 2147483647, (int)-2147483647 - 1)                          \
	X("[%5d] [%-5d] [%05d] [%+5d] [% d] [% 05d] [%-+5d]", 42, 42, -42, 42, 42, 42, 42)         \
	X("[%+d] [% d] [% i] [%+i]", -7, -7, 7, 0)                                                 \
	X("[%.3d] [%.0d] [%5.0d] [%-5.3d] [%8.3d] [%+.3d]", 7, 0, 0, -7, -12345, 1)                \
	X("[%*d] [%-*d] [%*d] [%.*d] [%.*d] [%*.*d]", 6, 1, 6, 2, -6, 3, 4, 5, -1, 6, 7, 3, 8)     \
	X("[%u] [%u] [%5u] [%-5u|] [%05u]", 0u, 4294967295u, 17u, 17u, 17u)                        \
	X("[%x] [%X] [%#x] [%#X] [%#x] [%08x] [%#08x] [%-#8x|]", 0xbeefu, 0xbeefu, 255u, 255u, 0u, \
	  0xabcu, 0xabcu, 0xabcu)                                                                  \
	X("[%.4x] [%#.4x] [%.0x] [%#.0x] [%#10.4X]", 0x1fu, 0x1fu, 0u, 0u, 0x1fu)                  \
	X("[%o] [%#o] [%#o] [%#.0o] [%.0o] [%#5o] [%#.3o] [%05o]", 8u, 8u, 0u, 0u, 0u, 8u, 8u, 8u) \
	X("[%hhd] [%hhu] [%hhx] [%hd] [%hu] [%hx]", 300, 300, -1, 70000, 70000, -1)                \
	X("[%ld] [%lu] [%lx] [%lo]", -9223372036854775807L - 1, 18446744073709551615UL,            \
	  0xfedcba9876543210UL, 01777777777777777777777UL)                                         \
	X("[%lld] [%llu] [%llx] [%#llX]", -5LL, 18446744073709551615ULL, 0x123456789abULL,         \
	  0x123456789abULL)                                                                        \
	X("[%zu] [%zd] [%zx] [%jd] [%ju] [%jx] [%td] [%tx]", (size_t)123456789012ULL,              \
	  (ptrdiff_t)-3, (size_t)0xffffULL, (intmax_t)-4, (uintmax_t)5, (uintmax_t)0xabcULL,       \
	  (ptrdiff_t)-8, (ptrdiff_t)16)                                                            \
	X("[%c] [%3c] [%-3c|] [%c%c]", 'a', 'b', 'c', 'x', 'y')                                    \
	X("[%s] [%8s] [%-8s|] [%.2s] [%8.2s] [%-8.2s|] [%s]", "abc", "abc", "abc", "abc", "abc",   \
	  "abc", "")                                                                               \
	X("[%.*s] [%*s] [%-*s|] [%.*s]", 3, "abcdef", 5, "ab", 5, "ab", -1, "all")                 \
	X("[%p] [%20p] [%-20p|] [%p] [%10p] [%-7p|]", (void *)0x1234, (void *)0x1234,              \
	  (void *)0x1234, (void *)0, (void *)0, (void *)0)                                         \
	X("[%%] [100%%] [%d%%]", 50)                                                               \
	X("%s", "no conversion after this\n")                                                      \
	X("%d %s %c %x %u %ld %p", -1, "mixed", 'z', 0xdu, 3u, 99L, (void *)0x7f0000001000)

#endif
