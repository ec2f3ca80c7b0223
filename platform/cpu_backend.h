/* SPDX-License-Identifier: MIT */
/*
 * The CPU-backend interface: the boundary between a CPU that runs TD guest code (a
 * "backend") and the software TDX module, shaped like the VMX boundary between a CPU and the
 * TDX module on real hardware (docs/ARCHITECTURE.md, "The CPU-backend interface").
 *
 * Two directions:
 *
 *   backend -> module  Guest code stopped for something the module decides: the backend
 *                      fills a struct vm_exit (VMX exit information) and calls the module's
 *                      vm_exit hook on the LP that ran the vCPU, with the guest's register
 *                      context. RIP is the guest RIP as VMX saves it: the instruction for a
 *                      fault or an instruction exit, the next instruction to run for an
 *                      interrupt.
 *   module -> backend  The module answers by editing that context (registers, RIP past the
 *                      instruction), by injecting an event, by switching worlds (the TD exit
 *                      back to the host, or TDH.VP.ENTER into the TD), or by returning (the
 *                      guest resumes with the context as it is). It maps and unmaps the TD's
 *                      private GPAs, and the VMM its shared ones, through the same backend.
 *
 * Two backends implement it: "native" (platform/: guest code at CPL3 in the tdxsim process,
 * exits from traps and the gate, the TD window as the EPT) and "system" (issue 19: a
 * hypervisor under QEMU TCG, nested paging as the EPT). The module does not know which one
 * runs a TD.
 */
#ifndef TDXSIM_PLATFORM_CPU_BACKEND_H
#define TDXSIM_PLATFORM_CPU_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

#include "tdx/vmx.h"

struct cpu_regs;
struct guest_cpu;
struct td_window;

/*
 * VMX-shaped exit information [SDM vol. 3C 28.2.1-28.2.5]. Fields a reason does not define
 * are 0.
 *
 * reason         the basic exit reason, EXIT_REASON_* of <tdx/vmx.h>. What each backend
 *                reports and how the module answers: docs/ARCHITECTURE.md. Two are used for
 *                tdxsim's own conditions: EXIT_REASON_TRIPLE_FAULT when an exception could
 *                be delivered neither as itself nor as #DF (the escalation is the backend's,
 *                as it is the CPU's), and EXIT_REASON_MCE_DURING_VMENTRY when the machine
 *                cannot go on running this guest faithfully (already reported on stderr).
 * qual           the exit qualification in VMX's layout for the reason: I/O (tdx_io_qual_make),
 *                EPT violation (EXIT_QUAL_EPT_*), control-register access (bits 3:0 the CR,
 *                5:4 the access type, 11:8 the GPR; the value is that GPR in the context).
 * gpa            EPT violation: the guest-physical address accessed, shared bit included.
 * gla            EPT violation: the guest-linear address, valid when qual has
 *                EXIT_QUAL_EPT_GLA_VALID.
 * insn_len       instruction exits: the length of the instruction (RIP + insn_len is the
 *                next one). A TDCALL through the native backend's gate is 6.
 * insn_info      VM-exit instruction information, for the reasons that define it (0 where a
 *                backend does not compute it; the module reports it in #VE info).
 * intr_info      EXIT_REASON_EXCEPTION_NMI and EXIT_REASON_EXTERNAL_INTERRUPT: VM-exit
 *                interruption information (INTR_INFO_*). An external interrupt for the host
 *                (a timer tick, lp_kick) has intr_info 0; one with INTR_INFO_VALID is a vector
 *                sent to the LP (lp_send_ipi): the highest latched, or vector 0 when an
 *                earlier exit took it already. The module may process it in the TD (the
 *                posted-interrupt notification).
 * intr_error     the exception's error code, when intr_info has INTR_INFO_ERROR_VALID.
 */
struct vm_exit {
	uint32_t reason;
	uint32_t insn_len;
	uint32_t insn_info;
	uint32_t intr_info;
	uint32_t intr_error;
	uint64_t qual;
	uint64_t gpa;
	uint64_t gla;
};

/*
 * What a backend does for the module (and, for the shared half of a TD's address space, for
 * the VMM). All run on the LP of the vCPU concerned, except the address-space operations,
 * which run anywhere (the VMM maps shared pages from its own threads).
 *
 * enter(ctx, g)       TDH.VP.ENTER: save ctx as this LP's host context and make it the
 *                     vCPU's (ctx now holds the guest's registers; returning resumes the
 *                     guest).
 * exit(ctx)           the TD exit: save ctx into the vCPU and load the host context into it.
 * inject(ctx, g, intr_info, error_code)
 *                     deliver an event to the guest as the CPU does on VM entry with the
 *                     VM-entry interruption information intr_info (INTR_INFO_* layout:
 *                     vector, type, error code valid) and error_code. The backend escalates
 *                     as the CPU does: an event that cannot be delivered becomes #DF, a #DF
 *                     that cannot be delivered a triple fault, which it reports as an
 *                     EXIT_REASON_TRIPLE_FAULT exit through the vm_exit hook before it
 *                     returns. This is the only escalation path.
 * single_step(ctx, g) the instruction the module just completed ran with RFLAGS.TF: the
 *                     single-step #DB the CPU takes after it (DR6.BS) [SDM vol. 3B 18.3.1.4].
 * space_create(gpaw), space_destroy(w)
 *                     a TD's guest-physical address space (its EPTs): private GPAs and shared
 *                     GPAs (bit gpaw - 1 set) map to host physical pages.
 * map(w, gpa, shared, hpa, prot), unmap(w, gpa, shared)
 *                     one 4 KiB page of it (gpa without the shared bit; prot PROT_READ |
 *                     PROT_WRITE | PROT_EXEC). An access to a GPA that is not mapped is an
 *                     EXIT_REASON_EPT_VIOLATION exit.
 * map_alias(w, gpa, shared, src)
 *                     optional (NULL: -EOPNOTSUPP): map the page at @src, a page of a
 *                     MAP_SHARED mapping in the tdxsim process, at @gpa, readable and
 *                     writable, so that both addresses reach the same memory. Only the
 *                     native backend can: the system backend's guest memory is the machine's
 *                     physical memory, which QEMU was given at its start.
 * map_deferred(w, gpa, shared, hpa, prot), flush(w)
 *                     optional (NULL: td_window_map_deferred() is map, td_window_flush() does
 *                     nothing): the same as map for a space no guest code runs in yet (a TD
 *                     being built), where the backend may gather contiguous pages and change
 *                     its tables once for the run. The page is mapped as far as every caller
 *                     can tell (td_window_is_mapped(), the snapshot's list, a host access to
 *                     it); flush(w) makes the tables so before guest code may run in w.
 * set_suppress_ve(w, gpa, size, suppress), suppress_ve(w, gpa)
 *                     the suppress-#VE bit of the shared EPT's entries for [gpa, gpa + size)
 *                     (shared GPAs, shared bit included or not): where it is clear, an EPT
 *                     violation on a shared GPA is a #VE in the guest, where it is set a TD
 *                     exit to the VMM. A new address space has it clear everywhere (a zeroed
 *                     EPT); the VMM sets it where it wants TD exits, as KVM does.
 * space_base(w)       the linear address the TD's guest code finds its GPAs at (private GPA g
 *                     at base + g, shared at base + TDXSIM_WINDOW_SIZE + g): natively the
 *                     window in the tdxsim process, on the system backend
 *                     TDXSIM_SYSTEM_WINDOW_BASE (the guest's own page tables map it).
 * space_va(w, gpa, shared), is_mapped(w, gpa, shared), shared_bit(w)
 *                     the host's view of a mapped GPA (the module reads TDCALL operands
 *                     through it, the VMM its shared pages; NULL where nothing is mapped on
 *                     a backend that cannot tell), whether it is mapped, and 1 << (GPAW - 1).
 * vcpu_init(g)        TDH.VP.INIT: g->window and TDX's GPRs are set; the backend creates its
 *                     state for the vCPU and gives it the architectural start (RIP, the
 *                     boot registers tdxsim adds). 0 or -errno.
 * vcpu_destroy(g)     the vCPU's TDVPR goes back to the host: its backend state goes too.
 * want_intr_window(g) optional: a virtual interrupt is pending that the guest cannot take now
 *                     (IF = 0 or an STI shadow): call the intr_window hook when it can. A
 *                     backend that reports every window opening itself leaves it NULL.
 * run(ctx)            optional: the platform's resume path calls it after every SEAMCALL hook
 *                     on the LP. When the context now holds a guest of this backend (an
 *                     enter), it runs that guest on the LP's thread and hands each exit to
 *                     the vm_exit hook until the hook switches back with exit(ctx); the
 *                     host context is then resumed as usual. NULL where returning resumes
 *                     the guest by itself (native).
 * kick(lp)            optional: lp_kick/lp_send_ipi latched an event for the LP: make a guest
 *                     of this backend running there exit (EXIT_REASON_EXTERNAL_INTERRUPT).
 * space_any()         optional: does any address space of this backend exist (the backend
 *                     cannot be changed then)?
 * read_linear(g, gla, buf, len), idt_base(g)
 *                     the stopped guest's memory at a linear address, through its own paging
 *                     as it is now (bytes copied: fewer where a page is not there), and the
 *                     base of its IDT (IDTR): what tdxsim's trace hooks report of a #VE.
 */
struct cpu_backend_ops {
	const char *name;
	void (*enter)(struct cpu_regs *ctx, struct guest_cpu *g);
	void (*exit)(struct cpu_regs *ctx);
	void (*inject)(struct cpu_regs *ctx, struct guest_cpu *g, uint32_t intr_info,
		       uint32_t error_code);
	void (*single_step)(struct cpu_regs *ctx, struct guest_cpu *g);
	struct td_window *(*space_create)(unsigned int gpaw);
	void (*space_destroy)(struct td_window *w);
	int (*map)(struct td_window *w, uint64_t gpa, bool shared, uint64_t hpa, int prot);
	int (*unmap)(struct td_window *w, uint64_t gpa, bool shared);
	int (*map_alias)(struct td_window *w, uint64_t gpa, bool shared, void *src);
	int (*map_deferred)(struct td_window *w, uint64_t gpa, bool shared, uint64_t hpa, int prot);
	int (*flush)(struct td_window *w);
	int (*set_suppress_ve)(struct td_window *w, uint64_t gpa, uint64_t size, bool suppress);
	bool (*suppress_ve)(const struct td_window *w, uint64_t gpa);
	uintptr_t (*space_base)(const struct td_window *w);
	void *(*space_va)(const struct td_window *w, uint64_t gpa, bool shared);
	bool (*is_mapped)(const struct td_window *w, uint64_t gpa, bool shared);
	uint64_t (*shared_bit)(const struct td_window *w);
	int (*vcpu_init)(struct guest_cpu *g);
	void (*vcpu_destroy)(struct guest_cpu *g);
	void (*want_intr_window)(struct guest_cpu *g);
	void (*run)(struct cpu_regs *ctx);
	void (*kick)(unsigned int lp);
	bool (*space_any)(void);
	unsigned int (*read_linear)(struct guest_cpu *g, uint64_t gla, void *buf, unsigned int len);
	uint64_t (*idt_base)(struct guest_cpu *g);
};

/* The native backend (platform/), the machine's default. */
extern const struct cpu_backend_ops cpu_backend_native;
/* The system backend (platform/system/backend.c, docs/SYSTEM.md): system_backend_start(). */
extern const struct cpu_backend_ops cpu_backend_system;
/* The backend TDs run on. */
const struct cpu_backend_ops *cpu_backend(void);
/*
 * Choose the backend (NULL: the native one). Only while no TD address space exists
 * (-EBUSY otherwise); 0 on success.
 */
int platform_set_cpu_backend(const struct cpu_backend_ops *ops);

/*
 * What the module gives the machine (platform_set_hooks): the backend's side of the
 * interface calls these on the LP concerned. Each gets the register context that will be
 * resumed when it returns, and edits it or switches worlds with cpu_backend()->enter/exit.
 *
 * seamcall:    a SEAMCALL on an LP in VMX operation with the module present (host code, not
 *              a backend's guest). ctx->rip is the instruction; the hook advances it by
 *              insn_len.
 * vm_exit:     guest code stopped for something the module decides (struct vm_exit).
 *              Exceptions the guest handles itself (#PF, #DE, #UD, ...) are delivered by the
 *              backend and never reach this hook.
 * intr_window: the backend's virtual CPU opened the interrupt window without an exit (the
 *              instruction after STI completed, or an IRETQ set IF): a pending interrupt may
 *              now be delivered. Optional.
 */
struct platform_hooks {
	void (*seamcall)(struct cpu_regs *ctx, unsigned int insn_len);
	void (*vm_exit)(struct cpu_regs *ctx, const struct vm_exit *exit);
	void (*intr_window)(struct cpu_regs *ctx);
};
void platform_set_hooks(const struct platform_hooks *hooks);

#endif
