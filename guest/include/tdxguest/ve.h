/* SPDX-License-Identifier: MIT */
/*
 * tdxguest/ve.h - IDT, exception entry and the #VE handlers.
 *
 * Every vector 0-255 enters through an assembly stub that pushes (error code or 0, vector)
 * and all GPRs, so C sees a struct pt_regs; returning from the C handler restores them and
 * IRETQs. Vector 20 (#VE) calls the current #VE handler; vectors 32-255 are external
 * interrupts, dispatched by tdx_handle_irq() (tdxguest/smp.h); any other vector is fatal
 * (ReportFatalError with the vector, RIP and error code).
 *
 * Two #VE handlers: tdx_early_handle_ve() knows only port I/O (installed by the runtime first,
 * before anything else is set up), handle_ve() is the full one (installed by tdx_ve_init()).
 */
#ifndef TDXGUEST_VE_H
#define TDXGUEST_VE_H

#include "tdxguest/insn.h"
#include "tdxguest/tdx.h"

struct pt_regs {
	u64 gpr[16]; /* x86 encoding order; gpr[4] holds the frame's RSP, read-only */
	u64 vector;
	u64 error_code;
	/* pushed by the CPU */
	u64 rip;
	u64 cs;
	u64 rflags;
	u64 rsp;
	u64 ss;
};

/* What TDG.VP.VEINFO.GET returns (tdx/vmx.h struct ve_info is the in-memory area). */
struct tdx_ve {
	u64 exit_reason;
	u64 exit_qual;
	u64 gla;
	u64 gpa;
	u32 instr_len;
	u32 instr_info;
};

/* TDG.VP.VEINFO.GET; fatal if the module has no valid info. */
void tdx_get_ve_info(struct tdx_ve *ve);

/* The #VE handlers. Both end fatally on anything they cannot emulate. */
void tdx_early_handle_ve(struct pt_regs *regs);
void handle_ve(struct pt_regs *regs);

/* Build the IDT (vectors 0-255) and load it; #VE goes to the early handler. */
void tdx_idt_init(void);
/* Load the IDT tdx_idt_init() built on the calling CPU (LIDT is per CPU). */
void tdx_idt_load(void);
/* Switch #VE to the full handler. */
void tdx_ve_init(void);

/*
 * The address an MMIO instruction's memory operand names (the effective address plus the FS
 * or GS base its prefix selects, read with RDFSBASE/RDGSBASE), for the instruction at
 * regs->rip. The #VE handler refuses an access whose bytes from there cross a page.
 */
u64 tdx_mmio_ea(const struct insn_mmio *insn, const struct pt_regs *regs);

/*
 * A program's own handler for exception vector 0-31 (#VE included: it then replaces the SDK's
 * #VE handler, and must call tdx_get_ve_info itself). It runs on the interrupted stack with
 * interrupts disabled and may edit *regs (RIP, GPRs) before the IRETQ; fn = NULL gives the
 * vector back to the SDK. 0, or -TDX_EINVAL for a vector above 31.
 */
typedef void (*tdx_trap_handler_t)(struct pt_regs *regs);
int tdx_trap_register(unsigned int vector, tdx_trap_handler_t fn);

/* Called by the entry stubs. */
void tdx_exception(struct pt_regs *regs);

/* Number of #VEs handled (statistics, tests). */
extern u64 tdx_ve_count;
/*
 * MMIO instructions the #VE handler decoded: once per RIP, again only when the bytes there
 * changed (statistics, tests).
 */
extern u64 tdx_mmio_decodes;

#endif /* TDXGUEST_VE_H */
