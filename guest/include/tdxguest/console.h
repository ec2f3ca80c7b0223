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

/*
 * COM1 is TDXSIM_COM1_PORT; its receive interrupt, as tdxsim's VMM posts it to vCPU 0, is
 * TDXSIM_COM1_IRQ_VECTOR (tdxsim/boot.h, docs/VMM.md "Serial").
 */

void tdx_putc(char c);
void tdx_puts(const char *s);
/*
 * printf to the console, every conversion of tdxguest/format.h, nothing truncated; returns
 * the bytes written.
 */
__attribute__((format(printf, 1, 2))) int tdx_printf(const char *fmt, ...);
__attribute__((format(printf, 1, 0))) int tdx_vprintf(const char *fmt, va_list ap);

/* A received byte (0-255) if COM1 has one (LSR.DR), else -1 at once. */
int tdx_getc_nonblock(void);
/*
 * The next received byte, waiting for it. On vCPU 0 the wait is a halt ended by COM1's
 * receive interrupt (the first call registers TDXSIM_COM1_IRQ_VECTOR and sets IER.RDI and
 * MCR.OUT2; the caller's interrupt flag is restored); another vCPU polls LSR. A UART has
 * no end of input: under `tdxsim run`, once stdin is at EOF and every vCPU halts here, the
 * VMM stops the TD (no progress).
 */
int tdx_getc(void);

#endif /* TDXGUEST_CONSOLE_H */
