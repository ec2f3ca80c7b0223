// SPDX-License-Identifier: MIT
/*
 * The system backend's whole path, without the module: QEMU boots the SEAM shim with the
 * machine's memfd as its RAM, and a few bytes of CPL0 guest code placed in physical memory by
 * this test run as the shim's nested guest under SVM with nested paging. Each exit arrives
 * here through the LP's mailbox with the guest's registers; the answers (registers, RIP, an
 * injected #VE) go back the same way. Also: QEMU's supervision (no orphan after any way the
 * process ends, a missing or failing QEMU is a clear error) and the measured round trips.
 * Skips (77) only when qemu-system-x86_64 is not installed.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "platform/platform.h"
#include "platform/system/exit.h"
#include "platform/system/svm.h"
#include "platform/system/system.h"
#include "platform/system/vcpu.h"
#include "raw_td.h"

/* Host-physical layout of the test's guest (all below 2 GiB: QEMU's address = the HPA). */
#define NPT_HPA	  0x800000ULL /* PML4, PDPT, PD, PT: 4 pages */
#define VMCB_HPA  0x810000ULL
#define IOPM_HPA  0x812000ULL  /* 12 KiB */
#define MSRPM_HPA 0x816000ULL  /* 8 KiB */
#define GUEST_HPA 0x1000000ULL /* GPA 0 */
#define HOLE_GPA  0x1F0000ULL  /* the one GPA of [0, 2 MiB) the NPT leaves unmapped */

/* Guest-physical layout; the guest maps [0, 2 MiB) 1:1 with one 2 MiB page. */
#define CODE_GPA  0x1000ULL
#define IDT_GPA	  0x2000ULL
#define GDT_GPA	  0x2800ULL
#define PT_GPA	  0x3000ULL /* PML4, PDPT, PD */
#define STACK_TOP 0x9000ULL

/*
 * The guest's code at CODE_GPA:
 *   +0x00  66 0F 01 CC              tdcall
 *   +0x04  B8 21 00 00 00           mov $0x21, %eax
 *   +0x09  31 C9                    xor %ecx, %ecx
 *   +0x0B  0F A2                    cpuid
 *   +0x0D  4C 8B 0C 25 00 00 1F 00  mov 0x1F0000, %r9      (NPF: the hole)
 *   +0x15  F4                       hlt
 * the #VE handler (IDT vector 20) at +0x16: the frame into registers, then HLT:
 *   +0x16  48 8B 3C 24              mov (%rsp), %rdi        frame RIP
 *   +0x1A  48 8B 74 24 08           mov 8(%rsp), %rsi       CS
 *   +0x1F  48 8B 54 24 10           mov 0x10(%rsp), %rdx    RFLAGS
 *   +0x24  4C 8B 54 24 18           mov 0x18(%rsp), %r10    RSP
 *   +0x29  4C 8B 5C 24 20           mov 0x20(%rsp), %r11    SS
 *   +0x2E  48 89 E5                 mov %rsp, %rbp
 *   +0x31  F4                       hlt
 * a CPUID loop at +0x32 (0F A2 EB FC), a spin at +0x36 (EB FE), UD2 at +0x38 (0F 0B),
 * and at +0x3A a load from linear 1 GiB, which the guest maps to the shared GPA 1 << 47:
 *   +0x3A  48 8B 04 25 00 00 00 40  mov 0x40000000, %rax
 *   +0x42  F4                       hlt
 * and at +0x43 the SSE register across an exit:
 *   +0x43  66 48 0F 6E C0           movq %rax, %xmm0
 *   +0x48  0F A2                    cpuid
 *   +0x4A  66 48 0F 7E C3           movq %xmm0, %rbx
 *   +0x4F  F4                       hlt
 */
static const uint8_t guest_code[] = {
	0x66, 0x0F, 0x01, 0xCC, 0xB8, 0x21, 0x00, 0x00, 0x00, 0x31, 0xC9, 0x0F, 0xA2, 0x4C,
	0x8B, 0x0C, 0x25, 0x00, 0x00, 0x1F, 0x00, 0xF4, 0x48, 0x8B, 0x3C, 0x24, 0x48, 0x8B,
	0x74, 0x24, 0x08, 0x48, 0x8B, 0x54, 0x24, 0x10, 0x4C, 0x8B, 0x54, 0x24, 0x18, 0x4C,
	0x8B, 0x5C, 0x24, 0x20, 0x48, 0x89, 0xE5, 0xF4, 0x0F, 0xA2, 0xEB, 0xFC, 0xEB, 0xFE,
	0x0F, 0x0B, 0x48, 0x8B, 0x04, 0x25, 0x00, 0x00, 0x00, 0x40, 0xF4, 0x66, 0x48, 0x0F,
	0x6E, 0xC0, 0x0F, 0xA2, 0x66, 0x48, 0x0F, 0x7E, 0xC3, 0xF4,
};
#define TDCALL_RIP (CODE_GPA + 0x00)
#define CPUID_RIP  (CODE_GPA + 0x0B)
#define NPF_RIP	   (CODE_GPA + 0x0D)
#define VE_HANDLER (CODE_GPA + 0x16)
#define VE_HLT_RIP (CODE_GPA + 0x31)
#define LOOP_RIP   (CODE_GPA + 0x32)
#define SPIN_RIP   (CODE_GPA + 0x36)
#define UD2_RIP	   (CODE_GPA + 0x38)
#define SHARED_RIP (CODE_GPA + 0x3A)
#define SHARED_GPA (1ULL << 47)
#define SSE_RIP	   (CODE_GPA + 0x43)
#define PD2_GPA	   0x6000ULL /* the guest's PD for linear [1 GiB, 2 GiB) */

#define UD_VECTOR 6
#define VE_VECTOR 20

static struct system_vm *vm;
static char err[2048];

static void *hva(uint64_t hpa)
{
	return phys_seam_va(hpa);
}

static void *gva(uint64_t gpa)
{
	return phys_seam_va(GUEST_HPA + gpa);
}

static void put64(uint64_t hpa, uint64_t v)
{
	memcpy(hva(hpa), &v, 8);
}

/* The NPT maps GPA [0, 2 MiB) to GUEST_HPA, 4 KiB pages, all but HOLE_GPA. */
static void build_npt(void)
{
	const uint64_t a = NPT_P | NPT_RW | NPT_US;

	memset(hva(NPT_HPA), 0, 4 * 4096);
	put64(NPT_HPA, system_gpa(NPT_HPA + 0x1000) | a);
	put64(NPT_HPA + 0x1000, system_gpa(NPT_HPA + 0x2000) | a);
	put64(NPT_HPA + 0x2000, system_gpa(NPT_HPA + 0x3000) | a);
	for (uint64_t i = 0; i < 512; i++)
		if (i * 4096 != HOLE_GPA)
			put64(NPT_HPA + 0x3000 + i * 8, system_gpa(GUEST_HPA + i * 4096) | a);
}

static void build_guest(void)
{
	uint64_t *pt = gva(PT_GPA);
	uint8_t *idt = gva(IDT_GPA);
	uint64_t *gdt = gva(GDT_GPA);
	uint64_t h = VE_HANDLER;

	memset(gva(0), 0, 0x10000);
	memcpy(gva(CODE_GPA), guest_code, sizeof(guest_code));
	pt[0] = (PT_GPA + 0x1000) | 3;
	pt[512] = (PT_GPA + 0x2000) | 3;
	pt[1024] = 0 | 0x83; /* 2 MiB page at 0 */
	pt[512 + 1] = PD2_GPA | 3;
	((uint64_t *)gva(PD2_GPA))[0] = SHARED_GPA | 0x83; /* linear 1 GiB: the shared GPA 0 */
	gdt[1] = 0x00AF9A000000FFFFULL;
	gdt[2] = 0x00CF92000000FFFFULL;
	/* IDT[20] and IDT[6]: 64-bit interrupt gates to the handler, selector 0x08, DPL 0 */
	for (uint8_t *gate = idt + VE_VECTOR * 16; gate;
	     gate = gate == idt + UD_VECTOR * 16 ? NULL : idt + UD_VECTOR * 16) {
		gate[0] = (uint8_t)h;
		gate[1] = (uint8_t)(h >> 8);
		gate[2] = 0x08;
		gate[5] = 0x8E;
		gate[6] = (uint8_t)(h >> 16);
		gate[7] = (uint8_t)(h >> 24);
	}
}

/* A CPL0 64-bit guest at rip: the intercepts of a TD's exits, nested paging on. */
static void build_vmcb(uint64_t rip)
{
	void *v = hva(VMCB_HPA);

	memset(v, 0, 4096);
	memset(hva(IOPM_HPA), 0xFF, 12288);
	memset(hva(MSRPM_HPA), 0xFF, 8192);
	vmcb_set32(v, VMCB_INTERCEPT_EXC, 1U << UD_VECTOR);
	vmcb_set32(v, VMCB_INTERCEPT_MISC1,
		   SVM_INTERCEPT_INTR | SVM_INTERCEPT_NMI | SVM_INTERCEPT_SMI | SVM_INTERCEPT_INIT |
			   SVM_INTERCEPT_CPUID | SVM_INTERCEPT_HLT | SVM_INTERCEPT_IOIO_PROT |
			   SVM_INTERCEPT_MSR_PROT | SVM_INTERCEPT_SHUTDOWN);
	vmcb_set32(v, VMCB_INTERCEPT_MISC2, SVM_INTERCEPT_VMRUN | SVM_INTERCEPT_VMMCALL);
	vmcb_set(v, VMCB_IOPM_BASE, system_gpa(IOPM_HPA));
	vmcb_set(v, VMCB_MSRPM_BASE, system_gpa(MSRPM_HPA));
	vmcb_set32(v, VMCB_ASID, 1);
	vmcb_set32(v, VMCB_TLB_CONTROL, 1);
	vmcb_set32(v, VMCB_INT_CTL, 1U << 24); /* V_INTR_MASKING */
	vmcb_set(v, VMCB_NP_ENABLE, 1);
	vmcb_set(v, VMCB_N_CR3, system_gpa(NPT_HPA));
	vmcb_set_long_mode(v, PT_GPA, IDT_GPA, 0xFFF, GDT_GPA, 0x17);
	vmcb_set(v, VMCB_DR6, 0xFFFF0FF0);
	vmcb_set(v, VMCB_DR7, 0x400);
	vmcb_set(v, VMCB_G_PAT, 0x0007040600070406ULL);
	vmcb_set(v, VMCB_RFLAGS, 0x2);
	vmcb_set(v, VMCB_RIP, rip);
	vmcb_set(v, VMCB_RSP, STACK_TOP);
	vmcb_set(v, VMCB_RAX, 0xAAAA);
}

static uint64_t vmcb(unsigned int off)
{
	return vmcb_get(hva(VMCB_HPA), off);
}

static void vmcb_put(unsigned int off, uint64_t v)
{
	vmcb_set(hva(VMCB_HPA), off, v);
}

/* Run LP 0's guest until its next exit; the exit code. */
static uint64_t run(unsigned int lp)
{
	struct shim_mailbox *mb = system_mailbox(vm, lp);
	int r;

	mb->cmd = SHIM_CMD_RUN;
	mb->vmcb_pa = system_gpa(VMCB_HPA);
	mb->xsave_pa = 0; /* no extended-state switch: the hand-made guest does not use it */
	r = system_call(vm, lp, err, sizeof(err));
	if (r)
		fail_msg("system_call: %d: %s", r, err);
	return vmcb(VMCB_EXITCODE);
}

static void *guest_page(void *arg, uint64_t gpa)
{
	(void)arg;
	return gpa < 0x200000 && gpa / 4096 != HOLE_GPA / 4096 ? gva(gpa) : NULL;
}

/* The exit as the module will see it: the backend's translation, bytes read at RIP. */
static enum system_exit_action vmx_exit(struct vm_exit *e)
{
	struct svm_exit s = {
		.code = vmcb(VMCB_EXITCODE),
		.info1 = vmcb(VMCB_EXITINFO1),
		.info2 = vmcb(VMCB_EXITINFO2),
		.intinfo = vmcb(VMCB_EXITINTINFO),
		.rip = vmcb(VMCB_RIP),
	};
	uint64_t inj;

	s.insn_bytes = system_guest_read(vmcb(VMCB_CR0), vmcb(VMCB_CR3), vmcb(VMCB_EFER), s.rip,
					 s.insn, sizeof(s.insn), guest_page, NULL);
	return system_exit_translate(&s, e, &inj);
}

static int boot(void **state)
{
	struct machine_config cfg;
	struct system_opts o = {.nr_lps = 2};

	(void)state;
	if (machine_preset("tiny", &cfg) || platform_boot(&cfg))
		return -1;
	if (system_start(&o, &vm, err, sizeof(err))) {
		fprintf(stderr, "system_start: %s\n", err);
		return -1;
	}
	return 0;
}

static int shutdown_all(void **state)
{
	(void)state;
	system_stop(vm);
	vm = NULL;
	platform_shutdown();
	return 0;
}

static void test_boot(void **state)
{
	(void)state;
	assert_int_equal(system_nr_lps(vm), 2);
	for (unsigned int lp = 0; lp < 2; lp++) {
		struct shim_mailbox *mb = system_mailbox(vm, lp);

		assert_int_equal(mb->state, SHIM_STATE_READY);
		assert_int_equal(mb->apic_id, lp);
		mb->cmd = SHIM_CMD_PING;
		assert_int_equal(system_call(vm, lp, err, sizeof(err)), 0);
		assert_int_equal(mb->status, SHIM_OK);
	}
	assert_non_null(strstr(system_log(vm), "shim: up"));
}

/* TDCALL (#UD), CPUID, NPF, an injected #VE through the guest's own IDT, HLT. */
static void test_exits(void **state)
{
	struct shim_mailbox *mb = system_mailbox(vm, 0);
	uint64_t *g = mb->gpr;
	struct vm_exit e;

	(void)state;
	build_npt();
	build_guest();
	build_vmcb(CODE_GPA);
	for (unsigned int i = 0; i < 16; i++)
		g[i] = 0x0101010101010101ULL * (i + 1);

	/* TDCALL: #UD at its RIP, the guest's registers as loaded */
	assert_int_equal(run(0), SVM_EXIT_EXCP_BASE + UD_VECTOR);
	assert_int_equal(vmcb(VMCB_RIP), TDCALL_RIP);
	assert_int_equal(vmcb(VMCB_RAX), 0xAAAA);
	assert_int_equal(vmcb(VMCB_RSP), STACK_TOP);
	for (unsigned int i = 1; i < 16; i++)
		if (i != 4)
			assert_int_equal(g[i], 0x0101010101010101ULL * (i + 1));
	assert_int_equal(vmcb(VMCB_EXITINTINFO), 0);
	assert_int_equal(vmx_exit(&e), SYSTEM_EXIT_MODULE);
	assert_int_equal(e.reason, EXIT_REASON_TDCALL);
	assert_int_equal(e.insn_len, 4);
	/* the answer: RAX = 0, RIP past the 4 bytes */
	vmcb_put(VMCB_RAX, 0);
	vmcb_put(VMCB_RIP, TDCALL_RIP + 4);

	/* CPUID with its leaf and subleaf */
	assert_int_equal(run(0), SVM_EXIT_CPUID);
	assert_int_equal(vmcb(VMCB_RIP), CPUID_RIP);
	assert_int_equal(vmcb(VMCB_RAX), 0x21);
	assert_int_equal(g[1], 0);
	assert_int_equal(g[3], 0x0404040404040404ULL);
	assert_int_equal(vmx_exit(&e), SYSTEM_EXIT_MODULE);
	assert_int_equal(e.reason, EXIT_REASON_CPUID);
	assert_int_equal(e.insn_len, 2);
	vmcb_put(VMCB_RAX, 0x11);
	g[3] = 0x22;
	g[1] = 0x33;
	g[2] = 0x44;
	vmcb_put(VMCB_RIP, CPUID_RIP + 2);

	/* the load from the unmapped GPA: NPF with the GPA, the guest kept CPUID's answer */
	assert_int_equal(run(0), SVM_EXIT_NPF);
	assert_int_equal(vmcb(VMCB_RIP), NPF_RIP);
	assert_int_equal(vmcb(VMCB_EXITINFO2), HOLE_GPA);
	assert_int_equal(vmcb(VMCB_EXITINFO1), SVM_NPF_FINAL_GPA | SVM_NPF_USER);
	assert_int_equal(vmcb(VMCB_RAX), 0x11);
	assert_int_equal(g[3], 0x22);
	assert_int_equal(g[1], 0x33);
	assert_int_equal(g[2], 0x44);
	assert_int_equal(vmx_exit(&e), SYSTEM_EXIT_MODULE);
	assert_int_equal(e.reason, EXIT_REASON_EPT_VIOLATION);
	assert_int_equal(e.gpa, HOLE_GPA);
	assert_int_equal(e.qual, EXIT_QUAL_EPT_READ);
	/* the answer: #VE, taken at the faulting instruction through the guest's IDT */
	vmcb_put(VMCB_EVENTINJ,
		 system_eventinj(VE_VECTOR | INTR_TYPE_HARD_EXCEPTION | INTR_INFO_VALID, 0));
	assert_int_equal(vmcb(VMCB_EVENTINJ), VE_VECTOR | SVM_EVTINJ_TYPE_EXEPT | SVM_EVTINJ_VALID);

	assert_int_equal(run(0), SVM_EXIT_HLT);
	assert_int_equal(vmcb(VMCB_RIP), VE_HLT_RIP);
	assert_int_equal(g[7], NPF_RIP);	/* frame RIP: the faulting instruction */
	assert_int_equal(g[6], 0x08);		/* CS */
	assert_int_equal(g[2], 0x46);		/* RFLAGS: ZF PF from the XOR */
	assert_int_equal(g[10], STACK_TOP);	/* RSP */
	assert_int_equal(g[11], 0x10);		/* SS */
	assert_int_equal(g[5], STACK_TOP - 40); /* no error code: five slots */
	assert_int_equal(vmcb(VMCB_EVENTINJ) & SVM_EVTINJ_VALID, 0);
	assert_int_equal(vmx_exit(&e), SYSTEM_EXIT_MODULE);
	assert_int_equal(e.reason, EXIT_REASON_HLT);
	assert_int_equal(e.insn_len, 1);
}

/* An external interrupt injected with EVENTINJ, and a kick that makes a busy guest exit. */
static void *kicker(void *arg)
{
	struct timespec d = {0, 20 * 1000 * 1000};

	(void)arg;
	nanosleep(&d, NULL);
	system_kick(vm, 1);
	return NULL;
}

static void test_interrupts(void **state)
{
	struct shim_mailbox *mb = system_mailbox(vm, 1);
	struct vm_exit e;
	pthread_t t;

	(void)state;
	build_npt();
	build_guest();
	/* vector 20's gate serves as an external interrupt's too: the frame has no error code */
	build_vmcb(SPIN_RIP);
	vmcb_put(VMCB_EVENTINJ, VE_VECTOR | SVM_EVTINJ_TYPE_INTR | SVM_EVTINJ_VALID);
	vmcb_put(VMCB_RFLAGS, 0x202);
	assert_int_equal(run(1), SVM_EXIT_HLT);
	assert_int_equal(vmcb(VMCB_RIP), VE_HLT_RIP);
	assert_int_equal(mb->gpr[7], SPIN_RIP);
	assert_int_equal(mb->gpr[2], 0x202);
	assert_int_equal(vmcb(VMCB_RFLAGS) & 0x200, 0); /* an interrupt gate clears IF */

	/* the spin loop: the preemption timer ends it */
	build_vmcb(SPIN_RIP);
	mb->timer_ns = 1000000;
	assert_int_equal(run(1), SVM_EXIT_INTR);
	assert_int_equal(vmcb(VMCB_RIP), SPIN_RIP);
	assert_int_equal(vmx_exit(&e), SYSTEM_EXIT_MODULE);
	assert_int_equal(e.reason, EXIT_REASON_EXTERNAL_INTERRUPT);
	mb->timer_ns = 0;

	/* and a kick from another host thread while it spins */
	build_vmcb(SPIN_RIP);
	assert_int_equal(pthread_create(&t, NULL, kicker, NULL), 0);
	assert_int_equal(run(1), SVM_EXIT_INTR);
	assert_int_equal(vmcb(VMCB_RIP), SPIN_RIP);
	assert_int_equal(pthread_join(t, NULL), 0);
}

/*
 * The same path through the backend's own pieces: the space's nested tables (map, unmap,
 * the shared bit, suppress-#VE) and the vCPU loop, which reports VMX exits and registers and
 * puts the guest's own #UD back itself.
 */
static void test_vcpu_and_space(void **state)
{
	struct cpu_regs r = {.rflags = 0x2};
	struct system_space *sp = system_space_create(vm, 48);
	struct system_vcpu *v = NULL;
	const uint64_t shared_hpa = 0x3000000, magic = 0x5EC0DE5EC0DEULL;
	struct vm_exit e;
	char msg[256];

	(void)state;
	assert_non_null(sp);
	build_guest();
	for (uint64_t gpa = 0; gpa < 0x200000; gpa += 4096)
		if (gpa != HOLE_GPA)
			assert_int_equal(system_space_map(sp, gpa, false, GUEST_HPA + gpa,
							  PROT_READ | PROT_WRITE | PROT_EXEC),
					 0);
	assert_int_equal(system_vcpu_create(vm, sp, &v), 0);
	system_vcpu_set_long_mode(v, PT_GPA, IDT_GPA, 0xFFF, GDT_GPA, 0x17);
	assert_ptr_equal(system_space_host(sp, CODE_GPA + 1), gva(CODE_GPA + 1));
	assert_null(system_space_host(sp, HOLE_GPA));

	for (unsigned int i = 0; i < 16; i++)
		r.gpr[i] = 0x1111111111111111ULL * (i + 1);
	r.gpr[REG_RSP_] = STACK_TOP;
	r.rip = CODE_GPA;
	assert_int_equal(system_vcpu_run(v, 0, &r, 0, 0, 0, &e, msg, sizeof(msg)), 0);
	assert_int_equal(e.reason, EXIT_REASON_TDCALL);
	assert_int_equal(e.insn_len, 4);
	assert_int_equal(r.rip, TDCALL_RIP);
	for (unsigned int i = 0; i < 16; i++)
		assert_int_equal(r.gpr[i],
				 i == REG_RSP_ ? STACK_TOP : 0x1111111111111111ULL * (i + 1));
	r.gpr[REG_RAX_] = 0;
	r.rip += e.insn_len;
	assert_int_equal(system_vcpu_run(v, 0, &r, 0, 0, 0, &e, msg, sizeof(msg)), 0);
	assert_int_equal(e.reason, EXIT_REASON_CPUID);
	assert_int_equal(r.gpr[REG_RAX_], 0x21);
	r.rip += e.insn_len;
	assert_int_equal(system_vcpu_run(v, 0, &r, 0, 0, 0, &e, msg, sizeof(msg)), 0);
	assert_int_equal(e.reason, EXIT_REASON_EPT_VIOLATION);
	assert_int_equal(e.gpa, HOLE_GPA);
	assert_int_equal(r.rip, NPF_RIP);
	/* #VE through the vCPU's event injection */
	assert_int_equal(system_vcpu_run(v, 0, &r,
					 VE_VECTOR | INTR_TYPE_HARD_EXCEPTION | INTR_INFO_VALID, 0,
					 0, &e, msg, sizeof(msg)),
			 0);
	assert_int_equal(e.reason, EXIT_REASON_HLT);
	assert_int_equal(r.rip, VE_HLT_RIP);
	assert_int_equal(r.gpr[REG_RDI_], NPF_RIP);

	/* UD2: the guest's own #UD, put back by the backend, taken by its IDT[6] */
	r.rip = UD2_RIP;
	r.gpr[REG_RSP_] = STACK_TOP;
	assert_int_equal(system_vcpu_run(v, 0, &r, 0, 0, 0, &e, msg, sizeof(msg)), 0);
	assert_int_equal(e.reason, EXIT_REASON_HLT);
	assert_int_equal(r.gpr[REG_RDI_], UD2_RIP);

	/* the shared GPA: an EPT violation with the shared bit, until the page is mapped */
	assert_false(system_space_suppress_ve(sp, 0));
	r.rip = SHARED_RIP;
	r.gpr[REG_RSP_] = STACK_TOP;
	assert_int_equal(system_vcpu_run(v, 1, &r, 0, 0, 0, &e, msg, sizeof(msg)), 0);
	assert_int_equal(e.reason, EXIT_REASON_EPT_VIOLATION);
	assert_int_equal(e.gpa, SHARED_GPA);
	assert_int_equal(e.qual, EXIT_QUAL_EPT_READ);
	assert_int_equal(system_space_set_suppress_ve(sp, SHARED_GPA, 4096, true), 0);
	assert_true(system_space_suppress_ve(sp, 0));
	assert_true(system_space_suppress_ve(sp, SHARED_GPA));
	memcpy(phys_seam_va(shared_hpa), &magic, 8);
	assert_int_equal(system_space_map(sp, 0, true, shared_hpa, PROT_READ | PROT_WRITE), 0);
	assert_true(system_space_suppress_ve(sp, 0)); /* kept across the mapping */
	assert_int_equal(system_vcpu_run(v, 1, &r, 0, 0, 0, &e, msg, sizeof(msg)), 0);
	assert_int_equal(e.reason, EXIT_REASON_HLT);
	assert_int_equal(r.gpr[REG_RAX_], magic);
	/* unmapped again: the next run faults again (the TLB is flushed) */
	assert_int_equal(system_space_unmap(sp, 0, true), 0);
	r.rip = SHARED_RIP;
	assert_int_equal(system_vcpu_run(v, 1, &r, 0, 0, 0, &e, msg, sizeof(msg)), 0);
	assert_int_equal(e.reason, EXIT_REASON_EPT_VIOLATION);
	assert_int_equal(e.gpa, SHARED_GPA);
	assert_int_equal(system_space_set_suppress_ve(sp, 0, 4096, false), 0);
	assert_false(system_space_suppress_ve(sp, 0));
	assert_int_equal(system_space_map(sp, 1ULL << 47, false, shared_hpa, PROT_READ), -EINVAL);

	system_vcpu_destroy(v);
	system_space_destroy(sp);
}

/*
 * The reset state TDX gives a vCPU: 32-bit protected mode at 0xFFFFFFF0 with the registers
 * of TDH.VP.INIT. The page at GPA 0xFFFFF000 holds a short jump back to 0xFFFFFF80, where
 * CPUID then HLT run. The second exit is the one QEMU's #VMEXIT flaw broke (a guest without
 * CR4.PAE left the shim with paging off: docs/SYSTEM.md), and the LP then serves the
 * 64-bit guests of test_smp.
 */
static void test_reset_vector(void **state)
{
	struct system_space *sp = system_space_create(vm, 48);
	struct system_vcpu *v = NULL;
	const uint64_t page_hpa = 0x3100000;
	uint8_t *page = phys_seam_va(page_hpa);
	struct cpu_regs r = {.rip = 0xFFFFFFF0, .rflags = 0x2};
	struct vm_exit e;
	char msg[256];

	(void)state;
	memset(page, 0xCC, 4096);
	page[0xFF0] = 0xEB; /* jmp 0xFFFFFF80 */
	page[0xFF1] = (uint8_t)(0x80 - 0xF2);
	page[0xF80] = 0x0F; /* cpuid */
	page[0xF81] = 0xA2;
	page[0xF82] = 0xF4; /* hlt */
	assert_int_equal(system_space_map(sp, 0xFFFFF000, false, page_hpa, PROT_READ | PROT_EXEC),
			 0);
	assert_int_equal(system_vcpu_create(vm, sp, &v), 0);
	system_vcpu_set_reset_state(v);
	r.gpr[REG_RBX_] = 48;
	r.gpr[REG_RCX_] = r.gpr[REG_R8_] = 0x1234;
	r.gpr[REG_RDX_] = 0x806F8;
	r.gpr[REG_RSI_] = 1;
	r.gpr[REG_RAX_] = 0x21;
	assert_int_equal(system_vcpu_run(v, 1, &r, 0, 0, 0, &e, msg, sizeof(msg)), 0);
	assert_int_equal(e.reason, EXIT_REASON_CPUID);
	assert_int_equal(e.insn_len, 2);
	assert_int_equal(r.rip, 0xFFFFFF80);
	assert_int_equal(r.gpr[REG_RAX_], 0x21);
	assert_int_equal(r.gpr[REG_RBX_], 48);
	assert_int_equal(r.gpr[REG_RCX_], 0x1234);
	assert_int_equal(r.gpr[REG_R8_], 0x1234);
	assert_int_equal(r.gpr[REG_RDX_], 0x806F8);
	assert_int_equal(r.gpr[REG_RSI_], 1);
	assert_int_equal(r.rflags, 0x2);
	/* CR0 as TDX sets it, with ET, which this CPU (as any since the i486) reads as 1 */
	assert_int_equal(vmcb_get(system_vcpu_vmcb(v), VMCB_CR0), 0x31);
	assert_int_equal(vmcb_get(system_vcpu_vmcb(v), VMCB_EFER), 0x1901);
	r.rip += e.insn_len;
	assert_int_equal(system_vcpu_run(v, 1, &r, 0, 0, 0, &e, msg, sizeof(msg)), 0);
	assert_int_equal(e.reason, EXIT_REASON_HLT);
	assert_int_equal(e.insn_len, 1);
	assert_int_equal(r.rip, 0xFFFFFF82);
	assert_int_equal(r.gpr[REG_RBX_], 48);
	system_vcpu_destroy(v);
	system_space_destroy(sp);
}

/*
 * Each vCPU's SSE registers are its own: two vCPUs take turns on one LP between an XMM0
 * write and its read, and each reads back its own value (the shim's XSAVE/XRSTOR switch).
 */
static void test_sse_across_vcpus(void **state)
{
	struct system_space *sp = system_space_create(vm, 48);
	struct system_vcpu *v[2];
	struct cpu_regs r[2];
	const uint64_t val[2] = {0xAAAA5555AAAA5555ULL, 0x123456789ABCDEF0ULL};
	struct vm_exit e;
	char msg[256];

	(void)state;
	build_guest();
	for (uint64_t gpa = 0; gpa < 0x200000; gpa += 4096)
		system_space_map(sp, gpa, false, GUEST_HPA + gpa,
				 PROT_READ | PROT_WRITE | PROT_EXEC);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(system_vcpu_create(vm, sp, &v[i]), 0);
		system_vcpu_set_long_mode(v[i], PT_GPA, IDT_GPA, 0xFFF, GDT_GPA, 0x17);
		r[i] = (struct cpu_regs){.rip = SSE_RIP, .rflags = 0x2};
		r[i].gpr[REG_RSP_] = STACK_TOP;
		r[i].gpr[REG_RAX_] = val[i];
		assert_int_equal(system_vcpu_run(v[i], 0, &r[i], 0, 0, 0, &e, msg, sizeof(msg)), 0);
		assert_int_equal(e.reason, EXIT_REASON_CPUID);
		r[i].rip += e.insn_len;
	}
	for (int i = 0; i < 2; i++) {
		assert_int_equal(system_vcpu_run(v[i], 0, &r[i], 0, 0, 0, &e, msg, sizeof(msg)), 0);
		assert_int_equal(e.reason, EXIT_REASON_HLT);
		assert_int_equal(r[i].gpr[REG_RBX_], val[i]);
	}
	for (int i = 0; i < 2; i++)
		system_vcpu_destroy(v[i]);
	system_space_destroy(sp);
}

/*
 * Code the host writes into a page where QEMU already translated other code: the next space
 * that maps the page runs the new code, not QEMU's translation of the old (the shim's touch
 * of mapped pages, docs/SYSTEM.md "QEMU's translated code"). `mov $n, %eax; hlt` at
 * CODE_GPA + 0x80, n = 1 in the first space, then 2 written by the host, in a second.
 */
static uint64_t run_mov_hlt(uint32_t n)
{
	static const uint8_t insn[] = {0xB8, 0, 0, 0, 0, 0xF4};
	struct system_space *sp = system_space_create(vm, 48);
	struct cpu_regs r = {.rip = CODE_GPA + 0x80, .rflags = 0x2};
	struct system_vcpu *v = NULL;
	struct vm_exit e;
	char msg[256];

	assert_non_null(sp);
	memcpy(gva(CODE_GPA + 0x80), insn, sizeof(insn));
	memcpy((uint8_t *)gva(CODE_GPA + 0x81), &n, 4);
	for (uint64_t gpa = 0; gpa < 0x200000; gpa += 4096)
		assert_int_equal(system_space_map(sp, gpa, false, GUEST_HPA + gpa,
						  PROT_READ | PROT_WRITE | PROT_EXEC),
				 0);
	assert_int_equal(system_vcpu_create(vm, sp, &v), 0);
	system_vcpu_set_long_mode(v, PT_GPA, IDT_GPA, 0xFFF, GDT_GPA, 0x17);
	r.gpr[REG_RSP_] = STACK_TOP;
	assert_int_equal(system_vcpu_run(v, 0, &r, 0, 0, 0, &e, msg, sizeof(msg)), 0);
	assert_int_equal(e.reason, EXIT_REASON_HLT);
	assert_int_equal(r.rip, CODE_GPA + 0x85);
	system_vcpu_destroy(v);
	system_space_destroy(sp);
	return r.gpr[REG_RAX_];
}

static void test_host_written_code(void **state)
{
	(void)state;
	build_guest();
	assert_int_equal(run_mov_hlt(1), 1);
	assert_int_equal(run_mov_hlt(2), 2);
	assert_int_equal(run_mov_hlt(3), 3);
}

/* One vCPU per LP, in parallel: each LP's exits reach its own host thread. */
struct smp_arg {
	struct system_vcpu *v;
	unsigned int lp, exits;
	int ret;
};

static void *smp_thread(void *p)
{
	struct smp_arg *a = p;
	struct cpu_regs r = {.rip = LOOP_RIP, .rflags = 0x2};
	struct vm_exit e;
	char msg[256];

	r.gpr[REG_RSP_] = STACK_TOP;
	for (unsigned int i = 0; i < 300; i++) {
		a->ret = system_vcpu_run(a->v, a->lp, &r, 0, 0, 0, &e, msg, sizeof(msg));
		if (a->ret || e.reason != EXIT_REASON_CPUID || r.rip != LOOP_RIP) {
			fprintf(stderr, "LP %u: %d %s, exit %u at 0x%llx\n", a->lp, a->ret, msg,
				e.reason, (unsigned long long)r.rip);
			return NULL;
		}
		r.gpr[REG_RAX_] = a->lp;
		r.rip += e.insn_len;
		a->exits++;
	}
	return NULL;
}

static void test_smp(void **state)
{
	struct system_space *sp = system_space_create(vm, 48);
	struct smp_arg a[2] = {{.lp = 0}, {.lp = 1}};
	pthread_t t[2];

	(void)state;
	build_guest();
	for (uint64_t gpa = 0; gpa < 0x200000; gpa += 4096)
		system_space_map(sp, gpa, false, GUEST_HPA + gpa,
				 PROT_READ | PROT_WRITE | PROT_EXEC);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(system_vcpu_create(vm, sp, &a[i].v), 0);
		system_vcpu_set_long_mode(a[i].v, PT_GPA, IDT_GPA, 0xFFF, GDT_GPA, 0x17);
	}
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, smp_thread, &a[i]), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(a[i].ret, 0);
		assert_int_equal(a[i].exits, 300);
		system_vcpu_destroy(a[i].v);
	}
	system_space_destroy(sp);
}

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/* The costs docs/SYSTEM.md quotes: printed, not asserted (they depend on the host). */
static void test_round_trips(void **state)
{
	struct shim_mailbox *mb = system_mailbox(vm, 0);
	const int n = 2000;
	double t0, host_rt, ping, in_shim;

	(void)state;
	build_npt();
	build_guest();
	build_vmcb(LOOP_RIP);
	t0 = now_us();
	for (int i = 0; i < n; i++) {
		assert_int_equal(run(0), SVM_EXIT_CPUID);
		vmcb_put(VMCB_RIP, vmcb(VMCB_RIP) + 2);
	}
	host_rt = (now_us() - t0) / n;
	t0 = now_us();
	for (int i = 0; i < n; i++) {
		mb->cmd = SHIM_CMD_PING;
		assert_int_equal(system_call(vm, 0, err, sizeof(err)), 0);
	}
	ping = (now_us() - t0) / n;
	mb->bounce = 20 * n;
	t0 = now_us();
	assert_int_equal(run(0), SVM_EXIT_CPUID);
	in_shim = (now_us() - t0) / (20 * n);
	mb->bounce = 0;
	printf("system: exit to the host and back %.1f us; mailbox ping %.1f us; "
	       "exit handled in the shim %.1f us\n",
	       host_rt, ping, in_shim);
}

/* QEMU killed under the host: the next call says so. */
static void test_qemu_dies(void **state)
{
	struct system_vm *v2 = NULL;
	struct system_opts o = {.nr_lps = 1};
	struct shim_mailbox *mb;

	(void)state;
	/* a second VM over the same memory: stop the first so it does not answer */
	system_stop(vm);
	vm = NULL;
	assert_int_equal(system_start(&o, &v2, err, sizeof(err)), 0);
	kill(system_qemu_pid(v2), SIGKILL);
	mb = system_mailbox(v2, 0);
	mb->cmd = SHIM_CMD_PING;
	assert_int_equal(system_call(v2, 0, err, sizeof(err)), -EPIPE);
	assert_non_null(strstr(err, "QEMU was killed by signal 9"));
	system_stop(v2);
	o.nr_lps = 2;
	assert_int_equal(system_start(&o, &vm, err, sizeof(err)), 0);
}

static void test_missing_or_failing_qemu(void **state)
{
	struct system_vm *v2 = NULL;
	struct system_opts o = {.nr_lps = 1, .qemu = "/nonexistent/qemu-system-x86_64"};

	(void)state;
	assert_int_equal(system_start(&o, &v2, err, sizeof(err)), -ENOENT);
	assert_null(v2);
	assert_non_null(strstr(err, "cannot find QEMU '/nonexistent/qemu-system-x86_64'"));
	assert_non_null(strstr(err, "qemu-system-x86"));
	o.qemu = "no-such-qemu-anywhere";
	assert_int_equal(system_start(&o, &v2, err, sizeof(err)), -ENOENT);
	o.qemu = "/bin/false";
	assert_int_equal(system_start(&o, &v2, err, sizeof(err)), -ECHILD);
	assert_null(v2);
	assert_string_equal(err, "QEMU exited with status 1 before the shim came up");
	o.qemu = NULL;
	o.nr_lps = SHIM_MAX_LPS + 1;
	assert_int_equal(system_start(&o, &v2, err, sizeof(err)), -EINVAL);
}

/*
 * No orphan: a child process starts QEMU and ends in each way a process ends; QEMU, which
 * becomes ours (we are the subreaper), must be gone soon after.
 */
static void ending_child(enum raw_ending how, int wfd)
{
	struct system_vm *v = NULL;
	struct system_opts o = {.nr_lps = 1};
	pid_t pid;

	if (system_start(&o, &v, err, sizeof(err)))
		_exit(3);
	pid = system_qemu_pid(v);
	(void)!write(wfd, &pid, sizeof(pid));
	raw_end(how);
	_exit(4);
}

static void check_ending(enum raw_ending how)
{
	int p[2];
	pid_t child, qemu = 0;

	assert_int_equal(pipe(p), 0);
	fflush(NULL);
	child = fork();
	assert_true(child >= 0);
	if (!child) {
		close(p[0]);
		ending_child(how, p[1]);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &qemu, sizeof(qemu)), sizeof(qemu));
	close(p[0]);
	assert_true(qemu > 0);
	raw_await_gone(child, qemu, how);
}

static void test_no_orphan(void **state)
{
	(void)state;
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	check_ending(END_EXIT);
	check_ending(END_ABORT);
	check_ending(END_SIGKILL);
	check_ending(END_SIGINT);
	check_ending(END_SIGTERM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boot),
		cmocka_unit_test(test_exits),
		cmocka_unit_test(test_interrupts),
		cmocka_unit_test(test_vcpu_and_space),
		cmocka_unit_test(test_reset_vector),
		cmocka_unit_test(test_smp),
		cmocka_unit_test(test_sse_across_vcpus),
		cmocka_unit_test(test_host_written_code),
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_qemu_dies),
		cmocka_unit_test(test_missing_or_failing_qemu),
		cmocka_unit_test(test_no_orphan),
	};

	if (!raw_have_qemu()) {
		printf("SKIP: qemu-system-x86_64 is not installed (Debian: qemu-system-x86; "
		       "`make deps` installs it)\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, boot, shutdown_all);
}
