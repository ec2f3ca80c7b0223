// SPDX-License-Identifier: MIT
/* Physical memory: the direct map, the SEAM view, hiding, poisoning, discarding. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "helpers.h"

static bool all_bytes(const void *p, uint8_t v, size_t n)
{
	const uint8_t *b = p;

	while (n--) {
		if (*b++ != v)
			return false;
	}
	return true;
}

static unsigned int map_count(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned int n = 0;
	int c;

	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static void test_address_map(void **state)
{
	uint8_t *host, *seam;

	(void)state;
	assert_int_equal(phys_top(), 0);
	assert_null(phys_host_va(0));
	assert_int_equal(phys_hide(1 * MiB), -ENODEV);

	boot("tiny");
	assert_int_equal(phys_top(), 1 * GiB);
	assert_true(phys_is_ram(0, 640 * KiB));
	assert_false(phys_is_ram(0, 640 * KiB + 1));
	assert_false(phys_is_ram(640 * KiB, 4 * KiB));
	assert_false(phys_is_ram(1 * MiB - 4 * KiB, 8 * KiB));
	assert_true(phys_is_ram(1 * MiB, 1 * GiB - 1 * MiB));
	assert_false(phys_is_ram(1 * GiB - 4 * KiB, 8 * KiB));
	assert_false(phys_is_ram(1 * MiB, 0));
	assert_false(phys_is_ram(~0ULL - 4095, 8192));
	assert_int_equal(phys_node(0), 0);
	assert_int_equal(phys_node(700 * KiB), -1);
	assert_int_equal(phys_node(1 * GiB), -1);
	assert_null(phys_host_va(640 * KiB));
	assert_null(phys_seam_va(1 * GiB));

	host = phys_host_va(1 * MiB);
	seam = phys_seam_va(1 * MiB);
	assert_non_null(host);
	assert_non_null(seam);
	assert_ptr_not_equal(host, seam);
	assert_ptr_equal(phys_host_va(1 * MiB + 123), host + 123);
	memcpy(host, "direct", 7);
	assert_string_equal(seam, "direct");
	strcpy((char *)seam + 4096, "seam");
	assert_string_equal((char *)host + 4096, "seam");
}

static void test_nodes(void **state)
{
	(void)state;
	boot("1024lp");
	assert_int_equal(phys_node(1 * MiB), 0);
	assert_int_equal(phys_node(4 * GiB), 1);
	assert_int_equal(phys_node(6 * GiB - 1), 1);
	assert_int_equal(phys_node(6 * GiB), 2);
	assert_int_equal(phys_node(9 * GiB), 3);
	assert_int_equal(phys_node(3 * GiB), -1);
	/* adjacent ranges of two nodes are RAM all the way */
	assert_true(phys_is_ram(6 * GiB - 4 * KiB, 8 * KiB));
	assert_false(phys_is_ram(2 * GiB - 4 * KiB, 8 * KiB));
}

static void test_hide_unhide(void **state)
{
	uint64_t hpa = 2 * MiB;
	uint8_t *host, *seam;

	(void)state;
	boot("tiny");
	host = phys_host_va(hpa);
	seam = phys_seam_va(hpa);
	memset(host, 0xab, PAGE_SIZE);
	memset(host + PAGE_SIZE, 0xcd, PAGE_SIZE);

	assert_false(phys_is_hidden(hpa));
	assert_int_equal(phys_hide(hpa), 0);
	assert_true(phys_is_hidden(hpa));
	assert_true(phys_is_hidden(hpa + 100));
	assert_false(phys_is_hidden(hpa + PAGE_SIZE));
	assert_false(phys_is_poisoned(hpa));
	/* the host sees zeros, the module the content; the neighbour is untouched */
	assert_true(all_bytes(host, 0, PAGE_SIZE));
	assert_true(all_bytes(seam, 0xab, PAGE_SIZE));
	assert_true(all_bytes(host + PAGE_SIZE, 0xcd, PAGE_SIZE));
	memset(seam, 0x11, 64);
	assert_true(all_bytes(host, 0, PAGE_SIZE));

	assert_int_equal(phys_hide(hpa), -EBUSY);
	assert_int_equal(phys_hide(hpa + 1), -EINVAL);
	assert_int_equal(phys_hide(640 * KiB), -EINVAL);
	assert_int_equal(phys_hide(1 * GiB), -EINVAL);

	assert_int_equal(phys_unhide(hpa), 0);
	assert_false(phys_is_hidden(hpa));
	assert_true(all_bytes(host, 0, PAGE_SIZE));
	assert_true(all_bytes(seam, 0, PAGE_SIZE));
	assert_true(all_bytes(host + PAGE_SIZE, 0xcd, PAGE_SIZE));
	/* and the host owns it again: its writes reach memory */
	host[5] = 7;
	assert_int_equal(seam[5], 7);
	assert_int_equal(phys_unhide(hpa), -EINVAL);
	assert_int_equal(phys_unhide(hpa + PAGE_SIZE), -EINVAL);
	assert_int_equal(phys_unhide(640 * KiB), -EINVAL);
}

/* Contiguous private memory must not cost a VMA per page (vm.max_map_count). */
static void test_hide_merges(void **state)
{
	unsigned int before, i, n = 4096;

	(void)state;
	boot("tiny");
	before = map_count();
	for (i = 0; i < n; i++)
		assert_int_equal(phys_hide(64 * MiB + i * PAGE_SIZE), 0);
	assert_true(map_count() <= before + 2);
	for (i = 0; i < n; i++)
		assert_int_equal(phys_unhide(64 * MiB + i * PAGE_SIZE), 0);
	assert_true(map_count() <= before);
}

static struct {
	int calls;
	uint64_t hpa;
} notified;

static void poison_notifier(uint64_t hpa)
{
	notified.calls++;
	notified.hpa = hpa;
}

static bool segv_handler_installed(void)
{
	struct sigaction sa;

	sigaction(SIGSEGV, NULL, &sa);
	return (sa.sa_flags & SA_SIGINFO) || (sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN);
}

static long host_write_on_lp(void *arg)
{
	volatile uint8_t *p = arg;

	p[100] = 0x77;
	return p[100];
}

static void test_poison(void **state)
{
	uint64_t hpa = 3 * MiB;
	volatile uint8_t *host;
	uint8_t *seam;

	(void)state;
	boot("tiny");
	if (!segv_handler_installed()) {
		/* the machine's SIGSEGV handler (platform/trap.c) sends host faults here */
		skip();
	}
	phys_set_poison_notifier(poison_notifier);
	notified.calls = 0;
	host = phys_host_va(hpa);
	seam = phys_seam_va(hpa);
	memset(seam, 0x5c, PAGE_SIZE);
	assert_int_equal(phys_hide(hpa), 0);

	host[8] = 0x42;
	assert_true(phys_is_poisoned(hpa));
	assert_true(phys_is_hidden(hpa));
	assert_int_equal(notified.calls, 1);
	assert_int_equal(notified.hpa, hpa);
	/* the host reads its own write and zeros elsewhere; the TD's copy is unchanged */
	assert_int_equal(host[8], 0x42);
	assert_int_equal(host[9], 0);
	assert_true(all_bytes(seam, 0x5c, PAGE_SIZE));
	host[9] = 1;
	assert_int_equal(notified.calls, 1);

	/* integrity restored by the module: private again, reads zeros, faults again */
	phys_clear_poison(hpa);
	assert_false(phys_is_poisoned(hpa));
	assert_true(phys_is_hidden(hpa));
	assert_int_equal(host[8], 0);
	assert_int_equal(lp_run_on(1, host_write_on_lp, (void *)host), 0x77);
	assert_true(phys_is_poisoned(hpa));
	assert_int_equal(notified.calls, 2);

	assert_int_equal(phys_unhide(hpa), 0);
	assert_false(phys_is_poisoned(hpa));
	assert_false(phys_is_hidden(hpa));
	assert_true(all_bytes((const void *)host, 0, PAGE_SIZE));
	host[8] = 1;
	assert_int_equal(seam[8], 1);
	assert_int_equal(notified.calls, 2);
}

static void test_discard(void **state)
{
	uint64_t before;
	uint8_t *host;

	(void)state;
	boot("tiny");
	before = phys_resident_bytes();
	host = phys_host_va(16 * MiB);
	memset(host, 0xee, 1 * MiB);
	assert_int_equal(phys_resident_bytes(), before + 1 * MiB);
	assert_int_equal(phys_discard(16 * MiB + 64 * KiB, 64 * KiB), 0);
	assert_int_equal(phys_resident_bytes(), before + 1 * MiB - 64 * KiB);
	assert_true(all_bytes(host + 64 * KiB, 0, 64 * KiB));
	assert_true(all_bytes(host, 0xee, 64 * KiB));
	assert_true(all_bytes(host + 128 * KiB, 0xee, 64 * KiB));
	assert_int_equal(phys_discard(16 * MiB, 1 * MiB), 0);
	assert_int_equal(phys_resident_bytes(), before);
	assert_int_equal(phys_discard(16 * MiB + 1, 4096), -EINVAL);
	assert_int_equal(phys_discard(16 * MiB, 100), -EINVAL);
	assert_int_equal(phys_discard(16 * MiB, 0), -EINVAL);
	assert_int_equal(phys_discard(512 * KiB, 256 * KiB), -EINVAL);
}

/* A 1 TiB machine costs nothing until its memory is used. */
static void test_terabyte(void **state)
{
	uint64_t hpa = 1000 * GiB;
	double t0, t1;
	uint8_t *host;

	(void)state;
	t0 = now();
	boot("2s-224lp-1t");
	t1 = now();
	printf("1 TiB, 224 LPs: boot %.1f ms, resident %llu bytes\n", (t1 - t0) * 1e3,
	       (unsigned long long)phys_resident_bytes());
	assert_int_equal(phys_top(), 1028 * GiB);
	assert_true(phys_resident_bytes() < 1 * MiB);
	host = phys_host_va(hpa);
	host[0] = 1;
	assert_int_equal(phys_resident_bytes(), PAGE_SIZE);
	assert_int_equal(phys_hide(hpa), 0);
	assert_int_equal(host[0], 0);
	assert_int_equal(phys_unhide(hpa), 0);
	assert_int_equal(phys_resident_bytes(), 0);
	assert_int_equal(phys_node(hpa), 1);
	assert_false(phys_is_ram(515 * GiB, PAGE_SIZE));
}

/* Every LP hides and unhides pages of its own at once. */
static long hide_churn(void *arg)
{
	uint64_t base = 256 * MiB + (uint64_t)lp_current() * 4 * MiB;
	unsigned int round, i;

	(void)arg;
	for (round = 0; round < 8; round++) {
		for (i = 0; i < 64; i++) {
			if (phys_hide(base + i * 2 * PAGE_SIZE))
				return -1;
		}
		for (i = 0; i < 64; i++) {
			if (!phys_is_hidden(base + i * 2 * PAGE_SIZE) ||
			    phys_is_hidden(base + (i * 2 + 1) * PAGE_SIZE))
				return -2;
			if (phys_unhide(base + i * 2 * PAGE_SIZE))
				return -3;
		}
	}
	return 0;
}

static void test_concurrent(void **state)
{
	long results[8];
	int i;

	(void)state;
	boot("laptop");
	assert_int_equal(lp_run_on_each_online(hide_churn, NULL, results), 0);
	for (i = 0; i < 8; i++)
		assert_int_equal(results[i], 0);
}

/* argv[1], if given: a cmocka pattern of tests to skip (the ThreadSanitizer run, tests/meson.build). */
int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_address_map, teardown),
		cmocka_unit_test_teardown(test_nodes, teardown),
		cmocka_unit_test_teardown(test_hide_unhide, teardown),
		cmocka_unit_test_teardown(test_hide_merges, teardown),
		cmocka_unit_test_teardown(test_poison, teardown),
		cmocka_unit_test_teardown(test_discard, teardown),
		cmocka_unit_test_teardown(test_terabyte, teardown),
		cmocka_unit_test_teardown(test_concurrent, teardown),
	};

	if (argc > 1)
		cmocka_set_skip_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
