// SPDX-License-Identifier: MIT
/*
 * The guest image: the ELF file read whole, checked to be what a tdxsim guest must be before
 * any of it is used, and laid out as the pages PAGE.ADD and MR.EXTEND see, with the reset
 * page last.
 *
 * A tdxsim guest is an x86-64 static PIE linked at 0 with the SDK's linker script
 * (guest/tdxguest.ld): ELF type ET_DYN marked DF_1_PIE, no program interpreter and no shared
 * libraries, and only R_X86_64_RELATIVE (or NONE) relocations, which the SDK's crt applies
 * itself (guest/crt/crt0.S). Everything else - an object file, a non-PIE executable, a
 * dynamically linked program, a shared library, an ELF of another machine - would be
 * accepted by the layout and then fault in the TD, so it is refused here with the reason.
 * Every field read from the file is checked against the file's size and the image's span by
 * subtraction, never by a sum that could wrap (a p_memsz near 2^64 must not pass).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm_internal.h"

/* What the messages say a guest must be. */
#define GUEST_IS "a tdxsim guest is an x86-64 static PIE linked with the SDK's tdxguest.ld"

/* The span of an image's PT_LOAD segments, from p_vaddr 0: at most 1 GiB. */
#define IMAGE_MAX_BYTES (1ULL << 30)
/* The largest guest file read (debug information included). */
#define FILE_MAX_BYTES (2ULL << 30)

int vmm_read_file(const char *path, uint8_t **buf, size_t *len)
{
	struct stat st;
	size_t done = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret = 0;

	*buf = NULL;
	*len = 0;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st))
		ret = -errno;
	else if (S_ISDIR(st.st_mode))
		ret = -EISDIR;
	else if (!S_ISREG(st.st_mode))
		ret = -EINVAL;
	else if ((uint64_t)st.st_size > FILE_MAX_BYTES)
		ret = -EFBIG;
	else if (!(*buf = malloc((size_t)st.st_size + 1)))
		ret = -ENOMEM;
	while (!ret && done < (size_t)st.st_size) {
		ssize_t n = read(fd, *buf + done, (size_t)st.st_size - done);

		if (n > 0)
			done += (size_t)n;
		else if (n < 0 && errno != EINTR)
			ret = -errno;
		else if (!n) /* shorter than fstat said: changed while read */
			ret = -EIO;
	}
	close(fd);
	if (ret) {
		free(*buf);
		*buf = NULL;
		return ret;
	}
	*len = done;
	return 0;
}

/* ------------------------------------------------------------------------------------------
 * The checks. Each failure puts "PATH: what is wrong" in err and returns -ENOEXEC.
 */

struct elf {
	const char *path;
	const uint8_t *buf;
	size_t len;
	const Elf64_Ehdr *eh;
	const Elf64_Phdr *ph; /* e_phnum of them, inside the file */
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3))) static int bad(const struct elf *e, const char *fmt, ...)
{
	int n = snprintf(e->err, e->errlen, "%s: ", e->path);
	va_list ap;

	if (n >= 0 && (size_t)n < e->errlen) {
		va_start(ap, fmt);
		vsnprintf(e->err + n, e->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -ENOEXEC;
}

/* [off, off + n) inside the file, without computing a sum that could wrap. */
static bool in_file(const struct elf *e, uint64_t off, uint64_t n)
{
	return off <= e->len && n <= e->len - off;
}

/* The file offset of @n bytes at image address @va, if one PT_LOAD holds them in the file. */
static bool va_to_off(const struct elf *e, uint64_t va, uint64_t n, uint64_t *off)
{
	for (unsigned int i = 0; i < e->eh->e_phnum; i++) {
		const Elf64_Phdr *p = &e->ph[i];

		if (p->p_type != PT_LOAD || va < p->p_vaddr || va - p->p_vaddr > p->p_filesz ||
		    n > p->p_filesz - (va - p->p_vaddr))
			continue;
		*off = p->p_offset + (va - p->p_vaddr);
		return true;
	}
	return false;
}

static int check_header(struct elf *e)
{
	const Elf64_Ehdr *eh = e->eh;

	if (e->len < SELFMAG || memcmp(e->buf, ELFMAG, SELFMAG))
		return bad(e, "not an ELF file; %s", GUEST_IS);
	if (e->len < EI_NIDENT || (e->buf[EI_CLASS] == ELFCLASS64 && e->len < sizeof(*eh)))
		return bad(e, "the ELF header is cut short (%zu bytes)", e->len);
	if (e->buf[EI_CLASS] != ELFCLASS64)
		return bad(e, "a 32-bit ELF file; %s", GUEST_IS);
	if (e->buf[EI_DATA] != ELFDATA2LSB)
		return bad(e, "a big-endian ELF file; %s", GUEST_IS);
	if (eh->e_machine != EM_X86_64)
		return bad(e, "an ELF file for machine %u, not x86-64; %s", eh->e_machine,
			   GUEST_IS);
	switch (eh->e_type) {
	case ET_DYN:
		break;
	case ET_EXEC:
		return bad(e,
			   "a non-PIE executable (ET_EXEC, linked at fixed addresses, where "
			   "the TD loads an image at GPA 0x%llx); %s",
			   (unsigned long long)VMM_IMAGE_GPA, GUEST_IS);
	case ET_REL:
		return bad(e, "an object file (ET_REL), not a linked program; %s", GUEST_IS);
	case ET_CORE:
		return bad(e, "a core dump (ET_CORE); %s", GUEST_IS);
	default:
		return bad(e, "ELF type %u is not a program; %s", eh->e_type, GUEST_IS);
	}
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return bad(e, "program header entries of %u bytes, not %zu", eh->e_phentsize,
			   sizeof(Elf64_Phdr));
	if (!eh->e_phnum || !in_file(e, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)))
		return bad(e,
			   "%u program headers at offset 0x%llx do not fit in the file (%zu bytes)",
			   eh->e_phnum, (unsigned long long)eh->e_phoff, e->len);
	if (eh->e_phoff % 8)
		return bad(e, "program headers at offset 0x%llx are not 8-byte aligned",
			   (unsigned long long)eh->e_phoff);
	e->ph = (const Elf64_Phdr *)(e->buf + eh->e_phoff);
	return 0;
}

static int check_segments(struct elf *e)
{
	bool load = false;

	for (unsigned int i = 0; i < e->eh->e_phnum; i++) {
		const Elf64_Phdr *p = &e->ph[i];

		if (p->p_type == PT_INTERP) {
			const char *s = (const char *)e->buf + p->p_offset;

			if (in_file(e, p->p_offset, p->p_filesz) && p->p_filesz &&
			    memchr(s, 0, p->p_filesz))
				return bad(e,
					   "a dynamically linked program: it needs the program "
					   "interpreter %s (PT_INTERP), and a TD has none; %s",
					   s, GUEST_IS);
			return bad(e, "a dynamically linked program (PT_INTERP); %s", GUEST_IS);
		}
		if (p->p_type != PT_LOAD)
			continue;
		if (p->p_filesz > p->p_memsz)
			return bad(e,
				   "PT_LOAD segment %u: file size 0x%llx larger than its memory "
				   "size 0x%llx",
				   i, (unsigned long long)p->p_filesz,
				   (unsigned long long)p->p_memsz);
		if (!in_file(e, p->p_offset, p->p_filesz))
			return bad(e,
				   "PT_LOAD segment %u: 0x%llx bytes at offset 0x%llx go past the "
				   "end of the file (%zu bytes)",
				   i, (unsigned long long)p->p_filesz,
				   (unsigned long long)p->p_offset, e->len);
		if (p->p_vaddr >= IMAGE_MAX_BYTES || p->p_memsz > IMAGE_MAX_BYTES - p->p_vaddr)
			return bad(e,
				   "PT_LOAD segment %u: 0x%llx bytes at address 0x%llx go past "
				   "the %llu MiB an image may span from address 0",
				   i, (unsigned long long)p->p_memsz,
				   (unsigned long long)p->p_vaddr, IMAGE_MAX_BYTES >> 20);
		if (!p->p_memsz)
			continue;
		load = true;
	}
	if (!load)
		return bad(e, "no PT_LOAD segment: nothing to load");
	return 0;
}

static int check_entry(struct elf *e)
{
	for (unsigned int i = 0; i < e->eh->e_phnum; i++) {
		const Elf64_Phdr *p = &e->ph[i];

		if (p->p_type == PT_LOAD && (p->p_flags & PF_X) && e->eh->e_entry >= p->p_vaddr &&
		    e->eh->e_entry - p->p_vaddr < p->p_memsz)
			return 0;
	}
	return bad(e, "the entry point 0x%llx is in no executable PT_LOAD segment",
		   (unsigned long long)e->eh->e_entry);
}

/* The relocations of a DT_RELA/DT_JMPREL table: R_X86_64_RELATIVE and NONE only (crt0.S). */
static int check_relocs(struct elf *e, uint64_t va, uint64_t size, const char *tag)
{
	uint64_t off;

	if (!size)
		return 0;
	if (size % sizeof(Elf64_Rela) || !va_to_off(e, va, size, &off) || off % 8)
		return bad(e, "the relocation table %s (0x%llx bytes at 0x%llx) is not in the file",
			   tag, (unsigned long long)size, (unsigned long long)va);
	for (uint64_t i = 0; i < size / sizeof(Elf64_Rela); i++) {
		const Elf64_Rela *r = (const Elf64_Rela *)(e->buf + off) + i;
		unsigned int type = (unsigned int)ELF64_R_TYPE(r->r_info);

		if (type != R_X86_64_RELATIVE && type != R_X86_64_NONE)
			return bad(e,
				   "relocation %llu of %s has type %u%s, but the SDK's crt "
				   "applies R_X86_64_RELATIVE only; %s",
				   (unsigned long long)i, tag, type,
				   type == R_X86_64_JUMP_SLOT	? " (JUMP_SLOT)"
				   : type == R_X86_64_GLOB_DAT	? " (GLOB_DAT)"
				   : type == R_X86_64_64	? " (64)"
				   : type == R_X86_64_IRELATIVE ? " (IRELATIVE)"
				   : type == R_X86_64_DTPMOD64	? " (DTPMOD64)"
								: "",
				   GUEST_IS);
	}
	return 0;
}

/* PT_DYNAMIC: a static PIE's (DF_1_PIE, no DT_NEEDED, relative relocations only). */
static int check_dynamic(struct elf *e)
{
	const Elf64_Phdr *dyn = NULL;
	const Elf64_Dyn *d;
	uint64_t n, strtab = 0, strsz = 0, needed = UINT64_MAX, rela = 0, relasz = 0;
	uint64_t jmprel = 0, pltrelsz = 0, flags_1 = 0;
	bool has_rel = false, pltrel_rel = false;
	int ret;

	for (unsigned int i = 0; i < e->eh->e_phnum; i++) {
		if (e->ph[i].p_type == PT_DYNAMIC)
			dyn = &e->ph[i];
	}
	if (!dyn) /* nothing to relocate and nothing to link: position-independent as it is */
		return 0;
	if (!in_file(e, dyn->p_offset, dyn->p_filesz) || dyn->p_offset % 8)
		return bad(e, "PT_DYNAMIC (0x%llx bytes at offset 0x%llx) is not in the file",
			   (unsigned long long)dyn->p_filesz, (unsigned long long)dyn->p_offset);
	d = (const Elf64_Dyn *)(e->buf + dyn->p_offset);
	n = dyn->p_filesz / sizeof(*d);
	for (uint64_t i = 0; i < n && d[i].d_tag != DT_NULL; i++) {
		uint64_t v = d[i].d_un.d_val;

		switch (d[i].d_tag) {
		case DT_NEEDED:
			if (needed == UINT64_MAX)
				needed = v;
			break;
		case DT_STRTAB:
			strtab = v;
			break;
		case DT_STRSZ:
			strsz = v;
			break;
		case DT_RELA:
			rela = v;
			break;
		case DT_RELASZ:
			relasz = v;
			break;
		case DT_JMPREL:
			jmprel = v;
			break;
		case DT_PLTRELSZ:
			pltrelsz = v;
			break;
		case DT_PLTREL:
			pltrel_rel = v == DT_REL;
			break;
		case DT_REL:
		case DT_RELSZ:
			has_rel |= v != 0;
			break;
		case DT_FLAGS_1:
			flags_1 = v;
			break;
		default:
			break;
		}
	}
	if (!(flags_1 & DF_1_PIE))
		return bad(e, "a shared library (ET_DYN without DF_1_PIE), not an executable; %s",
			   GUEST_IS);
	if (needed != UINT64_MAX) {
		uint64_t off;

		if (needed < strsz && va_to_off(e, strtab, strsz, &off) &&
		    memchr(e->buf + off + needed, 0, strsz - needed))
			return bad(e,
				   "needs the shared library %s (DT_NEEDED), and a TD has no "
				   "loader; %s",
				   (const char *)e->buf + off + needed, GUEST_IS);
		return bad(e, "needs shared libraries (DT_NEEDED), and a TD has no loader; %s",
			   GUEST_IS);
	}
	if (has_rel || pltrel_rel)
		return bad(e, "REL relocations (DT_REL), which the SDK's crt does not apply; %s",
			   GUEST_IS);
	ret = check_relocs(e, rela, relasz, "DT_RELA");
	return ret ? ret : check_relocs(e, jmprel, pltrelsz, "DT_JMPREL");
}

int vmm_elf_check(const char *path, const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	struct elf e = {.path = path,
			.buf = buf,
			.len = len,
			.eh = (const Elf64_Ehdr *)buf,
			.err = err,
			.errlen = errlen};
	int ret = check_header(&e);

	if (!ret)
		ret = check_segments(&e);
	if (!ret)
		ret = check_dynamic(&e);
	if (!ret)
		ret = check_entry(&e);
	return ret;
}

/* ------------------------------------------------------------------------------------------
 * The layout: PT_LOAD pages at VMM_IMAGE_GPA + p_vaddr, then the reset page's three
 * page-table pages (zeros), then the reset page.
 */

/*
 * The reset page's bytes (vmm/reset.S): on both backends every vCPU starts at 0xFFFFFFF0 and
 * reaches the ELF entry at window base + entry GPA in 64-bit mode, with RSI = its index [VP.INIT]:
 * the guest tells the BSP from the APs by RSI, and the APs wait in the guest's own mailbox
 * (docs/GUEST.md "SMP"). The image's entry GPA goes into the 64-bit stub's vmm_reset_entry.
 */
extern const uint8_t vmm_reset_page[4096];
extern const uint8_t vmm_reset_entry[8];

_Static_assert(TDXSIM_RESET_PAGE_GPA == VMM_RESET_PAGE_GPA, "the reset page's GPA");
_Static_assert(TDXSIM_RESET_PML4_GPA + TDXSIM_RESET_TABLES * 4096 == TDXSIM_RESET_PAGE_GPA,
	       "the reset tables end where the reset page begins");

static void make_reset_page(uint8_t *p, uint64_t entry_gpa)
{
	memcpy(p, vmm_reset_page, 4096);
	memcpy(p + (vmm_reset_entry - vmm_reset_page), &entry_gpa, sizeof(entry_gpa));
}

#define ERR(...) snprintf(err, errlen, __VA_ARGS__)

int vmm_image_load(const char *path, struct vmm_image *img, char *err, size_t errlen)
{
	uint8_t *buf = NULL, *present = NULL;
	const Elf64_Ehdr *eh;
	const Elf64_Phdr *phdr;
	uint64_t low = UINT64_MAX, high = 0, npages;
	size_t len = 0;
	int ret = vmm_read_file(path, &buf, &len);

	memset(img, 0, sizeof(*img));
	if (ret == -EINVAL) { /* a device, FIFO or socket: nothing a TD can be built from */
		ERR("%s: not a regular file; %s", path, GUEST_IS);
		return -ENOEXEC;
	}
	if (ret) {
		ERR("%s: %s", path, strerror(-ret));
		return ret;
	}
	ret = vmm_elf_check(path, buf, len, err, errlen);
	if (ret)
		goto out;
	/* From here every PT_LOAD is inside the file and [0, IMAGE_MAX_BYTES): no sum wraps. */
	eh = (const Elf64_Ehdr *)buf;
	phdr = (const Elf64_Phdr *)(buf + eh->e_phoff);
	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = &phdr[i];

		if (ph->p_type != PT_LOAD || !ph->p_memsz)
			continue;
		if ((ph->p_vaddr & PAGE_MASK) < low)
			low = ph->p_vaddr & PAGE_MASK;
		if (((ph->p_vaddr + ph->p_memsz + PAGE_SIZE - 1) & PAGE_MASK) > high)
			high = (ph->p_vaddr + ph->p_memsz + PAGE_SIZE - 1) & PAGE_MASK;
	}
	npages = (high - low) / PAGE_SIZE;
	ret = -ENOMEM;
	img->pages = calloc(npages + TDXSIM_RESET_TABLES + 1, sizeof(*img->pages));
	present = calloc(npages, 1);
	if (!img->pages || !present) {
		ERR("out of memory");
		goto out;
	}
	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = &phdr[i];

		if (ph->p_type != PT_LOAD || !ph->p_memsz)
			continue;
		for (uint64_t va = ph->p_vaddr & PAGE_MASK; va < ph->p_vaddr + ph->p_memsz;
		     va += PAGE_SIZE) {
			uint64_t idx = (va - low) / PAGE_SIZE;
			struct vmm_image_page *pg = &img->pages[idx];
			/* The file's bytes of this segment that fall in this page. */
			uint64_t from = va > ph->p_vaddr ? va : ph->p_vaddr;
			uint64_t to = ph->p_vaddr + ph->p_filesz;

			present[idx] = 1;
			pg->gpa = VMM_IMAGE_GPA + va;
			if (ph->p_flags & PF_X)
				pg->exec = true;
			if (to > va + PAGE_SIZE)
				to = va + PAGE_SIZE;
			if (from < to)
				memcpy(pg->data + (from - va),
				       buf + ph->p_offset + (from - ph->p_vaddr), to - from);
		}
	}
	/* Pack the pages that exist (holes between segments are not added). */
	for (uint64_t idx = 0; idx < npages; idx++) {
		if (present[idx]) {
			if (img->nr != idx)
				img->pages[img->nr] = img->pages[idx];
			img->nr++;
		}
	}
	img->entry_gpa = VMM_IMAGE_GPA + eh->e_entry;
	img->low_gpa = VMM_IMAGE_GPA + low;
	img->high_gpa = VMM_IMAGE_GPA + high;
	/* The slots past the packed pages may hold moved pages' bytes: written whole here. */
	for (unsigned int t = 0; t < TDXSIM_RESET_TABLES; t++, img->nr++) {
		memset(&img->pages[img->nr], 0, sizeof(img->pages[img->nr]));
		img->pages[img->nr].gpa = TDXSIM_RESET_PML4_GPA + 4096ULL * t;
	}
	img->pages[img->nr].gpa = VMM_RESET_PAGE_GPA;
	img->pages[img->nr].exec = true;
	make_reset_page(img->pages[img->nr].data, img->entry_gpa);
	img->nr++;
	ret = 0;
out:
	free(present);
	free(buf);
	if (ret)
		vmm_image_free(img);
	return ret;
}

void vmm_image_free(struct vmm_image *img)
{
	free(img->pages);
	memset(img, 0, sizeof(*img));
}
