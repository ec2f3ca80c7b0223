// SPDX-License-Identifier: MIT
/* Serial console on COM1, output (input: console_in.c); the formatting is format.c's. */
#include "tdxguest/console.h"
#include "tdxguest/io.h"

void tdx_putc(char c)
{
	outb((u8)c, TDXSIM_COM1_PORT);
}

void tdx_puts(const char *s)
{
	while (*s)
		tdx_putc(*s++);
}

static void console_write(void *opaque, const char *s, size_t n)
{
	(void)opaque;
	while (n--)
		tdx_putc(*s++);
}

int tdx_vprintf(const char *fmt, va_list ap)
{
	return tdx_vformat(console_write, NULL, fmt, ap);
}

int tdx_printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = tdx_vprintf(fmt, ap);
	va_end(ap);
	return n;
}
