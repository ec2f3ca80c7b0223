/* SPDX-License-Identifier: MIT */
/*
 * tdx/structs.h - memory structures exchanged with the TDX module:
 * TDMR_INFO, CMR_INFO, TDSYSINFO_STRUCT (legacy), TD_PARAMS, CPUID
 * configuration entries and TDREPORT_STRUCT.
 *
 * All little-endian, with no implicit padding. Each struct is packed and
 * 8-byte aligned (so member addresses stay naturally aligned and
 * -Waddress-of-packed-member stays quiet); every size and offset the
 * sources give is asserted below. Where a structure must be placed at a
 * larger alignment in memory, a *_ALIGNMENT constant says so.
 *
 * Sources: [M] = intel/tdx-module TDX_1.5.01 include/tdx_api_defs.h;
 * [L] = Linux arch/x86/virt/vmx/tdx/tdx.h, arch/x86/kvm/vmx/tdx_arch.h.
 */
#ifndef TDX_STRUCTS_H
#define TDX_STRUCTS_H

#include <stddef.h>
#include <stdint.h>

#define __tdx_abi_struct __attribute__((packed, aligned(8)))

#define TDX_STRUCT_CHECK(type, size) _Static_assert(sizeof(type) == (size), #type " size")
#define TDX_FIELD_CHECK(type, member, off)                                                         \
	_Static_assert(offsetof(type, member) == (off), #type "." #member " offset")

/* ---- TDMR_INFO (input to TDH.SYS.CONFIG) [M tdmr_info_entry_t; L struct tdmr_info] */
#define MAX_TDMRS		     64
#define MAX_RESERVED_PER_TDMR	     16
#define TDMR_INFO_ALIGNMENT	     512	  /* [L]: each entry placed 512-aligned */
#define TDMR_INFO_PA_ARRAY_ALIGNMENT 512	  /* [L; M TDMR_INFO_ENTRY_PTR_ARRAY_ALIGNMENT] */
#define TDMR_ALIGNMENT		     (1ULL << 30) /* TDMR base and size: 1 GiB */

struct tdmr_reserved_area {
	uint64_t offset; /* from the TDMR base, 4 KiB aligned */
	uint64_t size;	 /* 4 KiB aligned; 0 = null entry, only nulls may follow */
} __tdx_abi_struct;

struct tdmr_info {
	uint64_t base;
	uint64_t size;
	uint64_t pamt_1g_base;
	uint64_t pamt_1g_size;
	uint64_t pamt_2m_base;
	uint64_t pamt_2m_size;
	uint64_t pamt_4k_base;
	uint64_t pamt_4k_size;
	struct tdmr_reserved_area reserved_areas[MAX_RESERVED_PER_TDMR];
} __tdx_abi_struct;

TDX_STRUCT_CHECK(struct tdmr_reserved_area, 16);
TDX_STRUCT_CHECK(struct tdmr_info, 64 + 16 * MAX_RESERVED_PER_TDMR);
TDX_FIELD_CHECK(struct tdmr_info, base, 0);
TDX_FIELD_CHECK(struct tdmr_info, size, 8);
TDX_FIELD_CHECK(struct tdmr_info, pamt_1g_base, 16);
TDX_FIELD_CHECK(struct tdmr_info, pamt_1g_size, 24);
TDX_FIELD_CHECK(struct tdmr_info, pamt_2m_base, 32);
TDX_FIELD_CHECK(struct tdmr_info, pamt_2m_size, 40);
TDX_FIELD_CHECK(struct tdmr_info, pamt_4k_base, 48);
TDX_FIELD_CHECK(struct tdmr_info, pamt_4k_size, 56);
TDX_FIELD_CHECK(struct tdmr_info, reserved_areas, 64);

/* ---- CMR_INFO entry (TDH.SYS.INFO output array) [M cmr_info_entry_t] */
#define MAX_CMR			 32
#define CMR_INFO_ARRAY_ALIGNMENT 512

struct cmr_info {
	uint64_t base;
	uint64_t size; /* 0 = null entry */
} __tdx_abi_struct;

TDX_STRUCT_CHECK(struct cmr_info, 16);
TDX_FIELD_CHECK(struct cmr_info, base, 0);
TDX_FIELD_CHECK(struct cmr_info, size, 8);

/* ---- CPUID configuration [M cpuid_config_t; L struct tdx_cpuid_config / tdx_cpuid_value] */
#define TDX_CPUID_NO_SUBLEAF 0xFFFFFFFFU /* subleaf "not applicable" */

/* TDSYSINFO_STRUCT entry: which leaf/subleaf, and which bits are configurable. */
struct tdx_cpuid_config {
	uint32_t leaf;
	uint32_t sub_leaf;
	uint32_t eax;
	uint32_t ebx;
	uint32_t ecx;
	uint32_t edx;
} __attribute__((packed, aligned(4)));

TDX_STRUCT_CHECK(struct tdx_cpuid_config, 24);
TDX_FIELD_CHECK(struct tdx_cpuid_config, leaf, 0);
TDX_FIELD_CHECK(struct tdx_cpuid_config, sub_leaf, 4);
TDX_FIELD_CHECK(struct tdx_cpuid_config, eax, 8);
TDX_FIELD_CHECK(struct tdx_cpuid_config, ebx, 12);
TDX_FIELD_CHECK(struct tdx_cpuid_config, ecx, 16);
TDX_FIELD_CHECK(struct tdx_cpuid_config, edx, 20);

/* TD_PARAMS entry: the values, in the order of CPUID_CONFIG_LEAVES. */
struct tdx_cpuid_value {
	uint32_t eax;
	uint32_t ebx;
	uint32_t ecx;
	uint32_t edx;
} __attribute__((packed, aligned(4)));

TDX_STRUCT_CHECK(struct tdx_cpuid_value, 16);
TDX_FIELD_CHECK(struct tdx_cpuid_value, eax, 0);
TDX_FIELD_CHECK(struct tdx_cpuid_value, ebx, 4);
TDX_FIELD_CHECK(struct tdx_cpuid_value, ecx, 8);
TDX_FIELD_CHECK(struct tdx_cpuid_value, edx, 12);

/*
 * ---- TDSYSINFO_STRUCT (legacy TDH.SYS.INFO output, 1024 B, 1024-aligned)
 * [M td_sys_info_t]. Linux no longer uses it; metadata replaces it.
 */
#define TDSYSINFO_STRUCT_SIZE	    1024
#define TDSYSINFO_STRUCT_ALIGNMENT  1024
#define TDSYSINFO_MAX_CPUID_CONFIG  ((TDSYSINFO_STRUCT_SIZE - 132) / 24) /* 37 */
#define TDSYSINFO_ATTR_DEBUG_MODULE (1U << 31)

struct td_sys_info {
	/* module info */
	uint32_t attributes; /* bit 31: debug module */
	uint32_t vendor_id;  /* 0x8086 */
	uint32_t build_date; /* BCD yyyymmdd */
	uint16_t build_num;
	uint16_t minor_version;
	uint16_t major_version;
	uint8_t sys_rd; /* 1.5: TDH.SYS.RD available */
	uint8_t reserved0[13];
	/* memory info */
	uint16_t max_tdmrs;
	uint16_t max_reserved_per_tdmr;
	uint16_t pamt_entry_size;
	uint8_t reserved1[10];
	/* control structure info */
	uint16_t tdcs_base_size;
	uint8_t reserved2[2];
	uint16_t tdvps_base_size;
	uint8_t tdvps_xfam_dependent_size;
	uint8_t reserved3[9];
	/* TD capabilities */
	uint64_t attributes_fixed0;
	uint64_t attributes_fixed1;
	uint64_t xfam_fixed0;
	uint64_t xfam_fixed1;
	uint8_t reserved4[32];
	uint32_t num_cpuid_config;
	struct tdx_cpuid_config cpuid_configs[TDSYSINFO_MAX_CPUID_CONFIG];
	uint8_t reserved5[TDSYSINFO_STRUCT_SIZE - 132 - 24 * TDSYSINFO_MAX_CPUID_CONFIG];
} __tdx_abi_struct;

TDX_STRUCT_CHECK(struct td_sys_info, TDSYSINFO_STRUCT_SIZE);
TDX_FIELD_CHECK(struct td_sys_info, attributes, 0);
TDX_FIELD_CHECK(struct td_sys_info, vendor_id, 4);
TDX_FIELD_CHECK(struct td_sys_info, build_date, 8);
TDX_FIELD_CHECK(struct td_sys_info, build_num, 12);
TDX_FIELD_CHECK(struct td_sys_info, minor_version, 14);
TDX_FIELD_CHECK(struct td_sys_info, major_version, 16);
TDX_FIELD_CHECK(struct td_sys_info, sys_rd, 18);
TDX_FIELD_CHECK(struct td_sys_info, max_tdmrs, 32);
TDX_FIELD_CHECK(struct td_sys_info, max_reserved_per_tdmr, 34);
TDX_FIELD_CHECK(struct td_sys_info, pamt_entry_size, 36);
TDX_FIELD_CHECK(struct td_sys_info, tdcs_base_size, 48);
TDX_FIELD_CHECK(struct td_sys_info, tdvps_base_size, 52);
TDX_FIELD_CHECK(struct td_sys_info, tdvps_xfam_dependent_size, 54);
TDX_FIELD_CHECK(struct td_sys_info, attributes_fixed0, 64);
TDX_FIELD_CHECK(struct td_sys_info, attributes_fixed1, 72);
TDX_FIELD_CHECK(struct td_sys_info, xfam_fixed0, 80);
TDX_FIELD_CHECK(struct td_sys_info, xfam_fixed1, 88);
TDX_FIELD_CHECK(struct td_sys_info, num_cpuid_config, 128);
TDX_FIELD_CHECK(struct td_sys_info, cpuid_configs, 132);

/* ---- TD_PARAMS (input to TDH.MNG.INIT; 1024 B, 1024-aligned) [M td_params_t; L struct td_params] */
#define TD_PARAMS_SIZE		      1024
#define TD_PARAMS_ALIGNMENT	      1024
#define TD_PARAMS_CPUID_VALUES_OFFSET 256
#define TD_PARAMS_MAX_CPUID_VALUES    ((TD_PARAMS_SIZE - TD_PARAMS_CPUID_VALUES_OFFSET) / 16)

struct td_params {
	uint64_t attributes; /* TDX_TD_ATTR_* */
	uint64_t xfam;
	uint16_t max_vcpus;
	uint8_t num_l2_vms;
	uint8_t msr_config_ctls; /* bit 0: IA32_ARCH_CAPABILITIES config */
	uint8_t reserved0[4];
	uint64_t eptp_controls; /* tdx_eptp_controls() */
	uint64_t config_flags;	/* TDX_CONFIG_FLAGS_* */
	uint16_t tsc_frequency; /* units of 25 MHz */
	uint8_t reserved1[38];
	uint8_t mrconfigid[48];
	uint8_t mrowner[48];
	uint8_t mrownerconfig[48];
	uint64_t ia32_arch_capabilities_config;
	uint8_t reserved2[24];
	/* NUM_CPUID_CONFIG entries are used; the rest must be 0. */
	struct tdx_cpuid_value cpuid_values[TD_PARAMS_MAX_CPUID_VALUES];
} __tdx_abi_struct;

TDX_STRUCT_CHECK(struct td_params, TD_PARAMS_SIZE);
TDX_FIELD_CHECK(struct td_params, attributes, 0);
TDX_FIELD_CHECK(struct td_params, xfam, 8);
TDX_FIELD_CHECK(struct td_params, max_vcpus, 16);
TDX_FIELD_CHECK(struct td_params, num_l2_vms, 18);
TDX_FIELD_CHECK(struct td_params, msr_config_ctls, 19);
TDX_FIELD_CHECK(struct td_params, reserved0, 20);
TDX_FIELD_CHECK(struct td_params, eptp_controls, 24);
TDX_FIELD_CHECK(struct td_params, config_flags, 32);
TDX_FIELD_CHECK(struct td_params, tsc_frequency, 40);
TDX_FIELD_CHECK(struct td_params, reserved1, 42);
TDX_FIELD_CHECK(struct td_params, mrconfigid, 80);
TDX_FIELD_CHECK(struct td_params, mrowner, 128);
TDX_FIELD_CHECK(struct td_params, mrownerconfig, 176);
TDX_FIELD_CHECK(struct td_params, ia32_arch_capabilities_config, 224);
TDX_FIELD_CHECK(struct td_params, reserved2, 232);
TDX_FIELD_CHECK(struct td_params, cpuid_values, TD_PARAMS_CPUID_VALUES_OFFSET);

/* ---- TDREPORT_STRUCT (TDG.MR.REPORT output; 1024 B, 1024-aligned) [M td_report_t] */
#define TDX_REPORT_TYPE			0x81 /* TDX */
#define TDX_REPORT_SUBTYPE		0
#define TDX_REPORT_VERSION_NO_SERVTDS	0
#define TDX_REPORT_VERSION_WITH_SERVTDS 1
#define TDX_REPORTDATA_LEN		64
#define TDX_REPORTDATA_ALIGNMENT	64
#define TDX_REPORT_LEN			1024
#define TDX_REPORT_ALIGNMENT		1024
#define TDX_CPUSVN_SIZE			16
#define TDX_MAC_SIZE			32

struct reporttype {
	uint8_t type; /* 0x81 = TDX */
	uint8_t subtype;
	uint8_t version;
	uint8_t reserved;
} __attribute__((packed));

TDX_STRUCT_CHECK(struct reporttype, 4);

/* REPORTMACSTRUCT, common to SGX and TDX (256 B). */
struct reportmac {
	struct reporttype reporttype;
	uint8_t reserved0[12];
	uint8_t cpusvn[TDX_CPUSVN_SIZE];
	uint8_t tee_tcb_info_hash[48]; /* SHA-384 of TEE_TCB_INFO */
	uint8_t tee_info_hash[48];     /* SHA-384 of TDINFO (all 512 bytes) */
	uint8_t reportdata[TDX_REPORTDATA_LEN];
	uint8_t reserved1[32];
	uint8_t mac[TDX_MAC_SIZE];
} __tdx_abi_struct;

TDX_STRUCT_CHECK(struct reportmac, 256);
TDX_FIELD_CHECK(struct reportmac, reporttype, 0);
TDX_FIELD_CHECK(struct reportmac, reserved0, 4);
TDX_FIELD_CHECK(struct reportmac, cpusvn, 16);
TDX_FIELD_CHECK(struct reportmac, tee_tcb_info_hash, 32);
TDX_FIELD_CHECK(struct reportmac, tee_info_hash, 80);
TDX_FIELD_CHECK(struct reportmac, reportdata, 128);
TDX_FIELD_CHECK(struct reportmac, reserved1, 192);
TDX_FIELD_CHECK(struct reportmac, mac, 224);

/*
 * TEE_TCB_INFO: 256 B in 1.5.01. (The ABI spec's later layout with
 * TEE_TCB_SVN2 is UNCONFIRMED here and not modelled.) Bit i of valid says
 * the field at byte 8*i is populated.
 */
struct tee_tcb_info {
	uint64_t valid;
	uint8_t tee_tcb_svn[16];
	uint8_t mrseam[48];
	uint8_t mrsignerseam[48];
	uint64_t attributes;
	uint8_t reserved[128];
} __tdx_abi_struct;

TDX_STRUCT_CHECK(struct tee_tcb_info, 256);
TDX_FIELD_CHECK(struct tee_tcb_info, valid, 0);
TDX_FIELD_CHECK(struct tee_tcb_info, tee_tcb_svn, 8);
TDX_FIELD_CHECK(struct tee_tcb_info, mrseam, 24);
TDX_FIELD_CHECK(struct tee_tcb_info, mrsignerseam, 72);
TDX_FIELD_CHECK(struct tee_tcb_info, attributes, 120);
TDX_FIELD_CHECK(struct tee_tcb_info, reserved, 128);

/* TDINFO_STRUCT: the TD's attestable properties (512 B). */
struct tdinfo {
	uint64_t attributes;
	uint64_t xfam;
	uint8_t mrtd[48];
	uint8_t mrconfigid[48];
	uint8_t mrowner[48];
	uint8_t mrownerconfig[48];
	uint8_t rtmr[4][48];
	uint8_t servtd_hash[48];
	uint8_t reserved[64];
} __tdx_abi_struct;

TDX_STRUCT_CHECK(struct tdinfo, 512);
TDX_FIELD_CHECK(struct tdinfo, attributes, 0);
TDX_FIELD_CHECK(struct tdinfo, xfam, 8);
TDX_FIELD_CHECK(struct tdinfo, mrtd, 16);
TDX_FIELD_CHECK(struct tdinfo, mrconfigid, 64);
TDX_FIELD_CHECK(struct tdinfo, mrowner, 112);
TDX_FIELD_CHECK(struct tdinfo, mrownerconfig, 160);
TDX_FIELD_CHECK(struct tdinfo, rtmr, 208);
TDX_FIELD_CHECK(struct tdinfo, servtd_hash, 400);
TDX_FIELD_CHECK(struct tdinfo, reserved, 448);

struct tdreport {
	struct reportmac reportmac;
	struct tee_tcb_info tee_tcb_info;
	struct tdinfo tdinfo;
} __tdx_abi_struct;

TDX_STRUCT_CHECK(struct tdreport, TDX_REPORT_LEN);
TDX_FIELD_CHECK(struct tdreport, reportmac, 0);
TDX_FIELD_CHECK(struct tdreport, tee_tcb_info, 256);
TDX_FIELD_CHECK(struct tdreport, tdinfo, 512);
/* Absolute offsets within TDREPORT [ABI §9]. */
TDX_FIELD_CHECK(struct tdreport, reportmac.reportdata, 128);
TDX_FIELD_CHECK(struct tdreport, reportmac.mac, 224);
TDX_FIELD_CHECK(struct tdreport, tee_tcb_info.mrseam, 280);
TDX_FIELD_CHECK(struct tdreport, tee_tcb_info.mrsignerseam, 328);
TDX_FIELD_CHECK(struct tdreport, tee_tcb_info.attributes, 376);
TDX_FIELD_CHECK(struct tdreport, tdinfo.mrtd, 528);
TDX_FIELD_CHECK(struct tdreport, tdinfo.mrconfigid, 576);
TDX_FIELD_CHECK(struct tdreport, tdinfo.mrowner, 624);
TDX_FIELD_CHECK(struct tdreport, tdinfo.mrownerconfig, 672);
TDX_FIELD_CHECK(struct tdreport, tdinfo.rtmr, 720);
TDX_FIELD_CHECK(struct tdreport, tdinfo.servtd_hash, 912);
TDX_FIELD_CHECK(struct tdreport, tdinfo.reserved, 960);

#endif /* TDX_STRUCTS_H */
