// SPDX-License-Identifier: MIT
/*
 * TDH.SYS.INFO (leaf 32), legacy: fill TDSYSINFO_STRUCT and the CMR_INFO array
 * [ABI §1.1, §8; TDX module 1.5.01 tdh_sys_info.c]. Linux now uses TDH.SYS.RD instead;
 * the struct says so (SYS_RD = 1).
 *
 * RCX = TDSYSINFO PA (1 KiB aligned), RDX = its size (>= 1024), R8 = CMR_INFO PA (aligned
 * to 32 entries x 16 B), R9 = entries (>= 32). Outputs RDX = 1024 and R9 = 32 on success,
 * both 0 otherwise. As in the module, TDSYSINFO is zeroed before the CMR array is checked.
 */
#include <string.h>

#include "module.h"

/* TDSYSINFO_STRUCT offsets [M td_sys_info_t; ABI §8]. */
#define SI_VENDOR_ID	     4
#define SI_BUILD_DATE	     8
#define SI_BUILD_NUM	     12
#define SI_MINOR	     14
#define SI_MAJOR	     16
#define SI_SYS_RD	     18
#define SI_MAX_TDMRS	     32
#define SI_MAX_RSVD	     34
#define SI_PAMT_ENTRY_SIZE   36
#define SI_TDCS_BASE_SIZE    48
#define SI_TDVPS_BASE_SIZE   52
#define SI_ATTRIBUTES_FIXED0 64
#define SI_ATTRIBUTES_FIXED1 72
#define SI_XFAM_FIXED0	     80
#define SI_XFAM_FIXED1	     88
#define SI_NUM_CPUID_CONFIG  128
#define SI_CPUID_CONFIG	     132
#define SI_CPUID_CONFIG_SIZE 24
#define CMR_INFO_ENTRY_SIZE  16

static void put(uint8_t *p, unsigned int off, uint64_t v, unsigned int bytes)
{
	memcpy(p + off, &v, bytes);
}

void tdh_sys_info_defaults(uint64_t *regs)
{
	regs[REG_RDX_] = 0;
	regs[REG_R9_] = 0;
}

static void fill_sysinfo(uint8_t *si)
{
	put(si, SI_VENDOR_ID, 0x8086, 4);
	put(si, SI_BUILD_DATE, md_build_date(), 4);
	put(si, SI_BUILD_NUM, md_build_num(), 2);
	put(si, SI_MINOR, md_minor_version(), 2);
	put(si, SI_MAJOR, md_major_version(), 2);
	put(si, SI_SYS_RD, 1, 1);
	put(si, SI_MAX_TDMRS, MAX_TDMRS, 2);
	put(si, SI_MAX_RSVD, MAX_RESERVED_AREAS, 2);
	put(si, SI_PAMT_ENTRY_SIZE, PAMT_ENTRY_SIZE, 2);
	put(si, SI_TDCS_BASE_SIZE, TDCS_BASE_SIZE, 2);
	put(si, SI_TDVPS_BASE_SIZE, TDVPS_BASE_SIZE, 2);
	put(si, SI_ATTRIBUTES_FIXED0, md_attributes_fixed0(), 8);
	put(si, SI_ATTRIBUTES_FIXED1, md_attributes_fixed1(), 8);
	put(si, SI_XFAM_FIXED0, md_xfam_fixed0(), 8);
	put(si, SI_XFAM_FIXED1, md_xfam_fixed1(), 8);
	put(si, SI_NUM_CPUID_CONFIG, NUM_CPUID_CONFIG, 4);
	for (unsigned int i = 0; i < NUM_CPUID_CONFIG; i++) {
		unsigned int off = SI_CPUID_CONFIG + i * SI_CPUID_CONFIG_SIZE;
		uint32_t v[4];

		md_cpuid_config_values(i, true, v);
		put(si, off, md_cpuid_config_leaf(i), 8);
		for (int r = 0; r < 4; r++)
			put(si, off + 8 + 4 * (unsigned int)r, v[r], 4);
	}
}

uint64_t tdh_sys_info_leaf(uint64_t *regs, unsigned int version, unsigned int lp)
{
	uint64_t si_pa = regs[REG_RCX_], si_size = regs[REG_RDX_];
	uint64_t cmr_pa = regs[REG_R8_], cmr_entries = regs[REG_R9_];
	uint8_t *si, *cmr;

	(void)version;
	tdh_sys_info_defaults(regs);

	if (!lp_is_init(lp))
		return TDX_SYS_LP_INIT_NOT_DONE;
	if (!shared_hpa_ok(si_pa, 1024))
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX;
	if (si_size < SYSINFO_STRUCT_SIZE)
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_RDX;
	si = seam_map(si_pa, SYSINFO_STRUCT_SIZE);
	if (!si)
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX;
	memset(si, 0, SYSINFO_STRUCT_SIZE);

	if (!shared_hpa_ok(cmr_pa, MAX_CMRS * CMR_INFO_ENTRY_SIZE))
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_R8;
	if (cmr_entries < MAX_CMRS)
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_R9;
	cmr = seam_map(cmr_pa, MAX_CMRS * CMR_INFO_ENTRY_SIZE);
	if (!cmr)
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_R8;

	fill_sysinfo(si);
	for (unsigned int i = 0; i < MAX_CMRS; i++) {
		struct cmr c = i < tdxm.nr_cmrs ? tdxm.cmr[i] : (struct cmr){0, 0};

		put(cmr, i * CMR_INFO_ENTRY_SIZE, c.base, 8);
		put(cmr, i * CMR_INFO_ENTRY_SIZE + 8, c.size, 8);
	}
	regs[REG_RDX_] = SYSINFO_STRUCT_SIZE;
	regs[REG_R9_] = MAX_CMRS;
	return TDX_SUCCESS;
}
