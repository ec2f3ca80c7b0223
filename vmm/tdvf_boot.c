// SPDX-License-Identifier: MIT
/*
 * A TDVF firmware booted as a TD (vmm/tdvf.h, tdxsim/tdvf.h, docs/LINUX-BOOT.md "TDVF boot"):
 * the TD's RAM map from the sections, the TD HOB written into the TD_HOB section, and the TD
 * image - every section's pages in the descriptor's order, measured where the section says.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tdxsim/tdvf.h"
#include "vmm/linux_boot.h" /* linux_image_measure: PAGE.ADD and MR.EXTEND as the module does */
#include "vmm/tdvf.h"
#include "vmm/vmm_internal.h"

#define PAGE	     4096ULL
#define RESET_VECTOR 0xFFFFFFF0ULL

__attribute__((format(printf, 4, 5))) static int refuse(int ret, char *err, size_t errlen,
							const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return ret;
}

static bool in_ram(const struct tdvf_section *s)
{
	return s->type == TDVF_TD_HOB || s->type == TDVF_TEMP_MEM;
}

/* One section: a type and attributes this VMM places, on the right side of memory_size. */
static int section_check(const char *name, unsigned int i, const struct tdvf_section *s,
			 uint64_t memory_size, char *err, size_t errlen)
{
	if (s->attributes & ~TDVF_ATTR_MR_EXTEND)
		return refuse(-ENOTSUP, err, errlen,
			      "%s: TDVF section %u (%s) has attributes 0x%x: PAGE.AUG sections are "
			      "not placed by this VMM",
			      name, i, tdvf_section_name(s->type), s->attributes);
	if (s->type != TDVF_BFV && s->type != TDVF_CFV && !in_ram(s))
		return refuse(-ENOTSUP, err, errlen,
			      "%s: TDVF section %u has type %u (%s): this VMM places BFV, CFV, "
			      "TD_HOB and TempMem sections only",
			      name, i, s->type, tdvf_section_name(s->type));
	if (in_ram(s) && s->address + s->size > memory_size)
		return refuse(-EINVAL, err, errlen,
			      "%s: TDVF section %u (%s) at 0x%llx + 0x%llx is beyond the TD's "
			      "memory (0x%llx bytes)",
			      name, i, tdvf_section_name(s->type), (unsigned long long)s->address,
			      (unsigned long long)s->size, (unsigned long long)memory_size);
	if (!in_ram(s) && s->address < memory_size)
		return refuse(
			-EINVAL, err, errlen,
			"%s: TDVF section %u (%s) at 0x%llx is inside the TD's memory (0x%llx "
			"bytes): memory must end below it",
			name, i, tdvf_section_name(s->type), (unsigned long long)s->address,
			(unsigned long long)memory_size);
	return 0;
}

int tdvf_ram_map(const char *name, const struct tdvf *t, uint64_t memory_size,
		 struct tdvf_ram ram[TDVF_MAX_RAM], unsigned int *nr, char *err, size_t errlen)
{
	const struct tdvf_section *sorted[TDVF_MAX_SECTIONS];
	unsigned int n = 0, hobs = 0;
	uint64_t at = 0;
	int ret;

	*nr = 0;
	for (unsigned int i = 0; i < t->nr; i++) {
		const struct tdvf_section *s = &t->s[i];

		ret = section_check(name, i, s, memory_size, err, errlen);
		if (ret)
			return ret;
		for (unsigned int j = 0; j < i; j++)
			if (s->address < t->s[j].address + t->s[j].size &&
			    t->s[j].address < s->address + s->size)
				return refuse(-ENOEXEC, err, errlen,
					      "%s: TDVF sections %u and %u overlap", name, j, i);
		hobs += s->type == TDVF_TD_HOB;
		if (!in_ram(s))
			continue;
		/* Insertion by address. */
		unsigned int k = n++;

		for (; k && sorted[k - 1]->address > s->address; k--)
			sorted[k] = sorted[k - 1];
		sorted[k] = s;
	}
	if (hobs != 1)
		return refuse(-ENOEXEC, err, errlen,
			      "%s: %u TD_HOB sections; TDVF takes its memory map from exactly one",
			      name, hobs);
	for (unsigned int k = 0; k < n; k++) {
		if (sorted[k]->address > at)
			ram[(*nr)++] = (struct tdvf_ram){at, sorted[k]->address - at, false};
		ram[(*nr)++] = (struct tdvf_ram){sorted[k]->address, sorted[k]->size, true};
		at = sorted[k]->address + sorted[k]->size;
	}
	if (memory_size > at)
		ram[(*nr)++] = (struct tdvf_ram){at, memory_size - at, false};
	return 0;
}

static void wr16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void wr32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void wr64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* The generic header every HOB starts with: type, length, 4 reserved bytes (zero). */
static uint8_t *hob_header(uint8_t *p, uint16_t type, uint16_t len)
{
	wr16(p, type);
	wr16(p + 2, len);
	return p;
}

long tdvf_hob_build(const struct tdvf_ram *ram, unsigned int nr, uint64_t hob_gpa, uint8_t *buf,
		    size_t cap)
{
	size_t len = tdvf_hob_len(nr);
	uint8_t *phit = buf, *p = buf + TDVF_HOB_HANDOFF_LEN;

	if (len > cap)
		return -ENOSPC;
	memset(buf, 0, cap);
	/* PHIT: Version, BootMode; the memory top/bottom fields TDVF ignores stay 0. */
	hob_header(phit, TDVF_HOB_TYPE_HANDOFF, TDVF_HOB_HANDOFF_LEN);
	wr32(phit + 8, TDVF_HOB_HANDOFF_TABLE_VERSION);
	wr32(phit + 12, TDVF_BOOT_WITH_FULL_CONFIGURATION);
	/* EfiEndOfHobList (at 48): the GPA just past the end-of-list HOB, as QEMU gives it. */
	wr64(phit + 48, hob_gpa + len);
	for (unsigned int i = 0; i < nr; i++, p += TDVF_HOB_RESOURCE_LEN) {
		hob_header(p, TDVF_HOB_TYPE_RESOURCE_DESCRIPTOR, TDVF_HOB_RESOURCE_LEN);
		/* Owner GUID (8..23) zero */
		wr32(p + 24,
		     ram[i].added ? TDVF_RESOURCE_SYSTEM_MEMORY : TDVF_RESOURCE_MEMORY_UNACCEPTED);
		wr32(p + 28, TDVF_RESOURCE_ATTRIBUTES);
		wr64(p + 32, ram[i].addr);
		wr64(p + 40, ram[i].size);
	}
	hob_header(p, TDVF_HOB_TYPE_END_OF_HOB_LIST, TDVF_HOB_END_LEN);
	return (long)len;
}

/* n bytes of the whole image from offset off: the variable store first, then the file. */
static void image_bytes(uint8_t *dst, uint64_t off, size_t n, const uint8_t *fw,
			const uint8_t *vars, uint64_t head)
{
	for (size_t i = 0; i < n; i++, off++)
		dst[i] = off < head ? vars[off] : fw[off - head];
}

/* The pages of section s into img: from the image, the TD HOB or zeros. */
static void section_pages(struct vmm_image *img, const struct tdvf_section *s, const uint8_t *fw,
			  const uint8_t *vars, uint64_t head, const uint8_t *hob)
{
	for (uint64_t off = 0; off < s->size; off += PAGE) {
		struct vmm_image_page *pg = &img->pages[img->nr++];

		pg->gpa = s->address + off;
		pg->exec = s->type == TDVF_BFV;
		pg->no_mr_extend = !(s->attributes & TDVF_ATTR_MR_EXTEND);
		if (off < s->raw_size)
			image_bytes(pg->data, s->data_offset + off,
				    s->raw_size - off < PAGE ? s->raw_size - off : PAGE, fw, vars,
				    head);
		else if (s->type == TDVF_TD_HOB)
			memcpy(pg->data, hob + off, PAGE);
	}
}

/* Where the file's bytes come from: the whole image, or its code with the variable store. */
static int image_parts(const char *name, const struct tdvf *t, size_t fw_len, size_t vars_len,
		       bool have_vars, char *err, size_t errlen)
{
	uint64_t head = t->image_size - fw_len;

	if (!head && have_vars)
		return refuse(-EINVAL, err, errlen,
			      "%s: the whole firmware image (0x%llx bytes): it has its own "
			      "variable store",
			      name, (unsigned long long)t->image_size);
	if (head && !have_vars)
		return refuse(
			-EINVAL, err, errlen,
			"%s: the code part (0x%zx bytes) of a 0x%llx-byte image: it needs its "
			"variable store (OVMF_VARS.fd) of 0x%llx bytes",
			name, fw_len, (unsigned long long)t->image_size, (unsigned long long)head);
	if (head && vars_len != head)
		return refuse(-EINVAL, err, errlen,
			      "%s: the variable store has 0x%zx bytes; this image's has 0x%llx",
			      name, vars_len, (unsigned long long)head);
	for (unsigned int i = 0; i < t->nr; i++)
		if ((uint64_t)t->s[i].data_offset + t->s[i].raw_size > t->image_size)
			return refuse(-ENOEXEC, err, errlen,
				      "%s: TDVF section %u's data (0x%x + 0x%x) is beyond the "
				      "0x%llx-byte image",
				      name, i, t->s[i].data_offset, t->s[i].raw_size,
				      (unsigned long long)t->image_size);
	return 0;
}

int tdvf_image_build(const char *name, const uint8_t *fw, size_t fw_len, const uint8_t *vars,
		     size_t vars_len, uint64_t memory_size, struct vmm_image *img, struct tdvf *t,
		     struct tdvf_ram ram[TDVF_MAX_RAM], unsigned int *nr, char *err, size_t errlen)
{
	const struct tdvf_section *hob_s = NULL;
	uint8_t *hob = NULL;
	uint64_t pages = 0;
	int ret;

	memset(img, 0, sizeof(*img));
	ret = tdvf_parse(name, fw, fw_len, t, err, errlen);
	if (!ret)
		ret = image_parts(name, t, fw_len, vars_len, vars != NULL, err, errlen);
	if (!ret)
		ret = tdvf_ram_map(name, t, memory_size, ram, nr, err, errlen);
	if (ret)
		return ret;
	img->low_gpa = UINT64_MAX;
	for (unsigned int i = 0; i < t->nr; i++) {
		pages += t->s[i].size / PAGE;
		if (t->s[i].type == TDVF_TD_HOB)
			hob_s = &t->s[i];
		if (in_ram(&t->s[i]) && t->s[i].address < img->low_gpa)
			img->low_gpa = t->s[i].address;
		if (in_ram(&t->s[i]) && t->s[i].address + t->s[i].size > img->high_gpa)
			img->high_gpa = t->s[i].address + t->s[i].size;
	}
	hob = calloc(1, hob_s->size);
	img->pages = calloc(pages, sizeof(*img->pages));
	if (!hob || !img->pages) {
		ret = refuse(-ENOMEM, err, errlen, "out of memory");
		goto out;
	}
	if (tdvf_hob_build(ram, *nr, hob_s->address, hob, hob_s->size) < 0) {
		ret = refuse(-ENOSPC, err, errlen,
			     "%s: the TD HOB of %u memory ranges does not fit the TD_HOB section "
			     "(0x%llx bytes)",
			     name, *nr, (unsigned long long)hob_s->size);
		goto out;
	}
	for (unsigned int i = 0; i < t->nr; i++)
		section_pages(img, &t->s[i], fw, vars, t->image_size - fw_len, hob);
	img->entry_gpa = RESET_VECTOR;
out:
	free(hob);
	if (ret)
		vmm_image_free(img);
	return ret;
}

/* The firmware and its variable store from files, built into img. */
static int tdvf_image_load(const char *firmware, const char *vars_path, uint64_t memory_size,
			   struct vmm_image *img, struct tdvf *t, struct tdvf_ram *ram,
			   unsigned int *nr, char *err, size_t errlen)
{
	uint8_t *fw = NULL, *vars = NULL;
	size_t fw_len = 0, vars_len = 0;
	int ret = vmm_read_file(firmware, &fw, &fw_len);

	memset(img, 0, sizeof(*img));
	if (ret)
		snprintf(err, errlen, "%s: %s", firmware, strerror(-ret));
	if (!ret && vars_path) {
		ret = vmm_read_file(vars_path, &vars, &vars_len);
		if (ret)
			snprintf(err, errlen, "%s: %s", vars_path, strerror(-ret));
	}
	if (!ret)
		ret = tdvf_image_build(firmware, fw, fw_len, vars, vars_len, memory_size, img, t,
				       ram, nr, err, errlen);
	free(fw);
	free(vars);
	return ret;
}

int tdxsim_tdvf_measure(const char *firmware, const char *vars, uint64_t memory,
			struct tdxsim_tdvf_info *out, char *err, size_t errlen)
{
	struct vmm_image img;
	struct tdvf t;
	struct tdvf_ram ram[TDVF_MAX_RAM];
	unsigned int nr;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = tdvf_image_load(firmware, vars, memory, &img, &t, ram, &nr, err, errlen);
	if (ret)
		return ret;
	ret = linux_image_measure(&img, out->mrtd);
	if (ret)
		snprintf(err, errlen, "out of memory");
	out->image_size = t.image_size;
	out->nr_sections = t.nr;
	for (unsigned int i = 0; i < t.nr; i++) {
		out->section[i].gpa = t.s[i].address;
		out->section[i].size = t.s[i].size;
		out->section[i].type = t.s[i].type;
		out->section[i].attributes = t.s[i].attributes;
		out->section[i].name = tdvf_section_name(t.s[i].type);
		if (t.s[i].type == TDVF_TD_HOB)
			out->hob_gpa = t.s[i].address;
	}
	out->nr_ram = nr;
	for (unsigned int i = 0; i < nr; i++) {
		out->ram[i].addr = ram[i].addr;
		out->ram[i].size = ram[i].size;
		out->ram[i].accepted = ram[i].added;
	}
	out->hob_len = tdvf_hob_len(nr);
	out->nr_pages = img.nr;
	for (unsigned int p = 0; p < img.nr; p++)
		out->nr_measured += !img.pages[p].no_mr_extend;
	vmm_image_free(&img);
	return ret;
}

int tdxsim_tdvf_td_create(const struct vmm_td_config *cfg, const char *firmware, const char *vars,
			  struct vmm_td **out, char *err, size_t errlen)
{
	struct vmm_image img;
	struct tdvf t;
	struct tdvf_ram ram[TDVF_MAX_RAM];
	unsigned int nr;
	uint64_t t0 = vmm_now_ns();
	int ret;

	*out = NULL;
	ret = vmm_td_precheck(cfg, err, errlen);
	if (ret)
		return ret;
	ret = tdvf_image_load(firmware, vars, cfg->memory_size, &img, &t, ram, &nr, err, errlen);
	if (ret)
		return ret;
	return vmm_td_create_image(cfg, firmware, &img, false, t0, out, err, errlen);
}
