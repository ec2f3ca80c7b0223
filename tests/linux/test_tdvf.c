// SPDX-License-Identifier: MIT
/*
 * TDVF metadata (vmm/tdvf.c) of Debian bookworm's OVMF (package ovmf, 2022.11):
 * /usr/share/OVMF/OVMF_CODE.fd, the code part of the 2 MiB image (its variable store,
 * OVMF_VARS.fd, is the other 128 KiB). The sections exactly as the file has them, then damaged
 * copies refused with their reasons and read in bounds (ASan). argv[1]: another path.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmm/tdvf.h"
#include "vmm/vmm_internal.h"

static const char *path = "/usr/share/OVMF/OVMF_CODE.fd";
static uint8_t *fd_buf;
static size_t fd_len;
static char err[512];

static int setup(void **state)
{
	(void)state;
	if (vmm_read_file(path, &fd_buf, &fd_len)) {
		fprintf(stderr, "%s: cannot read it: Debian's ovmf package (make deps)\n", path);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(fd_buf);
	return 0;
}

static void test_debian_ovmf(void **state)
{
	struct tdvf t;
	static const struct tdvf_section want[] = {
		/* offset, raw size, GPA, size, type, attributes */
		{0x20000, 0x1E0000, 0xFFE20000, 0x1E0000, TDVF_BFV, TDVF_ATTR_MR_EXTEND},
		{0, 0x20000, 0xFFE00000, 0x20000, TDVF_CFV, 0},
		{0, 0, 0x810000, 0x10000, TDVF_TEMP_MEM, 0},
		{0, 0, 0x80B000, 0x2000, TDVF_TEMP_MEM, 0},
		{0, 0, 0x809000, 0x2000, TDVF_TD_HOB, 0},
		{0, 0, 0x800000, 0x6000, TDVF_TEMP_MEM, 0},
	};

	(void)state;
	assert_int_equal(fd_len, 0x1E0000);
	assert_int_equal(tdvf_parse(path, fd_buf, fd_len, &t, err, sizeof(err)), 0);
	assert_int_equal(t.version, 1);
	assert_int_equal(t.descriptor_offset, 0x1E0000 - 0x840);
	assert_int_equal(t.image_size, 0x200000); /* OVMF_VARS.fd + OVMF_CODE.fd */
	assert_int_equal(t.nr, 6);
	for (unsigned int i = 0; i < 6; i++) {
		printf("section %u: %-7s data 0x%06x + 0x%06x -> GPA 0x%08llx + 0x%06llx, "
		       "attributes %u\n",
		       i, tdvf_section_name(t.s[i].type), t.s[i].data_offset, t.s[i].raw_size,
		       (unsigned long long)t.s[i].address, (unsigned long long)t.s[i].size,
		       t.s[i].attributes);
		assert_int_equal(t.s[i].data_offset, want[i].data_offset);
		assert_int_equal(t.s[i].raw_size, want[i].raw_size);
		assert_int_equal(t.s[i].address, want[i].address);
		assert_int_equal(t.s[i].size, want[i].size);
		assert_int_equal(t.s[i].type, want[i].type);
		assert_int_equal(t.s[i].attributes, want[i].attributes);
	}
	assert_string_equal(tdvf_section_name(TDVF_TD_HOB), "TD_HOB");
	assert_string_equal(tdvf_section_name(99), "?");
}

static void refused(const uint8_t *buf, size_t len, const char *want)
{
	struct tdvf t;

	err[0] = 0;
	assert_int_equal(tdvf_parse("fd", buf, len, &t, err, sizeof(err)), -ENOEXEC);
	if (strcmp(err, want))
		fail_msg("got \"%s\", want \"%s\"", err, want);
}

static void test_damaged(void **state)
{
	uint8_t *c = malloc(fd_len);
	size_t desc = fd_len - 0x840;
	struct tdvf t;

	(void)state;
	memcpy(c, fd_buf, fd_len);
	c[fd_len - 0x30] ^= 1; /* the footer GUID's first byte */
	refused(c, fd_len,
		"fd: no OVMF GUID'd table at the end of the image (footer GUID "
		"96b582de-1fb2-45f7-baea-a366c55a082d at 0x1dffd0)");
	memcpy(c, fd_buf, fd_len);
	c[fd_len - 0xA2] ^= 1; /* the metadata offset entry's GUID (the table's first entry) */
	refused(c, fd_len,
		"fd: no TDX metadata in the GUID'd table (GUID "
		"e47a6535-984a-4798-865e-4685a7bf8ec2): not a TDVF image");
	memcpy(c, fd_buf, fd_len);
	c[fd_len - 0x44] = 0x03; /* the last entry's length: 0x16 -> 0x03 */
	refused(c, fd_len, "fd: an entry of the GUID'd table has a wrong length");
	memcpy(c, fd_buf, fd_len);
	c[desc] = 'X';
	refused(c, fd_len, "fd: no \"TDVF\" signature at offset 0x1df7c0");
	memcpy(c, fd_buf, fd_len);
	c[desc - 1] ^= 1;
	refused(c, fd_len,
		"fd: the TDVF descriptor is not preceded by the TDX metadata GUID "
		"e9eaf9f3-168e-44d5-a8eb-7f4d8738f6ae");
	memcpy(c, fd_buf, fd_len);
	c[desc + 8] = 2;
	refused(c, fd_len, "fd: TDVF descriptor version 2 (this VMM reads 1)");
	memcpy(c, fd_buf, fd_len);
	c[desc + 12] = 7; /* 7 sections in 208 bytes */
	refused(c, fd_len,
		"fd: the TDVF descriptor's length 208 does not hold its 7 sections inside the "
		"file");
	memcpy(c, fd_buf, fd_len);
	c[desc + 16 + 32 + 8] = 0x10; /* the CFV's GPA 0xFFE00010 */
	refused(c, fd_len,
		"fd: TDVF section 1 (CFV): memory 0xffe00010 + 0x20000 with 0x20000 bytes of "
		"data is not page-aligned or overflows");
	memcpy(c, fd_buf, fd_len);
	c[desc + 16 + 24] = 4; /* the BFV is PermMem: no BFV left */
	refused(c, fd_len, "fd: the TDVF descriptor has no BFV section");

	/* The tail that holds the table and the descriptor parses; one byte less does not. */
	assert_int_equal(tdvf_parse("fd", fd_buf + desc - 16, 0x850, &t, err, sizeof(err)), 0);
	assert_int_equal(tdvf_parse("fd", fd_buf + desc - 15, 0x84F, &t, err, sizeof(err)),
			 -ENOEXEC);
	/* Every short tail is refused, never read out of bounds (ASan). */
	for (size_t n = 0; n < 0x84F; n += 7) {
		uint8_t *p = malloc(n ? n : 1);

		memcpy(p, fd_buf + fd_len - n, n);
		assert_int_equal(tdvf_parse("fd", p, n, &t, err, sizeof(err)), -ENOEXEC);
		free(p);
	}
	free(c);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debian_ovmf),
		cmocka_unit_test(test_damaged),
	};

	if (argc > 1)
		path = argv[1];
	return cmocka_run_group_tests(tests, setup, teardown);
}
