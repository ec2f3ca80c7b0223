/* SPDX-License-Identifier: MIT */
/*
 * tdx/ghci.h - Guest-Hypervisor Communication Interface: TDG.VP.VMCALL
 * (TDCALL leaf 0), its register mask, sub-functions and R10 statuses.
 *
 * Sources: GHCI (Intel TDX Guest-Hypervisor Communication Interface);
 * [L] = Linux arch/x86/include/asm/shared/tdx.h, arch/x86/coco/tdx/;
 * [M] = intel/tdx-module TDX_1.5.01 src/td_dispatcher/vm_exits/tdg_vp_vmcall.c;
 * [Q] = QEMU target/i386/kvm/tdx.h.
 *
 * Guest registers for a call: RAX = 0 (the TDCALL leaf), RCX = mask of
 * GPRs exposed to the VMM, R10 = 0 for a standard GHCI call, R11 =
 * sub-function, R12.. = arguments. On return the TDCALL's RAX is 0 unless
 * the mechanism itself failed; the GHCI status is in R10, results in R11
 * (and up).
 */
#ifndef TDX_GHCI_H
#define TDX_GHCI_H

#include <stdint.h>

/*
 * R10 = 0: a standard GHCI call; non-zero = vendor specific. Linux/KVM put
 * the KVM hypercall number in R10 and arguments in R11-R14 [L].
 */
#define TDX_HYPERCALL_STANDARD 0

/*
 * RCX of TDG.VP.VMCALL [M tdvmcall_control_t]: bits 15:0 select GPRs,
 * bits 31:16 select XMM registers, bits 63:32 must be 0. GPR bits are
 * x86 register numbers. RAX (0), RCX (1) and RSP (4) must never be
 * selected, nor RBP (5) when CONFIG_FLAGS.NO_RBP_MOD is set; violations
 * give TDX_OPERAND_INVALID | RCX. Names as in [L].
 */
#define TDX_RDX (1ULL << 2)
#define TDX_RBX (1ULL << 3)
#define TDX_RBP (1ULL << 5)
#define TDX_RSI (1ULL << 6)
#define TDX_RDI (1ULL << 7)
#define TDX_R8	(1ULL << 8)
#define TDX_R9	(1ULL << 9)
#define TDX_R10 (1ULL << 10)
#define TDX_R11 (1ULL << 11)
#define TDX_R12 (1ULL << 12)
#define TDX_R13 (1ULL << 13)
#define TDX_R14 (1ULL << 14)
#define TDX_R15 (1ULL << 15)

/* Linux always exposes RDX, RBX, RSI, RDI and R8-R15: 0xFFCC [L]. */
#define TDVMCALL_EXPOSE_REGS_MASK                                                                  \
	(TDX_RDX | TDX_RBX | TDX_RSI | TDX_RDI | TDX_R8 | TDX_R9 | TDX_R10 | TDX_R11 | TDX_R12 |   \
	 TDX_R13 | TDX_R14 | TDX_R15)

#define TDVMCALL_GPR_SELECT_MASK  0x000000000000FFFFULL
#define TDVMCALL_XMM_SELECT_SHIFT 16
#define TDVMCALL_XMM_SELECT_MASK  0x00000000FFFF0000ULL
#define TDVMCALL_CONTROL_RESERVED 0xFFFFFFFF00000000ULL
/* Selecting any of these is always an error (RAX, RCX, RSP). */
#define TDVMCALL_GPR_FORBIDDEN ((1ULL << 0) | (1ULL << 1) | (1ULL << 4))

/*
 * Sub-functions in R11 [GHCI; L]. Values below 0x10000 are the VMX exit
 * reason of the instruction being emulated (see vmx.h); Linux passes the
 * EXIT_REASON_* constant itself, the TDVMCALL_INSTRUCTION_* names are ours,
 * after the GHCI's "Instruction.CPUID" etc. Instruction.WBINVD's inputs
 * are UNCONFIRMED (GHCI: R12 selects WBINVD/WBNOINVD); Linux never uses it.
 */
#define TDVMCALL_INSTRUCTION_CPUID	      10 /* R12 EAX, R13 ECX -> R12..R15 */
#define TDVMCALL_INSTRUCTION_HLT	      12 /* R12 = interrupts blocked */
#define TDVMCALL_INSTRUCTION_IO		      30 /* R12 size, R13 dir, R14 port, R15 val */
#define TDVMCALL_INSTRUCTION_RDMSR	      31 /* R12 MSR -> R11 */
#define TDVMCALL_INSTRUCTION_WRMSR	      32 /* R12 MSR, R13 value */
#define TDVMCALL_VE_REQUEST_MMIO	      48 /* R12 size, R13 dir, R14 GPA, R15 val */
#define TDVMCALL_INSTRUCTION_WBINVD	      54
#define TDVMCALL_GET_TD_VM_CALL_INFO	      0x10000
#define TDVMCALL_MAP_GPA		      0x10001
#define TDVMCALL_GET_QUOTE		      0x10002
#define TDVMCALL_REPORT_FATAL_ERROR	      0x10003
#define TDVMCALL_SETUP_EVENT_NOTIFY_INTERRUPT 0x10004

/* Direction argument of Instruction.IO and #VE.RequestMMIO (R13). */
#define TDVMCALL_IO_READ  0
#define TDVMCALL_IO_WRITE 1

/* SetupEventNotifyInterrupt accepts vectors 32..255 [GHCI]. */
#define TDVMCALL_EVENT_NOTIFY_VECTOR_MIN 32
#define TDVMCALL_EVENT_NOTIFY_VECTOR_MAX 255

/* ReportFatalError: R12 error code; a 64-byte message packed in this order. */
#define TDVMCALL_REPORT_FATAL_ERROR_MSG_SIZE 64

/*
 * Status codes returned in R10 [L shared/tdx.h, newer kernels; GPA_INUSE
 * from Q; SUBFUNC_UNSUPPORTED is a newer GHCI addition returned by KVM for
 * unknown sub-functions].
 */
#define TDVMCALL_STATUS_SUCCESS		    0x0000000000000000ULL
#define TDVMCALL_STATUS_RETRY		    0x0000000000000001ULL
#define TDVMCALL_STATUS_INVALID_OPERAND	    0x8000000000000000ULL
#define TDVMCALL_STATUS_GPA_INUSE	    0x8000000000000001ULL
#define TDVMCALL_STATUS_ALIGN_ERROR	    0x8000000000000002ULL
#define TDVMCALL_STATUS_SUBFUNC_UNSUPPORTED 0x8000000000000003ULL

/*
 * GetQuote buffer (GHCI "TDG.VP.VMCALL<GetQuote>"; [L] drivers/virt/coco/tdx-guest struct
 * tdx_quote_buf): u64 version (1, by the TD), u64 status (by the VMM), u32 in_len (TDREPORT
 * length, by the TD), u32 out_len (quote length, by the VMM), then the data: the TDREPORT
 * in, the quote out. The guest polls status while it is IN_FLIGHT.
 */
#define GET_QUOTE_HDR_LEN	      24
#define GET_QUOTE_STRUCTURE_VERSION   1
#define GET_QUOTE_SUCCESS	      0x0000000000000000ULL
#define GET_QUOTE_IN_FLIGHT	      0xFFFFFFFFFFFFFFFFULL
#define GET_QUOTE_ERROR		      0x8000000000000000ULL
#define GET_QUOTE_SERVICE_UNAVAILABLE 0x8000000000000001ULL

/* GetTdVmCallInfo leaf 1, R11: optional sub-functions supported [KVM tdx.c]. */
#define TDVMCALLINFO_SETUP_EVENT_NOTIFY_INTERRUPT (1ULL << 1)

/* Detection: CPUID leaf 0x21 subleaf 0 returns "IntelTDX    " in EBX, EDX, ECX [L]. */
#define TDX_CPUID_LEAF_ID 0x21
#define TDX_IDENT	  "IntelTDX    "

#endif /* TDX_GHCI_H */
