/* SPDX-License-Identifier: MIT */
/*
 * tdxsim/linux.h - a Linux bzImage booted directly as a TD (docs/LINUX-BOOT.md): the TD
 * image a direct boot builds (kernel at its preferred address, initrd at the top of memory,
 * boot_params with e820 and command line, ACPI tables, a measured reset page that enters long
 * mode, accepts the memory and jumps to the kernel's 64-bit entry), described and measured
 * without a machine.
 */
#ifndef TDXSIM_LINUX_H
#define TDXSIM_LINUX_H

#include <stddef.h>
#include <stdint.h>

#include "tdxsim/vmm.h" /* struct vmm_td_config, struct vmm_td */

#define TDXSIM_LINUX_E820_MAX	   8
#define TDXSIM_LINUX_E820_RAM	   1
#define TDXSIM_LINUX_E820_RESERVED 2
#define TDXSIM_LINUX_E820_ACPI	   3

struct tdxsim_linux_info {
	uint64_t kernel_gpa;   /* the protected-mode kernel (the bzImage past its setup) */
	uint64_t kernel_entry; /* its 64-bit entry, kernel_gpa + 0x200 */
	uint64_t kernel_end;   /* kernel_gpa + init_size */
	uint64_t initrd_gpa, initrd_len;
	uint64_t boot_params_gpa, cmdline_gpa, rsdp_gpa;
	size_t acpi_len;       /* bytes of ACPI tables from rsdp_gpa */
	unsigned int nr_pages; /* pages added and measured, the reset page included */
	unsigned int nr_e820;
	struct {
		uint64_t addr, size;
		uint32_t type; /* TDXSIM_LINUX_E820_* */
	} e820[TDXSIM_LINUX_E820_MAX];
	uint8_t mrtd[48]; /* PAGE.ADD and MR.EXTEND of every page, as the module computes */
};

/*
 * Build the TD image of kernel (a bzImage, boot protocol >= 2.12 with a 64-bit entry), initrd
 * (NULL: none) and cmdline for a TD of memory bytes and vcpus vCPUs, and describe it in *out.
 * 0, or a negative errno with the reason in err ("vmlinuz: not a Linux bzImage ...", "the
 * kernel needs memory up to 0x...").
 */
int tdxsim_linux_measure(const char *kernel, const char *initrd, const char *cmdline,
			 uint64_t memory, unsigned int vcpus, struct tdxsim_linux_info *out,
			 char *err, size_t errlen);

/*
 * Build that image into a TD (the same pages, so vmm_td_mrtd() reads the MRTD
 * tdxsim_linux_measure() predicts) on a booted machine (tdxsim_boot), with cfg's memory_size,
 * nr_vcpus, ATTRIBUTES, XFAM and CPUID configuration. Running it needs the system CPU backend
 * (docs/SYSTEM.md); on the native one the kernel cannot run. 0, or a negative errno with the
 * reason in err, as vmm_td_create().
 */
int tdxsim_linux_td_create(const struct vmm_td_config *cfg, const char *kernel, const char *initrd,
			   const char *cmdline, struct vmm_td **out, char *err, size_t errlen);

#endif /* TDXSIM_LINUX_H */
