// SPDX-License-Identifier: MIT
/*
 * debugme: the guest test_gdb.c debugs, built with -O0 so that its locals live in memory.
 * gdb stops on main's first line; STI opens an interrupt shadow, which the machine ends with
 * a single-step trap of its own (SIGTRAP with EFLAGS.TF, forwarded by scripts/tdxsim-gdb.py);
 * a breakpoint set on debugme_probe before `run` must hit. It prints one line and exits with
 * status 12; built with -DDEBUGME_INT3, it executes an INT3 of its own after printing, with
 * -DDEBUGME_SPIN it spins there for ever.
 * test_gdb.c finds the lines it expects by the markers in the comments.
 */
#include "tdxguest/tdxguest.h"

static volatile int debugme_sink;

int debugme_probe(int x)
{
	debugme_sink = x; /* debugme: probe line */
	return x + 1;
}

/*
 * STI, then a labelled instruction: a hardware breakpoint there must stop, although the
 * machine completes the STI in its signal handler (it clears RF when it moves the RIP on).
 */
void debugme_irq_enable(void)
{
	__asm__ volatile("sti\n\t.globl debugme_after_sti\ndebugme_after_sti:\n\tnop" ::: "memory");
}

int main(void)
{
	int answer = 41; /* debugme: main line */

	debugme_irq_enable();
	answer = debugme_probe(answer);
	tdx_printf("debugme: answer %d\n", answer); /* debugme: printf line */
#ifdef DEBUGME_INT3
	__asm__ volatile("int3");
#endif
#ifdef DEBUGME_SPIN
	for (;;)
		debugme_sink++; /* debugme: spin line */
#endif
	return answer - 30;
}
