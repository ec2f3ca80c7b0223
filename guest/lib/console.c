// SPDX-License-Identifier: MIT
/* Serial console on COM1 and a small printf. */
#include "tdxguest/console.h"
#include "tdxguest/io.h"

void tdx_putc(char c)
{
	outb((u8)c, TDX_CONSOLE_PORT);
}

void tdx_puts(const char *s)
{
	while (*s)
		tdx_putc(*s++);
}

struct out {
	char *buf;
	size_t size;
	size_t len;
};

static void emit(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void emit_num(struct out *o, u64 v, unsigned int base, bool neg, unsigned int width,
		     char pad)
{
	char tmp[24];
	unsigned int n = 0;

	do {
		unsigned int d = (unsigned int)(v % base);
		tmp[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
		v /= base;
	} while (v);
	if (neg)
		tmp[n++] = '-';
	while (width > n) {
		emit(o, pad);
		width--;
	}
	while (n)
		emit(o, tmp[--n]);
}

int tdx_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = {buf, size, 0};

	for (; *fmt; fmt++) {
		unsigned int width = 0, lng = 0;
		char pad = ' ';

		if (*fmt != '%') {
			emit(&o, *fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (unsigned int)(*fmt++ - '0');
		while (*fmt == 'l') {
			lng++;
			fmt++;
		}
		switch (*fmt) {
		case 'd': {
			long v = lng ? va_arg(ap, long) : va_arg(ap, int);
			u64 u = v < 0 ? 0 - (u64)v : (u64)v;
			emit_num(&o, u, 10, v < 0, width, pad);
			break;
		}
		case 'u':
			emit_num(&o, lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int), 10,
				 false, width, pad);
			break;
		case 'x':
			emit_num(&o, lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int), 16,
				 false, width, pad);
			break;
		case 'p':
			emit(&o, '0');
			emit(&o, 'x');
			emit_num(&o, (uintptr_t)va_arg(ap, void *), 16, false, width, pad);
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			while (*s)
				emit(&o, *s++);
			break;
		}
		case 'c':
			emit(&o, (char)va_arg(ap, int));
			break;
		case '%':
			emit(&o, '%');
			break;
		case '\0':
			fmt--;
			break;
		default:
			emit(&o, '%');
			emit(&o, *fmt);
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int tdx_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = tdx_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int tdx_printf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = tdx_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	tdx_puts(buf);
	return n;
}
