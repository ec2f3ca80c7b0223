// SPDX-License-Identifier: MIT
/*
 * What every benchmark shares (see bench_util.h).
 */
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>

#include "bench_util.h"

double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void skip_fault(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)sig;
	(void)si;
	uc->uc_mcontext.gregs[REG_RIP] += 3; /* movq (%rax),%rax: 48 8b 00 */
}

double bare_sigsegv_ns(long iterations)
{
	struct sigaction sa = {0}, old;
	double t0;

	sa.sa_sigaction = skip_fault;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, &old);
	t0 = now_ns();
	for (long i = 0; i < iterations; i++)
		__asm__ volatile("xorl %%eax, %%eax\n\t.byte 0x48, 0x8b, 0x00" ::: "rax", "memory");
	t0 = (now_ns() - t0) / (double)iterations;
	sigaction(SIGSEGV, &old, NULL);
	return t0;
}

const char *bench_beside(const char *argv0, const char *name)
{
	static char path[4096];
	const char *slash = strrchr(argv0, '/');

	snprintf(path, sizeof(path), "%.*s%s", slash ? (int)(slash - argv0 + 1) : 0, argv0, name);
	return path;
}
