/* SPDX-License-Identifier: MIT */
/*
 * tdxguest/console.h - serial console on COM1 (port 0x3F8), through the port I/O accessors
 * (so it follows tdx_io_path).
 */
#ifndef TDXGUEST_CONSOLE_H
#define TDXGUEST_CONSOLE_H

#include <stdarg.h>

#include "tdxguest/tdx.h"

#define TDX_CONSOLE_PORT 0x3F8

void tdx_putc(char c);
void tdx_puts(const char *s);
/* %s %c %d %u %x %ld %lu %lx %p %%; returns the characters written. */
__attribute__((format(printf, 1, 2))) int tdx_printf(const char *fmt, ...);
/* Format into buf (always NUL-terminated if size > 0); returns the length it would have. */
int tdx_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
__attribute__((format(printf, 3, 4))) int tdx_snprintf(char *buf, size_t size, const char *fmt,
						       ...);

#endif /* TDXGUEST_CONSOLE_H */
