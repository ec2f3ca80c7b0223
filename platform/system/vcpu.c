// SPDX-License-Identifier: MIT
/*
 * Nested page tables for a TD's address space, and the vCPU loop of the system backend:
 * registers into the mailbox and the VMCB, the shim runs the guest, the exit comes back as
 * VMX exit information. AMD APM vol. 2 ch. 15 (nested paging, the VMCB); docs/SYSTEM.md.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "platform/system/svm.h"
#include "platform/system/vcpu.h"

#define NPT_SVE (1ULL << 9) /* available bit: the shared EPT's suppress-#VE */

struct system_space {
	struct system_vm *vm;
	unsigned int gpaw;
	uint64_t root; /* HPA of the PML4 */
	pthread_mutex_t lock;
	uint64_t flushes; /* unmaps so far: a vCPU that ran before the last one flushes */
	uint64_t touch;	  /* HPA of the pages mapped since a vCPU last ran (touch_add) */
	bool touching;	  /* a vCPU has the shim write them: the others wait (touched) */
	pthread_cond_t touched;
};

struct system_vcpu {
	struct system_vm *vm;
	struct system_space *sp;
	uint64_t vmcb, iopm, msrpm, xsave; /* HPAs in the pool; IOPM 3 pages, MSRPM 2 */
	uint64_t flushes;		   /* the space's count when it last ran */
	uint64_t xcr0;			   /* the next run's XCR0 (0: as the LP has it) */
	uint64_t guest_xcr0;		   /* XCR0 as the guest left it at its last exit */
	uint32_t kick_base;		   /* the next run's, when kick_base_set */
	bool kick_base_set;
};

static uint64_t *table(const struct system_space *sp, uint64_t hpa)
{
	return system_page_va(sp->vm, hpa);
}

struct system_space *system_space_create(struct system_vm *vm, unsigned int gpaw)
{
	struct system_space *sp;

	if (gpaw > 48 || gpaw < 32)
		return NULL;
	sp = calloc(1, sizeof(*sp));
	if (!sp)
		return NULL;
	sp->vm = vm;
	sp->gpaw = gpaw;
	sp->root = system_page_alloc(vm);
	if (!sp->root) {
		free(sp);
		return NULL;
	}
	pthread_mutex_init(&sp->lock, NULL);
	pthread_cond_init(&sp->touched, NULL);
	return sp;
}

static void free_level(struct system_space *sp, uint64_t hpa, int level)
{
	uint64_t *t = table(sp, hpa);

	for (int i = 0; level > 1 && i < 512; i++)
		if (t[i] & NPT_P)
			free_level(sp, system_hpa(t[i] & NPT_ADDR), level - 1);
	system_page_free(sp->vm, hpa);
}

/*
 * Pages mapped since a vCPU of the space last ran, for the shim to write once before the
 * next run: QEMU then drops the code it translated from them while they held something
 * else (shim_abi.h, struct shim_touch_list). Lists in the pool; under sp->lock.
 */
static int touch_add(struct system_space *sp, uint64_t hpa)
{
	struct shim_touch_list *l = sp->touch ? system_page_va(sp->vm, sp->touch) : NULL;

	if (!l || l->n == SHIM_TOUCH_MAX) {
		uint64_t page = system_page_alloc(sp->vm);

		if (!page)
			return -ENOMEM;
		l = system_page_va(sp->vm, page);
		l->next = sp->touch ? system_gpa(sp->touch) : 0;
		l->n = 0;
		sp->touch = page;
	}
	l->pa[l->n++] = system_gpa(hpa);
	return 0;
}

static void touch_free(struct system_vm *vm, uint64_t hpa)
{
	while (hpa) {
		uint64_t next = ((struct shim_touch_list *)system_page_va(vm, hpa))->next;

		system_page_free(vm, hpa);
		hpa = next ? system_hpa(next) : 0;
	}
}

/*
 * Before a run: the pages mapped since the last one written by the shim of this LP (a request
 * of its own), while the space's other vCPUs wait to start theirs, so that none of them runs
 * code QEMU translated from what a page held before. A vCPU already running when a page is
 * mapped does not wait: it reaches a new page only after its mapping, which an AUG'd page
 * gets only at ACCEPT, the accepting vCPU's next run.
 */
static int touch_before_run(struct system_vcpu *v, unsigned int lp, char *err, size_t len)
{
	struct system_space *sp = v->sp;
	struct shim_mailbox *mb = system_mailbox(v->vm, lp);
	uint64_t list;
	int r;

	pthread_mutex_lock(&sp->lock);
	while (sp->touching)
		pthread_cond_wait(&sp->touched, &sp->lock);
	list = sp->touch;
	sp->touch = 0;
	sp->touching = list != 0;
	pthread_mutex_unlock(&sp->lock);
	if (!list)
		return 0;
	mb->cmd = SHIM_CMD_TOUCH;
	mb->touch_pa = system_gpa(list);
	r = system_call(v->vm, lp, err, len);
	mb->touch_pa = 0;
	touch_free(v->vm, list);
	pthread_mutex_lock(&sp->lock);
	sp->touching = false;
	pthread_cond_broadcast(&sp->touched);
	pthread_mutex_unlock(&sp->lock);
	return r;
}

void system_space_destroy(struct system_space *sp)
{
	if (!sp)
		return;
	free_level(sp, sp->root, 4);
	touch_free(sp->vm, sp->touch);
	pthread_cond_destroy(&sp->touched);
	pthread_mutex_destroy(&sp->lock);
	free(sp);
}

static uint64_t full_gpa(const struct system_space *sp, uint64_t gpa, bool shared)
{
	return shared ? gpa | 1ULL << (sp->gpaw - 1) : gpa;
}

/* The leaf entry of gpa, creating the tables on the way when create; NULL if absent. */
static uint64_t *leaf(const struct system_space *sp, uint64_t gpa, bool create)
{
	uint64_t hpa = sp->root;

	for (int shift = 39; shift > 12; shift -= 9) {
		uint64_t *e = &table(sp, hpa)[(gpa >> shift) & 511];

		if (!(*e & NPT_P)) {
			uint64_t next;

			if (!create || !(next = system_page_alloc(sp->vm)))
				return NULL;
			*e = system_gpa(next) | NPT_P | NPT_RW | NPT_US;
		}
		hpa = system_hpa(*e & NPT_ADDR);
	}
	return &table(sp, hpa)[(gpa >> 12) & 511];
}

int system_space_map(struct system_space *sp, uint64_t gpa, bool shared, uint64_t hpa, int prot)
{
	uint64_t *e;

	if ((gpa | hpa) & 4095 || gpa >> (sp->gpaw - 1))
		return -EINVAL;
	pthread_mutex_lock(&sp->lock);
	e = leaf(sp, full_gpa(sp, gpa, shared), true);
	if (e && touch_add(sp, hpa))
		e = NULL;
	if (e)
		__atomic_store_n(e,
				 system_gpa(hpa) | NPT_P | NPT_US | (*e & NPT_SVE) |
					 (prot & PROT_WRITE ? NPT_RW : 0) |
					 (prot & PROT_EXEC ? 0 : NPT_NX),
				 __ATOMIC_RELEASE);
	pthread_mutex_unlock(&sp->lock);
	return e ? 0 : -ENOMEM;
}

int system_space_unmap(struct system_space *sp, uint64_t gpa, bool shared)
{
	uint64_t *e;

	if (gpa & 4095 || gpa >> (sp->gpaw - 1))
		return -EINVAL;
	pthread_mutex_lock(&sp->lock);
	e = leaf(sp, full_gpa(sp, gpa, shared), false);
	if (e && (*e & NPT_P)) {
		__atomic_store_n(e, *e & NPT_SVE, __ATOMIC_RELEASE);
		__atomic_add_fetch(&sp->flushes, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&sp->lock);
	return 0;
}

int system_space_set_suppress_ve(struct system_space *sp, uint64_t gpa, uint64_t size,
				 bool suppress)
{
	uint64_t shared = 1ULL << (sp->gpaw - 1), end;
	int ret = 0;

	gpa &= ~shared;
	end = gpa + size;
	pthread_mutex_lock(&sp->lock);
	for (gpa &= ~4095ULL; gpa < end; gpa += 4096) {
		uint64_t *e = leaf(sp, gpa | shared, suppress);

		if (!e && suppress) {
			ret = -ENOMEM;
			break;
		}
		if (e)
			__atomic_store_n(e, suppress ? *e | NPT_SVE : *e & ~NPT_SVE,
					 __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&sp->lock);
	return ret;
}

bool system_space_suppress_ve(const struct system_space *sp, uint64_t gpa)
{
	uint64_t *e = leaf(sp, gpa | 1ULL << (sp->gpaw - 1), false);

	return e && (__atomic_load_n(e, __ATOMIC_ACQUIRE) & NPT_SVE);
}

void *system_space_host(const struct system_space *sp, uint64_t gpa)
{
	uint64_t *e = leaf(sp, gpa & ~4095ULL, false), v;
	uint8_t *page;

	if (!e)
		return NULL;
	v = __atomic_load_n(e, __ATOMIC_ACQUIRE);
	if (!(v & NPT_P))
		return NULL;
	page = system_page_va(sp->vm, system_hpa(v & NPT_ADDR));
	return page ? page + (gpa & 4095) : NULL;
}

int system_vcpu_create(struct system_vm *vm, struct system_space *sp, struct system_vcpu **out)
{
	struct system_vcpu *v = calloc(1, sizeof(*v));
	void *vmcb;

	*out = NULL;
	if (!v)
		return -ENOMEM;
	v->vm = vm;
	v->sp = sp;
	v->vmcb = system_page_alloc(vm);
	v->xsave = system_page_alloc(vm);
	v->iopm = system_pages_alloc_contig(vm, 3);
	v->msrpm = system_pages_alloc_contig(vm, 2);
	if (!v->vmcb || !v->xsave || !v->iopm || !v->msrpm) {
		system_vcpu_destroy(v);
		return -ENOMEM;
	}
	memset(system_page_va(vm, v->iopm), 0xFF, 3 * 4096);
	memset(system_page_va(vm, v->msrpm), 0xFF, 2 * 4096);
	/*
	 * IA32_FS_BASE, GS_BASE and KERNEL_GS_BASE (0xC0000100-102: bits 0-5 of the byte at
	 * 0x840, two per MSR [APM vol. 2 15.11]) are the guest's own, as a TD's are under TDX:
	 * the CPU keeps them in the VMCB (VMLOAD/VMSAVE), where SWAPGS and the segment loads use
	 * them. Intercepted, the module's write would land in its own copy and never reach the
	 * VMCB (a Linux kernel's first per-CPU access through %gs faulted).
	 */
	((uint8_t *)system_page_va(vm, v->msrpm))[0x840] &= (uint8_t)~0x3F;
	/*
	 * So are STAR, LSTAR, CSTAR and SFMASK (0xC0000081-84: bits 2-7 at 0x820, 0-1 at 0x821),
	 * which SYSCALL reads from the VMCB: intercepted, a Linux kernel's LSTAR stayed 0 and its
	 * user space's first SYSCALL jumped to 0 with CS 0.
	 */
	((uint8_t *)system_page_va(vm, v->msrpm))[0x820] &= (uint8_t)~0xFC;
	((uint8_t *)system_page_va(vm, v->msrpm))[0x821] &= (uint8_t)~0x03;
	vmcb = system_page_va(vm, v->vmcb);
	vmcb_set32(vmcb, VMCB_INTERCEPT_EXC, 1U << X86_TRAP_UD | 1U << X86_TRAP_MC);
	vmcb_set32(vmcb, VMCB_INTERCEPT_MISC1,
		   SVM_INTERCEPT_INTR | SVM_INTERCEPT_NMI | SVM_INTERCEPT_SMI | SVM_INTERCEPT_INIT |
			   SVM_INTERCEPT_CPUID | SVM_INTERCEPT_HLT | SVM_INTERCEPT_INVD |
			   SVM_INTERCEPT_IOIO_PROT | SVM_INTERCEPT_MSR_PROT |
			   SVM_INTERCEPT_TASK_SWITCH | SVM_INTERCEPT_SHUTDOWN |
			   SVM_INTERCEPT_RDPMC | SVM_INTERCEPT_RSM | SVM_INTERCEPT_INVLPGA);
	vmcb_set32(vmcb, VMCB_INTERCEPT_MISC2,
		   SVM_INTERCEPT_VMRUN | SVM_INTERCEPT_VMMCALL | SVM_INTERCEPT_VMLOAD |
			   SVM_INTERCEPT_VMSAVE | SVM_INTERCEPT_STGI | SVM_INTERCEPT_CLGI |
			   SVM_INTERCEPT_SKINIT | SVM_INTERCEPT_WBINVD | SVM_INTERCEPT_MONITOR |
			   SVM_INTERCEPT_MWAIT | SVM_INTERCEPT_XSETBV);
	vmcb_set(vmcb, VMCB_IOPM_BASE, system_gpa(v->iopm));
	vmcb_set(vmcb, VMCB_MSRPM_BASE, system_gpa(v->msrpm));
	vmcb_set32(vmcb, VMCB_ASID, 1);
	vmcb_set32(vmcb, VMCB_TLB_CONTROL, 1);
	v->flushes = sp->flushes;
	vmcb_set32(vmcb, VMCB_INT_CTL, 1U << 24); /* V_INTR_MASKING */
	vmcb_set(vmcb, VMCB_NP_ENABLE, 1);
	vmcb_set(vmcb, VMCB_N_CR3, system_gpa(sp->root));
	vmcb_set(vmcb, VMCB_G_PAT, 0x0007040600070406ULL);
	vmcb_set(vmcb, VMCB_DR6, 0xFFFF0FF0);
	vmcb_set(vmcb, VMCB_DR7, 0x400);
	vmcb_set(vmcb, VMCB_RFLAGS, 0x2);
	/* XSAVE area: x87 control word 0x37F, MXCSR 0x1F80, XSTATE_BV 0 (the init state) */
	{
		uint8_t *x = system_page_va(vm, v->xsave);
		uint16_t fcw = 0x37F;
		uint32_t mxcsr = 0x1F80;

		memcpy(x, &fcw, 2);
		memcpy(x + 24, &mxcsr, 4);
	}
	*out = v;
	return 0;
}

/* Not while the vCPU runs: an LP that holds its extended state drops it. */
void system_vcpu_destroy(struct system_vcpu *v)
{
	if (!v)
		return;
	/* an LP that last ran this vCPU must not save another's state into its area */
	for (unsigned int lp = 0; v->xsave && lp < system_nr_lps(v->vm); lp++) {
		struct shim_mailbox *mb = system_mailbox(v->vm, lp);

		if (mb->cur_xsave == system_gpa(v->xsave))
			mb->cur_xsave = 0;
	}
	system_page_free(v->vm, v->vmcb);
	system_page_free(v->vm, v->xsave);
	for (int i = 0; i < 3; i++)
		system_page_free(v->vm, v->iopm ? v->iopm + i * 4096ULL : 0);
	for (int i = 0; i < 2; i++)
		system_page_free(v->vm, v->msrpm ? v->msrpm + i * 4096ULL : 0);
	free(v);
}

void system_vcpu_set_xcr0(struct system_vcpu *v, uint64_t xcr0)
{
	v->xcr0 = xcr0;
}

uint64_t system_vcpu_guest_xcr0(const struct system_vcpu *v)
{
	return v->guest_xcr0;
}

void system_vcpu_set_kick_base(struct system_vcpu *v, uint32_t base)
{
	v->kick_base = base;
	v->kick_base_set = true;
}

void *system_vcpu_vmcb(struct system_vcpu *v)
{
	return system_page_va(v->vm, v->vmcb);
}

void system_vcpu_set_long_mode(struct system_vcpu *v, uint64_t cr3, uint64_t idt_base,
			       uint16_t idt_limit, uint64_t gdt_base, uint16_t gdt_limit)
{
	vmcb_set_long_mode(system_vcpu_vmcb(v), cr3, idt_base, idt_limit, gdt_base, gdt_limit);
}

void vmcb_set_long_mode(void *vmcb, uint64_t cr3, uint64_t idt_base, uint16_t idt_limit,
			uint64_t gdt_base, uint16_t gdt_limit)
{
	vmcb_set_seg(vmcb, VMCB_CS, 0x08, 0x029B, 0xFFFFFFFF, 0);
	vmcb_set_seg(vmcb, VMCB_SS, 0x10, 0x0C93, 0xFFFFFFFF, 0);
	vmcb_set_seg(vmcb, VMCB_DS, 0x10, 0x0C93, 0xFFFFFFFF, 0);
	vmcb_set_seg(vmcb, VMCB_ES, 0x10, 0x0C93, 0xFFFFFFFF, 0);
	vmcb_set_seg(vmcb, VMCB_FS, 0, 0, 0, 0);
	vmcb_set_seg(vmcb, VMCB_GS, 0, 0, 0, 0);
	vmcb_set_seg(vmcb, VMCB_TR, 0, 0x008B, 0x67, 0);
	vmcb_set_seg(vmcb, VMCB_LDTR, 0, 0x0082, 0, 0);
	vmcb_set_seg(vmcb, VMCB_GDTR, 0, 0, gdt_limit, gdt_base);
	vmcb_set_seg(vmcb, VMCB_IDTR, 0, 0, idt_limit, idt_base);
	vmcb_set(vmcb, VMCB_EFER, 0x1D00); /* LME, LMA, NXE, SVME (VMRUN wants it set) */
	vmcb_set(vmcb, VMCB_CR0, 0x80010033);
	vmcb_set(vmcb, VMCB_CR3, cr3);
	vmcb_set(vmcb, VMCB_CR4, 0x620);
	((uint8_t *)vmcb)[VMCB_CPL] = 0;
}

void system_vcpu_set_reset_state(struct system_vcpu *v)
{
	void *vmcb = system_vcpu_vmcb(v);
	/* VMX access rights 0xC09B / 0xC093 as SVM attributes: byte 5, then G, D/B, L, AVL */
	const uint16_t code = 0x0C9B, data = 0x0C93;

	vmcb_set_seg(vmcb, VMCB_CS, 0, code, 0xFFFFFFFF, 0);
	vmcb_set_seg(vmcb, VMCB_SS, 0, data, 0xFFFFFFFF, 0);
	vmcb_set_seg(vmcb, VMCB_DS, 0, data, 0xFFFFFFFF, 0);
	vmcb_set_seg(vmcb, VMCB_ES, 0, data, 0xFFFFFFFF, 0);
	vmcb_set_seg(vmcb, VMCB_FS, 0, data, 0xFFFFFFFF, 0);
	vmcb_set_seg(vmcb, VMCB_GS, 0, data, 0xFFFFFFFF, 0);
	vmcb_set_seg(vmcb, VMCB_LDTR, 0, 0, 0xFFFF, 0); /* unusable */
	vmcb_set_seg(vmcb, VMCB_TR, 0, 0x008B, 0xFFFF, 0);
	vmcb_set_seg(vmcb, VMCB_GDTR, 0, 0, 0xFFFF, 0);
	vmcb_set_seg(vmcb, VMCB_IDTR, 0, 0, 0, 0);
	vmcb_set(vmcb, VMCB_EFER, 0x1901); /* SCE, LME, NXE; SVME for VMRUN */
	vmcb_set(vmcb, VMCB_CR0, 0x21);
	vmcb_set(vmcb, VMCB_CR3, 0);
	vmcb_set(vmcb, VMCB_CR4, 0x40);
	vmcb_set(vmcb, VMCB_G_PAT, 0x0007040600070406ULL);
	vmcb_set(vmcb, VMCB_DR7, 0x400);
	((uint8_t *)vmcb)[VMCB_CPL] = 0;
}

static void *space_page(void *arg, uint64_t gpa)
{
	return system_space_host(arg, gpa);
}

unsigned int system_vcpu_read_linear(struct system_vcpu *v, uint64_t gla, void *buf,
				     unsigned int len)
{
	void *vmcb = system_vcpu_vmcb(v);

	return system_guest_read(vmcb_get(vmcb, VMCB_CR0), vmcb_get(vmcb, VMCB_CR3),
				 vmcb_get(vmcb, VMCB_EFER), gla, buf, len, space_page, v->sp);
}

int system_vcpu_run(struct system_vcpu *v, unsigned int lp, struct cpu_regs *regs,
		    uint32_t intr_info, uint32_t error, uint64_t timer_ns, struct vm_exit *out,
		    char *err, size_t len)
{
	struct shim_mailbox *mb = system_mailbox(v->vm, lp);
	void *vmcb = system_vcpu_vmcb(v);
	uint64_t inj = system_eventinj(intr_info, error);

	if (!mb)
		return -EINVAL;
	for (;;) {
		struct svm_exit s;
		enum system_exit_action a;
		uint64_t flushes;
		int r = touch_before_run(v, lp, err, len);

		if (r)
			return r;

		for (unsigned int i = 0; i < 16; i++)
			mb->gpr[i] = regs->gpr[i];
		vmcb_set(vmcb, VMCB_RAX, regs->gpr[REG_RAX_]);
		vmcb_set(vmcb, VMCB_RSP, regs->gpr[REG_RSP_]);
		vmcb_set(vmcb, VMCB_RIP, regs->rip);
		vmcb_set(vmcb, VMCB_RFLAGS, regs->rflags);
		vmcb_set(vmcb, VMCB_EVENTINJ, inj);
		flushes = __atomic_load_n(&v->sp->flushes, __ATOMIC_ACQUIRE);
		if (flushes != v->flushes) /* TLB_CONTROL 1: flush this guest's TLB entries */
			vmcb_set32(vmcb, VMCB_TLB_CONTROL, 1);
		v->flushes = flushes;
		mb->cmd = SHIM_CMD_RUN;
		mb->vmcb_pa = system_gpa(v->vmcb);
		mb->xsave_pa = system_gpa(v->xsave);
		mb->xcr0 = v->xcr0;
		mb->kick_base = v->kick_base_set ? v->kick_base
						 : __atomic_load_n(&mb->kicks, __ATOMIC_SEQ_CST);
		v->kick_base_set = false;
		mb->timer_ns = timer_ns;
		mb->bounce = 0;
		r = system_call(v->vm, lp, err, len);
		if (r)
			return r;
		for (unsigned int i = 0; i < 16; i++)
			regs->gpr[i] = mb->gpr[i];
		v->guest_xcr0 = mb->guest_xcr0;
		regs->gpr[REG_RAX_] = vmcb_get(vmcb, VMCB_RAX);
		regs->gpr[REG_RSP_] = vmcb_get(vmcb, VMCB_RSP);
		regs->rip = vmcb_get(vmcb, VMCB_RIP);
		regs->rflags = vmcb_get(vmcb, VMCB_RFLAGS);
		vmcb_set32(vmcb, VMCB_TLB_CONTROL, 0);
		s = (struct svm_exit){
			.code = vmcb_get(vmcb, VMCB_EXITCODE),
			.info1 = vmcb_get(vmcb, VMCB_EXITINFO1),
			.info2 = vmcb_get(vmcb, VMCB_EXITINFO2),
			.intinfo = vmcb_get(vmcb, VMCB_EXITINTINFO),
			.rip = regs->rip,
		};
		s.insn_bytes = system_guest_read(vmcb_get(vmcb, VMCB_CR0), vmcb_get(vmcb, VMCB_CR3),
						 vmcb_get(vmcb, VMCB_EFER), s.rip, s.insn,
						 sizeof(s.insn), space_page, v->sp);
		a = system_exit_translate(&s, out, &inj);
		if (a == SYSTEM_EXIT_MODULE)
			return 0;
		if (a == SYSTEM_EXIT_UNKNOWN) {
			snprintf(err, len, "unexpected SVM exit 0x%llx at RIP 0x%llx",
				 (unsigned long long)s.code, (unsigned long long)s.rip);
			return -EPROTO;
		}
		/* REINJECT (inj set) or RESUME (inj 0): the guest runs on */
	}
}
