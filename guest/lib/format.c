// SPDX-License-Identifier: MIT
/*
 * The SDK's printf formatter (tdxguest/format.h): C11 7.21.6.1 minus floating point, %n and
 * wide characters. Written from the standard; the GNU C library's choices where the standard
 * leaves them to the implementation (%p, null %s). Plain C with no library calls: the guest
 * runs this file and the host unit test compiles it again.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "tdxguest/format.h"

#define CHUNK 128

struct out {
	char *buf;
	size_t size; /* snprintf: the caller's size; writer: CHUNK */
	size_t pos;  /* bytes in buf */
	size_t total;
	tdx_format_write_t write; /* NULL: snprintf, drop what does not fit */
	void *opaque;
};

static void put(struct out *o, char c)
{
	o->total++;
	if (o->write) {
		o->buf[o->pos++] = c;
		if (o->pos == o->size) {
			o->write(o->opaque, o->buf, o->pos);
			o->pos = 0;
		}
	} else if (o->pos + 1 < o->size) {
		o->buf[o->pos++] = c;
	}
}

static void put_n(struct out *o, char c, long n)
{
	while (n-- > 0)
		put(o, c);
}

static void put_s(struct out *o, const char *s, size_t n)
{
	while (n--)
		put(o, *s++);
}

enum length { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_J, LEN_T };

struct spec {
	bool minus, plus, space, hash, zero;
	long width;
	long prec; /* -1: none */
	enum length len;
	char conv;
};

/* A run of decimal digits, saturating at INT_MAX. */
static long parse_num(const char **p)
{
	long v = 0;

	while (**p >= '0' && **p <= '9') {
		v = v * 10 + (**p - '0');
		if (v > INT_MAX)
			v = INT_MAX;
		(*p)++;
	}
	return v;
}

/* Sign or 0x, zero padding, precision digits, the digits, then any left-justified padding. */
static void put_int(struct out *o, const struct spec *sp, uintmax_t v, bool neg)
{
	const char *xdigits = sp->conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
	unsigned int base = 10;
	char digits[24], prefix[3];
	long n = 0, np = 0, zeros, body;
	bool nonzero = v != 0;

	if (sp->conv == 'o')
		base = 8;
	else if (sp->conv == 'x' || sp->conv == 'X' || sp->conv == 'p')
		base = 16;
	if (v || sp->prec != 0) {
		do {
			digits[n++] = xdigits[v % base];
			v /= base;
		} while (v);
	}
	if (sp->conv == 'd' || sp->conv == 'i' || sp->conv == 'p') {
		if (neg)
			prefix[np++] = '-';
		else if (sp->plus)
			prefix[np++] = '+';
		else if (sp->space)
			prefix[np++] = ' ';
	}
	if (sp->conv == 'p' || (sp->hash && nonzero && (sp->conv == 'x' || sp->conv == 'X'))) {
		prefix[np++] = '0';
		prefix[np++] = sp->conv == 'X' ? 'X' : 'x';
	}
	zeros = sp->prec > n ? sp->prec - n : 0;
	/* # with o: the precision grows until the first digit is 0. */
	if (sp->conv == 'o' && sp->hash && !zeros && (n == 0 || digits[n - 1] != '0'))
		zeros = 1;
	body = np + zeros + n;
	if (!sp->minus && !(sp->zero && sp->prec < 0))
		put_n(o, ' ', sp->width - body);
	put_s(o, prefix, (size_t)np);
	if (!sp->minus && sp->zero && sp->prec < 0)
		put_n(o, '0', sp->width - body);
	put_n(o, '0', zeros);
	while (n)
		put(o, digits[--n]);
	if (sp->minus)
		put_n(o, ' ', sp->width - body);
}

/* A string of n bytes in the field width (spaces only: the 0 flag is for numbers). */
static void put_field(struct out *o, const struct spec *sp, const char *s, size_t n)
{
	if (!sp->minus)
		put_n(o, ' ', sp->width - (long)n);
	put_s(o, s, n);
	if (sp->minus)
		put_n(o, ' ', sp->width - (long)n);
}

static intmax_t arg_signed(enum length len, va_list *ap)
{
	switch (len) {
	case LEN_HH:
		return (signed char)va_arg(*ap, int);
	case LEN_H:
		return (short)va_arg(*ap, int);
	case LEN_L:
		return va_arg(*ap, long);
	case LEN_LL:
		return va_arg(*ap, long long);
	case LEN_Z: /* the signed type of size_t's width */
		return (ptrdiff_t)va_arg(*ap, size_t);
	case LEN_J:
		return va_arg(*ap, intmax_t);
	case LEN_T:
		return va_arg(*ap, ptrdiff_t);
	default:
		return va_arg(*ap, int);
	}
}

static uintmax_t arg_unsigned(enum length len, va_list *ap)
{
	switch (len) {
	case LEN_HH:
		return (unsigned char)va_arg(*ap, unsigned int);
	case LEN_H:
		return (unsigned short)va_arg(*ap, unsigned int);
	case LEN_L:
		return va_arg(*ap, unsigned long);
	case LEN_LL:
		return va_arg(*ap, unsigned long long);
	case LEN_Z:
		return va_arg(*ap, size_t);
	case LEN_J:
		return va_arg(*ap, uintmax_t);
	case LEN_T: /* the unsigned type of ptrdiff_t's width */
		return (size_t)va_arg(*ap, ptrdiff_t);
	default:
		return va_arg(*ap, unsigned int);
	}
}

/* Parses flags, width, precision and length after the %; *p is left at the conversion. */
static void parse_spec(const char **p, struct spec *sp, va_list *ap)
{
	const char *f = *p;

	for (;; f++) {
		if (*f == '-')
			sp->minus = true;
		else if (*f == '+')
			sp->plus = true;
		else if (*f == ' ')
			sp->space = true;
		else if (*f == '#')
			sp->hash = true;
		else if (*f == '0')
			sp->zero = true;
		else
			break;
	}
	if (*f == '*') {
		int w = va_arg(*ap, int);

		f++;
		if (w < 0) {
			sp->minus = true;
			sp->width = w == INT_MIN ? INT_MAX : -w;
		} else {
			sp->width = w;
		}
	} else {
		sp->width = parse_num(&f);
	}
	sp->prec = -1;
	if (*f == '.') {
		f++;
		if (*f == '*') {
			int pr = va_arg(*ap, int);

			f++;
			sp->prec = pr < 0 ? -1 : pr;
		} else {
			sp->prec = parse_num(&f);
		}
	}
	sp->len = LEN_NONE;
	switch (*f) {
	case 'h':
		sp->len = f[1] == 'h' ? LEN_HH : LEN_H;
		f += sp->len == LEN_HH ? 2 : 1;
		break;
	case 'l':
		sp->len = f[1] == 'l' ? LEN_LL : LEN_L;
		f += sp->len == LEN_LL ? 2 : 1;
		break;
	case 'z':
		sp->len = LEN_Z;
		f++;
		break;
	case 'j':
		sp->len = LEN_J;
		f++;
		break;
	case 't':
		sp->len = LEN_T;
		f++;
		break;
	default:
		break;
	}
	sp->conv = *f;
	*p = f;
}

/* One conversion; false when the formatter does not have it (nothing consumed then). */
static bool convert(struct out *o, struct spec *sp, va_list *ap)
{
	switch (sp->conv) {
	case 'd':
	case 'i': {
		intmax_t v = arg_signed(sp->len, ap);

		put_int(o, sp, v < 0 ? 0 - (uintmax_t)v : (uintmax_t)v, v < 0);
		return true;
	}
	case 'u':
	case 'x':
	case 'X':
	case 'o':
		put_int(o, sp, arg_unsigned(sp->len, ap), false);
		return true;
	case 'p': {
		const void *ptr;

		if (sp->len != LEN_NONE)
			return false;
		ptr = va_arg(*ap, const void *);
		if (!ptr)
			put_field(o, sp, "(nil)", 5);
		else
			put_int(o, sp, (uintptr_t)ptr, false);
		return true;
	}
	case 'c': {
		char c;

		if (sp->len != LEN_NONE)
			return false; /* %lc: wide */
		c = (char)va_arg(*ap, int);
		put_field(o, sp, &c, 1);
		return true;
	}
	case 's': {
		const char *s;
		size_t n = 0;

		if (sp->len != LEN_NONE)
			return false; /* %ls: wide */
		s = va_arg(*ap, const char *);
		if (!s)
			s = sp->prec < 0 || sp->prec >= 6 ? "(null)" : "";
		while (s[n] && (sp->prec < 0 || n < (size_t)sp->prec))
			n++;
		put_field(o, sp, s, n);
		return true;
	}
	case '%':
		put(o, '%');
		return true;
	default:
		return false;
	}
}

static void format_all(struct out *o, const char *fmt, va_list ap)
{
	va_list aq;

	va_copy(aq, ap);
	while (*fmt) {
		const char *start = fmt;
		struct spec sp = {0};

		if (*fmt != '%') {
			put(o, *fmt++);
			continue;
		}
		fmt++;
		parse_spec(&fmt, &sp, &aq);
		if (!sp.conv || !convert(o, &sp, &aq)) {
			/* Not a conversion this formatter has: the rest as written. */
			while (*start)
				put(o, *start++);
			break;
		}
		fmt++;
	}
	va_end(aq);
}

static int result(size_t total)
{
	return total > INT_MAX ? -1 : (int)total;
}

int tdx_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = {.buf = buf, .size = size};

	format_all(&o, fmt, ap);
	if (size)
		buf[o.pos] = '\0';
	return result(o.total);
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

int tdx_vformat(tdx_format_write_t write, void *opaque, const char *fmt, va_list ap)
{
	char chunk[CHUNK];
	struct out o = {.buf = chunk, .size = sizeof(chunk), .write = write, .opaque = opaque};

	format_all(&o, fmt, ap);
	if (o.pos)
		write(opaque, chunk, o.pos);
	return result(o.total);
}
