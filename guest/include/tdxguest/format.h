/* SPDX-License-Identifier: MIT */
/*
 * tdxguest/format.h - the SDK's printf formatter (guest/lib/format.c), plain C with no
 * library calls: the guest runs it, and the host unit test (tests/guest/test_format.c)
 * compiles the same file and compares it with the C library's snprintf.
 *
 * A conversion specification is %[flags][width][.precision][length]conversion, as C11
 * 7.21.6.1 defines it:
 *   flags       - + space # 0
 *   width       digits or * (an int argument; negative means the - flag and its magnitude)
 *   precision   .digits or .* (an int argument; negative means none was given)
 *   length      hh h l ll z j t
 *   conversion  d i u x X o c s p %
 * %p prints as %#lx does, a null pointer as "(nil)" (the compiler accepts only a width and
 * the - flag with %p); %s of a null pointer prints "(null)", or nothing when a precision
 * below 6 is given: the GNU C library's output in both cases.
 *
 * Not supported: floating point (e f g a E F G A), %n, wide characters (%lc %ls), the
 * length L and q. The format(printf) attribute makes the compiler check every call's
 * arguments against its format (-Wformat, an error with -Werror); a conversion it accepts
 * but the formatter does not have is printed as written from its %, and the rest of the
 * format is copied as it is, with no argument consumed: the output shows the problem
 * instead of reading arguments of unknown type.
 */
#ifndef TDXGUEST_FORMAT_H
#define TDXGUEST_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Format into buf; what does not fit is dropped and buf is always NUL-terminated when
 * size > 0 (buf may be NULL when size is 0). Returns the length the whole output has.
 */
__attribute__((format(printf, 3, 0))) int tdx_vsnprintf(char *buf, size_t size, const char *fmt,
							va_list ap);
__attribute__((format(printf, 3, 4))) int tdx_snprintf(char *buf, size_t size, const char *fmt,
						       ...);

/*
 * Format to a writer: write(opaque, s, n) receives the output in pieces of up to 128 bytes,
 * in order, nothing dropped. Returns the number of bytes written.
 */
typedef void (*tdx_format_write_t)(void *opaque, const char *s, size_t n);
__attribute__((format(printf, 3, 0))) int tdx_vformat(tdx_format_write_t write, void *opaque,
						      const char *fmt, va_list ap);

#endif /* TDXGUEST_FORMAT_H */
