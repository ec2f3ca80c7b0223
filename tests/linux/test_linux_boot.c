// SPDX-License-Identifier: MIT
/*
 * Direct boot of a Linux bzImage (vmm/linux_boot.c) without a machine: a hand-built bzImage's
 * setup header parsed and each refusal with its message; the layout and e820 map of a
 * 512 MiB TD; the zero page's fields byte by byte; the identity map; the reset page's
 * parameter block; the TD image page by page. With argv[1] (Debian's vmlinuz, when
 * scripts/td-linux-fetch.sh has fetched it), the real kernel's header as well.
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

#include "tdxsim/boot.h"
#include "vmm/linux_boot.h"

#define MEM	    (512ULL << 20)
#define KERNEL_LEN  (3 * 4096 + 100) /* protected-mode bytes of the test bzImage */
#define SETUP_SECTS 1
#define INIT_SIZE   0x800000
#define INITRD_LEN  ((1 << 20) + 123)

static const char *real_kernel;
static uint8_t bz_file[(SETUP_SECTS + 1) * 512 + KERNEL_LEN];
static char err[512];

static void w16(uint8_t *p, size_t off, uint16_t v)
{
	memcpy(p + off, &v, 2);
}

static void w32(uint8_t *p, size_t off, uint32_t v)
{
	memcpy(p + off, &v, 4);
}

static void w64(uint8_t *p, size_t off, uint64_t v)
{
	memcpy(p + off, &v, 8);
}

static uint32_t r32(const uint8_t *p, size_t off)
{
	uint32_t v;

	memcpy(&v, p + off, 4);
	return v;
}

static uint64_t r64(const uint8_t *p, size_t off)
{
	uint64_t v;

	memcpy(&v, p + off, 8);
	return v;
}

/* A bzImage as the boot protocol describes one: header 2.15, relocatable, 64-bit entry. */
static void make_bzimage(void)
{
	memset(bz_file, 0, sizeof(bz_file));
	bz_file[0x1F1] = SETUP_SECTS;
	w16(bz_file, 0x1FE, 0xAA55);
	bz_file[0x200] = 0xEB; /* jmp over the header */
	bz_file[0x201] = 0x6A; /* header ends at 0x26C */
	memcpy(bz_file + 0x202, "HdrS", 4);
	w16(bz_file, 0x206, 0x020F);
	bz_file[0x211] = 0x01;		 /* LOADED_HIGH */
	w32(bz_file, 0x22C, 0x7FFFFFFF); /* initrd_addr_max */
	w32(bz_file, 0x230, 0x200000);	 /* kernel_alignment */
	bz_file[0x234] = 1;		 /* relocatable */
	w16(bz_file, 0x236, 0x7F);	 /* xloadflags: KERNEL_64 and more */
	w32(bz_file, 0x238, 2047);	 /* cmdline_size */
	w64(bz_file, 0x258, 0x1000000);	 /* pref_address */
	w32(bz_file, 0x260, INIT_SIZE);
	for (size_t i = 0; i < KERNEL_LEN; i++)
		bz_file[(SETUP_SECTS + 1) * 512 + i] = (uint8_t)(i * 7 + 1);
}

static void test_parse(void **state)
{
	struct linux_bzimage bz;

	(void)state;
	make_bzimage();
	assert_int_equal(linux_bzimage_parse("bz", bz_file, sizeof(bz_file), &bz, err, sizeof(err)),
			 0);
	assert_int_equal(bz.version, 0x020F);
	assert_int_equal(bz.setup_sects, 1);
	assert_int_equal(bz.kernel_off, 1024);
	assert_int_equal(bz.kernel_len, KERNEL_LEN);
	assert_int_equal(bz.hdr_end, 0x26C);
	assert_int_equal(bz.kernel_alignment, 0x200000);
	assert_int_equal(bz.pref_address, 0x1000000);
	assert_int_equal(bz.init_size, INIT_SIZE);
	assert_int_equal(bz.cmdline_size, 2047);
	assert_int_equal(bz.initrd_addr_max, 0x7FFFFFFF);
	assert_int_equal(bz.relocatable, 1);

	/* setup_sects 0 means 4. */
	bz_file[0x1F1] = 0;
	assert_int_equal(linux_bzimage_parse("bz", bz_file, sizeof(bz_file), &bz, err, sizeof(err)),
			 0);
	assert_int_equal(bz.kernel_off, 5 * 512);
}

static void refused(const char *want)
{
	struct linux_bzimage bz;

	err[0] = 0;
	assert_int_equal(linux_bzimage_parse("bz", bz_file, sizeof(bz_file), &bz, err, sizeof(err)),
			 -ENOEXEC);
	if (strcmp(err, want))
		fail_msg("got \"%s\", want \"%s\"", err, want);
	make_bzimage();
}

static void test_refused(void **state)
{
	struct linux_bzimage bz;

	(void)state;
	make_bzimage();
	w16(bz_file, 0x1FE, 0);
	refused("bz: not a Linux bzImage (no boot sector signature 0xAA55 and setup header "
		"\"HdrS\")");
	bz_file[0x203] = 'x';
	refused("bz: not a Linux bzImage (no boot sector signature 0xAA55 and setup header "
		"\"HdrS\")");
	w16(bz_file, 0x206, 0x020B);
	refused("bz: boot protocol 2.11; a TD boot needs 2.12 or later (64-bit entry, "
		"xloadflags)");
	w16(bz_file, 0x236, 0x7E);
	refused("bz: no 64-bit entry point (xloadflags.XLF_KERNEL_64)");
	bz_file[0x211] = 0;
	refused("bz: not loaded high (loadflags.LOADED_HIGH clear)");
	w32(bz_file, 0x230, 0x300000);
	refused("bz: kernel_alignment 0x300000 is not a power of two");
	w64(bz_file, 0x258, 0x1100000);
	refused("bz: pref_address 0x1100000 is not a kernel_alignment (0x200000) multiple above "
		"1 MiB");
	bz_file[0x201] = 0x10;
	refused("bz: the setup header's length (0x212) is wrong");
	w32(bz_file, 0x260, 0x1000);
	refused("bz: init_size 0x1000 is less than the kernel (0x3064)");
	bz_file[0x1F1] = 100;
	refused("bz: the file (13412 bytes) ends inside its 100 setup sectors");
	/* Every prefix of the header is refused, never read past (ASan). */
	for (size_t n = 0; n < 0x264; n++) {
		uint8_t *p = malloc(n ? n : 1);

		memcpy(p, bz_file, n);
		assert_int_equal(linux_bzimage_parse("bz", p, n, &bz, err, sizeof(err)), -ENOEXEC);
		free(p);
	}
}

static void test_layout(void **state)
{
	struct linux_bzimage bz;
	struct linux_layout lay;
	static const struct linux_e820 want[] = {
		{0, 0x80000, 1},	 {0x80000, 0x10000, 2},
		{0x90000, 0x10000, 3},	 {0x100000, MEM - 0x100000, 1},
		{0xFFFFF000, 0x1000, 2},
	};

	(void)state;
	make_bzimage();
	assert_int_equal(linux_bzimage_parse("bz", bz_file, sizeof(bz_file), &bz, err, sizeof(err)),
			 0);
	assert_int_equal(linux_boot_layout(&bz, MEM, 2, INITRD_LEN, 13, &lay, err, sizeof(err)), 0);
	assert_int_equal(lay.kernel_gpa, 0x1000000);
	assert_int_equal(lay.kernel_entry, 0x1000200);
	assert_int_equal(lay.kernel_end, 0x1000000 + INIT_SIZE);
	assert_int_equal(lay.initrd_gpa, (MEM - INITRD_LEN) & ~0xFFFULL);
	assert_int_equal(lay.initrd_gpa, 0x1FEFF000);
	assert_int_equal(lay.initrd_len, INITRD_LEN);
	assert_int_equal(lay.rsdp_gpa, 0x90000);
	assert_int_equal(lay.nr_e820, 5);
	for (unsigned int i = 0; i < 5; i++) {
		assert_int_equal(lay.e820[i].addr, want[i].addr);
		assert_int_equal(lay.e820[i].size, want[i].size);
		assert_int_equal(lay.e820[i].type, want[i].type);
	}

	/* initrd_addr_max caps where the initrd goes. */
	w32(bz_file, 0x22C, 0x0FFFFFFF);
	assert_int_equal(linux_bzimage_parse("bz", bz_file, sizeof(bz_file), &bz, err, sizeof(err)),
			 0);
	assert_int_equal(linux_boot_layout(&bz, MEM, 1, 4096, 0, &lay, err, sizeof(err)), 0);
	assert_int_equal(lay.initrd_gpa, 0x10000000 - 4096);
	make_bzimage();
	assert_int_equal(linux_bzimage_parse("bz", bz_file, sizeof(bz_file), &bz, err, sizeof(err)),
			 0);

	/* What does not fit. */
	assert_int_equal(linux_boot_layout(&bz, 0x1000000 + INIT_SIZE - 4096, 1, 0, 0, &lay, err,
					   sizeof(err)),
			 -E2BIG);
	assert_string_equal(err, "the kernel needs memory up to 0x1800000 (pref_address "
				 "0x1000000 + init_size 0x800000); the TD has 0x17ff000 bytes");
	assert_int_equal(linux_boot_layout(&bz, 0x2000000, 1, 0x800001, 0, &lay, err, sizeof(err)),
			 -E2BIG);
	assert_string_equal(err, "the initrd (8388609 bytes) does not fit between the kernel's "
				 "end 0x1800000 and 0x2000000");
	assert_int_equal(linux_boot_layout(&bz, MEM, 1, 0, 2047, &lay, err, sizeof(err)), -E2BIG);
	assert_string_equal(err, "the command line is 2047 bytes; this kernel takes at most 2046 "
				 "(and the VMM 4095)");
	assert_int_equal(linux_boot_layout(&bz, MEM + 1, 1, 0, 0, &lay, err, sizeof(err)), -EINVAL);
	assert_int_equal(linux_boot_layout(&bz, 0x100000000ULL, 1, 0, 0, &lay, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(linux_boot_layout(&bz, MEM, 0, 0, 0, &lay, err, sizeof(err)), -EINVAL);
}

static void test_boot_params(void **state)
{
	struct linux_bzimage bz;
	struct linux_layout lay;
	static uint8_t zp[4096];
	static const uint8_t e820_3[20] = {0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 3};

	(void)state;
	make_bzimage();
	assert_int_equal(linux_bzimage_parse("bz", bz_file, sizeof(bz_file), &bz, err, sizeof(err)),
			 0);
	assert_int_equal(linux_boot_layout(&bz, MEM, 2, INITRD_LEN, 13, &lay, err, sizeof(err)), 0);
	memset(zp, 0xAA, sizeof(zp));
	linux_boot_params(zp, bz_file, &bz, &lay);
	/* The header is the file's but for what the loader fills in. */
	assert_memory_equal(zp + 0x1F1, bz_file + 0x1F1, 0x210 - 0x1F1);
	assert_memory_equal(zp + 0x202, "HdrS", 4);
	assert_int_equal(zp[0x210], 0xFF);		      /* type_of_loader */
	assert_int_equal(zp[0x211], 0x01);		      /* loadflags */
	assert_int_equal(r32(zp, 0x218), 0x1FEFF000);	      /* ramdisk_image */
	assert_int_equal(r32(zp, 0x21C), INITRD_LEN);	      /* ramdisk_size */
	assert_int_equal(r32(zp, 0x228), 0x81000);	      /* cmd_line_ptr */
	assert_int_equal(r32(zp, 0x0C0), 0);		      /* ext_ramdisk_image */
	assert_int_equal(r32(zp, 0x0C4), 0);		      /* ext_ramdisk_size */
	assert_int_equal(r32(zp, 0x0C8), 0);		      /* ext_cmd_line_ptr */
	assert_int_equal(r64(zp, 0x070), 0x90000);	      /* acpi_rsdp_addr */
	assert_int_equal(zp[0x1E8], 5);			      /* e820_entries */
	assert_int_equal(zp[0x1EF], 0);			      /* sentinel */
	assert_memory_equal(zp + 0x2D0 + 2 * 20, e820_3, 20); /* ACPI 0x90000 + 0x10000 */
	assert_int_equal(r64(zp, 0x2D0 + 3 * 20), 0x100000);
	assert_int_equal(r64(zp, 0x2D0 + 3 * 20 + 8), MEM - 0x100000);
	assert_int_equal(r32(zp, 0x2D0 + 3 * 20 + 16), 1);
	assert_int_equal(r64(zp, 0x2D0 + 4 * 20), 0xFFFFF000);
	/* Nothing else set: everything past the header and the e820 table is zero. */
	for (size_t i = 0x26C; i < 0x2D0; i++)
		assert_int_equal(zp[i], 0);
	for (size_t i = 0x2D0 + 5 * 20; i < 4096; i++)
		assert_int_equal(zp[i], 0);
}

static void test_tables_and_reset_page(void **state)
{
	static uint8_t t[6][4096], page[4096];
	struct linux_layout lay = {.memory_size = MEM, .kernel_entry = 0x1000200};

	(void)state;
	linux_page_tables(t);
	assert_int_equal(r64(t[0], 0), 0x84023);
	for (unsigned int i = 1; i < 512; i++)
		assert_int_equal(r64(t[0], 8 * i), 0);
	assert_int_equal(r64(t[1], 0), 0x85023);
	assert_int_equal(r64(t[1], 24), 0x88023);
	assert_int_equal(r64(t[1], 32), 0);
	assert_int_equal(r64(t[2], 0), 0xE3);
	assert_int_equal(r64(t[2], 8), 0x2000E3);
	assert_int_equal(r64(t[5], 8 * 511), 0xFFE000E3);

	linux_reset_page(page, &lay);
	assert_int_equal(r64(page, 0xF00), 0x83000);   /* CR3 */
	assert_int_equal(r64(page, 0xF08), 0x80000);   /* boot_params */
	assert_int_equal(r64(page, 0xF10), 0x1000200); /* the 64-bit entry */
	assert_int_equal(r64(page, 0xF18), MEM);       /* accept [0, MEM) */
	assert_int_equal(r64(page, 0xF20), 0x82000);   /* the mailbox */
	assert_int_equal(r64(page, 0xF28), 0x8A000);   /* RSP */
	assert_int_equal(page[0xFF0], 0xE9);	       /* jmp rel32 back to offset 0 */
	assert_int_equal(r32(page, 0xFF1), (uint32_t)(0 - 0xFF5));
	assert_int_equal(page[0], 0x0F); /* mov %cr4, %eax */
	assert_int_equal(page[1], 0x20);
}

static void test_image(void **state)
{
	struct vmm_image img;
	struct linux_layout lay;
	static uint8_t initrd[INITRD_LEN];
	unsigned int i, n_initrd = (INITRD_LEN + 4095) / 4096;

	(void)state;
	make_bzimage();
	for (i = 0; i < INITRD_LEN; i++)
		initrd[i] = (uint8_t)(i ^ 0x5A);
	assert_int_equal(linux_image_build("bz", bz_file, sizeof(bz_file), initrd, INITRD_LEN,
					   "console=ttyS0", MEM, 2, &img, &lay, err, sizeof(err)),
			 0);
	/* 10 boot pages, 1 of ACPI tables, 4 of kernel, 257 of initrd, the reset page. */
	assert_int_equal(img.nr, 10 + 1 + 4 + n_initrd + 1);
	for (i = 0; i < 10; i++)
		assert_int_equal(img.pages[i].gpa, 0x80000 + i * 4096);
	assert_string_equal((const char *)img.pages[1].data, "console=ttyS0");
	assert_memory_equal(img.pages[0].data + 0x202, "HdrS", 4);
	assert_int_equal(r64(img.pages[3].data, 0), 0x84023); /* PML4 */
	assert_int_equal(img.pages[10].gpa, 0x90000);
	assert_memory_equal(img.pages[10].data, "RSD PTR ", 8);
	for (i = 0; i < 4; i++) {
		assert_int_equal(img.pages[11 + i].gpa, 0x1000000 + i * 4096);
		assert_true(img.pages[11 + i].exec);
	}
	assert_memory_equal(img.pages[11].data, bz_file + 1024, 4096);
	assert_memory_equal(img.pages[14].data, bz_file + 1024 + 3 * 4096, 100);
	assert_int_equal(img.pages[14].data[100], 0);
	assert_int_equal(img.pages[15].gpa, 0x1FEFF000);
	assert_false(img.pages[15].exec);
	assert_memory_equal(img.pages[15].data, initrd, 4096);
	assert_memory_equal(img.pages[15 + n_initrd - 1].data, initrd + (n_initrd - 1) * 4096,
			    INITRD_LEN - (n_initrd - 1) * 4096);
	assert_int_equal(img.pages[img.nr - 1].gpa, 0xFFFFF000);
	assert_true(img.pages[img.nr - 1].exec);
	assert_int_equal(r64(img.pages[img.nr - 1].data, 0xF10), 0x1000200);
	for (i = 1; i < img.nr; i++)
		assert_true(img.pages[i].gpa > img.pages[i - 1].gpa);
	assert_int_equal(img.entry_gpa, 0x1000200);
	vmm_image_free(&img);

	/* Without an initrd: zero ramdisk fields. */
	assert_int_equal(linux_image_build("bz", bz_file, sizeof(bz_file), NULL, 0, "", MEM, 1,
					   &img, &lay, err, sizeof(err)),
			 0);
	assert_int_equal(img.nr, 10 + 1 + 4 + 1);
	assert_int_equal(r32(img.pages[0].data, 0x218), 0);
	assert_int_equal(r32(img.pages[0].data, 0x21C), 0);
	vmm_image_free(&img);

	assert_int_equal(linux_image_load("/nonexistent/vmlinuz", NULL, "", MEM, 1, &img, &lay, err,
					  sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "/nonexistent/vmlinuz: No such file or directory");
}

/* Debian's kernel, when the test has it: its header as the boot protocol says. */
static void test_real_kernel(void **state)
{
	struct vmm_image img;
	struct linux_layout lay;
	struct linux_bzimage bz;
	uint8_t *buf;
	size_t len;

	(void)state;
	if (!real_kernel || access(real_kernel, R_OK)) {
		printf("no Debian kernel fetched (scripts/td-linux-fetch.sh): only the test "
		       "bzImage\n");
		skip();
	}
	assert_int_equal(vmm_read_file(real_kernel, &buf, &len), 0);
	assert_int_equal(linux_bzimage_parse(real_kernel, buf, len, &bz, err, sizeof(err)), 0);
	printf("%s: protocol %u.%02u, setup_sects %u, kernel 0x%zx bytes, init_size 0x%x, "
	       "pref_address 0x%llx, kernel_alignment 0x%x, xloadflags 0x%x, cmdline_size %u\n",
	       real_kernel, bz.version >> 8, bz.version & 0xFF, bz.setup_sects, bz.kernel_len,
	       bz.init_size, (unsigned long long)bz.pref_address, bz.kernel_alignment,
	       bz.xloadflags, bz.cmdline_size);
	assert_true(bz.version >= 0x020F);
	assert_int_equal(bz.relocatable, 1);
	assert_int_equal(bz.pref_address, 0x1000000);	 /* CONFIG_PHYSICAL_START */
	assert_int_equal(bz.kernel_alignment, 0x200000); /* CONFIG_PHYSICAL_ALIGN */
	assert_true(bz.init_size > bz.kernel_len);
	free(buf);
	assert_int_equal(linux_image_load(real_kernel, NULL, "console=ttyS0", MEM, 2, &img, &lay,
					  err, sizeof(err)),
			 0);
	assert_int_equal(img.nr, 10 + 1 + (bz.kernel_len + 4095) / 4096 + 1);
	vmm_image_free(&img);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_boot_params),
		cmocka_unit_test(test_tables_and_reset_page),
		cmocka_unit_test(test_image),
		cmocka_unit_test(test_real_kernel),
	};

	static char path[4096];
	const char *cache = getenv("TDXSIM_CACHE_DIR"), *xdg = getenv("XDG_CACHE_HOME");

	/* scripts/td-linux-fetch.sh's directory, as it chooses it. */
	if (argc > 1)
		real_kernel = argv[1];
	else if (cache && *cache)
		snprintf(path, sizeof(path), "%s/linux/vmlinuz", cache);
	else if (xdg && *xdg)
		snprintf(path, sizeof(path), "%s/tdxsim/linux/vmlinuz", xdg);
	else if (getenv("HOME"))
		snprintf(path, sizeof(path), "%s/.cache/tdxsim/linux/vmlinuz", getenv("HOME"));
	if (!real_kernel && path[0])
		real_kernel = path;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
