// SPDX-License-Identifier: MIT
/*
 * The machine's basic costs, each next to a bare SIGSEGV round trip measured in the same
 * run (the baseline every trap pays): SEAMCALL and TDCALL by trap and by gate, and a world
 * switch in and out. Prints one line per figure: name, ns per operation, ratio.
 *
 *   build/bench/bench_platform [iterations]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/seamcall.h"
#include "platform/platform.h"
#include "tests/support/stub_module.h"

#include "bench_util.h"

__asm__(".pushsection .text\n"
	/* r12 TDCALLs completed in place (RAX=0), then one that exits (RAX=1). */
	".globl bench_tdcall_trap, bench_tdcall_gate, bench_switch_trap, bench_switch_gate\n"
	".globl bench_blob_end, bench_gate_slot\n"
	"bench_tdcall_trap:\n"
	"	xorl %eax, %eax\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	decq %r12\n"
	"	jnz bench_tdcall_trap\n"
	"	movl $1, %eax\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	jmp .\n"
	"bench_tdcall_gate:\n"
	"	xorl %eax, %eax\n"
	"	call *bench_gate_slot(%rip)\n"
	"	decq %r12\n"
	"	jnz bench_tdcall_gate\n"
	"	movl $1, %eax\n"
	"	call *bench_gate_slot(%rip)\n"
	"	jmp .\n"
	/* Every entry exits at once. */
	"bench_switch_trap:\n"
	"	movl $1, %eax\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	jmp bench_switch_trap\n"
	"bench_switch_gate:\n"
	"	movl $1, %eax\n"
	"	call *bench_gate_slot(%rip)\n"
	"	jmp bench_switch_gate\n"
	"	.balign 8\n"
	"bench_gate_slot: .quad 0\n"
	"bench_blob_end:\n"
	".popsection\n");

extern const char bench_tdcall_trap[], bench_tdcall_gate[], bench_switch_trap[],
	bench_switch_gate[], bench_blob_end[], bench_gate_slot[];

static long iterations = 20000;

/* ------------------------------------------------------------------------------------------
 * Figures measured on LP 0
 */

struct figure {
	const char *name;
	double ns;
};

static struct figure figures[8];
static int nr_figures;

static double seamcall_loop(bool gate)
{
	struct tdx_module_args args = {0};
	double t0 = now_ns();

	for (long i = 0; i < iterations; i++)
		gate ? __seamcall_gate(1, &args) : __seamcall_insn(1, &args);
	return (now_ns() - t0) / (double)iterations;
}

/* Load the guest code and point its gate slot at the machine's gate. */
static uint8_t *load_bench_blob(void)
{
	uint8_t *code = stub_load_blob(bench_tdcall_trap, bench_blob_end);
	uint64_t slot = (uint64_t)(uintptr_t)tdxsim_gate_ptr;

	memcpy(code + (bench_gate_slot - bench_tdcall_trap), &slot, sizeof(slot));
	return code;
}

static double tdcall_loop(const char *entry)
{
	uint8_t *code = load_bench_blob();
	double t0;
	uint64_t exits = stub_nr_events;

	stub_guest_start(code + (entry - bench_tdcall_trap));
	stub_guest_cpu.regs.gpr[REG_R12_] = (uint64_t)iterations;
	stub_policy = STUB_TDCALL_IN_PLACE;
	t0 = now_ns();
	stub_enter(true);
	t0 = (now_ns() - t0) / (double)iterations;
	stub_policy = STUB_EXIT_ON_EVERYTHING;
	/* Every TDCALL was seen, and the run ended with the exiting one. */
	if (stub_nr_events - exits != (uint64_t)iterations + 1 ||
	    stub_last.reason != EXIT_REASON_TDCALL)
		return -1;
	return t0;
}

static double switch_loop(const char *entry, bool gate)
{
	uint8_t *code = load_bench_blob();
	double t0;

	stub_guest_start(code + (entry - bench_tdcall_trap));
	t0 = now_ns();
	for (long i = 0; i < iterations; i++)
		if (stub_enter(gate) != EXIT_REASON_TDCALL)
			return -1;
	return (now_ns() - t0) / (double)iterations;
}

static void add(const char *name, double ns)
{
	if (ns < 0)
		fprintf(stderr, "bench_platform: %s: the guest did not behave as expected\n", name);
	figures[nr_figures].name = name;
	figures[nr_figures++].ns = ns;
}

static long measure(void *arg)
{
	(void)arg;
	if (lp_vmxon())
		return -1;
	add("SEAMCALL, trapped (#UD)", seamcall_loop(false));
	add("SEAMCALL, gate", seamcall_loop(true));
	add("TDCALL, trapped (#UD)", tdcall_loop(bench_tdcall_trap));
	add("TDCALL, gate", tdcall_loop(bench_tdcall_gate));
	add("world switch in+out, trapped", switch_loop(bench_switch_trap, false));
	add("world switch in+out, gate", switch_loop(bench_switch_gate, true));
	lp_vmxoff();
	return 0;
}

int main(int argc, char **argv)
{
	double base;

	if (argc > 1)
		iterations = strtol(argv[1], NULL, 0);
	if (iterations <= 0) {
		fprintf(stderr, "usage: %s [iterations]\n", argv[0]);
		return 2;
	}
	base = bare_sigsegv_ns(iterations);
	if (stub_boot(0, true)) {
		fprintf(stderr, "bench_platform: cannot boot the machine\n");
		return 1;
	}
	if (lp_run_on(0, measure, NULL)) {
		fprintf(stderr, "bench_platform: measurement failed\n");
		stub_shutdown();
		return 1;
	}
	stub_shutdown();

	printf("%-34s %10s %10s\n", "figure", "ns/op", "ratio");
	printf("%-34s %10.1f %10s\n", "bare SIGSEGV round trip (baseline)", base, "1.00");
	for (int i = 0; i < nr_figures; i++)
		printf("%-34s %10.1f %10.2f\n", figures[i].name, figures[i].ns,
		       figures[i].ns / base);
	return 0;
}
