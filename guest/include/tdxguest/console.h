/* SPDX-License-Identifier: MIT */
/*
 * tdxguest/console.h - serial console on COM1 (port 0x3F8), through the port I/O accessors
 * (so it follows tdx_io_path).
 */
#ifndef TDXGUEST_CONSOLE_H
#define TDXGUEST_CONSOLE_H

#include <stdarg.h>

#include "tdxguest/format.h"
#include "tdxguest/tdx.h"

#define TDX_CONSOLE_PORT 0x3F8

void tdx_putc(char c);
void tdx_puts(const char *s);
/*
 * printf to the console, every conversion of tdxguest/format.h, nothing truncated; returns
 * the bytes written.
 */
__attribute__((format(printf, 1, 2))) int tdx_printf(const char *fmt, ...);
__attribute__((format(printf, 1, 0))) int tdx_vprintf(const char *fmt, va_list ap);

#endif /* TDXGUEST_CONSOLE_H */
