/* SPDX-License-Identifier: MIT */
/*
 * tdxsim/tdvf.h - a TD firmware (TDVF: OVMF built for TDX, such as Debian's OVMF_CODE.fd)
 * booted as a TD (docs/LINUX-BOOT.md "TDVF boot"): the TD built from the sections its TDX
 * metadata lists, as the TDVF design guide says - the BFV added and measured, the CFV (the
 * variable store) added, the TD HOB written with the TD's memory map, temporary memory added
 * zeroed, the rest of RAM left unaccepted for the firmware to accept.
 */
#ifndef TDXSIM_TDVF_H
#define TDXSIM_TDVF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tdxsim/vmm.h" /* struct vmm_td_config, struct vmm_td */

#define TDXSIM_TDVF_MAX_SECTIONS 32
#define TDXSIM_TDVF_MAX_RAM	 (2 * TDXSIM_TDVF_MAX_SECTIONS + 1) /* a gap before each, one after */

struct tdxsim_tdvf_info {
	uint64_t image_size; /* the whole firmware image (variables + code) */
	unsigned int nr_sections;
	struct {
		uint64_t gpa, size;
		uint32_t type;	     /* 0 BFV, 1 CFV, 2 TD_HOB, 3 TempMem */
		uint32_t attributes; /* bit 0: MR.EXTEND */
		const char *name;    /* "BFV", "CFV", "TD_HOB", "TempMem" */
	} section[TDXSIM_TDVF_MAX_SECTIONS];
	unsigned int nr_ram; /* the TD HOB's resource descriptors, ascending */
	struct {
		uint64_t addr, size;
		bool accepted; /* added by the build; else unaccepted, for TDVF to accept */
	} ram[TDXSIM_TDVF_MAX_RAM];
	uint64_t hob_gpa;
	size_t hob_len;
	unsigned int nr_pages;	  /* added with TDH.MEM.PAGE.ADD */
	unsigned int nr_measured; /* of which measured with TDH.MR.EXTEND */
	uint8_t mrtd[48];	  /* as the module computes it */
};

/*
 * Build the TD image of firmware (the whole TDVF image, or its code part with vars the variable
 * store that precedes it; vars NULL for a whole image) for a TD of memory bytes, and describe
 * it in *out. 0, or a negative errno with the reason in err.
 */
int tdxsim_tdvf_measure(const char *firmware, const char *vars, uint64_t memory,
			struct tdxsim_tdvf_info *out, char *err, size_t errlen);

/*
 * Build that image into a TD on a booted machine (tdxsim_boot), with cfg's memory_size,
 * nr_vcpus, ATTRIBUTES, XFAM and CPUID configuration; its MRTD (vmm_td_mrtd) is the one
 * tdxsim_tdvf_measure() predicts. Running it needs the system CPU backend (docs/SYSTEM.md).
 * 0, or a negative errno with the reason in err, as vmm_td_create().
 */
int tdxsim_tdvf_td_create(const struct vmm_td_config *cfg, const char *firmware, const char *vars,
			  struct vmm_td **out, char *err, size_t errlen);

#endif /* TDXSIM_TDVF_H */
