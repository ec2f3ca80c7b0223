/* SPDX-License-Identifier: MIT */
/*
 * tdxguest/tdx.h - the TDCALL layer of the guest runtime, the window layout, start-up and
 * shutdown.
 *
 * TDCALL is issued either as the instruction (66 0F 01 CC, trapped by tdxsim) or through the
 * tdxsim gate, `call *tdx_gate(%rip)` (FF 15 disp32), with identical semantics. The crt takes
 * the gate address from the boot register R9 (0 on real TDX or when the machine has no
 * gate); tdx_force_tdcall_insn makes every call use the instruction.
 */
#ifndef TDXGUEST_TDX_H
#define TDXGUEST_TDX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tdx/args.h"
#include "tdx/ghci.h"
#include "tdx/leaves.h"
#include "tdxsim/boot.h" /* the window, boot registers and options, exit ports */

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

/* Boot registers saved by the crt, x86 encoding order (RAX, RCX, RDX, RBX, RSP, ...). */
extern u64 tdx_boot_regs[16];
/* The tdxsim gate (boot R9), or 0: then TDCALL is the instruction. */
extern void *tdx_gate;
/* Run-time switch: true = always the TDCALL instruction, even with a gate. */
extern bool tdx_force_tdcall_insn;

/*
 * TDCALL leaf fn with args as inputs (RCX, RDX, R8-R15, RBX, RDI, RSI); the outputs
 * overwrite *args. Returns RAX (the completion status). RBX, RBP, R12-R15 and the caller's
 * stack are preserved as the SysV ABI requires, whatever the leaf does with them.
 */
u64 __tdcall(u64 fn, struct tdx_module_args *args);

/*
 * TDG.VP.VMCALL: RCX = TDVMCALL_EXPOSE_REGS_MASK (0xFFCC: RDX, RBX, RSI, RDI, R8-R15 are
 * shown to the VMM, so unused argument registers go out as the zeros the caller left in
 * *args, never as stale guest data). A non-zero TDCALL status means the VMCALL mechanism
 * itself failed: fatal (the guest stops on ud2). Returns R10, the GHCI status; the outputs
 * (R11...) are in *args.
 */
u64 __tdx_hypercall(struct tdx_module_args *args);

/* Standard GHCI call with up to four arguments in R12-R15; R11 out through *out if non-NULL. */
u64 tdvmcall(u64 subfn, u64 r12, u64 r13, u64 r14, u64 r15, u64 *out);

/* TDG.VP.INFO, every output (ABI §2). */
struct tdx_vp_info {
	unsigned int gpaw;	   /* RCX[5:0]: 48 or 52 */
	u64 attributes;		   /* RDX: the TD's ATTRIBUTES */
	u32 num_vcpus;		   /* R8[31:0] */
	u32 max_vcpus;		   /* R8[63:32] */
	u32 vcpu_index;		   /* R9[31:0] */
	bool sys_rd;		   /* R10 bit 0: TDG.SYS.RD is available */
	u64 rcx, r8, r9, r10, r11; /* the raw registers (R11 is 0) */
};
/* TDG.VP.INFO; returns the module's status (*info is filled on success). */
u64 tdx_vp_info(struct tdx_vp_info *info);

/* GPA width from TDG.VP.INFO (48 or 52), and the shared bit 1 << (GPAW - 1). */
unsigned int tdx_gpaw(void);
u64 tdx_shared_mask(void);

/* The window's base: own RIP rounded down to 2W. */
uintptr_t tdx_window_base(void);
/* GPA (shared bit included) -> guest address, and back. */
void *__va(u64 gpa);
u64 __pa(const void *va);

/*
 * The CPU the guest runs on (docs/GUEST.md "CPL0"): natively at CPL3 in the tdxsim process,
 * on the system backend at CPL0 on page tables of its own. tdx_cpl0(): CS's RPL is 0.
 * tdx_cpu_init(), on every vCPU before it runs program code (tdx_guest_start, the APs'
 * start): at CPL0 it loads the SDK's GDT (TDXSIM_SYSTEM_CODE_SEL, _DATA_SEL) and reloads the
 * segments, sets CR4.OSXSAVE and XCR0 to every x87/SSE/AVX/AVX-512 component CPUID(0xD, 0)
 * offers (the TD's XFAM), and CR4.FSGSBASE where CPUID has it; natively it does nothing (the
 * machine gives CPL3 code a 64-bit kernel's CPU state).
 */
bool tdx_cpl0(void);
void tdx_cpu_init(void);

/*
 * ReportFatalError: code in R12, msg (up to 64 bytes) packed into R14, R15, RBX, RDI, RSI,
 * R8, R9, RDX. Does not return (if the VMM resumes, the vCPU halts forever).
 */
__attribute__((noreturn)) void tdx_report_fatal(u64 code, const char *msg);
/* tdx_report_fatal with a printf-formatted message (truncated to 64 bytes). */
__attribute__((noreturn, format(printf, 2, 3))) void tdx_panic(u64 code, const char *fmt, ...);

/*
 * Shutdown convention of tdxsim (docs/GUEST.md). First the destructors (.fini_array, in
 * reverse order; once, by the first caller: a destructor that exits goes straight on), then
 * a 32-bit OUT of the status to port TDXSIM_EXIT_PORT, then for status 0 the ACPI power-off
 * write (16-bit TDXSIM_PM1A_SLP_EN to TDXSIM_PM1A_CNT_PORT), for any other status
 * ReportFatalError with R12 = (u32)status. Both by direct TDVMCALL Instruction.IO, never
 * through #VE.
 */
__attribute__((noreturn)) void tdx_exit(int status);

/*
 * Start-up (called by the crt): the boot options in the initial RCX (tdxsim/boot.h:
 * TDXSIM_BOOT_OPT_IO_TDVMCALL sets tdx_io_path = TDX_IO_TDVMCALL,
 * TDXSIM_BOOT_OPT_MMIO_TDVMCALL tdx_mmio_path = TDX_MMIO_TDVMCALL), runtime init, IDT, then
 * main().
 */
__attribute__((noreturn)) void tdx_guest_start(u64 *boot_regs);
/* Provided by the user. */
int main(void);

/* Freestanding helpers the compiler may call. */
void *memset(void *s, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
size_t strlen(const char *s);

#endif /* TDXGUEST_TDX_H */
