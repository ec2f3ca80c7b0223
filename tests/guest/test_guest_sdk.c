// SPDX-License-Identifier: MIT
/*
 * The guest SDK end to end: tiny_guest (built with libtdxguest, the crt and the linker
 * script) is loaded into TD private pages and entered through the stub module. The test's
 * hook plays the module for the leaves the guest needs (TDG.VP.INFO, TDG.VP.VEINFO.GET, #VE
 * injection); every TDG.VP.VMCALL exits to the host and is checked register by register.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "elf_load.h"
#include "tdx/ghci.h"
#include "tdx/leaves.h"
#include "tdx/vmx.h"
#include "tests/support/stub_module.h"
#include "tiny_guest.h"

#define LOAD_GPA	 0x100000ULL
#define HPA_POOL	 0x20000000ULL
#define MAX_EXITS	 256
#define NO_VALID_VE_INFO 0xC000070400000000ULL

static const char *guest_path;

struct exit_rec {
	uint64_t kind;
	struct cpu_regs regs; /* guest registers at the exit */
	struct vm_exit ti;
};

static struct run {
	uint64_t scenario;
	bool gate; /* R9 = the gate */
	bool enter_gate;
	bool ve; /* the hook turns I/O, HLT, MSR, CPUID and EPT events into #VE */
	bool dirty;
	uint64_t in_values[16];
	int nr_in;
	struct exit_rec ex[MAX_EXITS];
	int n;
	bool done;
	/* #VE info the hook holds for VEINFO.GET */
	bool ve_valid;
	uint64_t ve_regs[5];
	int nr_ve, nr_veinfo, nr_vpinfo;
} run;

static bool mini_module(struct cpu_regs *ctx, const struct vm_exit *ti)
{
	uint64_t *g = ctx->gpr;

	if (ti->reason == EXIT_REASON_TDCALL && g[REG_RAX_] == TDG_VP_INFO) {
		run.nr_vpinfo++;
		g[REG_RCX_] = 48;
		g[REG_RDX_] = 0;
		g[REG_R8_] = 1 | (1ULL << 32);
		g[REG_R9_] = g[REG_R10_] = g[REG_R11_] = 0;
		g[REG_RAX_] = 0;
		ctx->rip += ti->insn_len;
		return true;
	}
	if (ti->reason == EXIT_REASON_TDCALL && g[REG_RAX_] == TDG_VP_VEINFO_GET) {
		run.nr_veinfo++;
		g[REG_RAX_] = run.ve_valid ? 0 : NO_VALID_VE_INFO;
		g[REG_RCX_] = run.ve_valid ? run.ve_regs[0] : 0;
		g[REG_RDX_] = run.ve_valid ? run.ve_regs[1] : 0;
		g[REG_R8_] = run.ve_valid ? run.ve_regs[2] : 0;
		g[REG_R9_] = run.ve_valid ? run.ve_regs[3] : 0;
		g[REG_R10_] = run.ve_valid ? run.ve_regs[4] : 0;
		run.ve_valid = false;
		ctx->rip += ti->insn_len;
		return true;
	}
	if (!run.ve)
		return false;
	uint64_t reason = ti->reason;
	bool ept = reason == EXIT_REASON_EPT_VIOLATION;

	switch (reason) {
	case EXIT_REASON_IO_INSTRUCTION:
	case EXIT_REASON_HLT:
	case EXIT_REASON_MSR_READ:
	case EXIT_REASON_MSR_WRITE:
	case EXIT_REASON_CPUID:
	case EXIT_REASON_EPT_VIOLATION:
		break;
	default:
		return false;
	}
	assert_false(run.ve_valid); /* would be #DF */
	run.ve_valid = true;
	run.ve_regs[0] = reason;
	run.ve_regs[1] = reason == EXIT_REASON_IO_INSTRUCTION ? ti->qual
			 : ept ? ((ti->qual & EXIT_QUAL_EPT_WRITE) ? 2 : 1)
			       : 0;
	run.ve_regs[2] = ept ? ti->gla : 0;
	run.ve_regs[3] = ept ? ti->gpa : 0;
	run.ve_regs[4] = ept ? 0 : ti->insn_len;
	run.nr_ve++;
	assert_int_equal(guest_deliver(ctx, &stub_guest_cpu, X86_TRAP_VE, false, 0), 0);
	return true;
}

static bool is_vmcall(const struct exit_rec *e)
{
	return e->kind == EXIT_REASON_TDCALL && e->regs.gpr[REG_RAX_] == TDG_VP_VMCALL;
}

static long run_guest(void *arg)
{
	struct elf_image img;
	(void)arg;

	if (elf_load(stub_win, guest_path, LOAD_GPA, HPA_POOL, run.dirty, &img))
		return -1;
	stub_guest_start(td_window_va(stub_win, img.entry_gpa, false));
	stub_guest_cpu.regs.gpr[REG_RBX_] = 48;
	stub_guest_cpu.regs.gpr[REG_R9_] = run.gate ? (uint64_t)(uintptr_t)tdxsim_gate_ptr : 0;
	stub_guest_cpu.regs.gpr[REG_R12_] = run.scenario;
	stub_guest_hook = mini_module;
	if (lp_vmxon())
		return -1;
	for (run.n = 0; run.n < MAX_EXITS && !run.done; run.n++) {
		struct exit_rec *e = &run.ex[run.n];

		e->kind = stub_enter(run.enter_gate);
		e->regs = stub_guest_cpu.regs;
		e->ti = stub_last;
		if (!is_vmcall(e))
			continue;
		uint64_t *g = stub_guest_cpu.regs.gpr;
		g[REG_R10_] = 0;
		if (g[REG_R11_] == TDVMCALL_INSTRUCTION_IO && g[REG_R13_] == 0)
			g[REG_R11_] = run.in_values[run.nr_in++ % 16];
		else if (g[REG_R11_] == TDVMCALL_VE_REQUEST_MMIO && g[REG_R13_] == 0)
			g[REG_R11_] = 0x0102030405060708ULL;
		else if (g[REG_R11_] == TDVMCALL_INSTRUCTION_RDMSR)
			g[REG_R11_] = 0xaaaabbbbccccddddULL;
		else if (g[REG_R11_] == TDVMCALL_INSTRUCTION_CPUID) {
			g[REG_R12_] = 0x40000001;
			g[REG_R13_] = 0x61626364;
			g[REG_R14_] = 0x65666768;
			g[REG_R15_] = 0x696a6b6c;
		}
		if (e->regs.gpr[REG_R11_] == TDVMCALL_REPORT_FATAL_ERROR ||
		    (e->regs.gpr[REG_R11_] == TDVMCALL_INSTRUCTION_IO &&
		     e->regs.gpr[REG_R14_] == 0x604))
			run.done = true;
	}
	lp_vmxoff();
	return 0;
}

static void do_run(uint64_t scenario, bool gate, bool ve)
{
	uint64_t in[16] = {0x1122334455667788ULL, 0xffffabcd, 0x87654321, 0x5a5a, 0xa5a5};

	memset(&run, 0, sizeof(run));
	memcpy(run.in_values, in, sizeof(in));
	run.scenario = scenario;
	run.gate = gate;
	run.enter_gate = gate;
	run.ve = ve;
	assert_int_equal(lp_run_on(0, run_guest, NULL), 0);
	assert_true(run.done);
	assert_int_equal(run.nr_vpinfo, 1);
}

/* Collect the TDVMCALL exits only (VP.INFO and VEINFO.GET are answered in place). */
static int vmcalls(struct exit_rec **out, int max)
{
	int n = 0;

	for (int i = 0; i < run.n && n < max; i++)
		if (is_vmcall(&run.ex[i]))
			out[n++] = &run.ex[i];
	return n;
}

static void check_vmcall(const struct exit_rec *e, uint64_t subfn, uint64_t r12, uint64_t r13,
			 uint64_t r14, uint64_t r15)
{
	const uint64_t *g = e->regs.gpr;

	assert_int_equal(e->kind, EXIT_REASON_TDCALL);
	assert_int_equal(g[REG_RAX_], 0);
	assert_int_equal(g[REG_RCX_], TDVMCALL_EXPOSE_REGS_MASK);
	assert_int_equal(g[REG_R10_], TDX_HYPERCALL_STANDARD);
	assert_int_equal(g[REG_R11_], subfn);
	assert_int_equal(g[REG_R12_], r12);
	assert_int_equal(g[REG_R13_], r13);
	assert_int_equal(g[REG_R14_], r14);
	assert_int_equal(g[REG_R15_], r15);
}

static void check_io_call(const struct exit_rec *e, unsigned size, bool out, uint16_t port,
			  uint64_t val)
{
	check_vmcall(e, TDVMCALL_INSTRUCTION_IO, size, out, port, out ? val : 0);
}

/* The normal end: status to port 0xF4, then ACPI power-off. */
static void check_exit(struct exit_rec **v, int n, uint32_t status)
{
	assert_true(n >= 2);
	if (status == 0) {
		check_io_call(v[n - 2], 4, true, 0xF4, 0);
		check_io_call(v[n - 1], 2, true, 0x604, 0x2000);
	} else {
		check_io_call(v[n - 2], 4, true, 0xF4, status);
		assert_int_equal(v[n - 1]->regs.gpr[REG_R11_], TDVMCALL_REPORT_FATAL_ERROR);
		assert_int_equal(v[n - 1]->regs.gpr[REG_R12_], status);
	}
}

/* The port_sequence() of tiny_guest as TDVMCALL exits. */
static void check_port_sequence(struct exit_rec **v, int n)
{
	assert_int_equal(n, 15 + 2);
	check_io_call(v[0], 1, true, 0x80, 0x41);
	check_io_call(v[1], 2, true, 0x80, 0x1234);
	check_io_call(v[2], 4, true, 0x80, 0xdeadbeef);
	check_io_call(v[3], 1, false, 0x80, 0);
	check_io_call(v[4], 4, true, 0x81, 0x88); /* inb: low byte only */
	check_io_call(v[5], 2, false, 0x80, 0);
	check_io_call(v[6], 4, true, 0x81, 0xabcd);
	check_io_call(v[7], 4, false, 0x80, 0);
	check_io_call(v[8], 4, true, 0x81, 0x87654321);
	check_io_call(v[9], 1, true, 0x82, 'a');
	check_io_call(v[10], 1, true, 0x82, 'b');
	check_io_call(v[11], 1, true, 0x82, 'c');
	check_io_call(v[12], 2, false, 0x83, 0);
	check_io_call(v[13], 2, false, 0x83, 0);
	check_io_call(v[14], 4, true, 0x81, 0xa5a55a5a);
	check_exit(v, n, 0);
}

static void test_io_direct(void **state)
{
	struct exit_rec *v[MAX_EXITS];
	(void)state;

	platform_claim_signals();
	do_run(TINY_IO_DIRECT, false, false);
	check_port_sequence(v, vmcalls(v, MAX_EXITS));
	/* Every exit is a TDCALL instruction (4 bytes) */
	assert_int_equal(v[0]->ti.insn_len, TDX_INSN_LEN);
}

/* Gate, trap and forced-instruction runs give the same exits, register for register. */
static void test_io_gate_equals_trap(void **state)
{
	static struct exit_rec trap[MAX_EXITS];
	struct exit_rec *v[MAX_EXITS];
	int n_trap, n;
	(void)state;

	platform_claim_signals();
	do_run(TINY_IO_DIRECT, false, false);
	n_trap = run.n;
	memcpy(trap, run.ex, sizeof(trap));
	for (int mode = 0; mode < 2; mode++) {
		do_run(mode ? TINY_FORCE_INSN : TINY_IO_DIRECT, true, false);
		n = vmcalls(v, MAX_EXITS);
		check_port_sequence(v, n);
		assert_int_equal(run.n, n_trap);
		for (int i = 0; i < n_trap; i++) {
			assert_int_equal(run.ex[i].kind, trap[i].kind);
			for (int r = 0; r < 16; r++)
				if (r != REG_RSP_ && r != REG_R9_ && r != REG_RBP_ &&
				    r != REG_R12_ && trap[i].kind == EXIT_REASON_TDCALL &&
				    r >= REG_R10_)
					assert_int_equal(run.ex[i].regs.gpr[r],
							 trap[i].regs.gpr[r]);
			assert_int_equal(run.ex[i].ti.insn_len,
					 mode ? TDX_INSN_LEN : TDXSIM_GATE_CALL_LEN);
		}
	}
}

/* Native instructions without #VE: each IN/OUT arrives as an I/O exit, strings unrolled. */
static void test_io_native_exits(void **state)
{
	static const struct {
		uint16_t port;
		uint8_t size;
		bool in;
	} want[] = {
		{0x80, 1, false}, {0x80, 2, false}, {0x80, 4, false}, {0x80, 1, true},
		{0x81, 4, false}, {0x80, 2, true},  {0x81, 4, false}, {0x80, 4, true},
		{0x81, 4, false}, {0x82, 1, false}, {0x82, 1, false}, {0x82, 1, false},
		{0x83, 2, true},  {0x83, 2, true},  {0x81, 4, false},
	};
	int k = 0;
	(void)state;

	platform_claim_signals();
	do_run(TINY_IO_NATIVE, false, false);
	for (int i = 0; i < run.n; i++) {
		const struct exit_rec *e = &run.ex[i];

		if (e->kind != EXIT_REASON_IO_INSTRUCTION)
			continue;
		assert_true(k < (int)(sizeof(want) / sizeof(want[0])));
		assert_int_equal(tdx_io_qual_port(e->ti.qual), want[k].port);
		assert_int_equal(tdx_io_qual_size(e->ti.qual), want[k].size);
		assert_int_equal(tdx_io_qual_is_in(e->ti.qual), want[k].in);
		assert_false(tdx_io_qual_is_string(e->ti.qual));
		if (k == 0)
			assert_int_equal(e->regs.gpr[REG_RAX_] & 0xff, 0x41);
		if (k == 2)
			assert_int_equal(e->regs.gpr[REG_RAX_] & 0xffffffff, 0xdeadbeef);
		if (k >= 9 && k <= 11)
			assert_int_equal(e->regs.gpr[REG_RAX_] & 0xff, "abc"[k - 9]);
		k++;
	}
	assert_int_equal(k, 15);
}

/* The runtime path: native IN/OUT, #VE, the full handler, TDVMCALL Instruction.IO. */
static void test_io_ve_runtime(void **state)
{
	struct exit_rec *v[MAX_EXITS];
	(void)state;

	platform_claim_signals();
	for (int gate = 0; gate < 2; gate++) {
		do_run(TINY_IO_NATIVE, gate, true);
		check_port_sequence(v, vmcalls(v, MAX_EXITS));
		assert_int_equal(run.nr_ve, 15);
		assert_int_equal(run.nr_veinfo, 15);
	}
}

static void test_crt_relocates_and_clears_bss(void **state)
{
	struct exit_rec *v[MAX_EXITS];
	int n;
	(void)state;

	platform_claim_signals();
	for (int gate = 0; gate < 2; gate++) {
		memset(&run, 0, sizeof(run));
		run.scenario = TINY_RELOC;
		run.gate = gate;
		run.dirty = true;
		assert_int_equal(lp_run_on(0, run_guest, NULL), 0);
		assert_true(run.done);
		n = vmcalls(v, MAX_EXITS);
		assert_int_equal(n, 2);
		check_exit(v, n, 42);
		/* "exit status 42" packed in R14, R15, ... */
		char msg[65] = {0};
		const int order[8] = {REG_R14_, REG_R15_, REG_RBX_, REG_RDI_,
				      REG_RSI_, REG_R8_,  REG_R9_,  REG_RDX_};
		for (int i = 0; i < 8; i++)
			memcpy(msg + 8 * i, &v[1]->regs.gpr[order[i]], 8);
		assert_string_equal(msg, "exit status 42");
	}
}

static void test_printf(void **state)
{
	struct exit_rec *v[MAX_EXITS];
	char out[128] = {0};
	int n, k = 0;
	(void)state;

	platform_claim_signals();
	do_run(TINY_PRINTF, false, false);
	n = vmcalls(v, MAX_EXITS);
	for (int i = 0; i < n - 2; i++) {
		assert_int_equal(v[i]->regs.gpr[REG_R14_], 0x3F8);
		assert_int_equal(v[i]->regs.gpr[REG_R12_], 1);
		out[k++] = (char)v[i]->regs.gpr[REG_R15_];
	}
	assert_string_equal(out, "x=-12 ok beef 123456789a 7|0x1000");
	check_exit(v, n, 0);
}

static void check_mmio_sequence(struct exit_rec **v, int n)
{
	const uint64_t gpa = 0x5000 | (1ULL << 47);
	const uint64_t rd = 0x0102030405060708ULL;

	assert_int_equal(n, 9 + 2);
	check_vmcall(v[0], TDVMCALL_VE_REQUEST_MMIO, 1, 1, gpa, 0x11);
	check_vmcall(v[1], TDVMCALL_VE_REQUEST_MMIO, 2, 1, gpa + 2, 0x2222);
	check_vmcall(v[2], TDVMCALL_VE_REQUEST_MMIO, 4, 1, gpa + 4, 0x33333333);
	check_vmcall(v[3], TDVMCALL_VE_REQUEST_MMIO, 8, 1, gpa + 8, 0x4444444444444444ULL);
	check_vmcall(v[4], TDVMCALL_VE_REQUEST_MMIO, 1, 0, gpa, 0);
	check_vmcall(v[5], TDVMCALL_VE_REQUEST_MMIO, 2, 0, gpa + 2, 0);
	check_vmcall(v[6], TDVMCALL_VE_REQUEST_MMIO, 4, 0, gpa + 4, 0);
	check_vmcall(v[7], TDVMCALL_VE_REQUEST_MMIO, 8, 0, gpa + 8, 0);
	check_vmcall(v[8], TDVMCALL_VE_REQUEST_MMIO, 8, 1, gpa + 16,
		     (rd & 0xff) + (rd & 0xffff) + (rd & 0xffffffff) + rd);
	check_exit(v, n, 0);
}

static void test_mmio_direct(void **state)
{
	struct exit_rec *v[MAX_EXITS];
	(void)state;

	platform_claim_signals();
	do_run(TINY_MMIO_DIRECT, false, false);
	check_mmio_sequence(v, vmcalls(v, MAX_EXITS));
	assert_int_equal(run.nr_ve, 0);
}

static void test_mmio_ve(void **state)
{
	struct exit_rec *v[MAX_EXITS];
	(void)state;

	platform_claim_signals();
	for (int gate = 0; gate < 2; gate++) {
		do_run(TINY_MMIO_VE, gate, true);
		check_mmio_sequence(v, vmcalls(v, MAX_EXITS));
		assert_int_equal(run.nr_ve, 9);
	}
}

static void test_ve_misc(void **state)
{
	struct exit_rec *v[MAX_EXITS];
	int n;
	(void)state;

	platform_claim_signals();
	do_run(TINY_VE_MISC, false, true);
	n = vmcalls(v, MAX_EXITS);
	assert_int_equal(n, 15 + 2);
	/* The guest never executed STI: RFLAGS.IF is clear in the #VE frame, so "blocked". */
	check_vmcall(v[0], TDVMCALL_INSTRUCTION_HLT, 1, 0, 0, 0);
	check_vmcall(v[1], TDVMCALL_INSTRUCTION_RDMSR, 0x4b564d00, 0, 0, 0);
	check_io_call(v[2], 4, true, 0x81, 0xccccdddd);
	check_io_call(v[3], 4, true, 0x81, 0xaaaabbbb);
	check_vmcall(v[4], TDVMCALL_INSTRUCTION_WRMSR, 0x4b564d01, 0x0123456789abcdefULL, 0, 0);
	/* CPUID 0x40000000 went to the VMM (exposing only R12/R13 inputs) */
	check_vmcall(v[5], TDVMCALL_INSTRUCTION_CPUID, 0x40000000, 0, 0, 0);
	check_io_call(v[6], 4, true, 0x81, 0x40000001);
	check_io_call(v[7], 4, true, 0x81, 0x61626364);
	check_io_call(v[8], 4, true, 0x81, 0x65666768);
	check_io_call(v[9], 4, true, 0x81, 0x696a6b6c);
	/* REP OUTSB of 3 bytes: one #VE, three exits, RSI += 3 and RCX = 0 */
	check_io_call(v[10], 1, true, 0x82, 'x');
	check_io_call(v[11], 1, true, 0x82, 'y');
	check_io_call(v[12], 1, true, 0x82, 'z');
	check_io_call(v[13], 4, true, 0x81, 3);
	check_io_call(v[14], 4, true, 0x81, 0);
	/* 14 #VEs so far (hlt, rdmsr, 2 out, wrmsr, cpuid, 4 out, rep outsb, 2 out) */
	check_exit(v, n, 13);
}

static void test_mmio_private_is_fatal(void **state)
{
	struct exit_rec *v[MAX_EXITS];
	int n;
	(void)state;

	platform_claim_signals();
	do_run(TINY_MMIO_PRIVATE, false, true);
	n = vmcalls(v, MAX_EXITS);
	assert_int_equal(n, 1);
	assert_int_equal(v[0]->regs.gpr[REG_R11_], TDVMCALL_REPORT_FATAL_ERROR);
	char msg[9] = {0};
	memcpy(msg, &v[0]->regs.gpr[REG_R14_], 8);
	assert_string_equal(msg, "#VE EPT ");
}

static void test_early_ve_only_io(void **state)
{
	struct exit_rec *v[MAX_EXITS];
	char msg[41] = {0};
	int n;
	(void)state;

	platform_claim_signals();
	do_run(TINY_EARLY_VE, false, true);
	n = vmcalls(v, MAX_EXITS);
	assert_int_equal(n, 2);
	check_io_call(v[0], 1, true, 0x80, 0x5a);
	assert_int_equal(v[1]->regs.gpr[REG_R11_], TDVMCALL_REPORT_FATAL_ERROR);
	memcpy(msg, &v[1]->regs.gpr[REG_R14_], 8);
	memcpy(msg + 8, &v[1]->regs.gpr[REG_R15_], 8);
	memcpy(msg + 16, &v[1]->regs.gpr[REG_RBX_], 8);
	memcpy(msg + 24, &v[1]->regs.gpr[REG_RDI_], 8);
	memcpy(msg + 32, &v[1]->regs.gpr[REG_RSI_], 8);
	/* exit reason 12 (HLT) in decimal, the RIP in hex with 0x */
	assert_memory_equal(msg, "#VE unexpected exit reason 12 rip 0x", 36);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_io_direct, stub_setup, stub_teardown),
		cmocka_unit_test_setup_teardown(test_io_gate_equals_trap, stub_setup,
						stub_teardown),
		cmocka_unit_test_setup_teardown(test_io_native_exits, stub_setup, stub_teardown),
		cmocka_unit_test_setup_teardown(test_io_ve_runtime, stub_setup, stub_teardown),
		cmocka_unit_test_setup_teardown(test_crt_relocates_and_clears_bss, stub_setup,
						stub_teardown),
		cmocka_unit_test_setup_teardown(test_printf, stub_setup, stub_teardown),
		cmocka_unit_test_setup_teardown(test_mmio_direct, stub_setup, stub_teardown),
		cmocka_unit_test_setup_teardown(test_mmio_ve, stub_setup, stub_teardown),
		cmocka_unit_test_setup_teardown(test_ve_misc, stub_setup, stub_teardown),
		cmocka_unit_test_setup_teardown(test_mmio_private_is_fatal, stub_setup,
						stub_teardown),
		cmocka_unit_test_setup_teardown(test_early_ve_only_io, stub_setup, stub_teardown),
	};

	if (argc < 2)
		return 1;
	guest_path = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
