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

#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stdint.h>
#endif

/* Opcodes [L tdxcall.S]: SEAMCALL = 66 0F 01 CF, TDCALL = 66 0F 01 CC. */
#define TDX_SEAMCALL_BYTES 0x66, 0x0f, 0x01, 0xcf
#define TDX_TDCALL_BYTES   0x66, 0x0f, 0x01, 0xcc
#define TDX_INSN_LEN	   4
/* As a string for inline assembly: asm volatile(TDX_TDCALL_ASM ...). */
#define TDX_SEAMCALL_ASM ".byte 0x66, 0x0f, 0x01, 0xcf"
#define TDX_TDCALL_ASM	 ".byte 0x66, 0x0f, 0x01, 0xcc"

/*
 * The leaves, each once: X(number, C identifier, Intel name). Everything else is generated
 * from these two lists: the identifiers as constants (enums in C, .equ symbols in assembly,
 * TDX_LEAVES_ASM_EQU for top-level asm in C), and the names (tdx_seamcall_leaf_name(),
 * tdx_tdcall_leaf_name()). The identifier is Intel's name with the dots turned into
 * underscores, without the module's _LEAF suffix, so grepping either spelling of a leaf
 * finds its code and its tests.
 *
 * SEAMCALL leaves (host side) [M seamcall_leaf_opcode_t; Linux subset matches]; 64-96 are
 * TD migration (not emulated; listed for completeness), TDDEBUGCONFIG exists in debug
 * builds of the module only [M TDDEBUGCONFIG_LEAF].
 */
/* clang-format off */
#define TDX_SEAMCALL_LEAVES(X) \
	X(0, TDH_VP_ENTER, "TDH.VP.ENTER") \
	X(1, TDH_MNG_ADDCX, "TDH.MNG.ADDCX") \
	X(2, TDH_MEM_PAGE_ADD, "TDH.MEM.PAGE.ADD") \
	X(3, TDH_MEM_SEPT_ADD, "TDH.MEM.SEPT.ADD") \
	X(4, TDH_VP_ADDCX, "TDH.VP.ADDCX") \
	X(5, TDH_MEM_PAGE_RELOCATE, "TDH.MEM.PAGE.RELOCATE") \
	X(6, TDH_MEM_PAGE_AUG, "TDH.MEM.PAGE.AUG") \
	X(7, TDH_MEM_RANGE_BLOCK, "TDH.MEM.RANGE.BLOCK") \
	X(8, TDH_MNG_KEY_CONFIG, "TDH.MNG.KEY.CONFIG") \
	X(9, TDH_MNG_CREATE, "TDH.MNG.CREATE") \
	X(10, TDH_VP_CREATE, "TDH.VP.CREATE") \
	X(11, TDH_MNG_RD, "TDH.MNG.RD") \
	X(12, TDH_MEM_RD, "TDH.MEM.RD") \
	X(13, TDH_MNG_WR, "TDH.MNG.WR") \
	X(14, TDH_MEM_WR, "TDH.MEM.WR") \
	X(15, TDH_MEM_PAGE_DEMOTE, "TDH.MEM.PAGE.DEMOTE") \
	X(16, TDH_MR_EXTEND, "TDH.MR.EXTEND") \
	X(17, TDH_MR_FINALIZE, "TDH.MR.FINALIZE") \
	X(18, TDH_VP_FLUSH, "TDH.VP.FLUSH") \
	X(19, TDH_MNG_VPFLUSHDONE, "TDH.MNG.VPFLUSHDONE") \
	X(20, TDH_MNG_KEY_FREEID, "TDH.MNG.KEY.FREEID") \
	X(21, TDH_MNG_INIT, "TDH.MNG.INIT") \
	X(22, TDH_VP_INIT, "TDH.VP.INIT") \
	X(23, TDH_MEM_PAGE_PROMOTE, "TDH.MEM.PAGE.PROMOTE") \
	X(24, TDH_PHYMEM_PAGE_RDMD, "TDH.PHYMEM.PAGE.RDMD") \
	X(25, TDH_MEM_SEPT_RD, "TDH.MEM.SEPT.RD") \
	X(26, TDH_VP_RD, "TDH.VP.RD") \
	X(27, TDH_MNG_KEY_RECLAIMID, "TDH.MNG.KEY.RECLAIMID") \
	X(28, TDH_PHYMEM_PAGE_RECLAIM, "TDH.PHYMEM.PAGE.RECLAIM") \
	X(29, TDH_MEM_PAGE_REMOVE, "TDH.MEM.PAGE.REMOVE") \
	X(30, TDH_MEM_SEPT_REMOVE, "TDH.MEM.SEPT.REMOVE") \
	X(31, TDH_SYS_KEY_CONFIG, "TDH.SYS.KEY.CONFIG") \
	X(32, TDH_SYS_INFO, "TDH.SYS.INFO") \
	X(33, TDH_SYS_INIT, "TDH.SYS.INIT") \
	X(34, TDH_SYS_RD, "TDH.SYS.RD") \
	X(35, TDH_SYS_LP_INIT, "TDH.SYS.LP.INIT") \
	X(36, TDH_SYS_TDMR_INIT, "TDH.SYS.TDMR.INIT") \
	X(37, TDH_SYS_RDALL, "TDH.SYS.RDALL") \
	X(38, TDH_MEM_TRACK, "TDH.MEM.TRACK") \
	X(39, TDH_MEM_RANGE_UNBLOCK, "TDH.MEM.RANGE.UNBLOCK") \
	X(40, TDH_PHYMEM_CACHE_WB, "TDH.PHYMEM.CACHE.WB") \
	X(41, TDH_PHYMEM_PAGE_WBINVD, "TDH.PHYMEM.PAGE.WBINVD") \
	X(42, TDH_MEM_SEPT_WR, "TDH.MEM.SEPT.WR") \
	X(43, TDH_VP_WR, "TDH.VP.WR") \
	X(44, TDH_SYS_LP_SHUTDOWN, "TDH.SYS.LP.SHUTDOWN") \
	X(45, TDH_SYS_CONFIG, "TDH.SYS.CONFIG") \
	X(48, TDH_SERVTD_BIND, "TDH.SERVTD.BIND") \
	X(49, TDH_SERVTD_PREBIND, "TDH.SERVTD.PREBIND") \
	X(52, TDH_SYS_SHUTDOWN, "TDH.SYS.SHUTDOWN") \
	X(53, TDH_SYS_UPDATE, "TDH.SYS.UPDATE") \
	X(64, TDH_EXPORT_ABORT, "TDH.EXPORT.ABORT") \
	X(65, TDH_EXPORT_BLOCKW, "TDH.EXPORT.BLOCKW") \
	X(66, TDH_EXPORT_RESTORE, "TDH.EXPORT.RESTORE") \
	X(68, TDH_EXPORT_MEM, "TDH.EXPORT.MEM") \
	X(70, TDH_EXPORT_PAUSE, "TDH.EXPORT.PAUSE") \
	X(71, TDH_EXPORT_TRACK, "TDH.EXPORT.TRACK") \
	X(72, TDH_EXPORT_STATE_IMMUTABLE, "TDH.EXPORT.STATE.IMMUTABLE") \
	X(73, TDH_EXPORT_STATE_TD, "TDH.EXPORT.STATE.TD") \
	X(74, TDH_EXPORT_STATE_VP, "TDH.EXPORT.STATE.VP") \
	X(75, TDH_EXPORT_UNBLOCKW, "TDH.EXPORT.UNBLOCKW") \
	X(80, TDH_IMPORT_ABORT, "TDH.IMPORT.ABORT") \
	X(81, TDH_IMPORT_END, "TDH.IMPORT.END") \
	X(82, TDH_IMPORT_COMMIT, "TDH.IMPORT.COMMIT") \
	X(83, TDH_IMPORT_MEM, "TDH.IMPORT.MEM") \
	X(84, TDH_IMPORT_TRACK, "TDH.IMPORT.TRACK") \
	X(85, TDH_IMPORT_STATE_IMMUTABLE, "TDH.IMPORT.STATE.IMMUTABLE") \
	X(86, TDH_IMPORT_STATE_TD, "TDH.IMPORT.STATE.TD") \
	X(87, TDH_IMPORT_STATE_VP, "TDH.IMPORT.STATE.VP") \
	X(96, TDH_MIG_STREAM_CREATE, "TDH.MIG.STREAM.CREATE") \
	X(0xFE, TDDEBUGCONFIG, "TDDEBUGCONFIG")

/* Second argument of TDH.PHYMEM.CACHE.WB in RCX [M tdx_api_defs.h]. */
#define TDH_PHYMEM_CACHEWB_START_CMD  0
#define TDH_PHYMEM_CACHEWB_RESUME_CMD 1

/* TDCALL leaves (guest side) [M tdcall_leaf_opcode_t; L shared/tdx.h]; TDG.VP.ENTER: an L2 VM. */
#define TDX_TDCALL_LEAVES(X) \
	X(0, TDG_VP_VMCALL, "TDG.VP.VMCALL") \
	X(1, TDG_VP_INFO, "TDG.VP.INFO") \
	X(2, TDG_MR_RTMR_EXTEND, "TDG.MR.RTMR.EXTEND") \
	X(3, TDG_VP_VEINFO_GET, "TDG.VP.VEINFO.GET") \
	X(4, TDG_MR_REPORT, "TDG.MR.REPORT") \
	X(5, TDG_VP_CPUIDVE_SET, "TDG.VP.CPUIDVE.SET") \
	X(6, TDG_MEM_PAGE_ACCEPT, "TDG.MEM.PAGE.ACCEPT") \
	X(7, TDG_VM_RD, "TDG.VM.RD") \
	X(8, TDG_VM_WR, "TDG.VM.WR") \
	X(9, TDG_VP_RD, "TDG.VP.RD") \
	X(10, TDG_VP_WR, "TDG.VP.WR") \
	X(11, TDG_SYS_RD, "TDG.SYS.RD") \
	X(12, TDG_SYS_RDALL, "TDG.SYS.RDALL") \
	X(18, TDG_SERVTD_RD, "TDG.SERVTD.RD") \
	X(20, TDG_SERVTD_WR, "TDG.SERVTD.WR") \
	X(22, TDG_MR_VERIFYREPORT, "TDG.MR.VERIFYREPORT") \
	X(23, TDG_MEM_PAGE_ATTR_RD, "TDG.MEM.PAGE.ATTR.RD") \
	X(24, TDG_MEM_PAGE_ATTR_WR, "TDG.MEM.PAGE.ATTR.WR") \
	X(25, TDG_VP_ENTER, "TDG.VP.ENTER") \
	X(26, TDG_VP_INVEPT, "TDG.VP.INVEPT") \
	X(27, TDG_VP_INVVPID, "TDG.VP.INVVPID")
/* clang-format on */

#ifdef __ASSEMBLER__

#define TDX_LEAF_EQU_(nr, id, str) .equ id, nr;
TDX_SEAMCALL_LEAVES(TDX_LEAF_EQU_)
TDX_TDCALL_LEAVES(TDX_LEAF_EQU_)

#else /* !__ASSEMBLER__ */

#define TDX_LEAF_ENUM_(nr, id, str)    id = nr,
enum tdx_seamcall_leaf { TDX_SEAMCALL_LEAVES(TDX_LEAF_ENUM_) };
enum tdx_tdcall_leaf { TDX_TDCALL_LEAVES(TDX_LEAF_ENUM_) };

/*
 * For top-level asm() in C, where enums are not seen: asm(TDX_LEAVES_ASM_EQU) once per file
 * defines every leaf as an assembler symbol, so the assembly reads
 * "movl $TDG_VP_VEINFO_GET, %eax".
 */
#define TDX_LEAF_EQU_STR_(nr, id, str) ".equ " #id ", " #nr "\n"
#define TDX_LEAVES_ASM_EQU                                                                         \
	TDX_SEAMCALL_LEAVES(TDX_LEAF_EQU_STR_) TDX_TDCALL_LEAVES(TDX_LEAF_EQU_STR_)

#define TDX_LEAF_CASE_(nr, id, str)                                                                \
	case nr:                                                                                   \
		return str;

/* Intel's name of a SEAMCALL leaf ("TDH.MNG.CREATE"), or NULL for a number no leaf has. */
static inline const char *tdx_seamcall_leaf_name(unsigned int leaf)
{
	switch (leaf) {
		TDX_SEAMCALL_LEAVES(TDX_LEAF_CASE_)
	}
	return 0;
}

/* Intel's name of a TDCALL leaf ("TDG.VP.VEINFO.GET"), or NULL for a number no leaf has. */
static inline const char *tdx_tdcall_leaf_name(unsigned int leaf)
{
	switch (leaf) {
		TDX_TDCALL_LEAVES(TDX_LEAF_CASE_)
	}
	return 0;
}

/*
 * The leaf word in RAX [M tdx_leaf_and_version_t; L TDX_VERSION_SHIFT]:
 * bits 15:0 leaf, 23:16 version, 63:24 reserved (must be 0). A set
 * reserved bit or an unknown leaf gives TDX_OPERAND_INVALID | RAX.
 */
#define TDX_LEAF_MASK			      0xFFFFULL
#define TDX_VERSION_SHIFT		      16
#define TDX_VERSION_MASK		      (0xFFULL << TDX_VERSION_SHIFT)
#define TDX_LEAF_RESERVED_MASK		      0xFFFFFFFFFF000000ULL

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
#define TDH_VP_INIT_X2APIC_VERSION	      1

#endif /* !__ASSEMBLER__ */

#endif /* TDX_LEAVES_H */
