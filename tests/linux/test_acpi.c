// SPDX-License-Identifier: MIT
/*
 * The ACPI tables of a TD Linux boot (vmm/acpi.c): every table's signature, length,
 * revision and checksum, the RSDP's two checksums, the FADT's hardware-reduced flag and sleep
 * registers, the MADT's x2APIC and wake-up structures byte by byte; then the same tables
 * decoded by an implementation not ours, ACPICA's disassembler (`iasl -d`, Debian's
 * acpica-tools), with the decoded fields checked.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmm/acpi.h"

#define BASE	0x90000ULL
#define MAILBOX 0x82000ULL

static uint8_t buf[65536];
static struct acpi_layout lay;

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static const uint8_t *at(uint64_t gpa)
{
	return buf + (gpa - BASE);
}

static void build(unsigned int vcpus)
{
	assert_int_equal(acpi_build(buf, sizeof(buf), BASE, vcpus, MAILBOX, &lay), 0);
}

static void check_table(uint64_t gpa, const char *sig, uint32_t len, uint8_t rev)
{
	const uint8_t *t = at(gpa);

	assert_memory_equal(t, sig, 4);
	assert_int_equal(rd32(t + 4), len);
	assert_int_equal(t[8], rev);
	assert_int_equal(acpi_sum(t, len), 0);
	assert_memory_equal(t + 10, "TDXSIM", 6);
	assert_memory_equal(t + 16, "TDXSIMTD", 8);
	assert_memory_equal(t + 28, "TDXS", 4);
	assert_int_equal(gpa % 16, 0);
}

static void test_layout_and_headers(void **state)
{
	const uint8_t *r;

	(void)state;
	build(2);
	/* RSDP at the base, then each table 16-byte aligned in this order. */
	assert_int_equal(lay.rsdp, BASE);
	assert_int_equal(lay.xsdt, BASE + 0x30);
	assert_int_equal(lay.fadt, BASE + 0x70);
	assert_int_equal(lay.madt, BASE + 0x190);
	assert_int_equal(lay.dsdt, BASE + 0x1F0);
	assert_int_equal(lay.len, 0x1F0 + 36 + 61);

	r = at(lay.rsdp);
	assert_memory_equal(r, "RSD PTR ", 8);
	assert_int_equal(acpi_sum(r, 20), 0);
	assert_int_equal(acpi_sum(r, 36), 0);
	assert_memory_equal(r + 9, "TDXSIM", 6);
	assert_int_equal(r[15], 2);	    /* revision */
	assert_int_equal(rd32(r + 16), 0);  /* no RSDT */
	assert_int_equal(rd32(r + 20), 36); /* length */
	assert_int_equal(rd64(r + 24), lay.xsdt);

	check_table(lay.xsdt, "XSDT", 36 + 16, 1);
	assert_int_equal(rd64(at(lay.xsdt) + 36), lay.fadt);
	assert_int_equal(rd64(at(lay.xsdt) + 44), lay.madt);
	check_table(lay.fadt, "FACP", 276, 6);
	check_table(lay.madt, "APIC", 36 + 8 + 2 * 16 + 16, 5);
	check_table(lay.dsdt, "DSDT", 36 + 61, 2);
}

static void test_fadt(void **state)
{
	const uint8_t *f;
	static const uint8_t sleep_ctl[12] = {1, 8, 0, 1, 0x05, 0x06};
	static const uint8_t sleep_sts[12] = {1, 8, 0, 1, 0x00, 0x06};

	(void)state;
	build(1);
	f = at(lay.fadt);
	assert_int_equal(rd32(f + 36), 0);			    /* no FACS */
	assert_int_equal(rd32(f + 40), lay.dsdt);		    /* DSDT */
	assert_int_equal(rd64(f + 140), lay.dsdt);		    /* X_DSDT */
	assert_int_equal(rd32(f + 112), 1U << 20);		    /* HW_REDUCED_ACPI alone */
	assert_int_equal(f[109] | f[110] << 8, 0x24);		    /* no VGA, no CMOS RTC */
	assert_int_equal(f[131], 5);				    /* minor version */
	assert_int_equal(rd32(f + 64), 0);			    /* no PM1a control block */
	assert_int_equal(rd32(f + 46) & 0xFFFF, 0);		    /* no SCI */
	assert_memory_equal(f + 244, sleep_ctl, sizeof(sleep_ctl)); /* I/O 0x605, 8 bits */
	assert_memory_equal(f + 256, sleep_sts, sizeof(sleep_sts)); /* I/O 0x600 */
	assert_memory_equal(f + 268, "TDXSIM\0\0", 8);
}

static void test_madt(void **state)
{
	const uint8_t *m;

	(void)state;
	build(4);
	m = at(lay.madt);
	assert_int_equal(rd32(m + 4), 36 + 8 + 4 * 16 + 16);
	assert_int_equal(rd32(m + 36), 0xFEE00000);
	assert_int_equal(rd32(m + 40), 0); /* no PCAT_COMPAT */
	for (unsigned int i = 0; i < 4; i++) {
		const uint8_t *e = m + 44 + i * 16;
		const uint8_t want[16] = {9, 16, 0, 0, (uint8_t)i, 0, 0, 0,
					  1, 0,	 0, 0, (uint8_t)i, 0, 0, 0};

		assert_memory_equal(e, want, 16);
	}
	{
		const uint8_t *e = m + 44 + 4 * 16;
		const uint8_t want[16] = {0x10, 16,   0,    0, 0, 0, 0, 0,
					  0x00, 0x20, 0x08, 0, 0, 0, 0, 0};

		assert_memory_equal(e, want, 16);
	}
}

static void test_errors(void **state)
{
	(void)state;
	assert_int_equal(acpi_build(buf, sizeof(buf), BASE, 0, MAILBOX, &lay), -EINVAL);
	assert_int_equal(acpi_build(buf, sizeof(buf), BASE + 8, 1, MAILBOX, &lay), -EINVAL);
	assert_int_equal(acpi_build(buf, 0x100, BASE, 1, MAILBOX, &lay), -ENOSPC);
	/* 4096 vCPUs: 64 KiB is not enough for their MADT. */
	assert_int_equal(acpi_build(buf, sizeof(buf), BASE, 4096, MAILBOX, &lay), -ENOSPC);
}

/* ---- iasl ---- */

static char dir[] = "/tmp/tdxsim-acpi-XXXXXX";

static void write_table(const char *name, uint64_t gpa)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.dat", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(at(gpa), 1, rd32(at(gpa) + 4), f), rd32(at(gpa) + 4));
	fclose(f);
}

/* Whether NAME.dsl (iasl's output) has a line containing every one of the strings. */
static bool dsl_has(const char *name, const char *a, const char *b)
{
	char path[128], line[512];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.dsl", dir, name);
	f = fopen(path, "r");
	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, a) && (!b || strstr(line, b));
	fclose(f);
	if (!found)
		fprintf(stderr, "%s.dsl has no line with '%s'%s%s\n", name, a, b ? " and " : "",
			b ? b : "");
	return found;
}

static void test_iasl(void **state)
{
	static const char *names[] = {"xsdt", "fadt", "madt", "dsdt"};
	char cmd[512];

	(void)state;
	if (system("command -v iasl >/dev/null 2>&1")) {
		fprintf(stderr, "iasl is not installed: Debian's acpica-tools (make deps)\n");
		fail();
	}
	build(3);
	assert_non_null(mkdtemp(dir));
	write_table("xsdt", lay.xsdt);
	write_table("fadt", lay.fadt);
	write_table("madt", lay.madt);
	write_table("dsdt", lay.dsdt);
	for (unsigned int i = 0; i < 4; i++) {
		/* iasl exits non-zero on a table it cannot decode; its log must have no error. */
		snprintf(cmd, sizeof(cmd),
			 "cd %s && iasl -d %s.dat >%s.log 2>&1 && ! grep -qi -e error -e warning "
			 "-e 'invalid' %s.log %s.dsl",
			 dir, names[i], names[i], names[i], names[i]);
		if (system(cmd)) {
			snprintf(cmd, sizeof(cmd), "cat %s/%s.log >&2", dir, names[i]);
			assert_int_equal(system(cmd), 0);
			fail();
		}
	}
	assert_true(dsl_has("xsdt", "ACPI Table Address   0", "0000000000090070"));
	assert_true(dsl_has("xsdt", "ACPI Table Address   1", "0000000000090190"));
	assert_true(dsl_has("fadt", "Hardware Reduced (V5)", ": 1"));
	assert_true(dsl_has("fadt", "CMOS RTC Not Present (V5)", ": 1"));
	assert_true(dsl_has("fadt", "DSDT Address", "0000000000090200"));
	assert_true(dsl_has("fadt", "Revision", ": 06"));
	assert_true(dsl_has("fadt", "FADT Minor Revision", ": 05"));
	assert_true(dsl_has("fadt", "Address", "0000000000000605"));
	assert_true(dsl_has("fadt", "Address", "0000000000000600"));
	assert_true(dsl_has("madt", "Processor x2Apic ID", ": 00000000"));
	assert_true(dsl_has("madt", "Processor x2Apic ID", ": 00000001"));
	assert_true(dsl_has("madt", "Processor x2Apic ID", ": 00000002"));
	assert_true(dsl_has("madt", "Processor Enabled", ": 1"));
	assert_true(dsl_has("madt", "PC-AT Compatibility", ": 0"));
	/*
	 * Debian bookworm's ACPICA (20200925) predates the multiprocessor wake-up structure
	 * (type 0x10): it names it unknown and dumps the table's raw bytes, where the
	 * structure must be (at 0x5C, 16 bytes), with the mailbox address 0x82000 in
	 * its bytes 8..15 (0x64..0x6B).
	 */
	assert_true(dsl_has("madt", "Subtable Type : 10", NULL));
	assert_true(dsl_has("madt", "0060: 00 00 00 00 00 20 08 00 00 00 00 00", NULL));
	assert_true(dsl_has("dsdt", "Name (_S5, Package (0x04)", NULL));
	assert_true(dsl_has("dsdt", "Device (COM1)", NULL));
	assert_true(dsl_has("dsdt", "EisaId (\"PNP0501\")", NULL));
	assert_true(dsl_has("dsdt", "0x03F8,", "Range Minimum"));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_and_headers),
		cmocka_unit_test(test_fadt),
		cmocka_unit_test(test_madt),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_iasl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
