// SPDX-License-Identifier: MIT
/*
 * Unit tests of the SDK's printf formatter (guest/lib/format.c) built for the host: every
 * case of printf_cases.h must give the C library's snprintf output and return value byte
 * for byte; then truncation, size 0, the writer interface and what the formatter refuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <tdxguest/format.h>

#include "printf_cases.h"

static void check(const char *what, int got_n, const char *got, int want_n, const char *want)
{
	if (got_n != want_n || strcmp(got, want))
		fail_msg("%s: got %d \"%s\", want %d \"%s\"", what, got_n, got, want_n, want);
}

#define CASE(...)                                                                                  \
	do {                                                                                       \
		char got[512], want[512];                                                          \
		int gn = tdx_snprintf(got, sizeof(got), __VA_ARGS__);                              \
		int wn = snprintf(want, sizeof(want), __VA_ARGS__);                                \
		check(#__VA_ARGS__, gn, got, wn, want);                                            \
		n++;                                                                               \
	} while (0);

static void test_cases(void **state)
{
	unsigned n = 0;

	(void)state;
	PRINTF_CASES(CASE)
	assert_int_equal(n, 21);
}

/* What does not fit is dropped, the result is always terminated, the length is the whole. */
static void test_truncation(void **state)
{
	char buf[8];

	(void)state;
	memset(buf, 'Q', sizeof(buf));
	assert_int_equal(tdx_snprintf(buf, 5, "[%+d] [%s]", 5, "next"), 11);
	assert_string_equal(buf, "[+5]");
	assert_int_equal(buf[5], 'Q');
	memset(buf, 'Q', sizeof(buf));
	assert_int_equal(tdx_snprintf(buf, 1, "%s", "abc"), 3);
	assert_int_equal(buf[0], 0);
	assert_int_equal(buf[1], 'Q');
	assert_int_equal(tdx_snprintf(NULL, 0, "%08x|%s", 1u, "xyz"), 12);
	assert_int_equal(tdx_snprintf(buf, sizeof(buf), "%s", ""), 0);
	assert_string_equal(buf, "");
}

struct sink {
	char buf[1024];
	size_t len;
	unsigned calls;
};

static void sink_write(void *opaque, const char *s, size_t n)
{
	struct sink *k = opaque;

	assert_true(n > 0 && n <= 128);
	assert_true(k->len + n < sizeof(k->buf));
	memcpy(k->buf + k->len, s, n);
	k->len += n;
	k->calls++;
}

static int vformat(struct sink *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int vformat(struct sink *k, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = tdx_vformat(sink_write, k, fmt, ap);
	va_end(ap);
	return n;
}

/* The writer gets all of a long output, in order, in pieces of at most 128 bytes. */
static void test_writer(void **state)
{
	static struct sink k;
	char want[1024];

	(void)state;
	memset(&k, 0, sizeof(k));
	assert_int_equal(vformat(&k, "%300s|%-300d|%s", "right", -5, "end"), 605);
	assert_int_equal(k.len, 605);
	assert_int_equal(k.calls, 5);
	snprintf(want, sizeof(want), "%300s|%-300d|%s", "right", -5, "end");
	assert_memory_equal(k.buf, want, 605);
	memset(&k, 0, sizeof(k));
	assert_int_equal(vformat(&k, "%s", ""), 0);
	assert_int_equal(k.calls, 0);
}

/*
 * Conversions the formatter does not have (the compiler accepts them for printf, so they
 * are hidden from -Wformat here): from the % on, the format is copied as written and no
 * argument is read. A % at the very end is copied too.
 */
static int raw(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = tdx_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

static void test_unsupported(void **state)
{
	char buf[128];

	(void)state;
	assert_int_equal(raw(buf, sizeof(buf), "a=%d f=%f n=%n d=%d", 1, 2.5, (int *)0, 3), 18);
	assert_string_equal(buf, "a=1 f=%f n=%n d=%d");
	raw(buf, sizeof(buf), "%lc %d", 'x', 1);
	assert_string_equal(buf, "%lc %d");
	raw(buf, sizeof(buf), "%ls|%Lf|%qd|%lp", "w", 1, 2, 3);
	assert_string_equal(buf, "%ls|%Lf|%qd|%lp");
	raw(buf, sizeof(buf), "%-08.3lk x", 1);
	assert_string_equal(buf, "%-08.3lk x");
	raw(buf, sizeof(buf), "end %");
	assert_string_equal(buf, "end %");
	raw(buf, sizeof(buf), "%d%", 4);
	assert_string_equal(buf, "4%");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_writer),
		cmocka_unit_test(test_unsupported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
