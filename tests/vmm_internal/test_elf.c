// SPDX-License-Identifier: MIT
/*
 * The guest image (vmm/elf.c) without a machine: a hand-built static PIE laid out page by
 * page, and every way a file can fail to be a tdxsim guest refused with its exact message -
 * header fields, program headers and segments past the file or the image's span (sums that
 * would wrap near 2^64 among them), dynamic linking, shared libraries, relocations a loader
 * would need, the entry point, every truncation of a good image; files that are not regular
 * files; and programs the host's toolchain built (a shared library, a dynamic PIE, a non-PIE
 * executable) and the tdxsim binary itself.
 *
 * Arguments: SHLIB DYNPIE NOPIE TDXSIM
 */
#include <elf.h>
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

#include "vmm/vmm_internal.h"

#define GUEST_IS "a tdxsim guest is an x86-64 static PIE linked with the SDK's tdxguest.ld"

static const char *shlib, *dynpie, *nopie, *tdxsim;

/*
 * A static PIE as tdxguest.ld lays one out, 0x3000 bytes:
 *   0x0000 ELF header, program headers [text, data, dynamic]
 *   0x1000 text (R X, vaddr 0x0, 0x1000 bytes; entry 0x40), file bytes 0x1000..0x1fff
 *   0x2000 data (R W, vaddr 0x1000, 0x800 in the file, 0x2000 in memory): the dynamic table
 *          at 0x2000 (vaddr 0x1000), the relocations at 0x2100 (vaddr 0x1100), a string
 *          table at 0x2200 (vaddr 0x1200)
 */
#define IMG_SIZE 0x2800
#define PH_TEXT	 0
#define PH_DATA	 1
#define PH_DYN	 2
#define DYN_OFF	 0x2000
#define RELA_OFF 0x2100
#define STR_OFF	 0x2200

struct img {
	uint8_t b[IMG_SIZE];
};

static Elf64_Ehdr *eh(struct img *m)
{
	return (Elf64_Ehdr *)m->b;
}

static Elf64_Phdr *ph(struct img *m, unsigned int i)
{
	return (Elf64_Phdr *)(m->b + sizeof(Elf64_Ehdr)) + i;
}

static Elf64_Dyn *dyn(struct img *m)
{
	return (Elf64_Dyn *)(m->b + DYN_OFF);
}

static Elf64_Rela *rela(struct img *m)
{
	return (Elf64_Rela *)(m->b + RELA_OFF);
}

static void build(struct img *m)
{
	Elf64_Dyn *d;

	memset(m, 0, sizeof(*m));
	memcpy(eh(m)->e_ident, ELFMAG, SELFMAG);
	eh(m)->e_ident[EI_CLASS] = ELFCLASS64;
	eh(m)->e_ident[EI_DATA] = ELFDATA2LSB;
	eh(m)->e_ident[EI_VERSION] = EV_CURRENT;
	eh(m)->e_type = ET_DYN;
	eh(m)->e_machine = EM_X86_64;
	eh(m)->e_version = EV_CURRENT;
	eh(m)->e_entry = 0x40;
	eh(m)->e_phoff = sizeof(Elf64_Ehdr);
	eh(m)->e_ehsize = sizeof(Elf64_Ehdr);
	eh(m)->e_phentsize = sizeof(Elf64_Phdr);
	eh(m)->e_phnum = 3;
	*ph(m, PH_TEXT) = (Elf64_Phdr){.p_type = PT_LOAD,
				       .p_flags = PF_R | PF_X,
				       .p_offset = 0x1000,
				       .p_vaddr = 0,
				       .p_filesz = 0x1000,
				       .p_memsz = 0x1000,
				       .p_align = 0x1000};
	*ph(m, PH_DATA) = (Elf64_Phdr){.p_type = PT_LOAD,
				       .p_flags = PF_R | PF_W,
				       .p_offset = 0x2000,
				       .p_vaddr = 0x1000,
				       .p_filesz = 0x800,
				       .p_memsz = 0x2000,
				       .p_align = 0x1000};
	*ph(m, PH_DYN) = (Elf64_Phdr){.p_type = PT_DYNAMIC,
				      .p_flags = PF_R | PF_W,
				      .p_offset = DYN_OFF,
				      .p_vaddr = 0x1000,
				      .p_filesz = 8 * sizeof(Elf64_Dyn),
				      .p_memsz = 8 * sizeof(Elf64_Dyn),
				      .p_align = 8};
	d = dyn(m);
	d[0] = (Elf64_Dyn){.d_tag = DT_RELA, .d_un.d_val = 0x1100};
	d[1] = (Elf64_Dyn){.d_tag = DT_RELASZ, .d_un.d_val = 2 * sizeof(Elf64_Rela)};
	d[2] = (Elf64_Dyn){.d_tag = DT_RELAENT, .d_un.d_val = sizeof(Elf64_Rela)};
	d[3] = (Elf64_Dyn){.d_tag = DT_STRTAB, .d_un.d_val = 0x1200};
	d[4] = (Elf64_Dyn){.d_tag = DT_STRSZ, .d_un.d_val = 16};
	d[5] = (Elf64_Dyn){.d_tag = DT_FLAGS_1, .d_un.d_val = DF_1_PIE};
	d[6] = (Elf64_Dyn){.d_tag = DT_NULL};
	rela(m)[0] = (Elf64_Rela){
		.r_offset = 0x1400, .r_info = ELF64_R_INFO(0, R_X86_64_RELATIVE), .r_addend = 0x40};
	rela(m)[1] = (Elf64_Rela){.r_info = ELF64_R_INFO(0, R_X86_64_NONE)};
	memcpy(m->b + STR_OFF, "\0libc.so.6", 11);
	for (unsigned int i = 0; i < 0x1000; i++) /* text: a recognisable pattern */
		m->b[0x1000 + i] = (uint8_t)(i * 7 + 1);
	m->b[0x2400] = 0x5A; /* data at vaddr 0x1400 */
}

/* vmm_elf_check() on an exact-size heap copy (ASan sees any read past it). */
static int check(const void *buf, size_t len, char *err, size_t errlen)
{
	uint8_t *copy = malloc(len ? len : 1);
	int ret;

	assert_non_null(copy);
	memcpy(copy, buf, len);
	err[0] = 0;
	ret = vmm_elf_check("g.elf", copy, len, err, errlen);
	free(copy);
	return ret;
}

static void refused(struct img *m, const char *want)
{
	char err[512];

	assert_int_equal(check(m->b, sizeof(m->b), err, sizeof(err)), -ENOEXEC);
	assert_string_equal(err, want);
}

/* A temporary file holding @len bytes of @buf; its path in @path. */
static void temp_file(char path[64], const void *buf, size_t len)
{
	int fd;

	strcpy(path, "/tmp/tdxsim-test-elf-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static void test_good_image(void **state)
{
	struct vmm_image img;
	struct img m;
	char path[64], err[512] = "";
	uint64_t imm;
	int32_t rel;

	(void)state;
	build(&m);
	temp_file(path, m.b, sizeof(m.b));
	assert_int_equal(vmm_image_load(path, &img, err, sizeof(err)), 0);
	unlink(path);
	assert_string_equal(err, "");
	/* text, two data pages (.bss included), the reset tables, the reset page */
	assert_int_equal(img.nr, 4 + TDXSIM_RESET_TABLES);
	assert_int_equal(img.entry_gpa, VMM_IMAGE_GPA + 0x40);
	assert_int_equal(img.low_gpa, VMM_IMAGE_GPA);
	assert_int_equal(img.high_gpa, VMM_IMAGE_GPA + 0x3000);
	assert_int_equal(img.pages[0].gpa, VMM_IMAGE_GPA);
	assert_true(img.pages[0].exec);
	assert_memory_equal(img.pages[0].data, m.b + 0x1000, 0x1000);
	assert_int_equal(img.pages[1].gpa, VMM_IMAGE_GPA + 0x1000);
	assert_false(img.pages[1].exec);
	assert_memory_equal(img.pages[1].data, m.b + 0x2000, 0x800);
	for (unsigned int i = 0x800; i < 0x1000; i++) /* past p_filesz: zeros */
		assert_int_equal(img.pages[1].data[i], 0);
	assert_int_equal(img.pages[2].gpa, VMM_IMAGE_GPA + 0x2000);
	for (unsigned int i = 0; i < 0x1000; i++)
		assert_int_equal(img.pages[2].data[i], 0);
	for (unsigned int t = 0; t < TDXSIM_RESET_TABLES; t++) { /* zeros, filled at run time */
		assert_int_equal(img.pages[3 + t].gpa, TDXSIM_RESET_PML4_GPA + 0x1000 * t);
		assert_false(img.pages[3 + t].exec);
		for (unsigned int i = 0; i < 0x1000; i++)
			assert_int_equal(img.pages[3 + t].data[i], 0);
	}
	assert_int_equal(img.pages[6].gpa, VMM_RESET_PAGE_GPA);
	assert_true(img.pages[6].exec);
	/* the reset vector: xor %eax,%eax; 48 (dec %eax / rex.W); nop; test; jnz; jmp */
	assert_memory_equal(img.pages[6].data + 0xFF0, "\x31\xC0\x48\x90\x85\xC0\x0F\x85", 8);
	/* jnz to offset 0 (32-bit code), jmp to the 64-bit stub at 0xF80 */
	memcpy(&rel, img.pages[6].data + 0xFF8, 4);
	assert_int_equal(0xFFC + rel, 0);
	assert_memory_equal(img.pages[6].data + 0xFFC, "\xEB\x82", 2);
	/* the stub: lea 0(%rip),%rax; movabs $0xFFFFFF87,%r11; sub; movabs $entry,%r11; ... */
	assert_memory_equal(img.pages[6].data + 0xF80, "\x48\x8D\x05\0\0\0\0\x49\xBB", 9);
	memcpy(&imm, img.pages[6].data + 0xF89, 8);
	assert_int_equal(imm, 0xFFFFFF87);
	assert_memory_equal(img.pages[6].data + 0xF91, "\x4C\x29\xD8\x49\xBB", 5);
	memcpy(&imm, img.pages[6].data + 0xF96, 8);
	assert_int_equal(imm, img.entry_gpa);
	vmm_image_free(&img);
}

/* The header: magic, class, byte order, machine, type, program header table. */
static void test_header(void **state)
{
	struct img m;
	char err[512];

	(void)state;
	assert_int_equal(check("", 0, err, sizeof(err)), -ENOEXEC);
	assert_string_equal(err, "g.elf: not an ELF file; " GUEST_IS);
	assert_int_equal(check("#!/bin/sh\n", 10, err, sizeof(err)), -ENOEXEC);
	assert_string_equal(err, "g.elf: not an ELF file; " GUEST_IS);
	build(&m);
	assert_int_equal(check(m.b, 40, err, sizeof(err)), -ENOEXEC);
	assert_string_equal(err, "g.elf: the ELF header is cut short (40 bytes)");
	m.b[EI_CLASS] = ELFCLASS32;
	refused(&m, "g.elf: a 32-bit ELF file; " GUEST_IS);
	build(&m);
	m.b[EI_DATA] = ELFDATA2MSB;
	refused(&m, "g.elf: a big-endian ELF file; " GUEST_IS);
	build(&m);
	eh(&m)->e_machine = EM_AARCH64;
	refused(&m, "g.elf: an ELF file for machine 183, not x86-64; " GUEST_IS);
	build(&m);
	eh(&m)->e_type = ET_EXEC;
	refused(&m, "g.elf: a non-PIE executable (ET_EXEC, linked at fixed addresses, where the TD "
		    "loads an image at GPA 0x100000); " GUEST_IS);
	eh(&m)->e_type = ET_REL;
	refused(&m, "g.elf: an object file (ET_REL), not a linked program; " GUEST_IS);
	eh(&m)->e_type = ET_CORE;
	refused(&m, "g.elf: a core dump (ET_CORE); " GUEST_IS);
	eh(&m)->e_type = 0xFE00;
	refused(&m, "g.elf: ELF type 65024 is not a program; " GUEST_IS);
	build(&m);
	eh(&m)->e_phentsize = 32;
	refused(&m, "g.elf: program header entries of 32 bytes, not 56");
	build(&m);
	eh(&m)->e_phnum = 0;
	refused(&m, "g.elf: 0 program headers at offset 0x40 do not fit in the file (10240 bytes)");
	build(&m);
	eh(&m)->e_phoff = IMG_SIZE - 56;
	eh(&m)->e_phnum = 2;
	refused(&m,
		"g.elf: 2 program headers at offset 0x27c8 do not fit in the file (10240 bytes)");
	eh(&m)->e_phoff = UINT64_MAX - 8; /* offset + size wraps to a small number */
	refused(&m, "g.elf: 2 program headers at offset 0xfffffffffffffff7 do not fit in the file "
		    "(10240 bytes)");
	eh(&m)->e_phoff = 0x44;
	refused(&m, "g.elf: program headers at offset 0x44 are not 8-byte aligned");
}

/* PT_LOAD bounds, with the sums a careless check would let wrap. */
static void test_segments(void **state)
{
	struct img m;

	(void)state;
	build(&m);
	ph(&m, PH_DATA)->p_filesz = 0x2001;
	refused(&m,
		"g.elf: PT_LOAD segment 1: file size 0x2001 larger than its memory size 0x2000");
	build(&m);
	ph(&m, PH_DATA)->p_filesz = 0x801;
	refused(&m, "g.elf: PT_LOAD segment 1: 0x801 bytes at offset 0x2000 go past the end of the "
		    "file (10240 bytes)");
	build(&m);
	ph(&m, PH_DATA)->p_offset = UINT64_MAX - 0xFF; /* offset + filesz wraps */
	refused(&m,
		"g.elf: PT_LOAD segment 1: 0x800 bytes at offset 0xffffffffffffff00 go past the "
		"end of the file (10240 bytes)");
	build(&m);
	/* p_vaddr + p_memsz wraps to 0x1000: inside the image by a sum, and 2^64 bytes */
	ph(&m, PH_DATA)->p_memsz = 0xFFFFFFFFFFFFF000ULL;
	refused(&m, "g.elf: PT_LOAD segment 1: 0xfffffffffffff000 bytes at address 0x1000 go past "
		    "the 1024 MiB an image may span from address 0");
	build(&m);
	ph(&m, PH_DATA)->p_vaddr = 0x40000000;
	refused(&m, "g.elf: PT_LOAD segment 1: 0x2000 bytes at address 0x40000000 go past the 1024 "
		    "MiB an image may span from address 0");
	build(&m);
	ph(&m, PH_DATA)->p_vaddr = 0x3FFFF000; /* ends exactly at 1 GiB: allowed... */
	ph(&m, PH_DATA)->p_memsz = 0x1000;
	ph(&m, PH_DYN)->p_type = PT_NULL;
	{
		char err[512] = "";

		assert_int_equal(check(m.b, sizeof(m.b), err, sizeof(err)), 0);
		ph(&m, PH_DATA)->p_memsz = 0x1001; /* ...one byte more is not */
		refused(&m, "g.elf: PT_LOAD segment 1: 0x1001 bytes at address 0x3ffff000 go past "
			    "the 1024 MiB an image may span from address 0");
	}
	build(&m);
	for (unsigned int i = 0; i < 3; i++)
		ph(&m, i)->p_type = PT_NOTE;
	refused(&m, "g.elf: no PT_LOAD segment: nothing to load");
	build(&m);
	eh(&m)->e_entry = 0x1000; /* in the data segment */
	refused(&m, "g.elf: the entry point 0x1000 is in no executable PT_LOAD segment");
	eh(&m)->e_entry = 0x1000 - 1; /* the text's last byte */
	{
		char err[512] = "";

		assert_int_equal(check(m.b, sizeof(m.b), err, sizeof(err)), 0);
	}
	eh(&m)->e_entry = UINT64_MAX;
	refused(&m, "g.elf: the entry point 0xffffffffffffffff is in no executable PT_LOAD "
		    "segment");
}

/* Dynamic linking: an interpreter, a shared library, DT_NEEDED, relocations. */
static void test_dynamic(void **state)
{
	struct img m;

	(void)state;
	build(&m);
	ph(&m, PH_DYN)->p_type = PT_INTERP; /* points at the table; give it a string */
	ph(&m, PH_DYN)->p_offset = STR_OFF + 1;
	ph(&m, PH_DYN)->p_filesz = 10;
	refused(&m, "g.elf: a dynamically linked program: it needs the program interpreter "
		    "libc.so.6 (PT_INTERP), and a TD has none; " GUEST_IS);
	ph(&m, PH_DYN)->p_filesz = 9; /* no NUL inside */
	refused(&m, "g.elf: a dynamically linked program (PT_INTERP); " GUEST_IS);
	build(&m);
	dyn(&m)[5].d_un.d_val = 0; /* no DF_1_PIE */
	refused(&m,
		"g.elf: a shared library (ET_DYN without DF_1_PIE), not an executable; " GUEST_IS);
	build(&m);
	dyn(&m)[6] = (Elf64_Dyn){.d_tag = DT_NEEDED, .d_un.d_val = 1};
	refused(&m, "g.elf: needs the shared library libc.so.6 (DT_NEEDED), and a TD has no "
		    "loader; " GUEST_IS);
	dyn(&m)[6].d_un.d_val = 16; /* outside DT_STRSZ: no name */
	refused(&m, "g.elf: needs shared libraries (DT_NEEDED), and a TD has no loader; " GUEST_IS);
	build(&m);
	rela(&m)[1].r_info = ELF64_R_INFO(3, R_X86_64_GLOB_DAT);
	refused(&m, "g.elf: relocation 1 of DT_RELA has type 6 (GLOB_DAT), but the SDK's crt "
		    "applies R_X86_64_RELATIVE only; " GUEST_IS);
	build(&m);
	dyn(&m)[1].d_un.d_val = sizeof(Elf64_Rela); /* DT_RELA: the first, DT_JMPREL the second */
	dyn(&m)[6] = (Elf64_Dyn){.d_tag = DT_JMPREL, .d_un.d_val = 0x1118};
	dyn(&m)[7] = (Elf64_Dyn){.d_tag = DT_PLTRELSZ, .d_un.d_val = sizeof(Elf64_Rela)};
	rela(&m)[1].r_info = ELF64_R_INFO(1, R_X86_64_JUMP_SLOT);
	refused(&m, "g.elf: relocation 0 of DT_JMPREL has type 7 (JUMP_SLOT), but the SDK's crt "
		    "applies R_X86_64_RELATIVE only; " GUEST_IS);
	build(&m);
	dyn(&m)[1].d_un.d_val = 0x1000; /* the table runs past the file's part of the segment */
	refused(&m, "g.elf: the relocation table DT_RELA (0x1000 bytes at 0x1100) is not in the "
		    "file");
	dyn(&m)[1].d_un.d_val = 25; /* not whole entries */
	refused(&m,
		"g.elf: the relocation table DT_RELA (0x19 bytes at 0x1100) is not in the file");
	build(&m);
	dyn(&m)[0].d_un.d_val = UINT64_MAX - 8; /* va + size wraps */
	refused(&m, "g.elf: the relocation table DT_RELA (0x30 bytes at 0xfffffffffffffff7) is not "
		    "in the file");
	build(&m);
	dyn(&m)[6] = (Elf64_Dyn){.d_tag = DT_REL, .d_un.d_val = 0x1100};
	refused(&m,
		"g.elf: REL relocations (DT_REL), which the SDK's crt does not apply; " GUEST_IS);
	build(&m);
	ph(&m, PH_DYN)->p_offset = IMG_SIZE - 8;
	refused(&m, "g.elf: PT_DYNAMIC (0x80 bytes at offset 0x27f8) is not in the file");
	build(&m);
	ph(&m, PH_DYN)->p_type = PT_NULL; /* no dynamic section: nothing to relocate, accepted */
	{
		char err[512] = "";

		assert_int_equal(check(m.b, sizeof(m.b), err, sizeof(err)), 0);
	}
}

/* Every prefix of a good image is refused, and never read past (ASan). */
static void test_truncations(void **state)
{
	struct img m;
	char err[512];

	(void)state;
	build(&m);
	for (size_t len = 0; len < sizeof(m.b); len++)
		assert_int_equal(check(m.b, len, err, sizeof(err)), -ENOEXEC);
	assert_int_equal(check(m.b, sizeof(m.b), err, sizeof(err)), 0);
}

static void load_fails(const char *path, int want_ret, const char *want)
{
	struct vmm_image img;
	char err[1024];

	assert_int_equal(vmm_image_load(path, &img, err, sizeof(err)), want_ret);
	assert_string_equal(err, want);
	assert_null(img.pages);
}

/* Files that cannot be read as an image, and the host toolchain's programs. */
static void test_files(void **state)
{
	char want[1024];

	(void)state;
	load_fails("/", -EISDIR, "/: Is a directory");
	load_fails("/nonexistent/g.elf", -ENOENT, "/nonexistent/g.elf: No such file or directory");
	load_fails("/dev/null", -ENOEXEC, "/dev/null: not a regular file; " GUEST_IS);
	snprintf(want, sizeof(want),
		 "%s: a shared library (ET_DYN without DF_1_PIE), not an executable; " GUEST_IS,
		 shlib);
	load_fails(shlib, -ENOEXEC, want);
	snprintf(want, sizeof(want),
		 "%s: a dynamically linked program: it needs the program interpreter "
		 "/lib64/ld-linux-x86-64.so.2 (PT_INTERP), and a TD has none; " GUEST_IS,
		 dynpie);
	load_fails(dynpie, -ENOEXEC, want);
	snprintf(want, sizeof(want),
		 "%s: a non-PIE executable (ET_EXEC, linked at fixed addresses, where the TD loads "
		 "an image at GPA 0x100000); " GUEST_IS,
		 nopie);
	load_fails(nopie, -ENOEXEC, want);
	snprintf(want, sizeof(want),
		 "%s: a dynamically linked program: it needs the program interpreter "
		 "/lib64/ld-linux-x86-64.so.2 (PT_INTERP), and a TD has none; " GUEST_IS,
		 tdxsim);
	load_fails(tdxsim, -ENOEXEC, want);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_image),  cmocka_unit_test(test_header),
		cmocka_unit_test(test_segments),    cmocka_unit_test(test_dynamic),
		cmocka_unit_test(test_truncations), cmocka_unit_test(test_files),
	};

	if (argc != 5) {
		fprintf(stderr, "usage: %s SHLIB DYNPIE NOPIE TDXSIM\n", argv[0]);
		return 2;
	}
	shlib = argv[1];
	dynpie = argv[2];
	nopie = argv[3];
	tdxsim = argv[4];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
