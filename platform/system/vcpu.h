/* SPDX-License-Identifier: MIT */
/*
 * A TD's guest-physical address space as nested page tables, and a vCPU that runs on an LP
 * of the system backend: the pieces the backend's side of platform/cpu_backend.h is made of
 * (docs/SYSTEM.md "Address spaces and vCPUs").
 */
#ifndef TDXSIM_PLATFORM_SYSTEM_VCPU_H
#define TDXSIM_PLATFORM_SYSTEM_VCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "platform/cpu_backend.h"
#include "platform/platform.h"
#include "platform/system/exit.h"
#include "platform/system/system.h"

struct system_space;
struct system_vcpu;

/*
 * A GPAW-wide guest-physical space (gpaw 48 at most: 4-level nested tables): private GPAs
 * and shared ones (bit gpaw - 1 set) map 4 KiB pages of the machine; whatever is not mapped
 * is an NPF. The suppress-#VE bit of the shared EPT is kept in the tables too (an available
 * bit), so it survives a page's unmapping and remapping.
 */
struct system_space *system_space_create(struct system_vm *vm, unsigned int gpaw);
void system_space_destroy(struct system_space *sp);
int system_space_map(struct system_space *sp, uint64_t gpa, bool shared, uint64_t hpa, int prot);
int system_space_unmap(struct system_space *sp, uint64_t gpa, bool shared);
int system_space_set_suppress_ve(struct system_space *sp, uint64_t gpa, uint64_t size,
				 bool suppress);
bool system_space_suppress_ve(const struct system_space *sp, uint64_t gpa);
/* The host's view of the page a GPA (shared bit included) maps, at its offset; NULL if none. */
void *system_space_host(const struct system_space *sp, uint64_t gpa);

/*
 * A vCPU: its VMCB (the intercepts of a TD's exits, nested paging with the space's tables),
 * IOPM and MSRPM (every port and MSR intercepted) and XSAVE area, in the backend's pool.
 */
int system_vcpu_create(struct system_vm *vm, struct system_space *sp, struct system_vcpu **out);
void system_vcpu_destroy(struct system_vcpu *v);
/* The guest's memory at a linear address through its paging as the VMCB has it: bytes read. */
unsigned int system_vcpu_read_linear(struct system_vcpu *v, uint64_t gla, void *buf,
				     unsigned int len);
/*
 * A 64-bit CPL0 state: flat code 0x08 and data 0x10 segments, CR0 PG|WP|NE|ET|MP|PE, CR4
 * PAE|OSFXSR|OSXMMEXCPT, EFER LME|LMA, the guest's page tables at cr3, its IDT and GDT.
 */
void system_vcpu_set_long_mode(struct system_vcpu *v, uint64_t cr3, uint64_t idt_base,
			       uint16_t idt_limit, uint64_t gdt_base, uint16_t gdt_limit);
/* The same on a VMCB of the caller's (the shim's own tests build theirs by hand). */
void vmcb_set_long_mode(void *vmcb, uint64_t cr3, uint64_t idt_base, uint16_t idt_limit,
			uint64_t gdt_base, uint16_t gdt_limit);
/*
 * The state TDX gives every vCPU at TDH.VP.INIT: 32-bit protected mode at RIP 0xFFFFFFF0, flat
 * 4 GiB segments, CR0 PE|NE, EFER LME|NXE|SCE, PAT 0x0007040600070406 (the TDX module's
 * td_vmcs_init.c). CR4 is MCE alone: TDX's CR4.VMXE would make QEMU refuse the VMRUN (its CPU
 * has no VMX), and a TD reads CR4 through the module's mask anyway. The GPRs (RBX = GPAW,
 * RCX = R8, RDX, RSI) are the caller's, in the cpu_regs it runs with.
 */
void system_vcpu_set_reset_state(struct system_vcpu *v);
/*
 * The guest's XCR0 from the next run on (0: whatever the LP has, which is what the last guest
 * there left), and XCR0 as the guest left it at its last exit: QEMU 7.2's SVM runs a guest's
 * XSETBV without the intercept, so the guest's own value is read back after every run.
 */
void system_vcpu_set_xcr0(struct system_vcpu *v, uint64_t xcr0);
uint64_t system_vcpu_guest_xcr0(const struct system_vcpu *v);
/*
 * The next run reports a kick (an INTR exit) when the LP's kick count is past base; without
 * it, past the count when the run is requested. A caller that checks its own kick flags
 * before running reads system_kicks() first, so a kick in between is never lost.
 */
void system_vcpu_set_kick_base(struct system_vcpu *v, uint32_t base);
/* The VMCB, for what this interface does not cover (the tests, the reset state). */
void *system_vcpu_vmcb(struct system_vcpu *v);

/*
 * Run the vCPU on LP lp from regs (GPRs, RIP, RFLAGS) with the event intr_info/error (VMX
 * layout; 0: none) injected, until an exit for the module: *out is its VMX exit information
 * and regs the guest's registers at the exit. Exceptions the guest handles itself (a #UD that
 * is not TDCALL/VMCALL/SEAMCALL) are put back and the guest runs on, and so is an SMI.
 * timer_ns: preempt after so long (0: never). 0, or a negative errno with err filled.
 */
int system_vcpu_run(struct system_vcpu *v, unsigned int lp, struct cpu_regs *regs,
		    uint32_t intr_info, uint32_t error, uint64_t timer_ns, struct vm_exit *out,
		    char *err, size_t len);

#endif
