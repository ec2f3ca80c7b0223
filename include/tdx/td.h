/* SPDX-License-Identifier: MIT */
/*
 * tdx/td.h - TD configuration bits and architectural states: ATTRIBUTES,
 * XFAM, CONFIG_FLAGS, EPTP_CONTROLS, lifecycle / op_state / vCPU state,
 * module init states, PAMT page types, page levels and the GPA|level
 * operand, KeyIDs, and the measurement constants.
 *
 * Sources: [M] = intel/tdx-module TDX_1.5.01 (file noted per item);
 * [L] = Linux arch/x86/include/asm/shared/tdx.h, asm/tdx.h,
 * arch/x86/virt/vmx/tdx/tdx.{c,h}, arch/x86/kvm/vmx/tdx_arch.h.
 */
#ifndef TDX_TD_H
#define TDX_TD_H

#include <stdbool.h>
#include <stdint.h>

/* ---- TD ATTRIBUTES (TD_PARAMS.ATTRIBUTES, TDINFO) [L shared/tdx.h; M td_param_attributes_t] */
#define TDX_TD_ATTR_DEBUG_BIT		0
#define TDX_TD_ATTR_HGS_PLUS_PROF_BIT	4
#define TDX_TD_ATTR_PERF_PROF_BIT	5
#define TDX_TD_ATTR_PMT_PROF_BIT	6
#define TDX_TD_ATTR_ICSSD_BIT		16
#define TDX_TD_ATTR_LASS_BIT		27
#define TDX_TD_ATTR_SEPT_VE_DISABLE_BIT 28
#define TDX_TD_ATTR_MIGRATABLE_BIT	29
#define TDX_TD_ATTR_PKS_BIT		30
#define TDX_TD_ATTR_KL_BIT		31
#define TDX_TD_ATTR_TPA_BIT		62
#define TDX_TD_ATTR_PERFMON_BIT		63
#define TDX_TD_ATTR_DEBUG		(1ULL << TDX_TD_ATTR_DEBUG_BIT)
#define TDX_TD_ATTR_HGS_PLUS_PROF	(1ULL << TDX_TD_ATTR_HGS_PLUS_PROF_BIT)
#define TDX_TD_ATTR_PERF_PROF		(1ULL << TDX_TD_ATTR_PERF_PROF_BIT)
#define TDX_TD_ATTR_PMT_PROF		(1ULL << TDX_TD_ATTR_PMT_PROF_BIT)
#define TDX_TD_ATTR_ICSSD		(1ULL << TDX_TD_ATTR_ICSSD_BIT)
#define TDX_TD_ATTR_LASS		(1ULL << TDX_TD_ATTR_LASS_BIT)
#define TDX_TD_ATTR_SEPT_VE_DISABLE	(1ULL << TDX_TD_ATTR_SEPT_VE_DISABLE_BIT)
#define TDX_TD_ATTR_MIGRATABLE		(1ULL << TDX_TD_ATTR_MIGRATABLE_BIT)
#define TDX_TD_ATTR_PKS			(1ULL << TDX_TD_ATTR_PKS_BIT)
#define TDX_TD_ATTR_KL			(1ULL << TDX_TD_ATTR_KL_BIT)
#define TDX_TD_ATTR_TPA			(1ULL << TDX_TD_ATTR_TPA_BIT)
#define TDX_TD_ATTR_PERFMON		(1ULL << TDX_TD_ATTR_PERFMON_BIT)

/*
 * Values 1.5.01 reports for the *_FIXED0/1 metadata [ABI §8]: a 0 in
 * FIXED0 must be 0 in the TD's value, a 1 in FIXED1 must be 1. Names ours.
 * XFAM_FIXED0 is 0x6DBE7 masked by what the CPU supports.
 */
#define TDX_1_5_ATTRIBUTES_FIXED0                                                                  \
	(TDX_TD_ATTR_DEBUG | TDX_TD_ATTR_SEPT_VE_DISABLE | TDX_TD_ATTR_MIGRATABLE |                \
	 TDX_TD_ATTR_PKS | TDX_TD_ATTR_PERFMON)
#define TDX_1_5_ATTRIBUTES_FIXED1   0ULL
#define TDX_1_5_XFAM_FIXED0	    0x000000000006DBE7ULL
#define TDX_1_5_XFAM_FIXED1	    0x0000000000000003ULL
#define TDX_1_5_CONFIG_FLAGS_FIXED0 0x0000000000000007ULL
#define TDX_1_5_CONFIG_FLAGS_FIXED1 0ULL
#define TDX_1_5_NUM_CPUID_CONFIG    12

/*
 * ---- XFAM: the XCR0 | IA32_XSS bit format; x87 and SSE are always set
 * [M; ABI §10]. A few bits by name (our names, after the XSAVE features).
 */
#define TDX_XFAM_X87	(1ULL << 0)
#define TDX_XFAM_SSE	(1ULL << 1)
#define TDX_XFAM_AVX	(1ULL << 2)
#define TDX_XFAM_AVX512 (7ULL << 5) /* opmask, ZMM_Hi256, Hi16_ZMM */
#define TDX_XFAM_PT	(1ULL << 8)
#define TDX_XFAM_PKRU	(1ULL << 9)
#define TDX_XFAM_CET	(3ULL << 11) /* CET_U, CET_S */
#define TDX_XFAM_AMX	(3ULL << 17) /* XTILECFG, XTILEDATA */

/* ---- TD_PARAMS.CONFIG_FLAGS (also TDCS CONFIG_FLAGS) [M config_flags_t; L] */
#define TDX_CONFIG_FLAGS_GPAW		     (1ULL << 0) /* KVM: TDX_CONFIG_FLAGS_MAX_GPAW */
#define TDX_CONFIG_FLAGS_FLEXIBLE_PENDING_VE (1ULL << 1)
#define TDX_CONFIG_FLAGS_NO_RBP_MOD	     (1ULL << 2)

/* ---- TD_PARAMS.EPTP_CONTROLS [M eptp_controls_t] */
#define TDX_EPTP_MT_MASK      0x7ULL /* bits 2:0 memory type */
#define TDX_EPTP_MT_WB	      6
#define TDX_EPTP_PWL_SHIFT    3 /* bits 5:3 = walk length - 1 */
#define TDX_EPTP_PWL_MASK     (0x7ULL << TDX_EPTP_PWL_SHIFT)
#define TDX_EPTP_PWL_4	      3 /* 4-level EPT */
#define TDX_EPTP_PWL_5	      4 /* 5-level EPT */
#define TDX_EPTP_AD_ENABLE    (1ULL << 6)
#define TDX_EPTP_SSS_ENABLE   (1ULL << 7)
#define TDX_EPTP_BASE_PA_MASK 0x000FFFFFFFFFF000ULL /* set by the module */

static inline uint64_t tdx_eptp_controls(unsigned int mem_type, unsigned int levels)
{
	return ((uint64_t)mem_type & TDX_EPTP_MT_MASK) |
	       (((uint64_t)(levels - 1) << TDX_EPTP_PWL_SHIFT) & TDX_EPTP_PWL_MASK);
}

static inline unsigned int tdx_eptp_levels(uint64_t eptp)
{
	return (unsigned int)((eptp & TDX_EPTP_PWL_MASK) >> TDX_EPTP_PWL_SHIFT) + 1;
}

/* ---- TD_PARAMS.TSC_FREQUENCY: units of 25 MHz, 100 MHz .. 10 GHz [M] */
#define TDX_TSC_FREQ_UNIT_HZ 25000000ULL
#define TDX_TSC_FREQ_MIN     4	 /* 100 MHz */
#define TDX_TSC_FREQ_MAX     400 /* 10 GHz */

/* ---- TD_PARAMS.MSR_CONFIG_CTLS [M] */
#define TDX_MSR_CONFIG_CTLS_IA32_ARCH_CAP (1U << 0)

/* ---- GPA width and the shared bit [M x86_defs.h; L kvm tdx_arch.h] */
#define TDX_MAX_PA  52
#define TDX_GPAW_52 52 /* CONFIG_FLAGS.GPAW = 1 */
#define TDX_GPAW_48 48 /* CONFIG_FLAGS.GPAW = 0 */

/* GPAW from TD_PARAMS.CONFIG_FLAGS (the guest SDK's tdx_gpaw() asks TDG.VP.INFO). */
static inline unsigned int tdx_config_gpaw(uint64_t config_flags)
{
	return (config_flags & TDX_CONFIG_FLAGS_GPAW) ? TDX_GPAW_52 : TDX_GPAW_48;
}

/* The SHARED bit is GPA bit GPAW - 1 (51 or 47). */
static inline uint64_t tdx_shared_bit(unsigned int gpaw)
{
	return 1ULL << (gpaw - 1);
}

/* ---- TDG.VP.INFO outputs [M tdg_vp_info.c] */
#define TDG_VP_INFO_GPAW_MASK	     0x3FULL	 /* RCX[5:0] */
#define TDG_VP_INFO_SYS_RD_AVAILABLE (1ULL << 0) /* R10 bit 0 */

/* ---- TDG.VP.CPUIDVE.SET, RCX [M tdg_vp_cpuidve_set.c]; names ours */
#define TDG_CPUIDVE_SUPERVISOR (1ULL << 0) /* #VE on every CPUID at CPL 0 */
#define TDG_CPUIDVE_USER       (1ULL << 1) /* ... at CPL > 0 */

/* ---- TD lifecycle in the TDR [M td_control_structures.h] */
#define TD_HKID_ASSIGNED   0
#define TD_KEYS_CONFIGURED 1
#define TD_BLOCKED	   2
#define TD_TEARDOWN	   3

/* ---- TDCS op_state [M op_state_lookup.h]; 3..10 are for migration */
#define OP_STATE_UNINITIALIZED 0
#define OP_STATE_INITIALIZED   1
#define OP_STATE_RUNNABLE      2
#define OP_STATE_LIVE_EXPORT   3
#define OP_STATE_PAUSED_EXPORT 4
#define OP_STATE_POST_EXPORT   5
#define OP_STATE_MEMORY_IMPORT 6
#define OP_STATE_STATE_IMPORT  7
#define OP_STATE_POST_IMPORT   8
#define OP_STATE_LIVE_IMPORT   9
#define OP_STATE_FAILED_IMPORT 10

/* ---- vCPU state in the TDVPS [M tdx_tdvps.h] */
#define VCPU_UNINITIALIZED 0x0
#define VCPU_READY	   0x2
#define VCPU_ACTIVE	   0x4
#define VCPU_DISABLED	   0x8

/* ---- Module (system) init states [M tdx_global_data.h] */
#define SYSINIT_PENDING 0
#define SYSINIT_DONE	1
#define SYSCONFIG_DONE	2
#define SYS_READY	3
#define SYS_SHUTDOWN	4

/* ---- PAMT page types [M pamt_manager.h]; PAMT pages themselves read as RSVD */
#define PT_NDA	 0
#define PT_RSVD	 1
#define PT_REG	 3
#define PT_TDR	 4
#define PT_TDCX	 5
#define PT_TDVPR 6
#define PT_EPT	 8

/* PAMT entry: 16 bytes at every level [M pamt_manager.h]. */
#define TDX_PAMT_ENTRY_SIZE 16

/* ---- Page sizes / SEPT levels [L asm/shared/tdx.h; M page_size_api_input_t] */
#define TDX_PS_4K 0
#define TDX_PS_2M 1
#define TDX_PS_1G 2
#define TDX_PS_NR (TDX_PS_1G + 1)

#define TDX_PAGE_SIZE 4096ULL

/* Bytes mapped by one entry at a level: 4 KiB, 2 MiB, 1 GiB. */
static inline uint64_t tdx_ps_bytes(unsigned int level)
{
	return TDX_PAGE_SIZE << (9 * level);
}

/*
 * GPA|level operand (RCX of SEPT/page leaves, TDG.MEM.PAGE.ACCEPT)
 * [M page_info_api_input_t]: bits 2:0 level, 11:3 zero, 51:12 GPA,
 * 63:52 zero.
 */
#define TDX_GPA_LEVEL_MASK	    0x7ULL
#define TDX_GPA_MASK		    0x000FFFFFFFFFF000ULL
#define TDX_GPA_LEVEL_RESERVED_MASK (~(TDX_GPA_MASK | TDX_GPA_LEVEL_MASK))

static inline uint64_t tdx_gpa_level(uint64_t gpa, unsigned int level)
{
	return (gpa & TDX_GPA_MASK) | ((uint64_t)level & TDX_GPA_LEVEL_MASK);
}

static inline uint64_t tdx_gpa_level_gpa(uint64_t word)
{
	return word & TDX_GPA_MASK;
}

static inline unsigned int tdx_gpa_level_level(uint64_t word)
{
	return (unsigned int)(word & TDX_GPA_LEVEL_MASK);
}

static inline bool tdx_gpa_level_reserved_set(uint64_t word)
{
	return (word & TDX_GPA_LEVEL_RESERVED_MASK) != 0;
}

/* ---- HKIDs [M hkid_api_input_t; L] */
#define TDX_HKID_MASK 0xFFFFULL /* bits 63:16 must be 0 */

/* MSR 0x87: bits 31:0 MKTME KeyIDs, 63:32 TDX KeyIDs; TDX KeyIDs start at nr_mktme + 1 [L tdx.c]. */
#define MSR_IA32_MKTME_KEYID_PARTITIONING 0x00000087

static inline uint32_t tdx_keyid_part_nr_mktme(uint64_t msr)
{
	return (uint32_t)msr;
}

static inline uint32_t tdx_keyid_part_nr_tdx(uint64_t msr)
{
	return (uint32_t)(msr >> 32);
}

/* ---- Initial vCPU state set by TDH.VP.INIT [M tdh_vp_init.c, td_vmcs_init.c] */
#define TDX_VP_INIT_RIP 0xFFFFFFF0ULL

/*
 * ---- Measurement [M tdh_mem_page_add.c, tdh_mr_extend.c; L kvm tdx_arch.h]
 * MRTD is SHA-384 over 128-byte blocks: ASCII tag zero-padded to 16 bytes,
 * the GPA as u64 LE at byte 16, zeros to 128. MR.EXTEND follows its block
 * with the 256 bytes of page content; PAGE.ADD hashes no content.
 */
#define TDX_MR_BLOCK_SIZE	128
#define TDX_MR_TAG_SIZE		16
#define TDX_MR_GPA_OFFSET	16
#define TDX_MR_TAG_MEM_PAGE_ADD "MEM.PAGE.ADD"
#define TDX_MR_TAG_MR_EXTEND	"MR.EXTEND"
#define TDX_EXTENDMR_CHUNKSIZE	256
#define TDX_SHA384_SIZE		48
#define TDX_NUM_RTMRS		4

#endif /* TDX_TD_H */
