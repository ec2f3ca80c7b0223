// SPDX-License-Identifier: MIT
/*
 * tdx_sept_check(): quiet on TDs the leaves built, and each kind of inconsistency between the
 * Secure EPT, the TD's structures, the TD window and the PAMT reported (made by writing the
 * module's state directly, as no leaf sequence can).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "td.h"
#include "td_harness.h"

#define GPA 0xFFFFF000ULL

static char msg[4096];

static void build(struct test_td *td, uint64_t **leaf)
{
	struct tdx_module_args a;
	unsigned int level;

	assert_int_equal(td_build_basic(td), 0);
	assert_int_equal(td_sept_map(td, GPA), 0);
	assert_int_equal(tdx_sept_check(msg, sizeof(msg)), 0);
	/* The TD is finalized: the page comes by PAGE.AUG (PENDING). */
	a = (struct tdx_module_args){.rcx = GPA, .rdx = td->tdr, .r8 = td_page_alloc()};
	assert_int_equal(td_call(TDH_MEM_PAGE_AUG, &a), 0);
	*leaf = sept_find_leaf(tdr_of(td->tdr), GPA, &level);
	assert_non_null(*leaf);
	assert_int_equal(level, 0);
	assert_int_equal(tdx_sept_check(msg, sizeof(msg)), 0);
	assert_int_equal(tdx_pamt_check(NULL, 0), 0);
}

static void test_clean_after_build_and_teardown(void **state)
{
	struct test_td td;
	uint64_t *leaf;

	(void)state;
	build(&td, &leaf);
	assert_int_equal(td_teardown(&td), 0);
	assert_int_equal(tdx_sept_check(msg, sizeof(msg)), 0);
}

static void test_leaf_to_host_page(void **state)
{
	struct test_td td;
	uint64_t *leaf, saved;

	(void)state;
	build(&td, &leaf);
	saved = *leaf;
	/* A leaf naming a page the host owns (NDA): wrong type, and the TD's page unreferenced. */
	*leaf = td_page_alloc() | SEPT_PENDING;
	assert_int_equal(tdx_sept_check(msg, sizeof(msg)), 2);
	assert_non_null(strstr(msg, "PENDING"));
	assert_non_null(strstr(msg, "PAMT type 0 owner 0x0"));
	assert_non_null(
		strstr(msg, "references 3 tables and 0 pages; the TD owns 3 EPT and 1 REG"));
	*leaf = saved;
	assert_int_equal(tdx_sept_check(msg, sizeof(msg)), 0);
}

static void test_child_count_and_window(void **state)
{
	struct test_td td;
	uint64_t *leaf, saved;
	struct tdr *tdr;

	(void)state;
	build(&td, &leaf);
	tdr = tdr_of(td.tdr);
	tdr->chldcnt++;
	assert_int_equal(tdx_sept_check(msg, sizeof(msg)), 1);
	assert_non_null(strstr(msg, "child count"));
	tdr->chldcnt--;
	/* MAPPED in the Secure EPT but absent from the TD window. */
	saved = *leaf;
	*leaf = sept_hpa(saved) | SEPT_MAPPED;
	assert_int_equal(tdx_sept_check(msg, sizeof(msg)), 1);
	assert_non_null(strstr(msg, "GPA 0xfffff000 not mapped in the TD window"));
	*leaf = saved;
	assert_int_equal(tdx_sept_check(msg, sizeof(msg)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_clean_after_build_and_teardown,
						td_machine_setup, td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_leaf_to_host_page, td_machine_setup,
						td_machine_teardown),
		cmocka_unit_test_setup_teardown(test_child_count_and_window, td_machine_setup,
						td_machine_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
