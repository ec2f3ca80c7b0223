/* SPDX-License-Identifier: MIT */
/*
 * The system backend's raw harness, shared by the tests that run guest code on it with the
 * test playing the module (tests/system/test_reset.c, tests/system/test_system.c,
 * tests/linux/test_linux_reset.c): whether QEMU is there, a space holding an image's pages
 * as PAGE.ADD would have made them, a vCPU in the state TDH.VP.INIT gives, and the
 * no-orphan check: a child that started QEMU ends one way or another, and QEMU must follow.
 * Include after <cmocka.h>.
 */
#ifndef TDXSIM_TESTS_SYSTEM_RAW_TD_H
#define TDXSIM_TESTS_SYSTEM_RAW_TD_H

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "platform/platform.h"
#include "platform/system/system.h"
#include "platform/system/vcpu.h"
#include "vmm/vmm_internal.h"

/* Is the QEMU the backend would start ($TDXSIM_QEMU or qemu-system-x86_64) on PATH? */
static inline bool raw_have_qemu(void)
{
	const char *q = getenv("TDXSIM_QEMU");
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "command -v '%s' >/dev/null 2>&1",
		 q && *q ? q : "qemu-system-x86_64");
	return system(cmd) == 0;
}

/*
 * A GPAW-wide space with img's pages copied to consecutive host pages from hpa_base and
 * mapped private, read-write-execute: the TD's memory as PAGE.ADD would have made it. NULL
 * when a mapping is refused.
 */
static inline struct system_space *raw_space_from_image(struct system_vm *vm, unsigned int gpaw,
							const struct vmm_image *img,
							uint64_t hpa_base)
{
	struct system_space *sp = system_space_create(vm, gpaw);

	for (unsigned int i = 0; sp && i < img->nr; i++) {
		uint64_t hpa = hpa_base + 4096ULL * i;

		memcpy(phys_seam_va(hpa), img->pages[i].data, 4096);
		if (system_space_map(sp, img->pages[i].gpa, false, hpa,
				     PROT_READ | PROT_WRITE | PROT_EXEC)) {
			system_space_destroy(sp);
			return NULL;
		}
	}
	return sp;
}

/*
 * A vCPU of sp in TDX's initial state (32-bit protected mode at the reset vector) with
 * TDH.VP.INIT's registers in *r: RBX = GPAW, RCX = R8 = init_rcx, RDX = CPUID(1).EAX,
 * RSI = the vCPU's index, R9 = 0 (no gate on this backend).
 */
static inline struct system_vcpu *raw_reset_vcpu(struct system_vm *vm, struct system_space *sp,
						 struct cpu_regs *r, unsigned int index,
						 unsigned int gpaw, uint64_t init_rcx,
						 uint64_t cpuid1_eax)
{
	struct system_vcpu *v;

	assert_int_equal(system_vcpu_create(vm, sp, &v), 0);
	system_vcpu_set_reset_state(v);
	*r = (struct cpu_regs){.rip = 0xFFFFFFF0, .rflags = 0x2};
	r->gpr[REG_RBX_] = gpaw;
	r->gpr[REG_RCX_] = r->gpr[REG_R8_] = init_rcx;
	r->gpr[REG_RDX_] = cpuid1_eax;
	r->gpr[REG_RSI_] = index;
	return v;
}

/* How a child that started QEMU ends (the no-orphan tests). */
enum raw_ending { END_EXIT, END_ABORT, END_SIGKILL, END_SIGINT, END_SIGTERM };

/* End this process that way; SIGINT and SIGTERM are left for the parent to send. */
static inline void raw_end(enum raw_ending how)
{
	switch (how) {
	case END_EXIT:
		exit(0);
	case END_ABORT:
		signal(SIGABRT, SIG_DFL);
		abort();
	case END_SIGKILL:
		raise(SIGKILL);
		break;
	case END_SIGINT:
	case END_SIGTERM:
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		for (;;)
			pause();
	}
}

/*
 * The parent's half: send the child its signal if its ending is one, reap it, then wait
 * (10 s at most) until its QEMU is gone: reaped here (we are its subreaper) or by the child.
 */
static inline void raw_await_gone(pid_t child, pid_t qemu, enum raw_ending how)
{
	struct timespec t0, t1;
	int status;

	if (how == END_SIGINT)
		kill(child, SIGINT);
	if (how == END_SIGTERM)
		kill(child, SIGTERM);
	assert_int_equal(waitpid(child, &status, 0), child);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		pid_t r = waitpid(qemu, &status, WNOHANG);

		if (r == qemu || (r < 0 && errno == ECHILD && kill(qemu, 0) < 0))
			break;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (t1.tv_sec - t0.tv_sec > 10)
			fail_msg("QEMU %d still there after ending %d", (int)qemu, (int)how);
		usleep(1000);
	}
}

#endif
