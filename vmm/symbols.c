// SPDX-License-Identifier: MIT
/*
 * The guest image's symbol table, so that the VMM can name a guest RIP the way a person reads
 * it: "hello.elf+0x150 <main+0x2e>". Reads .symtab with its .strtab (the section the
 * symbol table's sh_link names) of the ELF that was loaded; every offset and size is checked
 * against the file, so a damaged table gives fewer symbols, never a bad read.
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm_internal.h"

struct vmm_sym {
	uint64_t value, size;
	const char *name; /* in strtab */
	bool func;
};

struct vmm_symbols {
	struct vmm_sym *syms; /* by value, then functions before other kinds, then larger size */
	size_t nr;
	char *strtab;
};

static bool in_file(uint64_t off, uint64_t size, size_t len)
{
	return off <= len && size <= len - off;
}

static int sym_cmp(const void *a, const void *b)
{
	const struct vmm_sym *x = a, *y = b;

	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	if (x->func != y->func)
		return x->func ? -1 : 1;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The symbols worth naming a RIP by: defined functions, objects and labels with a name. */
static bool wanted(const Elf64_Sym *s, const char *name)
{
	unsigned int type = ELF64_ST_TYPE(s->st_info);

	if (s->st_shndx == SHN_UNDEF || s->st_shndx == SHN_ABS || !name[0])
		return false;
	if (!strncmp(name, ".L", 2))
		return false; /* assembler-local labels */
	return type == STT_FUNC || type == STT_OBJECT || type == STT_NOTYPE;
}

int vmm_symbols_parse(const uint8_t *buf, size_t len, struct vmm_symbols **out)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)buf;
	const Elf64_Shdr *sh, *symtab = NULL, *strsec;
	struct vmm_symbols *t;
	size_t nsyms;

	*out = NULL;
	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    !in_file(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr), len))
		return -ENOEXEC;
	sh = (const Elf64_Shdr *)(buf + eh->e_shoff);
	for (unsigned int i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type == SHT_SYMTAB) {
			symtab = &sh[i];
			break;
		}
	}
	if (!symtab)
		return -ENOENT; /* stripped */
	if (symtab->sh_link >= eh->e_shnum || symtab->sh_entsize != sizeof(Elf64_Sym) ||
	    !in_file(symtab->sh_offset, symtab->sh_size, len))
		return -ENOEXEC;
	strsec = &sh[symtab->sh_link];
	if (strsec->sh_type != SHT_STRTAB || !strsec->sh_size ||
	    !in_file(strsec->sh_offset, strsec->sh_size, len))
		return -ENOEXEC;
	nsyms = symtab->sh_size / sizeof(Elf64_Sym);
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->syms = calloc(nsyms ? nsyms : 1, sizeof(*t->syms));
	t->strtab = malloc(strsec->sh_size + 1);
	if (!t->syms || !t->strtab) {
		vmm_symbols_free(t);
		return -ENOMEM;
	}
	memcpy(t->strtab, buf + strsec->sh_offset, strsec->sh_size);
	t->strtab[strsec->sh_size] = '\0'; /* a name running off the end stops here */
	for (size_t i = 0; i < nsyms; i++) {
		const Elf64_Sym *s = (const Elf64_Sym *)(buf + symtab->sh_offset) + i;
		const char *name;

		if (s->st_name >= strsec->sh_size)
			continue;
		name = t->strtab + s->st_name;
		if (!wanted(s, name))
			continue;
		t->syms[t->nr++] = (struct vmm_sym){
			.value = s->st_value,
			.size = s->st_size,
			.name = name,
			.func = ELF64_ST_TYPE(s->st_info) == STT_FUNC,
		};
	}
	qsort(t->syms, t->nr, sizeof(*t->syms), sym_cmp);
	*out = t;
	return 0;
}

const char *vmm_symbols_lookup(const struct vmm_symbols *t, uint64_t addr, uint64_t *off)
{
	size_t lo = 0, hi;
	const struct vmm_sym *best = NULL;

	if (!t || !t->nr)
		return NULL;
	/* The last symbol at or below addr; the first of its address (the preferred one). */
	hi = t->nr;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->syms[mid].value <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	best = &t->syms[lo - 1];
	while (best > t->syms && best[-1].value == best->value)
		best--;
	/* A sized symbol covers [value, value + size); past it, addr is in no symbol. */
	if (best->size && addr - best->value >= best->size)
		return NULL;
	*off = addr - best->value;
	return best->name;
}

void vmm_symbols_free(struct vmm_symbols *t)
{
	if (!t)
		return;
	free(t->syms);
	free(t->strtab);
	free(t);
}
