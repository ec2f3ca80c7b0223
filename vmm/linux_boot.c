// SPDX-License-Identifier: MIT
/*
 * Direct boot of a Linux bzImage as a TD (vmm/linux_boot.h, docs/LINUX-BOOT.md): the setup
 * header, the layout, the zero page, the identity map and the TD image. Field offsets are the
 * Linux x86 boot protocol's (Documentation/arch/x86/boot.rst, zero-page.rst); every field read
 * from the file is checked against its length first.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module/tdx_module.h"
#include "tdxsim/boot.h"
#include "tdxsim/linux.h"
#include "vmm/acpi.h"
#include "vmm/linux_boot.h"

/* Setup header offsets in the file (and in boot_params, where the header is copied). */
#define HDR_START	    0x1F1
#define HDR_SETUP_SECTS	    0x1F1
#define HDR_BOOT_FLAG	    0x1FE
#define HDR_JUMP	    0x200
#define HDR_MAGIC	    0x202
#define HDR_VERSION	    0x206
#define HDR_TYPE_OF_LOADER  0x210
#define HDR_LOADFLAGS	    0x211
#define HDR_RAMDISK_IMAGE   0x218
#define HDR_RAMDISK_SIZE    0x21C
#define HDR_CMD_LINE_PTR    0x228
#define HDR_INITRD_ADDR_MAX 0x22C
#define HDR_KERNEL_ALIGN    0x230
#define HDR_RELOCATABLE	    0x234
#define HDR_XLOADFLAGS	    0x236
#define HDR_CMDLINE_SIZE    0x238
#define HDR_PREF_ADDRESS    0x258
#define HDR_INIT_SIZE	    0x260
#define HDR_MIN_END	    0x264 /* protocol 2.12's header reaches at least here */

/* boot_params outside the setup header. */
#define BP_ACPI_RSDP_ADDR     0x070
#define BP_EXT_RAMDISK_IMAGE  0x0C0
#define BP_EXT_RAMDISK_SIZE   0x0C4
#define BP_EXT_CMD_LINE_PTR   0x0C8
#define BP_E820_ENTRIES	      0x1E8
#define BP_E820_TABLE	      0x2D0
#define BP_E820_ENTRY_LEN     20
#define LOADER_TYPE_UNDEFINED 0xFF

#define PAGE 4096ULL

extern const uint8_t vmm_linux_reset_page[4096];

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt,
						      ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -ENOEXEC;
}

static uint16_t rd16(const uint8_t *p, size_t off)
{
	return (uint16_t)(p[off] | p[off + 1] << 8);
}

static uint32_t rd32(const uint8_t *p, size_t off)
{
	uint32_t v;

	memcpy(&v, p + off, 4);
	return v;
}

static uint64_t rd64(const uint8_t *p, size_t off)
{
	uint64_t v;

	memcpy(&v, p + off, 8);
	return v;
}

static void wr32(uint8_t *p, size_t off, uint32_t v)
{
	memcpy(p + off, &v, 4);
}

static void wr64(uint8_t *p, size_t off, uint64_t v)
{
	memcpy(p + off, &v, 8);
}

int linux_bzimage_parse(const char *name, const uint8_t *buf, size_t len, struct linux_bzimage *bz,
			char *err, size_t errlen)
{
	memset(bz, 0, sizeof(*bz));
	if (len < HDR_MIN_END || rd16(buf, HDR_BOOT_FLAG) != 0xAA55 ||
	    memcmp(buf + HDR_MAGIC, "HdrS", 4))
		return fail(err, errlen,
			    "%s: not a Linux bzImage (no boot sector signature 0xAA55 and "
			    "setup header \"HdrS\")",
			    name);
	bz->version = rd16(buf, HDR_VERSION);
	if (bz->version < LINUX_MIN_PROTOCOL)
		return fail(err, errlen,
			    "%s: boot protocol %u.%02u; a TD boot needs 2.12 or later (64-bit "
			    "entry, xloadflags)",
			    name, bz->version >> 8, bz->version & 0xFF);
	bz->hdr_end = HDR_JUMP + 2 + buf[HDR_JUMP + 1];
	if (bz->hdr_end < HDR_MIN_END || bz->hdr_end > len)
		return fail(err, errlen, "%s: the setup header's length (0x%zx) is wrong", name,
			    bz->hdr_end);
	bz->setup_sects = buf[HDR_SETUP_SECTS] ? buf[HDR_SETUP_SECTS] : 4;
	bz->loadflags = buf[HDR_LOADFLAGS];
	bz->xloadflags = rd16(buf, HDR_XLOADFLAGS);
	bz->relocatable = buf[HDR_RELOCATABLE];
	bz->kernel_alignment = rd32(buf, HDR_KERNEL_ALIGN);
	bz->pref_address = rd64(buf, HDR_PREF_ADDRESS);
	bz->init_size = rd32(buf, HDR_INIT_SIZE);
	bz->cmdline_size = rd32(buf, HDR_CMDLINE_SIZE);
	bz->initrd_addr_max = rd32(buf, HDR_INITRD_ADDR_MAX);
	bz->kernel_off = (size_t)(bz->setup_sects + 1) * 512;
	if (!(bz->xloadflags & LINUX_XLF_KERNEL_64))
		return fail(err, errlen, "%s: no 64-bit entry point (xloadflags.XLF_KERNEL_64)",
			    name);
	if (!(bz->loadflags & LINUX_LOADED_HIGH))
		return fail(err, errlen, "%s: not loaded high (loadflags.LOADED_HIGH clear)", name);
	if (!bz->kernel_alignment || bz->kernel_alignment & (bz->kernel_alignment - 1))
		return fail(err, errlen, "%s: kernel_alignment 0x%x is not a power of two", name,
			    bz->kernel_alignment);
	if (bz->pref_address % bz->kernel_alignment || bz->pref_address < LINUX_HIGH_RAM_GPA)
		return fail(err, errlen,
			    "%s: pref_address 0x%llx is not a kernel_alignment (0x%x) multiple "
			    "above 1 MiB",
			    name, (unsigned long long)bz->pref_address, bz->kernel_alignment);
	if (bz->kernel_off >= len)
		return fail(err, errlen,
			    "%s: the file (%zu bytes) ends inside its %u setup sectors", name, len,
			    bz->setup_sects);
	bz->kernel_len = len - bz->kernel_off;
	if (bz->init_size < bz->kernel_len)
		return fail(err, errlen, "%s: init_size 0x%x is less than the kernel (0x%zx)", name,
			    bz->init_size, bz->kernel_len);
	return 0;
}

static void e820_add(struct linux_layout *lay, uint64_t addr, uint64_t size, uint32_t type)
{
	lay->e820[lay->nr_e820++] = (struct linux_e820){addr, size, type};
}

int linux_boot_layout(const struct linux_bzimage *bz, uint64_t memory_size, unsigned int nr_vcpus,
		      size_t initrd_len, size_t cmdline_len, struct linux_layout *lay, char *err,
		      size_t errlen)
{
	uint64_t top;

	memset(lay, 0, sizeof(*lay));
	if (!nr_vcpus) {
		snprintf(err, errlen, "a TD needs at least one vCPU");
		return -EINVAL;
	}
	if (memory_size % PAGE || memory_size > TDXSIM_RESET_PAGE_GPA) {
		snprintf(err, errlen, "memory size 0x%llx is not a multiple of 4 KiB below 4 GiB",
			 (unsigned long long)memory_size);
		return -EINVAL;
	}
	if (cmdline_len >= bz->cmdline_size || cmdline_len >= PAGE) {
		snprintf(err, errlen,
			 "the command line is %zu bytes; this kernel takes at most %u (and the VMM "
			 "4095)",
			 cmdline_len, bz->cmdline_size ? bz->cmdline_size - 1 : 0);
		return -E2BIG;
	}
	lay->memory_size = memory_size;
	lay->nr_vcpus = nr_vcpus;
	lay->cmdline_len = cmdline_len;
	lay->kernel_gpa = bz->pref_address;
	lay->kernel_entry = lay->kernel_gpa + 0x200;
	lay->kernel_end = lay->kernel_gpa + bz->init_size;
	if (lay->kernel_end > memory_size) {
		snprintf(err, errlen,
			 "the kernel needs memory up to 0x%llx (pref_address 0x%llx + init_size "
			 "0x%x); the TD has 0x%llx bytes",
			 (unsigned long long)lay->kernel_end, (unsigned long long)lay->kernel_gpa,
			 bz->init_size, (unsigned long long)memory_size);
		return -E2BIG;
	}
	if (initrd_len) {
		top = memory_size;
		if (top > (uint64_t)bz->initrd_addr_max + 1)
			top = (uint64_t)bz->initrd_addr_max + 1;
		lay->initrd_len = initrd_len;
		lay->initrd_gpa = top >= initrd_len ? (top - initrd_len) & ~(PAGE - 1) : 0;
		if (lay->initrd_gpa < lay->kernel_end) {
			snprintf(err, errlen,
				 "the initrd (%zu bytes) does not fit between the kernel's end "
				 "0x%llx and 0x%llx",
				 initrd_len, (unsigned long long)lay->kernel_end,
				 (unsigned long long)top);
			return -E2BIG;
		}
	}
	e820_add(lay, 0, LINUX_BOOT_PARAMS_GPA, LINUX_E820_RAM);
	e820_add(lay, LINUX_BOOT_PARAMS_GPA, LINUX_RESERVED_END - LINUX_BOOT_PARAMS_GPA,
		 LINUX_E820_RESERVED);
	e820_add(lay, LINUX_ACPI_GPA, LINUX_ACPI_END - LINUX_ACPI_GPA, LINUX_E820_ACPI);
	e820_add(lay, LINUX_HIGH_RAM_GPA, memory_size - LINUX_HIGH_RAM_GPA, LINUX_E820_RAM);
	e820_add(lay, TDXSIM_RESET_PAGE_GPA, PAGE, LINUX_E820_RESERVED);
	lay->rsdp_gpa = LINUX_ACPI_GPA;
	return 0;
}

void linux_boot_params(uint8_t zp[4096], const uint8_t *file, const struct linux_bzimage *bz,
		       const struct linux_layout *lay)
{
	memset(zp, 0, 4096);
	memcpy(zp + HDR_START, file + HDR_START, bz->hdr_end - HDR_START);
	zp[HDR_TYPE_OF_LOADER] = LOADER_TYPE_UNDEFINED;
	wr32(zp, HDR_CMD_LINE_PTR, (uint32_t)LINUX_CMDLINE_GPA);
	wr32(zp, BP_EXT_CMD_LINE_PTR, (uint32_t)((uint64_t)LINUX_CMDLINE_GPA >> 32));
	wr32(zp, HDR_RAMDISK_IMAGE, (uint32_t)lay->initrd_gpa);
	wr32(zp, HDR_RAMDISK_SIZE, (uint32_t)lay->initrd_len);
	wr32(zp, BP_EXT_RAMDISK_IMAGE, (uint32_t)(lay->initrd_gpa >> 32));
	wr32(zp, BP_EXT_RAMDISK_SIZE, (uint32_t)(lay->initrd_len >> 32));
	wr64(zp, BP_ACPI_RSDP_ADDR, lay->rsdp_gpa);
	zp[BP_E820_ENTRIES] = (uint8_t)lay->nr_e820;
	for (unsigned int i = 0; i < lay->nr_e820; i++) {
		uint8_t *e = zp + BP_E820_TABLE + i * BP_E820_ENTRY_LEN;

		wr64(e, 0, lay->e820[i].addr);
		wr64(e, 8, lay->e820[i].size);
		wr32(e, 16, lay->e820[i].type);
	}
}

/* Present, writable, accessed (and dirty and PS for a 2 MiB leaf): nothing is written back. */
#define PT_TABLE 0x23ULL
#define PT_LEAF	 0xE3ULL

void linux_page_tables(uint8_t tables[6][4096])
{
	memset(tables, 0, 6 * 4096);
	wr64(tables[0], 0, LINUX_PDPT_GPA | PT_TABLE);
	for (unsigned int i = 0; i < 4; i++) {
		wr64(tables[1], 8 * i, (LINUX_PD_GPA + i * PAGE) | PT_TABLE);
		for (unsigned int j = 0; j < 512; j++)
			wr64(tables[2 + i], 8 * j,
			     ((uint64_t)i << 30 | (uint64_t)j << 21) | PT_LEAF);
	}
}

void linux_reset_page(uint8_t page[4096], const struct linux_layout *lay)
{
	memcpy(page, vmm_linux_reset_page, 4096);
	wr64(page, LINUX_RESET_CR3, LINUX_PML4_GPA);
	wr64(page, LINUX_RESET_BOOT_PARAMS, LINUX_BOOT_PARAMS_GPA);
	wr64(page, LINUX_RESET_ENTRY, lay->kernel_entry);
	wr64(page, LINUX_RESET_ACCEPT_END, lay->memory_size);
	wr64(page, LINUX_RESET_MAILBOX, LINUX_MAILBOX_GPA);
	wr64(page, LINUX_RESET_STACK_TOP, LINUX_STACK_GPA + PAGE);
}

/* Pages of [gpa, gpa + len) from bytes, the last one padded with zeros. */
static void add_bytes(struct vmm_image *img, uint64_t gpa, const uint8_t *p, size_t len, bool exec)
{
	for (size_t off = 0; off < len; off += PAGE) {
		struct vmm_image_page *pg = &img->pages[img->nr++];
		size_t n = len - off < PAGE ? len - off : PAGE;

		memset(pg, 0, sizeof(*pg));
		pg->gpa = gpa + off;
		pg->exec = exec;
		memcpy(pg->data, p + off, n);
	}
}

int linux_image_build(const char *kernel_name, const uint8_t *kernel, size_t kernel_len,
		      const uint8_t *initrd, size_t initrd_len, const char *cmdline,
		      uint64_t memory_size, unsigned int nr_vcpus, struct vmm_image *img,
		      struct linux_layout *lay, char *err, size_t errlen)
{
	struct linux_bzimage bz;
	static const size_t acpi_cap = LINUX_ACPI_END - LINUX_ACPI_GPA;
	uint8_t *boot = NULL, *acpi = NULL;
	struct acpi_layout al;
	size_t n;
	int ret;

	memset(img, 0, sizeof(*img));
	ret = linux_bzimage_parse(kernel_name, kernel, kernel_len, &bz, err, errlen);
	if (!ret)
		ret = linux_boot_layout(&bz, memory_size, nr_vcpus, initrd ? initrd_len : 0,
					strlen(cmdline), lay, err, errlen);
	if (ret)
		return ret;
	n = LINUX_BOOT_PAGES + acpi_cap / PAGE + (bz.kernel_len + PAGE - 1) / PAGE +
	    (lay->initrd_len + PAGE - 1) / PAGE + 1;
	img->pages = calloc(n, sizeof(*img->pages));
	boot = calloc(LINUX_BOOT_PAGES, PAGE);
	acpi = calloc(1, acpi_cap);
	if (!img->pages || !boot || !acpi) {
		snprintf(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	ret = acpi_build(acpi, acpi_cap, LINUX_ACPI_GPA, nr_vcpus, LINUX_MAILBOX_GPA, &al);
	if (ret) {
		snprintf(err, errlen, "the ACPI tables of %u vCPUs do not fit in %zu KiB", nr_vcpus,
			 acpi_cap >> 10);
		goto out;
	}
	lay->rsdp_gpa = al.rsdp;
	lay->acpi_len = al.len;

	/* The boot area: zero page, command line, mailbox (zeros), tables, stack (zeros). */
	linux_boot_params(boot, kernel, &bz, lay);
	memcpy(boot + (LINUX_CMDLINE_GPA - LINUX_BOOT_PARAMS_GPA), cmdline, lay->cmdline_len);
	linux_page_tables((uint8_t(*)[4096])(boot + (LINUX_PML4_GPA - LINUX_BOOT_PARAMS_GPA)));
	add_bytes(img, LINUX_BOOT_PARAMS_GPA, boot, LINUX_BOOT_PAGES * PAGE, false);
	add_bytes(img, LINUX_ACPI_GPA, acpi, (al.len + PAGE - 1) & ~(PAGE - 1), false);
	add_bytes(img, lay->kernel_gpa, kernel + bz.kernel_off, bz.kernel_len, true);
	if (lay->initrd_len)
		add_bytes(img, lay->initrd_gpa, initrd, lay->initrd_len, false);
	img->pages[img->nr].gpa = TDXSIM_RESET_PAGE_GPA;
	img->pages[img->nr].exec = true;
	linux_reset_page(img->pages[img->nr].data, lay);
	img->nr++;
	img->entry_gpa = lay->kernel_entry;
	img->low_gpa = LINUX_BOOT_PARAMS_GPA;
	img->high_gpa = lay->initrd_len
				? lay->initrd_gpa + ((lay->initrd_len + PAGE - 1) & ~(PAGE - 1))
				: lay->kernel_gpa + ((bz.kernel_len + PAGE - 1) & ~(PAGE - 1));
	ret = 0;
out:
	free(boot);
	free(acpi);
	if (ret)
		vmm_image_free(img);
	return ret;
}

int linux_image_load(const char *kernel_path, const char *initrd_path, const char *cmdline,
		     uint64_t memory_size, unsigned int nr_vcpus, struct vmm_image *img,
		     struct linux_layout *lay, char *err, size_t errlen)
{
	uint8_t *kernel = NULL, *initrd = NULL;
	size_t klen = 0, ilen = 0;
	int ret = vmm_read_file(kernel_path, &kernel, &klen);

	memset(img, 0, sizeof(*img));
	if (ret) {
		snprintf(err, errlen, "%s: %s", kernel_path, strerror(-ret));
		return ret;
	}
	if (initrd_path) {
		ret = vmm_read_file(initrd_path, &initrd, &ilen);
		if (ret)
			snprintf(err, errlen, "%s: %s", initrd_path, strerror(-ret));
		else if (!ilen) {
			snprintf(err, errlen, "%s: an empty initrd", initrd_path);
			ret = -EINVAL;
		}
	}
	if (!ret)
		ret = linux_image_build(kernel_path, kernel, klen, initrd, ilen, cmdline,
					memory_size, nr_vcpus, img, lay, err, errlen);
	free(kernel);
	free(initrd);
	return ret;
}

int linux_image_measure(const struct vmm_image *img, uint8_t mrtd[48])
{
	struct tdx_mrtd *m = tdx_mrtd_start();

	if (!m)
		return -ENOMEM;
	for (unsigned int p = 0; p < img->nr; p++) {
		tdx_mrtd_page_add(m, img->pages[p].gpa);
		for (unsigned int i = 0; i < 16 && !img->pages[p].no_mr_extend; i++)
			tdx_mrtd_extend(m, img->pages[p].gpa + 256 * i,
					img->pages[p].data + 256 * i);
	}
	tdx_mrtd_finalize(m, mrtd);
	return 0;
}

int tdxsim_linux_measure(const char *kernel, const char *initrd, const char *cmdline,
			 uint64_t memory, unsigned int vcpus, struct tdxsim_linux_info *out,
			 char *err, size_t errlen)
{
	struct vmm_image img;
	struct linux_layout lay;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = linux_image_load(kernel, initrd, cmdline, memory, vcpus, &img, &lay, err, errlen);
	if (ret)
		return ret;
	ret = linux_image_measure(&img, out->mrtd);
	if (ret)
		snprintf(err, errlen, "out of memory");
	out->kernel_gpa = lay.kernel_gpa;
	out->kernel_entry = lay.kernel_entry;
	out->kernel_end = lay.kernel_end;
	out->initrd_gpa = lay.initrd_gpa;
	out->initrd_len = lay.initrd_len;
	out->boot_params_gpa = LINUX_BOOT_PARAMS_GPA;
	out->cmdline_gpa = LINUX_CMDLINE_GPA;
	out->rsdp_gpa = lay.rsdp_gpa;
	out->acpi_len = lay.acpi_len;
	out->nr_pages = img.nr;
	out->nr_e820 = lay.nr_e820;
	for (unsigned int i = 0; i < lay.nr_e820; i++) {
		out->e820[i].addr = lay.e820[i].addr;
		out->e820[i].size = lay.e820[i].size;
		out->e820[i].type = lay.e820[i].type;
	}
	vmm_image_free(&img);
	return ret;
}

int tdxsim_linux_td_create(const struct vmm_td_config *cfg, const char *kernel, const char *initrd,
			   const char *cmdline, struct vmm_td **out, char *err, size_t errlen)
{
	struct vmm_image img;
	struct linux_layout lay;
	uint64_t t0 = vmm_now_ns();
	int ret;

	*out = NULL;
	ret = vmm_td_precheck(cfg, err, errlen);
	if (ret)
		return ret;
	ret = linux_image_load(kernel, initrd, cmdline, cfg->memory_size, cfg->nr_vcpus, &img, &lay,
			       err, errlen);
	if (ret)
		return ret;
	return vmm_td_create_image(cfg, kernel, &img, false, t0, out, err, errlen);
}
