// SPDX-License-Identifier: MIT
/*
 * The words of a stop message without a TD: the guest ELF's symbol table (vmm/symbols.c)
 * from hand-built ELFs - which symbols count, nearest-symbol lookup with sizes, damaged
 * tables (every truncation, offsets past the file, names past the string table) refused or
 * read safely - and a guest's fatal report made readable (vmm/stop.c): every #PF bit,
 * selector and #CP error codes, reserved vectors, exit reasons by name, messages that do
 * not follow the SDK's format passed through unchanged.
 */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/vmm_internal.h"

/* An ELF with section headers [null, .symtab, .strtab] and these symbols. */
struct sym_def {
	const char *name;
	uint64_t value, size;
	unsigned char type, bind;
	uint16_t shndx;
};

static const struct sym_def good_syms[] = {
	{"f1", 0x100, 0x20, STT_FUNC, STB_GLOBAL, 1},
	{".Llocal", 0x150, 0, STT_NOTYPE, STB_LOCAL, 1},  /* assembler-local: skipped */
	{"lbl", 0x200, 0, STT_NOTYPE, STB_GLOBAL, 1},	  /* a label without size */
	{"lbl_obj", 0x200, 0, STT_OBJECT, STB_GLOBAL, 1}, /* same address: lbl or this */
	{"f2", 0x200, 0x10, STT_FUNC, STB_GLOBAL, 1},	  /* ...but a function wins */
	{"obj", 0x300, 8, STT_OBJECT, STB_GLOBAL, 1},
	{"undef", 0x400, 0, STT_FUNC, STB_GLOBAL, SHN_UNDEF}, /* not defined here */
	{"abs", 0x500, 0, STT_NOTYPE, STB_GLOBAL, SHN_ABS},   /* not an address */
	{"file.c", 0, 0, STT_FILE, STB_LOCAL, SHN_ABS},
};
#define NR_GOOD (sizeof(good_syms) / sizeof(good_syms[0]))

static size_t build_elf(uint8_t *buf, size_t cap, const struct sym_def *defs, size_t n)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	Elf64_Shdr *sh;
	Elf64_Sym *sym;
	size_t off = sizeof(*eh), strsz = 1, symoff, stroff;
	char *str;

	memset(buf, 0, cap);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_machine = EM_X86_64;
	eh->e_shentsize = sizeof(Elf64_Shdr);
	eh->e_shnum = 3;
	symoff = off;
	sym = (Elf64_Sym *)(buf + symoff);
	off += (n + 1) * sizeof(Elf64_Sym);
	stroff = off;
	str = (char *)buf + stroff;
	for (size_t i = 0; i < n; i++) {
		sym[i + 1] = (Elf64_Sym){
			.st_name = (uint32_t)strsz,
			.st_info = ELF64_ST_INFO(defs[i].bind, defs[i].type),
			.st_shndx = defs[i].shndx,
			.st_value = defs[i].value,
			.st_size = defs[i].size,
		};
		strcpy(str + strsz, defs[i].name);
		strsz += strlen(defs[i].name) + 1;
	}
	off += strsz;
	off = (off + 7) & ~7UL;
	eh->e_shoff = off;
	sh = (Elf64_Shdr *)(buf + off);
	sh[1] = (Elf64_Shdr){.sh_type = SHT_SYMTAB,
			     .sh_offset = symoff,
			     .sh_size = (n + 1) * sizeof(Elf64_Sym),
			     .sh_link = 2,
			     .sh_entsize = sizeof(Elf64_Sym)};
	sh[2] = (Elf64_Shdr){.sh_type = SHT_STRTAB, .sh_offset = stroff, .sh_size = strsz};
	return off + 3 * sizeof(Elf64_Shdr);
}

static uint8_t elf[8192];

static void expect_sym(const struct vmm_symbols *t, uint64_t addr, const char *name, uint64_t off)
{
	uint64_t got = ~0ULL;
	const char *s = vmm_symbols_lookup(t, addr, &got);

	if (!name) {
		if (s)
			fail_msg("0x%llx: %s+0x%llx, want none", (unsigned long long)addr, s,
				 (unsigned long long)got);
		return;
	}
	if (!s)
		fail_msg("0x%llx: no symbol, want %s", (unsigned long long)addr, name);
	assert_string_equal(s, name);
	assert_int_equal(got, off);
}

static void test_lookup(void **state)
{
	struct vmm_symbols *t;
	size_t len = build_elf(elf, sizeof(elf), good_syms, NR_GOOD);

	(void)state;
	assert_int_equal(vmm_symbols_parse(elf, len, &t), 0);
	expect_sym(t, 0x0ff, NULL, 0); /* below every symbol */
	expect_sym(t, 0x100, "f1", 0);
	expect_sym(t, 0x11f, "f1", 0x1f);
	expect_sym(t, 0x120, NULL, 0); /* past f1's size; .Llocal does not count */
	expect_sym(t, 0x150, NULL, 0);
	expect_sym(t, 0x200, "f2", 0); /* the function of the three at 0x200 */
	expect_sym(t, 0x20f, "f2", 0xf);
	expect_sym(t, 0x210, NULL, 0); /* past f2: the unsized ones at 0x200 do not reach */
	expect_sym(t, 0x300, "obj", 0);
	expect_sym(t, 0x308, NULL, 0);
	expect_sym(t, 0x400, NULL, 0); /* undefined, absolute and file symbols: none */
	expect_sym(t, 0x500, NULL, 0);
	vmm_symbols_free(t);
	assert_null(vmm_symbols_lookup(NULL, 0x100, &(uint64_t){0}));
}

/* An unsized label covers everything up to the next symbol. */
static void test_unsized_label(void **state)
{
	static const struct sym_def defs[] = {
		{"stub", 0x1000, 0, STT_NOTYPE, STB_GLOBAL, 1},
		{"next", 0x2000, 0x10, STT_FUNC, STB_GLOBAL, 1},
	};
	struct vmm_symbols *t;
	size_t len = build_elf(elf, sizeof(elf), defs, 2);

	(void)state;
	assert_int_equal(vmm_symbols_parse(elf, len, &t), 0);
	expect_sym(t, 0x1000, "stub", 0);
	expect_sym(t, 0x1fff, "stub", 0xfff);
	expect_sym(t, 0x2004, "next", 4);
	vmm_symbols_free(t);
}

static void test_damaged(void **state)
{
	struct vmm_symbols *t = (struct vmm_symbols *)&t;
	size_t len = build_elf(elf, sizeof(elf), good_syms, NR_GOOD);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)elf;
	Elf64_Shdr *sh = (Elf64_Shdr *)(elf + eh->e_shoff);
	Elf64_Shdr save1 = sh[1], save2 = sh[2];

	(void)state;
	/* every truncation: refused (the section headers sit at the end) or read in bounds */
	for (size_t l = 0; l < len; l++) {
		uint8_t *copy = malloc(l ? l : 1);

		memcpy(copy, elf, l);
		assert_int_equal(vmm_symbols_parse(copy, l, &t), -ENOEXEC);
		assert_null(t);
		free(copy);
	}
	sh[1].sh_type = SHT_PROGBITS; /* stripped */
	assert_int_equal(vmm_symbols_parse(elf, len, &t), -ENOENT);
	sh[1] = save1;
	sh[1].sh_offset = len - 8; /* table past the end */
	assert_int_equal(vmm_symbols_parse(elf, len, &t), -ENOEXEC);
	sh[1] = save1;
	sh[1].sh_size = UINT64_MAX - 7; /* offset + size wraps */
	assert_int_equal(vmm_symbols_parse(elf, len, &t), -ENOEXEC);
	sh[1] = save1;
	sh[1].sh_link = 3; /* no such section */
	assert_int_equal(vmm_symbols_parse(elf, len, &t), -ENOEXEC);
	sh[1] = save1;
	sh[1].sh_entsize = 16;
	assert_int_equal(vmm_symbols_parse(elf, len, &t), -ENOEXEC);
	sh[1] = save1;
	sh[2].sh_type = SHT_PROGBITS; /* the link is no string table */
	assert_int_equal(vmm_symbols_parse(elf, len, &t), -ENOEXEC);
	sh[2] = save2;
	eh->e_shentsize = 32;
	assert_int_equal(vmm_symbols_parse(elf, len, &t), -ENOEXEC);
	eh->e_shentsize = sizeof(Elf64_Shdr);

	/* a name past the string table is dropped; the last one, without its NUL, is cut */
	((Elf64_Sym *)(elf + save1.sh_offset))[1].st_name = (uint32_t)save2.sh_size;
	sh[2].sh_size = save2.sh_size - 1; /* "file.c" loses its NUL */
	assert_int_equal(vmm_symbols_parse(elf, len, &t), 0);
	expect_sym(t, 0x100, NULL, 0); /* f1's name was out of the table */
	expect_sym(t, 0x300, "obj", 0);
	vmm_symbols_free(t);
}

/* ---- a guest's fatal report made readable (no TD: the RIP stays a bare number) ---- */

static void expect_fatal(const char *guest, const char *want)
{
	struct vmm_td *td = calloc(1, sizeof(*td));
	char buf[320];

	assert_non_null(td);
	vmm_fatal_describe(td, guest, buf, sizeof(buf));
	assert_string_equal(buf, want);
	free(td);
}

static void test_fatal_describe(void **state)
{
	(void)state;
	expect_fatal("#PF err 0x4 cr2 0x1000 rip 0x7f000010013c",
		     "#PF page fault, error code 0x4 (not present, read, user mode), CR2 0x1000, "
		     "RIP 0x7f000010013c");
	expect_fatal("#PF err 0x807f cr2 0x0 rip 0x10",
		     "#PF page fault, error code 0x807f (protection violation, write, user mode, "
		     "reserved bit set, instruction fetch, protection key, shadow stack, SGX), CR2 "
		     "0x0, RIP 0x10");
	expect_fatal("#PF err 0x0 cr2 0xffffffffffffffff rip 0xffffffffffffffff",
		     "#PF page fault, error code 0x0 (not present, read, supervisor mode), CR2 "
		     "0xffffffffffffffff, RIP 0xffffffffffffffff");
	expect_fatal("#GP err 0x0 rip 0x10", "#GP general protection, error code 0x0, RIP 0x10");
	expect_fatal(
		"#GP err 0x10 rip 0x10",
		"#GP general protection, error code 0x10 (selector 0x10: GDT index 2), RIP 0x10");
	expect_fatal("#NP err 0x1b rip 0x10",
		     "#NP segment not present, error code 0x1b (selector 0x1b: IDT vector 3, "
		     "external event), RIP 0x10");
	expect_fatal("#TS err 0x2c rip 0x10",
		     "#TS invalid TSS, error code 0x2c (selector 0x2c: LDT index 5), RIP 0x10");
	expect_fatal("#CP err 0x3 rip 0x10",
		     "#CP control protection, error code 0x3 (ENDBRANCH), RIP 0x10");
	expect_fatal("#AC err 0x0 rip 0x10", "#AC alignment check, error code 0x0, RIP 0x10");
	expect_fatal("#DF err 0x0 rip 0x10", "#DF double fault, error code 0x0, RIP 0x10");
	expect_fatal("#UD rip 0x10", "#UD invalid opcode, RIP 0x10");
	expect_fatal("#DE rip 0x10", "#DE divide error, RIP 0x10");
	expect_fatal("NMI rip 0x10", "NMI non-maskable interrupt, RIP 0x10");
	expect_fatal("vector 15 rip 0x10", "exception vector 15 (reserved), RIP 0x10");
	expect_fatal("vector 31 rip 0x10", "exception vector 31 (reserved), RIP 0x10");
	/* other SDK messages: exit reasons named, the RIP in place */
	expect_fatal("#VE unexpected exit reason 54 rip 0x10",
		     "#VE unexpected exit reason 54 (WBINVD) RIP 0x10");
	expect_fatal("#VE EPT violation on private GPA 0x2800000 rip 0x10",
		     "#VE EPT violation on private GPA 0x2800000 RIP 0x10");
	expect_fatal("#VE unexpected exit reason 99 rip 0x10",
		     "#VE unexpected exit reason 99 RIP 0x10"); /* unnamed: as it is */
	/* not the exception format: as the guest wrote it, only its RIP named */
	expect_fatal("#PF err zz cr2 0x1 rip 0x10", "#PF err zz cr2 0x1 RIP 0x10");
	expect_fatal("#PF err 0x4 rip 0x10", "#PF err 0x4 RIP 0x10"); /* CR2 missing */
	expect_fatal("#UD rip 0x10 and more", "#UD RIP 0x10 and more");
	expect_fatal("rip 0xzz", "rip 0xzz");
	expect_fatal("boom 17", "boom 17");
	expect_fatal("", "");
}

/* An EPT violation's access in a word. */
static void test_ept_access(void **state)
{
	(void)state;
	assert_string_equal(vmm_ept_access(0x1), "read");
	assert_string_equal(vmm_ept_access(0x2), "write");
	assert_string_equal(vmm_ept_access(0x3), "write");
	assert_string_equal(vmm_ept_access(0x4), "fetch");
	assert_string_equal(vmm_ept_access(0x0), "read");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),	   cmocka_unit_test(test_unsized_label),
		cmocka_unit_test(test_damaged),	   cmocka_unit_test(test_fatal_describe),
		cmocka_unit_test(test_ept_access),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
