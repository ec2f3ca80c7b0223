/* SPDX-License-Identifier: MIT */
/*
 * vmm/linux_boot.h - direct boot of a Linux bzImage as a TD (docs/LINUX-BOOT.md): the setup
 * header parsed, the kernel, initrd, boot_params (zero page), command line, ACPI tables and
 * identity page tables laid out at fixed GPAs, and a measured reset page of its own
 * (vmm/linux_reset.S) that enters long mode, accepts the TD's memory on vCPU 0 and jumps to
 * the kernel's 64-bit entry with RSI = boot_params; the other vCPUs wait on the ACPI
 * multiprocessor wake-up mailbox as a TD's firmware leaves them.
 *
 * The GPA map (every part below 1 MiB is inside the 4 GiB identity map):
 *
 *   [0, 0x80000)             RAM (e820 1)
 *   [0x80000, 0x90000)       reserved (e820 2): boot_params, command line, the wake-up
 *                            mailbox, the identity page tables, a boot stack
 *   [0x90000, 0xA0000)       ACPI tables (e820 3)
 *   [0x100000, memory size)  RAM (e820 1): the kernel at its pref_address, the initrd at the top
 *   0xFFFFF000               the reset page (e820 2)
 */
#ifndef VMM_LINUX_BOOT_H
#define VMM_LINUX_BOOT_H

#define LINUX_BOOT_PARAMS_GPA 0x80000
#define LINUX_CMDLINE_GPA     0x81000
#define LINUX_MAILBOX_GPA     0x82000
#define LINUX_PML4_GPA	      0x83000
#define LINUX_PDPT_GPA	      0x84000
#define LINUX_PD_GPA	      0x85000 /* four: [0, 4 GiB) in 2 MiB pages */
#define LINUX_STACK_GPA	      0x89000 /* one page; RSP starts at its end */
#define LINUX_BOOT_PAGES      10      /* [LINUX_BOOT_PARAMS_GPA, LINUX_STACK_GPA + 4 KiB) */
#define LINUX_RESERVED_END    0x90000
#define LINUX_ACPI_GPA	      0x90000
#define LINUX_ACPI_END	      0xA0000
#define LINUX_HIGH_RAM_GPA    0x100000

/* GDT selectors of the reset page, those of the boot protocol's 64-bit entry (__BOOT_CS/DS). */
#define LINUX_BOOT_CS 0x10
#define LINUX_BOOT_DS 0x18

/* The reset page's parameter block (offsets in the page), written by the VMM, measured. */
#define LINUX_RESET_PARAMS	0xF00
#define LINUX_RESET_CR3		0xF00
#define LINUX_RESET_BOOT_PARAMS 0xF08
#define LINUX_RESET_ENTRY	0xF10
#define LINUX_RESET_ACCEPT_END	0xF18
#define LINUX_RESET_MAILBOX	0xF20
#define LINUX_RESET_STACK_TOP	0xF28

/* ACPI multiprocessor wake-up mailbox: command, APIC ID, wake-up vector (ACPI 6.5 5.2.12.19). */
#define LINUX_MAILBOX_COMMAND 0
#define LINUX_MAILBOX_APIC_ID 4
#define LINUX_MAILBOX_VECTOR  8
#define LINUX_MAILBOX_WAKEUP  1

/* TDG.MEM.PAGE.ACCEPT's leaf number, for the stub's TDCALLs. */
#define LINUX_TDG_MEM_PAGE_ACCEPT 6

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

#include "vmm/vmm_internal.h"

/* The setup header fields the loader uses (Documentation/arch/x86/boot.rst). */
struct linux_bzimage {
	uint16_t version;	  /* boot protocol, 0x020C = 2.12 */
	unsigned int setup_sects; /* 512-byte sectors of real-mode setup after the boot sector */
	uint8_t loadflags;
	uint16_t xloadflags;
	uint8_t relocatable;
	uint32_t kernel_alignment;
	uint64_t pref_address;
	uint32_t init_size;
	uint32_t cmdline_size;
	uint32_t initrd_addr_max;
	size_t hdr_end;	   /* the setup header is bytes [0x1F1, hdr_end) of the file */
	size_t kernel_off; /* the protected-mode kernel: file bytes [kernel_off, len) */
	size_t kernel_len;
};

#define LINUX_MIN_PROTOCOL  0x020C
#define LINUX_XLF_KERNEL_64 (1U << 0)
#define LINUX_LOADED_HIGH   (1U << 0)
#define LINUX_E820_RAM	    1
#define LINUX_E820_RESERVED 2
#define LINUX_E820_ACPI	    3
#define LINUX_E820_MAX	    8

struct linux_e820 {
	uint64_t addr, size;
	uint32_t type;
};

/* What a boot puts where. */
struct linux_layout {
	uint64_t memory_size;
	unsigned int nr_vcpus;
	uint64_t kernel_gpa;   /* the protected-mode kernel's first byte */
	uint64_t kernel_entry; /* kernel_gpa + 0x200: the 64-bit entry */
	uint64_t kernel_end;   /* kernel_gpa + init_size: what the kernel needs in place */
	uint64_t initrd_gpa, initrd_len; /* 0, 0 without an initrd */
	size_t cmdline_len;		 /* without the NUL */
	uint64_t rsdp_gpa;
	size_t acpi_len;
	unsigned int nr_e820;
	struct linux_e820 e820[LINUX_E820_MAX];
};

/*
 * Parse and check a bzImage: the boot sector signature, "HdrS", protocol >= 2.12, a 64-bit
 * entry (XLF_KERNEL_64), LOADED_HIGH, a kernel_alignment that is a power of two. 0 or
 * -ENOEXEC with "NAME: the reason" in err.
 */
int linux_bzimage_parse(const char *name, const uint8_t *buf, size_t len, struct linux_bzimage *bz,
			char *err, size_t errlen);

/*
 * Where everything goes for a TD of memory_size bytes and nr_vcpus vCPUs: the kernel at
 * pref_address (aligned to kernel_alignment), the initrd at the top of memory (below
 * initrd_addr_max), the e820 map. 0 or -EINVAL / -E2BIG with the reason in err.
 */
int linux_boot_layout(const struct linux_bzimage *bz, uint64_t memory_size, unsigned int nr_vcpus,
		      size_t initrd_len, size_t cmdline_len, struct linux_layout *lay, char *err,
		      size_t errlen);

/* The zero page: the file's setup header, loader type, command line, initrd, RSDP, e820. */
void linux_boot_params(uint8_t zp[4096], const uint8_t *file, const struct linux_bzimage *bz,
		       const struct linux_layout *lay);

/* The identity map of [0, 4 GiB) in 2 MiB pages: PML4, PDPT and the four PDs (6 pages). */
void linux_page_tables(uint8_t tables[6][4096]);

/* The reset page (vmm/linux_reset.S) with its parameter block filled in for lay. */
void linux_reset_page(uint8_t page[4096], const struct linux_layout *lay);

/*
 * The whole TD image of a Linux boot, ascending GPA with the reset page last, every page to
 * be added and measured: boot area, ACPI tables, kernel, initrd, reset page. kernel/initrd
 * are the files' bytes (initrd may be NULL), cmdline a NUL-terminated string. 0 or -errno with
 * the reason in err.
 */
int linux_image_build(const char *kernel_name, const uint8_t *kernel, size_t kernel_len,
		      const uint8_t *initrd, size_t initrd_len, const char *cmdline,
		      uint64_t memory_size, unsigned int nr_vcpus, struct vmm_image *img,
		      struct linux_layout *lay, char *err, size_t errlen);

/* The same from files (initrd_path may be NULL). */
int linux_image_load(const char *kernel_path, const char *initrd_path, const char *cmdline,
		     uint64_t memory_size, unsigned int nr_vcpus, struct vmm_image *img,
		     struct linux_layout *lay, char *err, size_t errlen);

/*
 * The MRTD of a TD built from img: TDH.MEM.PAGE.ADD and 16 TDH.MR.EXTENDs of every page (no
 * MR.EXTEND of a no_mr_extend page), by the module's own computation, as vmm_td_measure does
 * for an SDK guest. 0 or -ENOMEM. TDVF images (vmm/tdvf_boot.c) are measured by it too.
 */
int linux_image_measure(const struct vmm_image *img, uint8_t mrtd[48]);

#endif /* __ASSEMBLER__ */
#endif /* VMM_LINUX_BOOT_H */
