/* SPDX-License-Identifier: MIT */
/*
 * tdx/leaves.h - SEAMCALL and TDCALL leaf numbers, the leaf word in RAX,
 * and the two instruction encodings.
 *
 * Sources: [M] = intel/tdx-module tag TDX_1.5.01, include/tdx_api_defs.h;
 * [L] = Linux arch/x86/virt/vmx/tdx/tdx.h, arch/x86/include/asm/shared/tdx.h.
 */
#ifndef TDX_LEAVES_H
#define TDX_LEAVES_H

#include <stdbool.h>
#include <stdint.h>

/* Opcodes [L tdxcall.S]: SEAMCALL = 66 0F 01 CF, TDCALL = 66 0F 01 CC. */
#define TDX_SEAMCALL_BYTES 0x66, 0x0f, 0x01, 0xcf
#define TDX_TDCALL_BYTES   0x66, 0x0f, 0x01, 0xcc
#define TDX_INSN_LEN	   4
/* As a string for inline assembly: asm volatile(TDX_TDCALL_ASM ...). */
#define TDX_SEAMCALL_ASM ".byte 0x66, 0x0f, 0x01, 0xcf"
#define TDX_TDCALL_ASM	 ".byte 0x66, 0x0f, 0x01, 0xcc"

/*
 * SEAMCALL leaves (host side) [M seamcall_leaf_opcode_t; Linux subset
 * matches]. Names as Intel spells the functions, dots turned into
 * underscores, without the module's _LEAF suffix.
 */
#define TDH_VP_ENTER		0
#define TDH_MNG_ADDCX		1
#define TDH_MEM_PAGE_ADD	2
#define TDH_MEM_SEPT_ADD	3
#define TDH_VP_ADDCX		4
#define TDH_MEM_PAGE_RELOCATE	5
#define TDH_MEM_PAGE_AUG	6
#define TDH_MEM_RANGE_BLOCK	7
#define TDH_MNG_KEY_CONFIG	8
#define TDH_MNG_CREATE		9
#define TDH_VP_CREATE		10
#define TDH_MNG_RD		11
#define TDH_MEM_RD		12
#define TDH_MNG_WR		13
#define TDH_MEM_WR		14
#define TDH_MEM_PAGE_DEMOTE	15
#define TDH_MR_EXTEND		16
#define TDH_MR_FINALIZE		17
#define TDH_VP_FLUSH		18
#define TDH_MNG_VPFLUSHDONE	19
#define TDH_MNG_KEY_FREEID	20
#define TDH_MNG_INIT		21
#define TDH_VP_INIT		22
#define TDH_MEM_PAGE_PROMOTE	23
#define TDH_PHYMEM_PAGE_RDMD	24
#define TDH_MEM_SEPT_RD		25
#define TDH_VP_RD		26
#define TDH_MNG_KEY_RECLAIMID	27
#define TDH_PHYMEM_PAGE_RECLAIM 28
#define TDH_MEM_PAGE_REMOVE	29
#define TDH_MEM_SEPT_REMOVE	30
#define TDH_SYS_KEY_CONFIG	31
#define TDH_SYS_INFO		32
#define TDH_SYS_INIT		33
#define TDH_SYS_RD		34
#define TDH_SYS_LP_INIT		35
#define TDH_SYS_TDMR_INIT	36
#define TDH_SYS_RDALL		37
#define TDH_MEM_TRACK		38
#define TDH_MEM_RANGE_UNBLOCK	39
#define TDH_PHYMEM_CACHE_WB	40
#define TDH_PHYMEM_PAGE_WBINVD	41
#define TDH_MEM_SEPT_WR		42
#define TDH_VP_WR		43
#define TDH_SYS_LP_SHUTDOWN	44
#define TDH_SYS_CONFIG		45
#define TDH_SERVTD_BIND		48
#define TDH_SERVTD_PREBIND	49
#define TDH_SYS_SHUTDOWN	52
#define TDH_SYS_UPDATE		53
/* TD migration (not emulated; numbers for completeness) [M]. */
#define TDH_EXPORT_ABORT	   64
#define TDH_EXPORT_BLOCKW	   65
#define TDH_EXPORT_RESTORE	   66
#define TDH_EXPORT_MEM		   68
#define TDH_EXPORT_PAUSE	   70
#define TDH_EXPORT_TRACK	   71
#define TDH_EXPORT_STATE_IMMUTABLE 72
#define TDH_EXPORT_STATE_TD	   73
#define TDH_EXPORT_STATE_VP	   74
#define TDH_EXPORT_UNBLOCKW	   75
#define TDH_IMPORT_ABORT	   80
#define TDH_IMPORT_END		   81
#define TDH_IMPORT_COMMIT	   82
#define TDH_IMPORT_MEM		   83
#define TDH_IMPORT_TRACK	   84
#define TDH_IMPORT_STATE_IMMUTABLE 85
#define TDH_IMPORT_STATE_TD	   86
#define TDH_IMPORT_STATE_VP	   87
#define TDH_MIG_STREAM_CREATE	   96
/* Debug builds of the module only [M TDDEBUGCONFIG_LEAF]. */
#define TDDEBUGCONFIG 0xFE

/* Second argument of TDH.PHYMEM.CACHE.WB in RCX [M tdx_api_defs.h]. */
#define TDH_PHYMEM_CACHEWB_START_CMD  0
#define TDH_PHYMEM_CACHEWB_RESUME_CMD 1

/* TDCALL leaves (guest side) [M tdcall_leaf_opcode_t; L shared/tdx.h]. */
#define TDG_VP_VMCALL	     0
#define TDG_VP_INFO	     1
#define TDG_MR_RTMR_EXTEND   2
#define TDG_VP_VEINFO_GET    3
#define TDG_MR_REPORT	     4
#define TDG_VP_CPUIDVE_SET   5
#define TDG_MEM_PAGE_ACCEPT  6
#define TDG_VM_RD	     7
#define TDG_VM_WR	     8
#define TDG_VP_RD	     9
#define TDG_VP_WR	     10
#define TDG_SYS_RD	     11
#define TDG_SYS_RDALL	     12
#define TDG_SERVTD_RD	     18
#define TDG_SERVTD_WR	     20
#define TDG_MR_VERIFYREPORT  22
#define TDG_MEM_PAGE_ATTR_RD 23
#define TDG_MEM_PAGE_ATTR_WR 24
#define TDG_VP_ENTER	     25 /* enter an L2 VM (TD partitioning) */
#define TDG_VP_INVEPT	     26
#define TDG_VP_INVVPID	     27

/*
 * The leaf word in RAX [M tdx_leaf_and_version_t; L TDX_VERSION_SHIFT]:
 * bits 15:0 leaf, 23:16 version, 63:24 reserved (must be 0). A set
 * reserved bit or an unknown leaf gives TDX_OPERAND_INVALID | RAX.
 */
#define TDX_LEAF_MASK	       0xFFFFULL
#define TDX_VERSION_SHIFT      16
#define TDX_VERSION_MASK       (0xFFULL << TDX_VERSION_SHIFT)
#define TDX_LEAF_RESERVED_MASK 0xFFFFFFFFFF000000ULL

/* Leaf word for a call: the leaf with a version in bits 23:16. */
static inline uint64_t tdx_leaf_word(uint16_t leaf, uint8_t version)
{
	return (uint64_t)leaf | ((uint64_t)version << TDX_VERSION_SHIFT);
}

static inline uint16_t tdx_leaf_of(uint64_t rax)
{
	return (uint16_t)(rax & TDX_LEAF_MASK);
}

static inline uint8_t tdx_leaf_version(uint64_t rax)
{
	return (uint8_t)((rax & TDX_VERSION_MASK) >> TDX_VERSION_SHIFT);
}

static inline bool tdx_leaf_reserved_set(uint64_t rax)
{
	return (rax & TDX_LEAF_RESERVED_MASK) != 0;
}

/*
 * TDH.VP.ENTER RCX flags above the TDVPR address (bits 51:12)
 * [ABI §1.1]: bit 52 host-recoverability hint, bit 53 resume L1.
 * Our names; Intel's are unclear in the sources read.
 */
#define TDH_VP_ENTER_TDVPR_MASK		      0x000FFFFFFFFFF000ULL
#define TDH_VP_ENTER_HOST_RECOVERABILITY_HINT (1ULL << 52)
#define TDH_VP_ENTER_RESUME_L1		      (1ULL << 53)

/* TDH.VP.INIT version 1 takes the x2APIC ID in R8 [L tdh_vp_init]. */
#define TDH_VP_INIT_X2APIC_VERSION 1

#endif /* TDX_LEAVES_H */
