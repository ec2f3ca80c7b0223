// SPDX-License-Identifier: MIT
/*
 * The trap layer, the gate and the world switch, tested with the stub module of
 * tests/support (leaf 0 enters the guest, leaf 1 echoes registers; guest events exit to
 * the host with the trap kind in RAX).
 *
 * Guest code is position-independent assembly copied into a TD window page and run from
 * there, as TD code is.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/seamcall.h"
#include "tdx/status.h"
#include "platform/platform.h"
#include "tests/support/capture.h"
#include "tests/support/stub_module.h"

/* ------------------------------------------------------------------------------------------
 * Guest code blobs
 */
__asm__(".pushsection .text\n"
	/* Each instruction below exits; the stub skips it and the host re-enters. */
	".globl blob_io, blob_io_end, blob_io_gate\n"
	"blob_io:\n"
	"	inb $0x71, %al\n"
	"	movw $0x3f8, %dx\n"
	"	outw %ax, %dx\n"
	"	inl %dx, %eax\n"
	"	rep outsb\n"
	"	outsw\n"
	"	insl\n"
	"	hlt\n"
	"	rdmsr\n"
	"	wrmsr\n"
	"	cpuid\n"
	"	movq (%r8), %rax\n"
	"	movw %ax, 6(%r8)\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n" /* TDCALL */
	"	call *blob_io_gate(%rip)\n"	/* TDCALL through the gate */
	"	jmp .\n"
	"	.balign 8\n"
	"blob_io_gate: .quad 0\n"
	"blob_io_end:\n"

	/* Loads known values everywhere, HLTs (the stub delivers #VE), stores them back. */
	".globl blob_ve, blob_ve_end, blob_ve_idtr, blob_ve_idt, blob_ve_handler\n"
	".globl blob_ve_save, blob_ve_count, blob_ve_frame\n"
	"blob_ve:\n"
	"	lidt blob_ve_idtr(%rip)\n"
	"	movabs $0x1010101010101010, %rax\n"
	"	movabs $0x2020202020202020, %rcx\n"
	"	movabs $0x3030303030303030, %rdx\n"
	"	movabs $0x4040404040404040, %rbx\n"
	"	movabs $0x6060606060606060, %rbp\n"
	"	movabs $0x7070707070707070, %rsi\n"
	"	movabs $0x8080808080808080, %rdi\n"
	"	movabs $0x9090909090909090, %r8\n"
	"	movabs $0xa0a0a0a0a0a0a0a0, %r9\n"
	"	movabs $0xb0b0b0b0b0b0b0b0, %r10\n"
	"	movabs $0xc0c0c0c0c0c0c0c0, %r11\n"
	"	movabs $0xd0d0d0d0d0d0d0d0, %r12\n"
	"	movabs $0xe0e0e0e0e0e0e0e0, %r13\n"
	"	movabs $0xf0f0f0f0f0f0f0f0, %r14\n"
	"	movabs $0x0f0f0f0f0f0f0f0f, %r15\n"
	"	std\n" /* DF must come back too */
	"	hlt\n"
	"	pushfq\n"
	"	cld\n"
	"	popq blob_ve_save+128(%rip)\n"
	"	movq %rax, blob_ve_save+0(%rip)\n"
	"	movq %rcx, blob_ve_save+8(%rip)\n"
	"	movq %rdx, blob_ve_save+16(%rip)\n"
	"	movq %rbx, blob_ve_save+24(%rip)\n"
	"	movq %rsp, blob_ve_save+32(%rip)\n"
	"	movq %rbp, blob_ve_save+40(%rip)\n"
	"	movq %rsi, blob_ve_save+48(%rip)\n"
	"	movq %rdi, blob_ve_save+56(%rip)\n"
	"	movq %r8, blob_ve_save+64(%rip)\n"
	"	movq %r9, blob_ve_save+72(%rip)\n"
	"	movq %r10, blob_ve_save+80(%rip)\n"
	"	movq %r11, blob_ve_save+88(%rip)\n"
	"	movq %r12, blob_ve_save+96(%rip)\n"
	"	movq %r13, blob_ve_save+104(%rip)\n"
	"	movq %r14, blob_ve_save+112(%rip)\n"
	"	movq %r15, blob_ve_save+120(%rip)\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	jmp .\n"
	"blob_ve_handler:\n" /* vector 20: count, keep the frame's RIP, return */
	"	incq blob_ve_count(%rip)\n"
	"	pushq %rax\n"
	"	movq 8(%rsp), %rax\n"
	"	movq %rax, blob_ve_frame(%rip)\n"
	"	movq 32(%rsp), %rax\n"
	"	movq %rax, blob_ve_frame+8(%rip)\n"
	"	popq %rax\n"
	"	iretq\n"
	"	.balign 16\n"
	"blob_ve_idtr: .word 21*16-1\n"
	"	.quad 0\n"
	"	.balign 16\n"
	"blob_ve_idt: .fill 21*16, 1, 0\n"
	"blob_ve_save: .fill 17*8, 1, 0\n"
	"blob_ve_count: .quad 0\n"
	"blob_ve_frame: .quad 0, 0\n"
	"blob_ve_end:\n"

	/* #UD and #PF delivered to the guest's own handlers, which skip the instruction. */
	".globl blob_exc, blob_exc_end, blob_exc_idtr, blob_exc_idt, blob_exc_ud, blob_exc_pf\n"
	".globl blob_exc_ud_count, blob_exc_pf_err, blob_exc_pf_cr2\n"
	"blob_exc:\n"
	"	lidt blob_exc_idtr(%rip)\n"
	"	ud2\n"
	"	movl $0x10, %eax\n"
	"	movq (%rax), %rax\n" /* outside any window: the guest's own #PF */
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	jmp .\n"
	"blob_exc_ud:\n"
	"	incq blob_exc_ud_count(%rip)\n"
	"	addq $2, (%rsp)\n"
	"	iretq\n"
	"blob_exc_pf:\n"
	"	popq blob_exc_pf_err(%rip)\n"
	"	pushq %rax\n"
	"	movq %cr2, %rax\n"
	"	movq %rax, blob_exc_pf_cr2(%rip)\n"
	"	popq %rax\n"
	"	addq $3, (%rsp)\n"
	"	iretq\n"
	"	.balign 16\n"
	"blob_exc_idtr: .word 15*16-1\n"
	"	.quad 0\n"
	"	.balign 16\n"
	"blob_exc_idt: .fill 15*16, 1, 0\n"
	"blob_exc_ud_count: .quad 0\n"
	"blob_exc_pf_err: .quad 0\n"
	"blob_exc_pf_cr2: .quad 0\n"
	"blob_exc_end:\n"

	/* A busy loop: only an interrupt gets it out. */
	".globl blob_spin, blob_spin_end\n"
	"blob_spin:\n"
	"	jmp blob_spin\n"
	"blob_spin_end:\n"
	".popsection\n");

extern const char blob_io[], blob_io_end[], blob_io_gate[];
extern const char blob_ve[], blob_ve_end[], blob_ve_idtr[], blob_ve_idt[], blob_ve_handler[];
extern const char blob_ve_save[], blob_ve_count[], blob_ve_frame[];
extern const char blob_spin[], blob_spin_end[];
extern const char blob_exc[], blob_exc_end[], blob_exc_idtr[], blob_exc_idt[], blob_exc_ud[],
	blob_exc_pf[], blob_exc_ud_count[], blob_exc_pf_err[], blob_exc_pf_cr2[];

#define BLOB_OFF(sym, blob) ((size_t)((sym) - (blob)))

/* ------------------------------------------------------------------------------------------
 * Fixture (tests/support/stub_module.c)
 */

/* ------------------------------------------------------------------------------------------
 * Host SEAMCALL paths
 */

struct seamcall_case {
	bool vmxon;
	bool gate;
	uint64_t fn;
	uint64_t ret;
	struct tdx_module_args args;
};

static long run_seamcall(void *arg)
{
	struct seamcall_case *c = arg;

	if (c->vmxon && lp_vmxon())
		return -1;
	c->ret = c->gate ? __seamcall_gate(c->fn, &c->args) : __seamcall_insn(c->fn, &c->args);
	if (c->vmxon)
		lp_vmxoff();
	return 0;
}

static void test_seamcall_without_vmxon_is_ud(void **state)
{
	(void)state;
	platform_claim_signals();
	for (int gate = 0; gate < 2; gate++) {
		struct seamcall_case c = {.vmxon = false, .gate = gate, .fn = 1};

		c.args.rcx = 0x1234;
		assert_int_equal(lp_run_on(0, run_seamcall, &c), 0);
		assert_int_equal(c.ret, TDX_SEAMCALL_UD);
		assert_int_equal(c.args.rcx, 0x1234); /* untouched */
	}
}

static void test_seamcall_without_module_is_vmfailinvalid(void **state)
{
	(void)state;
	platform_claim_signals();
	platform_set_hooks(NULL);
	for (int gate = 0; gate < 2; gate++) {
		struct seamcall_case c = {.vmxon = true, .gate = gate, .fn = 1};

		c.args.rdx = 0x5678;
		assert_int_equal(lp_run_on(0, run_seamcall, &c), 0);
		assert_int_equal(c.ret, TDX_SEAMCALL_VMFAILINVALID);
		assert_int_equal(c.args.rdx, 0x5678);
	}
}

static void test_seamcall_without_seamrr_is_gp(void **state)
{
	(void)state;
	platform_claim_signals();
	stub_shutdown();
	assert_int_equal(stub_boot(0, false), 0);
	for (int gate = 0; gate < 2; gate++) {
		struct seamcall_case c = {.vmxon = true, .gate = gate, .fn = 1};

		assert_int_equal(lp_run_on(0, run_seamcall, &c), 0);
		assert_int_equal(c.ret, TDX_SEAMCALL_GP);
	}
}

static void test_seamcall_outputs_every_register(void **state)
{
	(void)state;
	platform_claim_signals();
	for (int gate = 0; gate < 2; gate++) {
		struct seamcall_case c = {.vmxon = true, .gate = gate, .fn = 1};
		uint64_t *in = (uint64_t *)&c.args;
		/* tdx_module_args order: rcx rdx r8..r15 rbx rdi rsi */
		static const int reg[13] = {1, 2, 8, 9, 10, 11, 12, 13, 14, 15, 3, 7, 6};

		for (int i = 0; i < 13; i++)
			in[i] = 0x0101010101010101ULL * (uint64_t)(i + 1);
		assert_int_equal(lp_run_on(1, run_seamcall, &c), 0);
		assert_int_equal(c.ret, 0);
		for (int i = 0; i < 13; i++)
			assert_int_equal(in[i], ~(0x0101010101010101ULL * (uint64_t)(i + 1)) +
							(uint64_t)reg[i]);
	}
}

/*
 * SEAMCALLs to one LP from three threads at once: two that are the LP for their calls when it
 * is idle (lp_run_as, one through the trap, one through the gate) and one that always hops
 * (lp_run_on). The SEAMCALL hook, the module's entry, must see one call at a time, each on LP
 * 1 with its own caller's inputs, as when every call hopped to LP 1's thread.
 */
#define SERIAL_CALLS 400

static _Atomic int serial_inside, serial_overlaps, serial_wrong_lp, serial_calls;

static void serial_seamcall(struct cpu_regs *ctx, unsigned int len)
{
	if (atomic_fetch_add(&serial_inside, 1))
		atomic_fetch_add(&serial_overlaps, 1);
	if (lp_current() != 1)
		atomic_fetch_add(&serial_wrong_lp, 1);
	sched_yield(); /* give an overlapping call the time to show */
	ctx->gpr[REG_RDX_] = ctx->gpr[REG_RCX_] * 3;
	ctx->gpr[REG_RAX_] = 0;
	ctx->rip += len;
	ctx->rflags &= ~(uint64_t)X86_EFLAGS_ARITH;
	atomic_fetch_add(&serial_calls, 1);
	atomic_fetch_sub(&serial_inside, 1);
}

struct serial_caller {
	int mode; /* 0: lp_run_as + trap, 1: lp_run_as + gate, 2: lp_run_on + trap */
	int bad;  /* calls whose outputs were not their own */
	int here; /* calls that ran on this thread (as LP 1) */
};

struct serial_call {
	struct seamcall_case c;
	pid_t caller;
	bool here;
};

static long serial_one(void *arg)
{
	struct serial_call *s = arg;

	s->here = gettid() == s->caller;
	return run_seamcall(&s->c);
}

static void *serial_thread(void *arg)
{
	struct serial_caller *t = arg;

	for (uint64_t i = 0; i < SERIAL_CALLS; i++) {
		struct serial_call s = {.c = {.gate = t->mode == 1, .fn = 5}, .caller = gettid()};
		long ret;

		s.c.args.rcx = ((uint64_t)t->mode << 32) | i;
		ret = t->mode == 2 ? lp_run_on(1, serial_one, &s) : lp_run_as(1, serial_one, &s);
		if (ret || s.c.ret || s.c.args.rdx != s.c.args.rcx * 3)
			t->bad++;
		t->here += s.here;
	}
	return NULL;
}

static long vmxon_here(void *arg)
{
	(void)arg;
	return lp_vmxon();
}

static void test_seamcall_concurrent_same_lp(void **state)
{
	static const struct platform_hooks hooks = {.seamcall = serial_seamcall};
	struct serial_caller t[3] = {{.mode = 0}, {.mode = 1}, {.mode = 2}};
	pthread_t th[3];

	(void)state;
	platform_claim_signals();
	platform_set_hooks(&hooks);
	assert_int_equal(lp_run_on(1, vmxon_here, NULL), 0);
	/* LP 1 idle: the call runs on this thread, with LP 1's VMX state */
	{
		struct serial_call s = {.c = {.fn = 5}, .caller = gettid()};

		s.c.args.rcx = 7;
		assert_int_equal(lp_run_as(1, serial_one, &s), 0);
		assert_true(s.here);
		assert_int_equal(s.c.ret, 0);
		assert_int_equal(s.c.args.rdx, 21);
	}
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&th[i], NULL, serial_thread, &t[i]), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	assert_int_equal(atomic_load(&serial_calls), 3 * SERIAL_CALLS + 1);
	assert_int_equal(atomic_load(&serial_overlaps), 0);
	assert_int_equal(atomic_load(&serial_wrong_lp), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(t[i].bad, 0);
	assert_int_equal(t[2].here, 0); /* lp_run_on always hops */
	/* the LP is its own thread's again, and a call from it still works */
	{
		struct seamcall_case c = {.fn = 5};

		c.args.rcx = 11;
		assert_int_equal(lp_run_on(1, run_seamcall, &c), 0);
		assert_int_equal(c.args.rdx, 33);
	}
}

/* ------------------------------------------------------------------------------------------
 * Guest traps, classified exactly
 */

struct io_case {
	bool gate;
	int rewritten;
	struct vm_exit ti[16];
	uint64_t rip[16];
	uint64_t kinds[16];
	int n;
};

static long run_io_guest(void *arg)
{
	struct io_case *c = arg;
	uint8_t *code = stub_load_blob(blob_io, blob_io_end);
	uint64_t gate_slot;

	gate_slot = (uint64_t)(uintptr_t)tdxsim_gate_ptr;
	memcpy(code + BLOB_OFF(blob_io_gate, blob_io), &gate_slot, 8);
	c->rewritten = cpuid_rewrite_code(code, BLOB_OFF(blob_io_gate, blob_io));
	stub_guest_start(code);
	stub_guest_cpu.regs.gpr[REG_R8_] =
		(uint64_t)(uintptr_t)td_window_va(stub_win, STUB_GPA_MMIO, true);
	stub_guest_cpu.regs.gpr[REG_RCX_] = 3; /* REP count */
	stub_guest_cpu.regs.gpr[REG_RSI_] = stub_guest_cpu.regs.gpr[REG_RSP_];
	stub_guest_cpu.regs.gpr[REG_RDI_] = stub_guest_cpu.regs.gpr[REG_RSP_];
	if (lp_vmxon())
		return -1;
	for (c->n = 0; c->n < 14; c->n++) {
		c->kinds[c->n] = stub_enter(c->gate);
		c->ti[c->n] = stub_last;
		c->rip[c->n] = stub_last_rip;
	}
	lp_vmxoff();
	return 0;
}

static void check_io(const struct vm_exit *ti, uint16_t port, uint8_t size, bool in, bool string,
		     bool rep, bool imm, unsigned int len)
{
	assert_int_equal(ti->reason, EXIT_REASON_IO_INSTRUCTION);
	assert_int_equal(ti->qual, tdx_io_qual_make(size, in, string, rep, imm, port));
	assert_int_equal(tdx_io_qual_port(ti->qual), port);
	assert_int_equal(tdx_io_qual_size(ti->qual), size);
	assert_int_equal(ti->insn_len, len);
	assert_int_equal(ti->gpa, 0);
	assert_int_equal(ti->intr_info, 0);
}

static void test_guest_traps_classified(void **state)
{
	(void)state;
	platform_claim_signals();
	for (int gate = 0; gate < 2; gate++) {
		struct io_case c = {.gate = gate};
		uint64_t mmio_gpa = STUB_GPA_MMIO | (1ULL << 47);
		uint64_t code = (uint64_t)(uintptr_t)td_window_va(stub_win, STUB_GPA_CODE, false);

		assert_int_equal(lp_run_on(0, run_io_guest, &c), 0);
		assert_int_equal(c.n, 14);
		for (int i = 0; i < 14; i++)
			assert_int_equal(c.kinds[i], c.ti[i].reason);
		check_io(&c.ti[0], 0x71, 1, true, false, false, true, 2); /* inb $0x71,%al */
		assert_int_equal(c.rip[0], code);
		check_io(&c.ti[1], 0x3f8, 2, false, false, false, false, 2); /* outw %ax,%dx */
		check_io(&c.ti[2], 0x3f8, 4, true, false, false, false, 1);  /* inl %dx,%eax */
		check_io(&c.ti[3], 0x3f8, 1, false, true, true, false, 2);   /* rep outsb */
		check_io(&c.ti[4], 0x3f8, 2, false, true, false, false, 2);  /* outsw */
		check_io(&c.ti[5], 0x3f8, 4, true, true, false, false, 1);   /* insl */
		assert_int_equal(c.ti[6].reason, EXIT_REASON_HLT);
		assert_int_equal(c.ti[6].insn_len, 1);
		assert_int_equal(c.ti[7].reason, EXIT_REASON_MSR_READ);
		assert_int_equal(c.ti[7].insn_len, 2);
		assert_int_equal(c.ti[8].reason, EXIT_REASON_MSR_WRITE);
		assert_int_equal(c.ti[9].reason, EXIT_REASON_CPUID);
		assert_int_equal(c.ti[9].insn_len, 2);
		/* movq (%r8),%rax: a read of the unmapped shared page; no length (not decoded) */
		assert_int_equal(c.ti[10].reason, EXIT_REASON_EPT_VIOLATION);
		assert_int_equal(c.ti[10].gpa, mmio_gpa);
		assert_int_equal(c.ti[10].gla,
				 (uint64_t)(uintptr_t)td_window_va(stub_win, STUB_GPA_MMIO, true));
		assert_int_equal(c.ti[10].qual, EXIT_QUAL_EPT_READ | EXIT_QUAL_EPT_GLA_VALID |
							EXIT_QUAL_EPT_GLA_XLAT);
		assert_int_equal(c.ti[10].insn_len, 0);
		/* movw %ax,6(%r8): a write at offset 6 */
		assert_int_equal(c.ti[11].reason, EXIT_REASON_EPT_VIOLATION);
		assert_int_equal(c.ti[11].gpa, mmio_gpa + 6);
		assert_int_equal(c.ti[11].gla, c.ti[10].gla + 6);
		assert_int_equal(c.ti[11].qual, EXIT_QUAL_EPT_WRITE | EXIT_QUAL_EPT_GLA_VALID |
							EXIT_QUAL_EPT_GLA_XLAT);
		assert_int_equal(c.ti[11].insn_len, 0);
		assert_int_equal(c.ti[12].reason, EXIT_REASON_TDCALL);
		assert_int_equal(c.ti[12].insn_len, 4);
		assert_int_equal(c.ti[13].reason, EXIT_REASON_TDCALL);
		assert_int_equal(c.ti[13].insn_len, TDXSIM_GATE_CALL_LEN);
		assert_int_equal(c.rip[13], c.rip[12] + 4);
		/* The stub_last stub_enter runs into `jmp .` and is never interrupted: no timer. */
	}
}

/* ------------------------------------------------------------------------------------------
 * #VE delivered to the stub_guest_cpu IDT and returned from by IRETQ
 */

/* Point IDT entry `vec` at `handler` and the IDTR pseudo-descriptor at the IDT. */
static void set_idt_gate(uint8_t *idt, uint8_t *idtr, unsigned int vec, const uint8_t *handler)
{
	uint64_t h = (uint64_t)(uintptr_t)handler, base = (uint64_t)(uintptr_t)idt, d[2];

	/* 64-bit interrupt gate: offset split 15:0 / 31:16 / 63:32, P=1, type 0xE. */
	d[0] = (h & 0xFFFF) | (0x33ULL << 16) | (0x8EULL << 40) | ((h & 0xFFFF0000ULL) << 32);
	d[1] = h >> 32;
	memcpy(idt + vec * 16, d, 16);
	memcpy(idtr + 2, &base, 8);
}

static long run_ve_guest(void *arg)
{
	bool gate = *(bool *)arg;
	uint8_t *code = stub_load_blob(blob_ve, blob_ve_end);

	set_idt_gate(code + BLOB_OFF(blob_ve_idt, blob_ve), code + BLOB_OFF(blob_ve_idtr, blob_ve),
		     20, code + BLOB_OFF(blob_ve_handler, blob_ve));
	stub_guest_start(code);
	stub_policy = STUB_VE_ON_HLT;
	if (lp_vmxon())
		return -1;
	uint64_t kind = stub_enter(gate);
	lp_vmxoff();
	return (long)kind;
}

static void test_ve_iretq_preserves_registers(void **state)
{
	(void)state;
	platform_claim_signals();
	for (int g = 0; g < 2; g++) {
		bool gate = g;
		uint8_t *code;
		uint64_t save[17], count, frame[2];

		assert_int_equal(lp_run_on(0, run_ve_guest, &gate), EXIT_REASON_TDCALL);
		code = td_window_va(stub_win, STUB_GPA_CODE, false);
		memcpy(save, code + BLOB_OFF(blob_ve_save, blob_ve), sizeof(save));
		memcpy(&count, code + BLOB_OFF(blob_ve_count, blob_ve), 8);
		memcpy(frame, code + BLOB_OFF(blob_ve_frame, blob_ve), 16);
		assert_int_equal(count, 1);
		for (int r = 0; r < 15; r++) {
			if (r == REG_RSP_)
				continue;
			assert_int_equal(save[r], 0x1010101010101010ULL * (uint64_t)(r + 1));
		}
		assert_int_equal(save[REG_R15_], 0x0f0f0f0f0f0f0f0fULL);
		/* RSP as before the #VE; DF still set across the handler's IRETQ. */
		assert_int_equal(save[REG_RSP_], stub_guest_cpu.regs.gpr[REG_RSP_]);
		assert_int_equal(save[16] & X86_EFLAGS_DF, X86_EFLAGS_DF);
		/* The frame's RIP is the instruction after HLT; its RSP the interrupted one. */
		assert_int_equal(frame[1], save[REG_RSP_]);
		assert_int_equal(code[frame[0] - (uint64_t)(uintptr_t)code - 1], 0xF4);
	}
}

/* ------------------------------------------------------------------------------------------
 * Asynchronous exits
 */

static long run_spin_guest(void *arg)
{
	bool gate = *(bool *)arg;
	uint8_t *code = stub_load_blob(blob_spin, blob_spin_end);

	stub_guest_start(code);
	if (lp_vmxon())
		return -1;
	uint64_t kind = stub_enter(gate);
	lp_vmxoff();
	return (long)kind;
}

static void test_timer_interrupts_busy_guest(void **state)
{
	(void)state;
	platform_claim_signals();
	stub_shutdown();
	assert_int_equal(stub_boot(1000, true), 0);
	for (int g = 0; g < 2; g++) {
		bool gate = g;

		assert_int_equal(lp_run_on(0, run_spin_guest, &gate),
				 EXIT_REASON_EXTERNAL_INTERRUPT);
		assert_int_equal(stub_last.intr_info, 0); /* the host's: no vector for the TD */
		assert_int_equal(stub_last_rip,
				 (uint64_t)(uintptr_t)td_window_va(stub_win, STUB_GPA_CODE, false));
	}
}

/*
 * A kick is for the guest running when it comes (switch.c): one sent before LP 0 has entered
 * its guest is dropped, as it may be on a loaded machine 20 ms after the run was asked for. So
 * kick every 20 ms until the run has returned.
 */
static long kick_later(void *arg)
{
	const _Atomic bool *returned = arg;
	struct timespec ts = {0, 20 * 1000 * 1000};
	int r = 0;

	while (!r && !atomic_load(returned)) {
		nanosleep(&ts, NULL);
		r = lp_kick(0);
	}
	return r;
}

static void test_kick_interrupts_busy_guest(void **state)
{
	(void)state;
	platform_claim_signals();
	for (int g = 0; g < 2; g++) {
		bool gate = g;
		_Atomic bool returned = false;
		struct lp_work w;
		int r;

		assert_int_equal(lp_queue_work(1, &w, kick_later, &returned), 0);
		r = lp_run_on(0, run_spin_guest, &gate);
		atomic_store(&returned, true);
		assert_int_equal(lp_work_wait(&w), 0);
		assert_int_equal(r, EXIT_REASON_EXTERNAL_INTERRUPT);
		assert_int_equal(stub_last.intr_info, 0);
	}
}

/* ------------------------------------------------------------------------------------------
 * CPUID: rewriting where there is no faulting; host CPUID on an LP with faulting on
 */

/* Boot the stub machine with TDXSIM_CPUID = mode for this boot (it wins over cfg). */
static int stub_boot_cfg_cpuid(const struct machine_config *cfg, const char *mode)
{
	char *saved = env_swap("TDXSIM_CPUID", mode);
	int ret = stub_boot_cfg(cfg);

	env_restore("TDXSIM_CPUID", saved);
	return ret;
}

static void test_cpuid_rewrite_mode(void **state)
{
	struct machine_config cfg;
	struct io_case c = {.gate = false};
	const uint8_t *code;

	(void)state;
	stub_shutdown();
	assert_int_equal(machine_preset("tiny", &cfg), 0);
	cfg.cpuid_mode = CPUID_TRAP_REWRITE;
	assert_int_equal(stub_boot_cfg_cpuid(&cfg, "rewrite"), 0);
	platform_claim_signals();
	assert_int_equal(lp_run_on(0, run_io_guest, &c), 0);
	assert_int_equal(c.rewritten, 1);
	assert_int_equal(c.ti[9].reason, EXIT_REASON_CPUID);
	assert_int_equal(c.ti[9].insn_len, 2);
	/* The rewritten instruction is 0F 07, at the CPUID's address. */
	code = (const uint8_t *)(uintptr_t)c.rip[9];
	assert_int_equal(code[0], 0x0F);
	assert_int_equal(code[1], CPUID_REWRITTEN_BYTE);
	assert_int_equal(c.ti[8].reason, EXIT_REASON_MSR_WRITE);
	assert_int_equal(c.ti[10].reason, EXIT_REASON_EPT_VIOLATION);
}

struct unrecorded_case {
	uint64_t kind;
	uint64_t cr0;
};

static long run_unrecorded(void *arg)
{
	/* clts; the rewritten form of CPUID where nothing was rewritten; TDCALL */
	static const uint8_t code[] = {0x0F, 0x06, 0x0F, CPUID_REWRITTEN_BYTE,
				       0x66, 0x0F, 0x01, 0xCC};
	struct unrecorded_case *c = arg;

	stub_guest_start(stub_load_blob((const char *)code, (const char *)code + sizeof(code)));
	stub_guest_cpu.cr0 = 0x80000039; /* PG, NE, ET, TS, PE */
	if (lp_vmxon())
		return -1;
	c->kind = stub_enter(false);
	c->cr0 = stub_guest_cpu.cr0;
	lp_vmxoff();
	return 0;
}

/*
 * A rewritten CPUID the platform has no record of (code rewritten away from where it runs)
 * stops the guest with a message, in rewrite mode; a genuine CLTS stays a CLTS. Where the
 * host has CPUID faulting and the machine uses it, 0F 07 is the guest's own SYSRET: #GP,
 * which a guest without an IDT cannot take (triple fault).
 */
static void test_cpuid_rewrite_unrecorded_stops(void **state)
{
	struct unrecorded_case c = {0};
	struct stderr_capture cap;
	struct machine_config cfg;
	char msg[512], expect[512];
	uint64_t rip;

	(void)state;
	stub_shutdown();
	assert_int_equal(machine_preset("tiny", &cfg), 0);
	assert_int_equal(stub_boot_cfg_cpuid(&cfg, "rewrite"), 0);
	platform_claim_signals();
	rip = (uint64_t)(uintptr_t)td_window_va(stub_win, STUB_GPA_CODE, false) + 2;
	assert_int_equal(stderr_capture_start(&cap), 0);
	assert_int_equal(lp_run_on(0, run_unrecorded, &c), 0);
	stderr_capture_end(&cap, msg, sizeof(msg));
	assert_int_equal(c.kind, EXIT_REASON_MCE_DURING_VMENTRY);
	assert_int_equal(stub_nr_events, 1); /* the CLTS did not stop the guest */
	assert_int_equal(stub_last_rip, rip);
	assert_int_equal(c.cr0, 0x80000031); /* CLTS cleared CR0.TS */
	snprintf(expect, sizeof(expect),
		 "tdxsim: CPUID rewritten where the platform has no record of it (0F 07: code "
		 "rewritten away from the TD window, or a guest SYSRET) at RIP 0x%llx on LP 0x0\n",
		 (unsigned long long)rip);
	assert_string_equal(msg, expect);

	stub_shutdown();
	if (stub_boot_cfg_cpuid(&cfg, "faulting")) {
		assert_int_equal(stub_boot_cfg_cpuid(&cfg, "rewrite"), 0);
		return; /* no CPUID faulting on this host */
	}
	platform_claim_signals();
	stub_nr_events = 0;
	assert_int_equal(stderr_capture_start(&cap), 0);
	assert_int_equal(lp_run_on(0, run_unrecorded, &c), 0);
	stderr_capture_end(&cap, msg, sizeof(msg));
	assert_int_equal(c.kind, EXIT_REASON_TRIPLE_FAULT); /* the #GP, then #DF: no IDT */
	assert_int_equal(stub_last_rip, rip);
	assert_int_equal(stub_last.intr_info, 0);
	assert_string_equal(msg, "");
}

static long host_cpuid_on_lp(void *arg)
{
	uint32_t *r = arg;

	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(0), "c"(0));
	return 0;
}

static void test_host_cpuid_on_lp(void **state)
{
	uint32_t native[4], on_lp[4];

	(void)state;
	platform_claim_signals();
	host_cpuid(0, 0, native); /* main thread: not an LP, CPUID runs natively */
	assert_int_equal(lp_run_on(1, host_cpuid_on_lp, on_lp), 0);
	assert_memory_equal(native, on_lp, sizeof(native));
}

/* ------------------------------------------------------------------------------------------
 * Exceptions the guest takes itself, and a triple fault when it cannot
 */

static long run_exc_guest(void *arg)
{
	uint8_t *code = stub_load_blob(blob_exc, blob_exc_end);
	uint8_t *idt = code + BLOB_OFF(blob_exc_idt, blob_exc);
	uint8_t *idtr = code + BLOB_OFF(blob_exc_idtr, blob_exc);

	(void)arg;
	set_idt_gate(idt, idtr, 6, code + BLOB_OFF(blob_exc_ud, blob_exc));
	set_idt_gate(idt, idtr, 14, code + BLOB_OFF(blob_exc_pf, blob_exc));
	stub_guest_start(code);
	if (lp_vmxon())
		return -1;
	uint64_t kind = stub_enter(false);
	lp_vmxoff();
	return (long)kind;
}

static void test_guest_exceptions_delivered(void **state)
{
	const uint8_t *code;
	uint64_t ud, err, cr2;

	(void)state;
	platform_claim_signals();
	assert_int_equal(lp_run_on(0, run_exc_guest, NULL), EXIT_REASON_TDCALL);
	/* Only the TDCALL reached the module: #UD and #PF went to the guest's IDT. */
	assert_int_equal(stub_nr_events, 1);
	code = td_window_va(stub_win, STUB_GPA_CODE, false);
	memcpy(&ud, code + BLOB_OFF(blob_exc_ud_count, blob_exc), 8);
	memcpy(&err, code + BLOB_OFF(blob_exc_pf_err, blob_exc), 8);
	memcpy(&cr2, code + BLOB_OFF(blob_exc_pf_cr2, blob_exc), 8);
	assert_int_equal(ud, 1);
	assert_int_equal(err, 0x4); /* user-mode read of a not-present page */
	assert_int_equal(cr2, 0x10);
}

static long run_ud_without_idt(void *arg)
{
	static const uint8_t ud2[] = {0x0F, 0x0B};
	uint8_t *code = stub_load_blob((const char *)ud2, (const char *)ud2 + 2);

	(void)arg;
	stub_guest_start(code);
	if (lp_vmxon())
		return -1;
	uint64_t kind = stub_enter(true);
	lp_vmxoff();
	return (long)kind;
}

static void test_triple_fault_without_idt(void **state)
{
	(void)state;
	platform_claim_signals();
	/* The #UD, then #DF: neither has a gate. The exit carries no vector, as VMX's. */
	assert_int_equal(lp_run_on(0, run_ud_without_idt, NULL), EXIT_REASON_TRIPLE_FAULT);
	assert_int_equal(stub_last_rip,
			 (uint64_t)(uintptr_t)td_window_va(stub_win, STUB_GPA_CODE, false));
	assert_int_equal(stub_last.intr_info, 0);
}

/* argv[1], if given: a cmocka pattern of tests to skip (the ThreadSanitizer run, tests/meson.build). */
int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_seamcall_without_vmxon_is_ud, stub_setup,
						stub_teardown),
		cmocka_unit_test_setup_teardown(test_seamcall_without_module_is_vmfailinvalid,
						stub_setup, stub_teardown),
		cmocka_unit_test_setup_teardown(test_seamcall_without_seamrr_is_gp, stub_setup,
						stub_teardown),
		cmocka_unit_test_setup_teardown(test_seamcall_outputs_every_register, stub_setup,
						stub_teardown),
		cmocka_unit_test_setup_teardown(test_seamcall_concurrent_same_lp, stub_setup,
						stub_teardown),
		cmocka_unit_test_setup_teardown(test_guest_traps_classified, stub_setup,
						stub_teardown),
		cmocka_unit_test_setup_teardown(test_ve_iretq_preserves_registers, stub_setup,
						stub_teardown),
		cmocka_unit_test_setup_teardown(test_timer_interrupts_busy_guest, stub_setup,
						stub_teardown),
		cmocka_unit_test_setup_teardown(test_kick_interrupts_busy_guest, stub_setup,
						stub_teardown),
		cmocka_unit_test_setup_teardown(test_cpuid_rewrite_mode, stub_setup, stub_teardown),
		cmocka_unit_test_setup_teardown(test_cpuid_rewrite_unrecorded_stops, stub_setup,
						stub_teardown),
		cmocka_unit_test_setup_teardown(test_host_cpuid_on_lp, stub_setup, stub_teardown),
		cmocka_unit_test_setup_teardown(test_guest_exceptions_delivered, stub_setup,
						stub_teardown),
		cmocka_unit_test_setup_teardown(test_triple_fault_without_idt, stub_setup,
						stub_teardown),
	};

	if (argc > 1)
		cmocka_set_skip_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
