/* SPDX-License-Identifier: MIT */
/*
 * tdx/metadata.h - metadata field identifiers (TDH.SYS.RD, TDH.MNG.RD/WR,
 * TDH.VP.RD/WR, TDG.VM.RD/WR, TDG.SYS.RD ...): encoding, helpers and the
 * global (SYS) and TD-scope field IDs tdxsim uses.
 *
 * Sources: [M] = intel/tdx-module TDX_1.5.01 include/tdx_api_defs.h
 * (md_field_id_t, tdx_features_enum0_t), include/auto_gen/
 * global_sys_fields_lookup.{c,h}, src/common/metadata_handlers/
 * metadata_generic.h; [L] = Linux arch/x86/virt/vmx/tdx/tdx.h,
 * tdx_global_metadata.c, arch/x86/kvm/vmx/tdx_arch.h, asm/shared/tdx.h.
 *
 * Field ID layout [M md_field_id_t]:
 *   23:0  field code            (31:24 reserved)
 *   33:32 element size code     0 = 1 B, 1 = 2 B, 2 = 4 B, 3 = 8 B
 *   37:34 last element in field (number of elements - 1)
 *   46:38 last field in sequence (number of fields - 1)
 *   49:47 reserved
 *   50    inc_size
 *   51    write_mask_valid
 *   54:52 context code          0 SYS, 1 TD, 2 VP (ignored on input)
 *   55    reserved
 *   61:56 class code
 *   62    reserved
 *   63    non-architectural
 * Array elements are addressed as the base field code + index.
 */
#ifndef TDX_METADATA_H
#define TDX_METADATA_H

#include <stdbool.h>
#include <stdint.h>

/* The null field ID [M; L MD_FIELD_ID_NA]. */
#define MD_FIELD_ID_NA ((uint64_t)-1)

#define MD_FIELD_ID_FIELD_CODE_SHIFT   0
#define MD_FIELD_ID_FIELD_CODE_MASK    0x0000000000FFFFFFULL
#define MD_FIELD_ID_ELEMENT_SIZE_SHIFT 32
#define MD_FIELD_ID_ELEMENT_SIZE_MASK  (0x3ULL << MD_FIELD_ID_ELEMENT_SIZE_SHIFT)
#define MD_FIELD_ID_LAST_ELEMENT_SHIFT 34
#define MD_FIELD_ID_LAST_ELEMENT_MASK  (0xFULL << MD_FIELD_ID_LAST_ELEMENT_SHIFT)
#define MD_FIELD_ID_LAST_FIELD_SHIFT   38
#define MD_FIELD_ID_LAST_FIELD_MASK    (0x1FFULL << MD_FIELD_ID_LAST_FIELD_SHIFT)
#define MD_FIELD_ID_INC_SIZE	       (1ULL << 50)
#define MD_FIELD_ID_WRITE_MASK_VALID   (1ULL << 51)
#define MD_FIELD_ID_CONTEXT_SHIFT      52
#define MD_FIELD_ID_CONTEXT_MASK       (0x7ULL << MD_FIELD_ID_CONTEXT_SHIFT)
#define MD_FIELD_ID_CLASS_SHIFT	       56
#define MD_FIELD_ID_CLASS_MASK	       (0x3FULL << MD_FIELD_ID_CLASS_SHIFT)
#define MD_FIELD_ID_NON_ARCH	       (1ULL << 63)
/* Bits that must be 0 in a field ID given as input. */
#define MD_FIELD_ID_RESERVED_MASK 0x40838000FF000000ULL

/* Element size codes. */
#define MD_FIELD_ID_ELEMENT_SIZE_8BIT  0
#define MD_FIELD_ID_ELEMENT_SIZE_16BIT 1
#define MD_FIELD_ID_ELEMENT_SIZE_32BIT 2
#define MD_FIELD_ID_ELEMENT_SIZE_64BIT 3

/* Context codes [M metadata_generic.h]. */
#define MD_CTX_SYS 0 /* module-global */
#define MD_CTX_TD  1 /* TD scope: TDR, TDCS */
#define MD_CTX_VP  2 /* vCPU scope: TDVPS, TD VMCS */

/* Classes of the global (SYS) fields [M global_sys_fields_lookup.h]. */
#define MD_SYS_PLATFORM_INFO_CLASS_CODE		0
#define MD_SYS_TDX_MODULE_VERSION_CLASS_CODE	8
#define MD_SYS_TDX_MODULE_HANDOFF_CLASS_CODE	9
#define MD_SYS_TDX_MODULE_INFO_CLASS_CODE	10
#define MD_SYS_CMR_INFO_CLASS_CODE		16
#define MD_SYS_TDMR_INFO_CLASS_CODE		17
#define MD_SYS_TD_CONTROL_STRUCTURES_CLASS_CODE 24
#define MD_SYS_TD_CONFIGURABILITY_CLASS_CODE	25
#define MD_SYS_MIGRATION_CLASS_CODE		32
#define MD_SYS_SERVICE_TD_CLASS_CODE		33
#define MD_SYS_TD_PARTITIONING_CLASS_CODE	34

static inline uint32_t md_field_id_field_code(uint64_t id)
{
	return (uint32_t)(id & MD_FIELD_ID_FIELD_CODE_MASK);
}

static inline unsigned int md_field_id_element_size_code(uint64_t id)
{
	return (unsigned int)((id & MD_FIELD_ID_ELEMENT_SIZE_MASK) >>
			      MD_FIELD_ID_ELEMENT_SIZE_SHIFT);
}

/* Element size in bytes: 1, 2, 4 or 8. */
static inline unsigned int md_field_id_element_size(uint64_t id)
{
	return 1U << md_field_id_element_size_code(id);
}

static inline unsigned int md_field_id_last_element(uint64_t id)
{
	return (unsigned int)((id & MD_FIELD_ID_LAST_ELEMENT_MASK) >>
			      MD_FIELD_ID_LAST_ELEMENT_SHIFT);
}

static inline unsigned int md_field_id_last_field(uint64_t id)
{
	return (unsigned int)((id & MD_FIELD_ID_LAST_FIELD_MASK) >> MD_FIELD_ID_LAST_FIELD_SHIFT);
}

static inline bool md_field_id_inc_size(uint64_t id)
{
	return (id & MD_FIELD_ID_INC_SIZE) != 0;
}

static inline bool md_field_id_write_mask_valid(uint64_t id)
{
	return (id & MD_FIELD_ID_WRITE_MASK_VALID) != 0;
}

static inline unsigned int md_field_id_context(uint64_t id)
{
	return (unsigned int)((id & MD_FIELD_ID_CONTEXT_MASK) >> MD_FIELD_ID_CONTEXT_SHIFT);
}

static inline unsigned int md_field_id_class(uint64_t id)
{
	return (unsigned int)((id & MD_FIELD_ID_CLASS_MASK) >> MD_FIELD_ID_CLASS_SHIFT);
}

static inline bool md_field_id_non_arch(uint64_t id)
{
	return (id & MD_FIELD_ID_NON_ARCH) != 0;
}

/* Is this the null field ID? Context bits are ignored, as on input [ABI §1.1]. */
static inline bool md_field_id_is_null(uint64_t id)
{
	return (id | MD_FIELD_ID_CONTEXT_MASK) == MD_FIELD_ID_NA;
}

/*
 * Compose a field ID. Out-of-range arguments are truncated to their bit
 * fields; the other attributes (last element/field, inc_size,
 * write_mask_valid) can be ORed in with md_field_id_set_*().
 */
static inline uint64_t md_field_id_make(bool non_arch, unsigned int class_code,
					unsigned int context, unsigned int size_code,
					uint32_t field_code)
{
	return (non_arch ? MD_FIELD_ID_NON_ARCH : 0) |
	       (((uint64_t)class_code << MD_FIELD_ID_CLASS_SHIFT) & MD_FIELD_ID_CLASS_MASK) |
	       (((uint64_t)context << MD_FIELD_ID_CONTEXT_SHIFT) & MD_FIELD_ID_CONTEXT_MASK) |
	       (((uint64_t)size_code << MD_FIELD_ID_ELEMENT_SIZE_SHIFT) &
		MD_FIELD_ID_ELEMENT_SIZE_MASK) |
	       ((uint64_t)field_code & MD_FIELD_ID_FIELD_CODE_MASK);
}

static inline uint64_t md_field_id_set_last_element(uint64_t id, unsigned int last)
{
	return (id & ~MD_FIELD_ID_LAST_ELEMENT_MASK) |
	       (((uint64_t)last << MD_FIELD_ID_LAST_ELEMENT_SHIFT) & MD_FIELD_ID_LAST_ELEMENT_MASK);
}

static inline uint64_t md_field_id_set_last_field(uint64_t id, unsigned int last)
{
	return (id & ~MD_FIELD_ID_LAST_FIELD_MASK) |
	       (((uint64_t)last << MD_FIELD_ID_LAST_FIELD_SHIFT) & MD_FIELD_ID_LAST_FIELD_MASK);
}

static inline uint64_t md_field_id_set_context(uint64_t id, unsigned int context)
{
	return (id & ~MD_FIELD_ID_CONTEXT_MASK) |
	       (((uint64_t)context << MD_FIELD_ID_CONTEXT_SHIFT) & MD_FIELD_ID_CONTEXT_MASK);
}

/*
 * Global (SYS context) field IDs [M global_sys_fields_lookup.c]. Names
 * follow Linux (MD_FIELD_ID_<Intel field name>). Fields marked * are read
 * by Linux's tdx_enable() and must succeed [L tdx_global_metadata.c].
 * Values noted are those of 1.5.01.
 */
#define MD_FIELD_ID_NUM_PKGS		  0x0000000200000000ULL
#define MD_FIELD_ID_PKG_FMS		  0x0000000200000001ULL /* [pkg] */
#define MD_FIELD_ID_VENDOR_ID		  0x0800000200000000ULL /* 0x8086 */
#define MD_FIELD_ID_BUILD_DATE		  0x8800000200000001ULL
#define MD_FIELD_ID_BUILD_NUM		  0x8800000100000002ULL
#define MD_FIELD_ID_MINOR_VERSION	  0x0800000100000003ULL /* * */
#define MD_FIELD_ID_MAJOR_VERSION	  0x0800000100000004ULL /* * */
#define MD_FIELD_ID_UPDATE_VERSION	  0x0800000100000005ULL /* * */
#define MD_FIELD_ID_INTERNAL_VERSION	  0x0800000100000006ULL
#define MD_FIELD_ID_SYS_ATTRIBUTES	  0x0A00000200000000ULL
#define MD_FIELD_ID_NUM_TDX_FEATURES	  0x0A00000000000001ULL
#define MD_FIELD_ID_TDX_FEATURES0	  0x0A00000300000008ULL /* * */
#define MD_FIELD_ID_NUM_CMRS		  0x9000000100000000ULL
#define MD_FIELD_ID_CMR_BASE		  0x9000000300000080ULL /* + i */
#define MD_FIELD_ID_CMR_SIZE		  0x9000000300000100ULL /* + i */
#define MD_FIELD_ID_MAX_TDMRS		  0x9100000100000008ULL /* * 64 */
#define MD_FIELD_ID_MAX_RESERVED_PER_TDMR 0x9100000100000009ULL /* * 16 */
#define MD_FIELD_ID_PAMT_4K_ENTRY_SIZE	  0x9100000100000010ULL /* * 16 */
#define MD_FIELD_ID_PAMT_2M_ENTRY_SIZE	  0x9100000100000011ULL /* * 16 */
#define MD_FIELD_ID_PAMT_1G_ENTRY_SIZE	  0x9100000100000012ULL /* * 16 */
#define MD_FIELD_ID_TDR_BASE_SIZE	  0x9800000100000000ULL /* * bytes */
#define MD_FIELD_ID_TDCS_BASE_SIZE	  0x9800000100000100ULL /* * bytes */
#define MD_FIELD_ID_TDCS_SIZE_PER_L2_VM	  0x9800000100000101ULL
#define MD_FIELD_ID_TDVPS_BASE_SIZE	  0x9800000100000200ULL /* * bytes */
#define MD_FIELD_ID_TDVPS_SIZE_PER_L2_VM  0x9800000100000201ULL
#define MD_FIELD_ID_ATTRIBUTES_FIXED0	  0x1900000300000000ULL /* * */
#define MD_FIELD_ID_ATTRIBUTES_FIXED1	  0x1900000300000001ULL /* * */
#define MD_FIELD_ID_XFAM_FIXED0		  0x1900000300000002ULL /* * */
#define MD_FIELD_ID_XFAM_FIXED1		  0x1900000300000003ULL /* * */
#define MD_FIELD_ID_NUM_CPUID_CONFIG	  0x9900000100000004ULL /* * 12 */
#define MD_FIELD_ID_CONFIG_FLAGS_FIXED0	  0x9900000300000006ULL
#define MD_FIELD_ID_CONFIG_FLAGS_FIXED1	  0x9900000300000007ULL
/* Not in 1.5.01, but Linux requires it [L]: tdxsim answers it. */
#define MD_FIELD_ID_MAX_VCPUS_PER_TD		       0x9900000100000008ULL /* * */
#define MD_FIELD_ID_CPUID_CONFIG_LEAVES		       0x9900000300000400ULL /* * + i */
#define MD_FIELD_ID_CPUID_CONFIG_VALUES		       0x9900000300000500ULL /* * + 2i + j */
#define MD_FIELD_ID_IA32_ARCH_CAPABILITIES_CONFIG_MASK 0x9900000300000600ULL

/* Array element IDs. */
static inline uint64_t md_field_id_cmr_base(unsigned int i)
{
	return MD_FIELD_ID_CMR_BASE + i;
}

static inline uint64_t md_field_id_cmr_size(unsigned int i)
{
	return MD_FIELD_ID_CMR_SIZE + i;
}

/* Value: CPUID leaf in bits 31:0, subleaf in 63:32 (NA = 0xFFFFFFFF). */
static inline uint64_t md_field_id_cpuid_config_leaves(unsigned int i)
{
	return MD_FIELD_ID_CPUID_CONFIG_LEAVES + i;
}

/* j = 0: EAX | EBX << 32; j = 1: ECX | EDX << 32. */
static inline uint64_t md_field_id_cpuid_config_values(unsigned int i, unsigned int j)
{
	return MD_FIELD_ID_CPUID_CONFIG_VALUES + 2 * (uint64_t)i + j;
}

/* TDX_FEATURES0 bits [M tdx_features_enum0_t; bit 20 from L kvm tdx_arch.h]. */
#define TDX_FEATURES0_TD_MIGRATION		  (1ULL << 0)
#define TDX_FEATURES0_TD_PRESERVING		  (1ULL << 1)
#define TDX_FEATURES0_SERVICE_TD		  (1ULL << 2)
#define TDX_FEATURES0_TDG_VP_RDWR		  (1ULL << 3)
#define TDX_FEATURES0_RELAXED_MEM_MNG_CONCURRENCY (1ULL << 4)
#define TDX_FEATURES0_CPUID_VIRT_GUEST_CTRL	  (1ULL << 5)
#define TDX_FEATURES0_TD_PARTITIONING		  (1ULL << 7)
#define TDX_FEATURES0_LOCAL_ATTESTATION		  (1ULL << 8)
#define TDX_FEATURES0_TD_ENTRY_ENHANCEMENTS	  (1ULL << 9)
#define TDX_FEATURES0_HOST_PRIORITY_LOCKS	  (1ULL << 10)
#define TDX_FEATURES0_CONFIG_IA32_ARCH_CAP	  (1ULL << 11)
#define TDX_FEATURES0_PENDING_EPT_VIOLATION_V2	  (1ULL << 16)
#define TDX_FEATURES0_FMS_CONFIG		  (1ULL << 17)
#define TDX_FEATURES0_NO_RBP_MOD		  (1ULL << 18) /* Linux requires it */
#define TDX_FEATURES0_L2_TLB_INVD_OPT		  (1ULL << 19)
#define TDX_FEATURES0_TOPOLOGY_ENUM		  (1ULL << 20)
/* #VE reduction (TD_CTLS.REDUCE_VE), later 1.5 modules than 1.5.01; advertised by tdxsim's
 * LATEST module only (docs/TD-CPU.md) [Intel's lkvs tdx-compliance, tdx-compliance.h]. */
#define TDX_FEATURES0_REDUCE_VE (1ULL << 30)

/*
 * TD-scope fields a TD guest uses with TDG.VM.RD/WR, with the IDs Linux
 * passes [L asm/shared/tdx.h]. CONFIG_FLAGS holds the TD_PARAMS.CONFIG_FLAGS
 * bits (td.h). Linux's NOTIFY_ENABLES and TOPOLOGY_ENUM_CONFIGURED IDs have
 * context 0 and element size code 0, while the module's own table lists
 * NOTIFY_ENABLES as 0x9110000300000010 (context TD, 8 bytes) [M
 * tdr_tdcs_fields_lookup.c]. This works because single-element access
 * ignores the context (TDG.VM.RD/WR force it) and finds the entry by class
 * and field code only; element size is checked only for whole-field
 * (sequence) access [M metadata_generic.c md_find_entry_idx]. A software
 * module must match the same way.
 */
#define TDCS_CONFIG_FLAGS	      0x1110000300000016ULL
#define TDCS_TD_CTLS		      0x1110000300000017ULL
#define TDCS_NOTIFY_ENABLES	      0x9100000000000010ULL
#define TDCS_TOPOLOGY_ENUM_CONFIGURED 0x9100000000000019ULL

/* TDCS_CONFIG_FLAGS bits seen by the guest [L]. */
#define TDCS_CONFIG_FLEXIBLE_PENDING_VE (1ULL << 1)

/* TDCS_TD_CTLS bits [L]. */
#define TD_CTLS_PENDING_VE_DISABLE_BIT 0
#define TD_CTLS_ENUM_TOPOLOGY_BIT      1
#define TD_CTLS_VIRT_CPUID2_BIT	       2
#define TD_CTLS_REDUCE_VE_BIT	       3
#define TD_CTLS_LOCK_BIT	       63
#define TD_CTLS_PENDING_VE_DISABLE     (1ULL << TD_CTLS_PENDING_VE_DISABLE_BIT)
#define TD_CTLS_ENUM_TOPOLOGY	       (1ULL << TD_CTLS_ENUM_TOPOLOGY_BIT)
#define TD_CTLS_VIRT_CPUID2	       (1ULL << TD_CTLS_VIRT_CPUID2_BIT)
#define TD_CTLS_REDUCE_VE	       (1ULL << TD_CTLS_REDUCE_VE_BIT)
#define TD_CTLS_LOCK		       (1ULL << TD_CTLS_LOCK_BIT)

#endif /* TDX_METADATA_H */
