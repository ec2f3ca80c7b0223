// SPDX-License-Identifier: MIT
/*
 * A TDVF firmware as a TD (vmm/tdvf_boot.c, docs/LINUX-BOOT.md "TDVF boot") with Debian's
 * OVMF_CODE.fd and OVMF_VARS.fd: the image page by page (which sections are added, which
 * measured, their bytes), the TD HOB byte by byte, the RAM map, the MRTD recomputed here with
 * SHA-384 from the files alone (docs/TDX-ABI.md §9), then the TD built on the real module
 * (native backend: built, not run) with that MRTD read back; refusals with their messages.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "tdxsim/tdvf.h"
#include "tdxsim/tdxsim.h"
#include "vmm/tdvf.h"
#include "vmm/vmm_internal.h"

#define CODE "/usr/share/OVMF/OVMF_CODE.fd"
#define VARS "/usr/share/OVMF/OVMF_VARS.fd"
#define MEM  (512ULL << 20)

static uint8_t *code, *vars;
static size_t code_len, vars_len;
static char err[1024];

static int setup(void **state)
{
	(void)state;
	if (vmm_read_file(CODE, &code, &code_len) || vmm_read_file(VARS, &vars, &vars_len)) {
		fprintf(stderr, "%s, %s: Debian's ovmf package (make deps)\n", CODE, VARS);
		return -1;
	}
	if (tdxsim_boot(&(struct tdxsim_boot){.machine = "tiny"}, err, sizeof(err))) {
		fprintf(stderr, "tdxsim_boot: %s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tdxsim_shutdown();
	free(code);
	free(vars);
	return 0;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (unsigned int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

static void put64(uint8_t *p, uint64_t v)
{
	for (unsigned int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

/* Debian's sections with 512 MiB: the RAM ranges and whether the build adds them. */
static const struct {
	uint64_t addr, size;
	int added;
} want_ram[] = {
	{0, 0x800000, 0},	{0x800000, 0x6000, 1},	       {0x806000, 0x3000, 0},
	{0x809000, 0x2000, 1},	{0x80B000, 0x2000, 1},	       {0x80D000, 0x3000, 0},
	{0x810000, 0x10000, 1}, {0x820000, MEM - 0x820000, 0},
};

/* The TD HOB as the PI specification lays it out, written field by field. */
static size_t expected_hob(uint8_t *h)
{
	uint8_t *p = h + 56;

	memset(h, 0, 8192);
	put16(h, 0x0001); /* EFI_HOB_TYPE_HANDOFF */
	put16(h + 2, 56);
	put32(h + 8, 9);			   /* EFI_HOB_HANDOFF_TABLE_VERSION */
	put64(h + 48, 0x809000 + 56 + 8 * 48 + 8); /* EfiEndOfHobList: past the end HOB */
	for (unsigned int i = 0; i < 8; i++, p += 48) {
		put16(p, 0x0003); /* EFI_HOB_TYPE_RESOURCE_DESCRIPTOR */
		put16(p + 2, 48);
		put32(p + 24, want_ram[i].added ? 0 : 7); /* SYSTEM_MEMORY / MEMORY_UNACCEPTED */
		put32(p + 28, 0x7);			  /* PRESENT | INITIALIZED | TESTED */
		put64(p + 32, want_ram[i].addr);
		put64(p + 40, want_ram[i].size);
	}
	put16(p, 0xFFFF);
	put16(p + 2, 8);
	return (size_t)(p + 8 - h);
}

static void test_image(void **state)
{
	static const struct {
		uint64_t gpa;
		unsigned int pages;
		int measured;
	} want[] = {{0xFFE20000, 480, 1}, {0xFFE00000, 32, 0}, {0x810000, 16, 0},
		    {0x80B000, 2, 0},	  {0x809000, 2, 0},    {0x800000, 6, 0}};
	static uint8_t hob[8192];
	struct vmm_image img;
	struct tdvf t;
	struct tdvf_ram ram[TDVF_MAX_RAM];
	unsigned int nr, p = 0;

	(void)state;
	assert_int_equal(tdvf_image_build(CODE, code, code_len, vars, vars_len, MEM, &img, &t, ram,
					  &nr, err, sizeof(err)),
			 0);
	assert_int_equal(nr, 8);
	for (unsigned int i = 0; i < 8; i++) {
		assert_int_equal(ram[i].addr, want_ram[i].addr);
		assert_int_equal(ram[i].size, want_ram[i].size);
		assert_int_equal(ram[i].added, want_ram[i].added);
	}
	assert_int_equal(img.nr, 538);
	assert_int_equal(img.entry_gpa, 0xFFFFFFF0);
	assert_int_equal(img.low_gpa, 0x800000);
	assert_int_equal(img.high_gpa, 0x820000);
	assert_int_equal(expected_hob(hob), 448);
	for (unsigned int s = 0; s < 6; s++) {
		for (unsigned int i = 0; i < want[s].pages; i++, p++) {
			const struct vmm_image_page *pg = &img.pages[p];
			static const uint8_t zero[4096];

			assert_int_equal(pg->gpa, want[s].gpa + 4096ULL * i);
			assert_int_equal(pg->no_mr_extend, !want[s].measured);
			assert_int_equal(pg->exec, s == 0);
			if (s == 0) /* BFV: the code file, all of it */
				assert_memory_equal(pg->data, code + 4096 * i, 4096);
			else if (s == 1) /* CFV: the variable store */
				assert_memory_equal(pg->data, vars + 4096 * i, 4096);
			else if (s == 4)
				assert_memory_equal(pg->data, hob + 4096 * i, 4096);
			else
				assert_memory_equal(pg->data, zero, 4096);
		}
	}
	vmm_image_free(&img);
}

/* 128-byte blocks of docs/TDX-ABI.md §9: the operation's name, the GPA at byte 16. */
static void block(EVP_MD_CTX *c, const char *tag, uint64_t gpa)
{
	uint8_t b[128] = {0};

	memcpy(b, tag, strlen(tag));
	put64(b + 16, gpa);
	EVP_DigestUpdate(c, b, sizeof(b));
}

/* PAGE.ADD of every section page in the descriptor's order; MR.EXTEND of the BFV's alone. */
static void expected_mrtd(uint8_t out[48])
{
	static const struct {
		uint64_t gpa;
		unsigned int pages;
	} sec[] = {{0xFFE20000, 480}, {0xFFE00000, 32}, {0x810000, 16},
		   {0x80B000, 2},     {0x809000, 2},	{0x800000, 6}};
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned int len = 48;

	EVP_DigestInit_ex(c, EVP_sha384(), NULL);
	for (unsigned int s = 0; s < 6; s++) {
		for (unsigned int p = 0; p < sec[s].pages; p++) {
			uint64_t gpa = sec[s].gpa + 4096ULL * p;

			block(c, "MEM.PAGE.ADD", gpa);
			for (unsigned int i = 0; s == 0 && i < 16; i++) {
				block(c, "MR.EXTEND", gpa + 256 * i);
				EVP_DigestUpdate(c, code + 4096 * p + 256 * i, 256);
			}
		}
	}
	EVP_DigestFinal_ex(c, out, &len);
	EVP_MD_CTX_free(c);
}

static void test_measure_and_build(void **state)
{
	struct tdxsim_tdvf_info info;
	struct vmm_td_config cfg;
	struct vmm_td_stats st;
	struct vmm_td *td;
	uint8_t want[48], got[48];

	(void)state;
	expected_mrtd(want);
	assert_int_equal(tdxsim_tdvf_measure(CODE, VARS, MEM, &info, err, sizeof(err)), 0);
	assert_memory_equal(info.mrtd, want, 48);
	assert_int_equal(info.image_size, 0x200000);
	assert_int_equal(info.nr_sections, 6);
	assert_string_equal(info.section[0].name, "BFV");
	assert_int_equal(info.section[0].attributes, 1);
	assert_string_equal(info.section[4].name, "TD_HOB");
	assert_int_equal(info.hob_gpa, 0x809000);
	assert_int_equal(info.hob_len, 448);
	assert_int_equal(info.nr_pages, 538);
	assert_int_equal(info.nr_measured, 480);
	assert_int_equal(info.nr_ram, 8);
	assert_int_equal(info.ram[7].addr, 0x820000);
	assert_false(info.ram[7].accepted);
	assert_true(info.ram[6].accepted);

	/* Built on the module: the MRTD it computed is the same. */
	vmm_td_config_default(&cfg);
	cfg.memory_size = MEM;
	cfg.rbp_mod = true;
	if (tdxsim_tdvf_td_create(&cfg, CODE, VARS, &td, err, sizeof(err)))
		fail_msg("tdxsim_tdvf_td_create: %s", err);
	assert_int_equal(vmm_td_mrtd(td, got), 0);
	assert_memory_equal(got, want, 48);
	vmm_td_stats(td, &st);
	assert_int_equal(st.image_pages, 538);
	vmm_td_destroy(td);
}

static void test_refused(void **state)
{
	struct tdxsim_tdvf_info info;
	struct vmm_image img;
	struct tdvf t;
	struct tdvf_ram ram[TDVF_MAX_RAM];
	unsigned int nr;
	uint8_t small[512];

	(void)state;
	assert_int_equal(tdxsim_tdvf_measure(CODE, NULL, MEM, &info, err, sizeof(err)), -EINVAL);
	assert_string_equal(err,
			    CODE ": the code part (0x1e0000 bytes) of a 0x200000-byte image: it "
				 "needs its variable store (OVMF_VARS.fd) of 0x20000 bytes");
	assert_int_equal(tdxsim_tdvf_measure(CODE, CODE, MEM, &info, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, CODE ": the variable store has 0x1e0000 bytes; this image's has "
				      "0x20000");
	assert_int_equal(tdxsim_tdvf_measure(CODE, VARS, 0x81F000, &info, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, CODE ": TDVF section 2 (TempMem) at 0x810000 + 0x10000 is beyond "
				      "the TD's memory (0x81f000 bytes)");
	assert_int_equal(tdxsim_tdvf_measure(VARS, NULL, MEM, &info, err, sizeof(err)), -ENOEXEC);
	assert_int_equal(tdxsim_tdvf_measure("/nonexistent", NULL, MEM, &info, err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "/nonexistent: No such file or directory");

	/* The RAM map's rules on hand-made metadata. */
	assert_int_equal(tdvf_parse(CODE, code, code_len, &t, err, sizeof(err)), 0);
	t.s[3].attributes = TDVF_ATTR_PAGE_AUG;
	assert_int_equal(tdvf_ram_map("fw", &t, MEM, ram, &nr, err, sizeof(err)), -ENOTSUP);
	assert_string_equal(err, "fw: TDVF section 3 (TempMem) has attributes 0x2: PAGE.AUG "
				 "sections are not placed by this VMM");
	t.s[3].attributes = 0;
	t.s[3].type = TDVF_PERM_MEM;
	assert_int_equal(tdvf_ram_map("fw", &t, MEM, ram, &nr, err, sizeof(err)), -ENOTSUP);
	assert_string_equal(err, "fw: TDVF section 3 has type 4 (PermMem): this VMM places BFV, "
				 "CFV, TD_HOB and TempMem sections only");
	t.s[3].type = TDVF_TD_HOB;
	assert_int_equal(tdvf_ram_map("fw", &t, MEM, ram, &nr, err, sizeof(err)), -ENOEXEC);
	assert_string_equal(err, "fw: 2 TD_HOB sections; TDVF takes its memory map from exactly "
				 "one");
	t.s[3].type = TDVF_TEMP_MEM;
	t.s[3].address = 0x808000; /* over the TD_HOB at 0x809000 */
	assert_int_equal(tdvf_ram_map("fw", &t, MEM, ram, &nr, err, sizeof(err)), -ENOEXEC);
	assert_string_equal(err, "fw: TDVF sections 3 and 4 overlap");
	t.s[3].address = 0x80B000;
	assert_int_equal(tdvf_ram_map("fw", &t, 0xFFF00000ULL, ram, &nr, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "fw: TDVF section 0 (BFV) at 0xffe20000 is inside the TD's memory "
				 "(0xfff00000 bytes): memory must end below it");
	assert_int_equal(tdvf_ram_map("fw", &t, MEM, ram, &nr, err, sizeof(err)), 0);
	assert_int_equal(nr, 8);
	/* A TD HOB that does not fit its buffer. */
	assert_int_equal(tdvf_hob_build(ram, nr, 0x809000, small, sizeof(small)), 448);
	assert_int_equal(tdvf_hob_build(ram, nr, 0x809000, small, 447), -ENOSPC);
	assert_int_equal(tdvf_image_build(CODE, code, code_len, vars, vars_len, 0x100000, &img, &t,
					  ram, &nr, err, sizeof(err)),
			 -EINVAL);
	assert_null(img.pages);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_image),
		cmocka_unit_test(test_measure_and_build),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
