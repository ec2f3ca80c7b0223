// SPDX-License-Identifier: MIT
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "elf_load.h"

static int read_file(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (!f)
		return -errno;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return -EIO;
	}
	*buf = malloc((size_t)n + 1);
	if (!*buf || fread(*buf, 1, (size_t)n, f) != (size_t)n) {
		free(*buf);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	*len = (size_t)n;
	return 0;
}

/*
 * Code pages: CPUIDs trap on hosts without CPUID faulting because the platform rewrites
 * them where the guest executes them, in the window (cpuid_rewrite_code()); then each page
 * gets the segment's own protection.
 */
static int rewrite_segment(struct td_window *w, uint64_t gpa, uint64_t len, uint64_t hpa, int prot)
{
	int ret;

	if (!(prot & PROT_EXEC))
		return 0;
	ret = cpuid_rewrite_code(td_window_va(w, gpa, false), len);
	if (ret < 0)
		return ret;
	for (uint64_t off = 0; off < len && !(prot & PROT_WRITE); off += PAGE_SIZE) {
		ret = td_window_map(w, gpa + off, false, hpa + off, prot);
		if (ret)
			return ret;
	}
	return 0;
}

int elf_load(struct td_window *w, const char *path, uint64_t load_gpa, uint64_t hpa_pool,
	     bool dirty, struct elf_image *img)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int ret = read_file(path, &buf, &len);

	if (ret)
		return ret;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)buf;
	ret = -ENOEXEC;
	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64 ||
	    eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > len)
		goto out;
	memset(img, 0, sizeof(*img));
	img->entry_gpa = load_gpa + eh->e_entry;
	img->low_gpa = UINT64_MAX;
	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(buf + eh->e_phoff) + i;
		int prot = PROT_READ;

		if (ph->p_type != PT_LOAD)
			continue;
		if (ph->p_filesz > ph->p_memsz || ph->p_offset + ph->p_filesz > len)
			goto out;
		if (ph->p_flags & PF_W)
			prot |= PROT_WRITE;
		if (ph->p_flags & PF_X)
			prot |= PROT_EXEC;
		uint64_t start = ph->p_vaddr & PAGE_MASK;
		uint64_t end = (ph->p_vaddr + ph->p_memsz + PAGE_SIZE - 1) & PAGE_MASK;
		uint64_t first_hpa = hpa_pool + (uint64_t)img->nr_pages * PAGE_SIZE;

		for (uint64_t va = start; va < end; va += PAGE_SIZE) {
			uint64_t hpa = hpa_pool + (uint64_t)img->nr_pages++ * PAGE_SIZE;
			uint8_t *page = phys_host_va(hpa);

			if (!page) {
				ret = -ENOMEM;
				goto out;
			}
			for (uint64_t o = 0; o < PAGE_SIZE; o++) {
				uint64_t a = va + o;
				uint8_t b = 0;

				if (a >= ph->p_vaddr && a < ph->p_vaddr + ph->p_filesz)
					b = buf[ph->p_offset + (a - ph->p_vaddr)];
				else if (dirty && a >= ph->p_vaddr + ph->p_filesz &&
					 a < ph->p_vaddr + ph->p_memsz)
					b = 0xA5;
				page[o] = b;
			}
			/* Writable until the CPUIDs are rewritten (below). */
			ret = td_window_map(w, load_gpa + va, false, hpa, prot | PROT_WRITE);
			if (ret)
				goto out;
		}
		ret = rewrite_segment(w, load_gpa + start, end - start, first_hpa, prot);
		if (ret)
			goto out;
		if (load_gpa + start < img->low_gpa)
			img->low_gpa = load_gpa + start;
		if (load_gpa + end > img->high_gpa)
			img->high_gpa = load_gpa + end;
	}
	ret = img->nr_pages ? 0 : -ENOEXEC;
out:
	free(buf);
	return ret;
}
