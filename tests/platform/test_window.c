// SPDX-License-Identifier: MIT
/* TD address windows: layout, mapping HPAs, lookups from addresses. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "helpers.h"
#include "tests/support/capture.h"
#include "platform/internal.h"

#define RW (PROT_READ | PROT_WRITE)

static void test_create(void **state)
{
	struct td_window *w48, *w52;

	(void)state;
	w48 = td_window_create(48);
	w52 = td_window_create(52);
	assert_non_null(w48);
	assert_non_null(w52);
	assert_int_equal(td_window_base(w48) % (2 * TDXSIM_WINDOW_SIZE), 0);
	assert_int_equal(td_window_base(w52) % (2 * TDXSIM_WINDOW_SIZE), 0);
	assert_int_equal(td_window_shared_bit(w48), 1ULL << 47);
	assert_int_equal(td_window_shared_bit(w52), 1ULL << 51);
	assert_ptr_equal(td_window_va(w48, 0x5000, false), (void *)(td_window_base(w48) + 0x5000));
	assert_ptr_equal(td_window_va(w48, 0x5000, true),
			 (void *)(td_window_base(w48) + TDXSIM_WINDOW_SIZE + 0x5000));
	assert_null(td_window_va(w48, TDXSIM_WINDOW_SIZE, false));
	assert_null(td_window_va(NULL, 0, false));
	assert_null(td_window_create(47));
	assert_int_equal(errno, EINVAL);
	assert_null(td_window_create(0));
	td_window_destroy(w48);
	td_window_destroy(w52);
	td_window_destroy(NULL);
}

/*
 * Windows at fixed addresses: the first free 2W slot from 0x200000000000, the same again after
 * a destroy, the next one when something else holds a slot; with every slot taken, anywhere,
 * and one message saying so.
 */
static void test_fixed_base(void **state)
{
	const uintptr_t fixed = 0x200000000000ULL, slot = 2 * TDXSIM_WINDOW_SIZE;
	struct td_window *w1, *w2, *w3;
	struct stderr_capture cap;
	char msg[512];
	void *p;

	(void)state;
	w1 = td_window_create(48);
	w2 = td_window_create(52);
	assert_non_null(w1);
	assert_non_null(w2);
	assert_int_equal(td_window_base(w1), fixed);
	assert_int_equal(td_window_base(w2), fixed + slot);
	td_window_destroy(w1);
	w1 = td_window_create(48);
	assert_int_equal(td_window_base(w1), fixed);
	td_window_destroy(w1);
	td_window_destroy(w2);

	/* Someone else's mapping in the first slot: the window takes the second. */
	p = mmap((void *)fixed, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
		 -1, 0);
	assert_ptr_equal(p, (void *)fixed);
	w1 = td_window_create(48);
	assert_int_equal(td_window_base(w1), fixed + slot);
	td_window_destroy(w1);

	/* Every slot taken: a window anywhere (2W-aligned), and the message. */
	p = mmap((void *)fixed, 128 * slot, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
	assert_ptr_equal(p, (void *)fixed);
	assert_int_equal(stderr_capture_start(&cap), 0);
	w3 = td_window_create(48);
	stderr_capture_end(&cap, msg, sizeof(msg));
	assert_non_null(w3);
	assert_true(td_window_base(w3) < fixed || td_window_base(w3) >= fixed + 128 * slot);
	assert_int_equal(td_window_base(w3) % slot, 0);
	assert_non_null(strstr(msg, "tdxsim: no TD window at its fixed address from 0x200000000000 "
				    "(File exists); this one is at 0x"));
	assert_non_null(strstr(msg, ", so addresses will differ between runs\n"));
	td_window_destroy(w3);
	munmap((void *)fixed, 128 * slot);
}

static void test_map(void **state)
{
	uint64_t hpa = 8 * MiB, gpa = 0x7000;
	struct td_window *w;
	char *priv, *shared, *seam;

	(void)state;
	w = td_window_create(48);
	assert_non_null(w);
	/* no machine, no memory to map */
	assert_int_equal(td_window_map(w, gpa, false, hpa, RW), -ENODEV);
	boot("tiny");

	assert_false(td_window_is_mapped(w, gpa, false));
	assert_int_equal(td_window_map(w, gpa, false, hpa, RW), 0);
	assert_true(td_window_is_mapped(w, gpa, false));
	assert_false(td_window_is_mapped(w, gpa, true));
	assert_false(td_window_is_mapped(w, gpa + PAGE_SIZE, false));
	priv = td_window_va(w, gpa, false);
	seam = phys_seam_va(hpa);
	strcpy(priv + 10, "written by the TD");
	assert_string_equal(seam + 10, "written by the TD");

	/* the same page in the shared half is another alias of the same memory */
	assert_int_equal(td_window_map(w, 0x3000, true, hpa, PROT_READ), 0);
	shared = td_window_va(w, 0x3000, true);
	assert_string_equal(shared + 10, "written by the TD");
	assert_true(window_addr_readable((uintptr_t)shared));
	assert_false(window_addr_readable((uintptr_t)shared + PAGE_SIZE));
	assert_true(window_addr_readable((uintptr_t)priv + 4095));
	assert_false(window_addr_readable((uintptr_t)priv - 1));
	assert_true(window_addr_readable((uintptr_t)&hpa)); /* not in any window */

	/* remapping changes the page in place */
	assert_int_equal(td_window_map(w, gpa, false, hpa + PAGE_SIZE, RW), 0);
	strcpy(priv, "second");
	assert_string_equal(seam + PAGE_SIZE, "second");

	assert_int_equal(td_window_unmap(w, gpa, false), 0);
	assert_false(td_window_is_mapped(w, gpa, false));
	assert_false(window_addr_readable((uintptr_t)priv));
	assert_int_equal(td_window_unmap(w, gpa, false), -ENOENT);
	assert_int_equal(td_window_unmap(w, 0x3000, true), 0);
	td_window_destroy(w);
}

/* Is the window's page at gpa backed by the memfd yet (mincore: resident page cache)? */
static bool backed(struct td_window *w, uint64_t gpa)
{
	unsigned char v = 0;

	assert_int_equal(mincore(td_window_va(w, gpa, false), PAGE_SIZE, &v), 0);
	return v & 1;
}

/*
 * td_window_map_deferred: contiguous pages (GPA and HPA) gathered into one mmap, made when
 * the run breaks, reaches the end of its 2 MiB of GPA, is flushed, when the window changes
 * otherwise, or when host code touches one of its pages; mapped for every caller at once.
 */
static void test_map_deferred(void **state)
{
	uint64_t hpa = 8 * MiB, changes;
	struct td_window *w, *w2;
	struct td_window_page *pages;
	size_t nr;
	char *seam;

	(void)state;
	boot("tiny");
	platform_claim_signals();
	w = td_window_create(48);
	assert_non_null(w);
	seam = phys_seam_va(hpa);
	for (unsigned int i = 0; i < 8; i++)
		memset(seam + i * PAGE_SIZE, 'a' + i, PAGE_SIZE);
	changes = td_window_changes(w);

	/* two contiguous pages: mapped for everyone, one mmap still to come */
	assert_int_equal(td_window_map_deferred(w, 0x10000, false, hpa, RW), 0);
	assert_int_equal(td_window_map_deferred(w, 0x11000, false, hpa + PAGE_SIZE, RW), 0);
	assert_true(td_window_is_mapped(w, 0x10000, false));
	assert_true(td_window_is_mapped(w, 0x11000, false));
	assert_int_equal(td_window_changes(w), changes + 2);
	assert_false(backed(w, 0x10000));
	assert_false(backed(w, 0x11000));
	/* host code touches the second: the run is mapped and the read sees the page */
	assert_int_equal(*(volatile char *)td_window_va(w, 0x11000, false), 'b');
	assert_true(backed(w, 0x10000));

	/* a page that does not continue the run (GPA gap) maps the run before it */
	assert_int_equal(td_window_map_deferred(w, 0x20000, false, hpa + 2 * PAGE_SIZE, RW), 0);
	assert_int_equal(td_window_map_deferred(w, 0x22000, false, hpa + 3 * PAGE_SIZE, RW), 0);
	assert_true(backed(w, 0x20000));
	assert_false(backed(w, 0x22000));
	/* so does an HPA gap, and td_window_flush the rest */
	assert_int_equal(td_window_map_deferred(w, 0x23000, false, hpa + 5 * PAGE_SIZE, RW), 0);
	assert_true(backed(w, 0x22000));
	assert_false(backed(w, 0x23000));
	assert_int_equal(td_window_flush(w), 0);
	assert_true(backed(w, 0x23000));
	assert_int_equal(*(volatile char *)td_window_va(w, 0x23000, false), 'f');

	/* the last page of a 2 MiB region of GPA ends its run */
	assert_int_equal(td_window_map_deferred(w, 0x1ff000, false, hpa + 6 * PAGE_SIZE, RW), 0);
	assert_true(backed(w, 0x1ff000));

	/* any other change maps the run first; an unmap of a pending page unmaps it */
	assert_int_equal(td_window_map_deferred(w, 0x30000, false, hpa + 7 * PAGE_SIZE, RW), 0);
	assert_int_equal(td_window_unmap(w, 0x30000, false), 0);
	assert_false(td_window_is_mapped(w, 0x30000, false));
	assert_false(backed(w, 0x30000));
	assert_int_equal(td_window_map_deferred(w, 0x30000, false, hpa + 7 * PAGE_SIZE, RW), 0);
	assert_int_equal(td_window_map(w, 0x40000, false, hpa, RW), 0);
	assert_true(backed(w, 0x30000));

	/* the snapshot's listing shows what is mapped, pending runs included */
	assert_int_equal(td_window_map_deferred(w, 0x50000, false, hpa, RW), 0);
	assert_int_equal(td_window_mappings(w, &pages, &nr), 0);
	assert_int_equal(nr, 9);
	assert_int_equal(pages[nr - 2].gpa, 0x50000);
	assert_int_equal(pages[nr - 2].hpa, hpa);
	free(pages);

	/* invalid pages are refused as by td_window_map */
	assert_int_equal(td_window_map_deferred(w, 0x60001, false, hpa, RW), -EINVAL);
	assert_int_equal(td_window_map_deferred(w, 0x60000, false, hpa + 1, RW), -EINVAL);
	assert_int_equal(td_window_map_deferred(w, 0x60000, false, hpa, 0), -EINVAL);
	assert_int_equal(td_window_map_deferred(NULL, 0x60000, false, hpa, RW), -EINVAL);

	/* a window destroyed with a run pending: the next one at its place has nothing */
	assert_int_equal(td_window_map_deferred(w, 0x70000, false, hpa, RW), 0);
	td_window_destroy(w);
	w2 = td_window_create(48);
	assert_non_null(w2);
	assert_false(td_window_is_mapped(w2, 0x70000, false));
	assert_int_equal(td_window_mappings(w2, &pages, &nr), 0);
	assert_int_equal(nr, 0);
	free(pages);
	td_window_destroy(w2);
}

static void test_map_errors(void **state)
{
	struct td_window *w;

	(void)state;
	boot("tiny");
	w = td_window_create(52);
	assert_non_null(w);
	assert_int_equal(td_window_map(NULL, 0, false, 1 * MiB, RW), -EINVAL);
	assert_int_equal(td_window_map(w, 0x800, false, 1 * MiB, RW), -EINVAL);
	assert_int_equal(td_window_map(w, TDXSIM_WINDOW_SIZE, false, 1 * MiB, RW), -EINVAL);
	assert_int_equal(td_window_map(w, 1ULL << 51, true, 1 * MiB, RW), -EINVAL);
	assert_int_equal(td_window_map(w, 0, false, 1 * MiB + 8, RW), -EINVAL);
	assert_int_equal(td_window_map(w, 0, false, 640 * 1024, RW), -EINVAL);
	assert_int_equal(td_window_map(w, 0, false, 1 * GiB, RW), -EINVAL);
	assert_int_equal(td_window_map(w, 0, false, 1 * MiB, 0), -EINVAL);
	assert_int_equal(td_window_map(w, 0, false, 1 * MiB, PROT_READ | 0x100), -EINVAL);
	assert_int_equal(td_window_unmap(w, 0, false), -ENOENT);
	assert_int_equal(td_window_unmap(w, 0x10, false), -EINVAL);
	assert_int_equal(td_window_unmap(NULL, 0, false), -EINVAL);
	assert_false(td_window_is_mapped(w, TDXSIM_WINDOW_SIZE, false));
	assert_false(td_window_is_mapped(NULL, 0, false));
	td_window_destroy(w);
}

static void test_lookup(void **state)
{
	struct td_window *a, *b;
	uintptr_t base, lo;
	uint64_t gpa = 1;

	(void)state;
	a = td_window_create(48);
	b = td_window_create(52);
	base = td_window_base(b);
	assert_ptr_equal(td_window_lookup(base, &gpa), b);
	assert_int_equal(gpa, 0);
	assert_ptr_equal(td_window_lookup(base + 0x12345, &gpa), b);
	assert_int_equal(gpa, 0x12345);
	assert_ptr_equal(td_window_lookup(base + TDXSIM_WINDOW_SIZE - 1, &gpa), b);
	assert_int_equal(gpa, TDXSIM_WINDOW_SIZE - 1);
	assert_ptr_equal(td_window_lookup(base + TDXSIM_WINDOW_SIZE + 0x6000, &gpa), b);
	assert_int_equal(gpa, 0x6000 | 1ULL << 51);
	assert_ptr_equal(td_window_lookup(base + 2 * TDXSIM_WINDOW_SIZE - 1, &gpa), b);
	assert_int_equal(gpa, (TDXSIM_WINDOW_SIZE - 1) | 1ULL << 51);
	assert_ptr_equal(td_window_lookup(td_window_base(a) + TDXSIM_WINDOW_SIZE, &gpa), a);
	assert_int_equal(gpa, 1ULL << 47);
	assert_ptr_equal(td_window_lookup(base, NULL), b);
	gpa = 7;
	assert_null(td_window_lookup((uintptr_t)&gpa, &gpa));
	assert_int_equal(gpa, 7);
	/* Below the lower window, none; just below b, a's shared half when they adjoin. */
	lo = td_window_base(a) < base ? td_window_base(a) : base;
	assert_null(td_window_lookup(lo - 1, &gpa));
	assert_int_equal(gpa, 7);
	if (td_window_base(a) + 2 * TDXSIM_WINDOW_SIZE == base) {
		assert_ptr_equal(td_window_lookup(base - 1, &gpa), a);
		assert_int_equal(gpa, (TDXSIM_WINDOW_SIZE - 1) | 1ULL << 47);
	}
	td_window_destroy(b);
	assert_null(td_window_lookup(base, &gpa));
	td_window_destroy(a);
}

/* Guest code runs from the window. */
static void test_exec(void **state)
{
	static const uint8_t code[] = {0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3}; /* mov $42,%eax; ret */
	struct td_window *w;
	int (*fn)(void);

	(void)state;
	boot("tiny");
	w = td_window_create(48);
	memcpy(phys_host_va(5 * MiB), code, sizeof(code));
	assert_int_equal(td_window_map(w, 0x100000, false, 5 * MiB, PROT_READ | PROT_EXEC), 0);
	fn = (int (*)(void))td_window_va(w, 0x100000, false);
	assert_int_equal(fn(), 42);
	td_window_destroy(w);
}

static void test_many_windows(void **state)
{
	struct td_window *w[129];
	int i, n;

	(void)state;
	for (n = 0; n < 129; n++) {
		w[n] = td_window_create(48);
		if (!w[n])
			break;
	}
	assert_int_equal(n, 128);
	assert_int_equal(errno, ENOSPC);
	for (i = 0; i < n; i++)
		td_window_destroy(w[i]);
	w[0] = td_window_create(48);
	assert_non_null(w[0]);
	td_window_destroy(w[0]);
}

/* LPs map and unmap different pages of one window at once. */
static long map_churn(void *arg)
{
	struct td_window *w = arg;
	uint64_t gpa = (uint64_t)lp_current() * GiB;
	unsigned int round, i;

	for (round = 0; round < 8; round++) {
		for (i = 0; i < 64; i++) {
			if (td_window_map(w, gpa + i * PAGE_SIZE, i & 1, 1 * MiB + i * PAGE_SIZE,
					  RW))
				return -1;
		}
		for (i = 0; i < 64; i++) {
			if (!td_window_is_mapped(w, gpa + i * PAGE_SIZE, i & 1) ||
			    td_window_is_mapped(w, gpa + i * PAGE_SIZE, !(i & 1)))
				return -2;
			if (td_window_unmap(w, gpa + i * PAGE_SIZE, i & 1))
				return -3;
		}
	}
	return 0;
}

static void test_concurrent(void **state)
{
	struct td_window *w;

	(void)state;
	boot("laptop");
	w = td_window_create(48);
	assert_int_equal(lp_run_on_each_online(map_churn, w, NULL), 0);
	td_window_destroy(w);
}

/*
 * CPUID rewrite mode: rewritten CPUIDs are known by their window address, and destroying the
 * window forgets them (another window's stay known), so a later window at the same
 * addresses inherits nothing.
 */
static void test_cpuid_rewrite_forgotten(void **state)
{
	static const uint8_t code[] = {0x0F, 0xA2, 0x90,
				       0x0F, 0xA2, 0xC3}; /* cpuid;nop;cpuid;ret */
	struct machine_config cfg;
	struct td_window *a, *b, *c;
	uint8_t *ca, *cb, *cc;
	char *saved;

	(void)state;
	assert_int_equal(machine_preset("tiny", &cfg), 0);
	cfg.cpuid_mode = CPUID_TRAP_REWRITE;
	saved = env_swap("TDXSIM_CPUID", NULL); /* the variable would win over cfg */
	assert_int_equal(platform_boot(&cfg), 0);
	env_restore("TDXSIM_CPUID", saved);
	a = td_window_create(48);
	b = td_window_create(48);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(td_window_map(a, 0x1000, false, 8 * MiB, RW | PROT_EXEC), 0);
	assert_int_equal(td_window_map(b, 0x1000, false, 9 * MiB, RW | PROT_EXEC), 0);
	ca = td_window_va(a, 0x1000, false);
	cb = td_window_va(b, 0x1000, false);
	memcpy(ca, code, sizeof(code));
	memcpy(cb, code, sizeof(code));
	assert_int_equal(cpuid_rewrite_code(ca, sizeof(code)), 2);
	assert_int_equal(cpuid_rewrite_code(cb, sizeof(code)), 2);
	assert_int_equal(ca[1], CPUID_REWRITTEN_BYTE);
	assert_int_equal(ca[4], CPUID_REWRITTEN_BYTE);
	assert_true(cpuid_is_rewritten((uintptr_t)ca) && cpuid_is_rewritten((uintptr_t)ca + 3));
	assert_false(cpuid_is_rewritten((uintptr_t)ca + 2));

	td_window_destroy(a);
	assert_false(cpuid_is_rewritten((uintptr_t)ca) || cpuid_is_rewritten((uintptr_t)ca + 3));
	assert_true(cpuid_is_rewritten((uintptr_t)cb) && cpuid_is_rewritten((uintptr_t)cb + 3));
	/* A new window after the forget: rewriting works there as before */
	c = td_window_create(48);
	assert_non_null(c);
	assert_int_equal(td_window_map(c, 0x1000, false, 8 * MiB, RW | PROT_EXEC), 0);
	cc = td_window_va(c, 0x1000, false);
	memcpy(cc, code, sizeof(code));
	assert_int_equal(cpuid_rewrite_code(cc, sizeof(code)), 2);
	assert_true(cpuid_is_rewritten((uintptr_t)cc) && cpuid_is_rewritten((uintptr_t)cc + 3));
	td_window_destroy(c);
	assert_false(cpuid_is_rewritten((uintptr_t)cc));
	td_window_destroy(b);
	assert_false(cpuid_is_rewritten((uintptr_t)cb));
}

/*
 * A CPUID is known by the address it was rewritten at, so only code where the guest runs it
 * can be rewritten: mapped pages of one TD window. Anything else is refused untouched, in
 * either CPUID mode, so that a loader rewriting elsewhere fails on every host.
 */
static void test_cpuid_rewrite_only_in_window(void **state)
{
	static const uint8_t code[] = {0x0F, 0xA2, 0xC3}; /* cpuid; ret */
	const char *modes[] = {"rewrite", "faulting"};
	struct machine_config cfg;

	(void)state;
	assert_int_equal(machine_preset("tiny", &cfg), 0);
	for (unsigned int m = 0; m < 2; m++) {
		char *saved = env_swap("TDXSIM_CPUID", modes[m]);
		int booted = platform_boot(&cfg);
		struct td_window *w;
		uint8_t *direct, *va, heap[sizeof(code)];

		env_restore("TDXSIM_CPUID", saved);
		if (booted == -ENODEV)
			continue; /* no CPUID faulting on this host */
		assert_int_equal(booted, 0);
		w = td_window_create(48);
		assert_non_null(w);
		assert_int_equal(td_window_map(w, 0x1000, false, 8 * MiB, RW | PROT_EXEC), 0);
		va = td_window_va(w, 0x1000, false);
		direct = phys_host_va(8 * MiB);
		memcpy(va, code, sizeof(code));
		memcpy(heap, code, sizeof(code));
		/* The same page through the direct map: not where the guest runs it. */
		assert_int_equal(cpuid_rewrite_code(direct, sizeof(code)), -EFAULT);
		assert_int_equal(cpuid_rewrite_code(heap, sizeof(code)), -EFAULT);
		assert_memory_equal(heap, code, sizeof(code));
		/* Into the unmapped page after it, or past the window's end. */
		assert_int_equal(cpuid_rewrite_code(va, PAGE_SIZE + 1), -EFAULT);
		assert_int_equal(
			cpuid_rewrite_code(td_window_va(w, TDXSIM_WINDOW_SIZE - 1, true), 2),
			-EFAULT);
		assert_memory_equal(va, code, sizeof(code));
		assert_int_equal(cpuid_rewrite_code(va, 0), 0);
		assert_int_equal(cpuid_rewrite_code(va, sizeof(code)), m == 0 ? 1 : 0);
		assert_int_equal(va[1], m == 0 ? CPUID_REWRITTEN_BYTE : 0xA2);
		td_window_destroy(w);
		platform_shutdown();
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_create, teardown),
		cmocka_unit_test_teardown(test_fixed_base, teardown),
		cmocka_unit_test_teardown(test_map, teardown),
		cmocka_unit_test_teardown(test_map_deferred, teardown),
		cmocka_unit_test_teardown(test_map_errors, teardown),
		cmocka_unit_test_teardown(test_lookup, teardown),
		cmocka_unit_test_teardown(test_exec, teardown),
		cmocka_unit_test_teardown(test_many_windows, teardown),
		cmocka_unit_test_teardown(test_concurrent, teardown),
		cmocka_unit_test_teardown(test_cpuid_rewrite_forgotten, teardown),
		cmocka_unit_test_teardown(test_cpuid_rewrite_only_in_window, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
