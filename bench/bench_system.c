// SPDX-License-Identifier: MIT
/*
 * The system backend against the native one (docs/PERFORMANCE.md, "The system backend"): one
 * SDK guest (sys_guest.c) run on both backends in the same run, each backend in a child
 * process of its own (one machine per process): a TDVMCALL round trip (a port write by direct
 * TDVMCALL), an MMIO access through #VE and a fixed compute loop. Time per operation =
 * (vmm_td_run time with N - the same with none) / N, best of the repetitions (the machine is
 * shared). Printed with the ratios system / native and the goals of issue 19: a round trip in
 * tens of microseconds at most (< 100 us), guest compute at QEMU TCG's own speed. Without
 * qemu-system-x86_64 the system backend's lines say "skipped" and the exit status is 0.
 *
 *   build/bench/bench_system [--quick] [sys_guest.elf]   (default: sys_guest.elf beside it)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <tdxsim/tdxsim.h>

#include "bench_util.h"

enum { PHASE_NONE, PHASE_TDVMCALL, PHASE_MMIO_VE, PHASE_COMPUTE, NR_PHASES };

static const char *const phase_names[NR_PHASES] = {"", "TDVMCALL round trip (outb, direct)",
						   "MMIO readl via #VE round trip",
						   "compute, per loop iteration (4 insns)"};

/* What a child reports: ns per operation of each phase, and how it ended. */
struct result {
	int status; /* 0, SKIPPED (no QEMU) or FAILED */
	double ns[NR_PHASES];
	double exits[NR_PHASES]; /* TD exits (VP.ENTERs) per op, beyond the empty run's */
	char msg[256];
};
enum { OK, SKIPPED, FAILED };

static const char *elf;

static void serial_drop(void *opaque, const char *buf, size_t len)
{
	(void)opaque;
	(void)buf;
	(void)len;
}

static void log_drop(const char *line, void *opaque)
{
	(void)line;
	(void)opaque;
}

/* vmm_td_run's wall time of one TD doing phase n256 * 256 times in *ns, its VP.ENTERs in
 * *entries; 0 or -1. */
static int run_td(unsigned int phase, unsigned int n256, double *ns, double *entries, char *msg,
		  size_t len)
{
	struct vmm_td_config cfg;
	struct vmm_td *td = NULL;
	struct vmm_td_stats ts;
	struct vmm_vcpu_stats vs;
	int ret = -1;

	vmm_td_config_default(&cfg);
	cfg.nr_vcpus = 1;
	cfg.serial = serial_drop;
	cfg.boot_opts = (uint64_t)phase << 8 | (uint64_t)n256 << 16;
	tdxsim_claim_signals();
	if (vmm_td_create(&cfg, elf, &td, msg, len))
		return -1;
	if (!vmm_td_run(td) && vmm_td_result(td)->reason == VMM_STOP_POWEROFF &&
	    vmm_td_result(td)->exit_status == 0) {
		vmm_td_stats(td, &ts);
		vmm_td_vcpu_stats(td, 0, &vs);
		*ns = (double)ts.run_ns;
		*entries = (double)vs.entries;
		ret = 0;
	} else {
		snprintf(msg, len, "phase %u: %.200s", phase, vmm_td_result(td)->message);
	}
	vmm_td_destroy(td);
	return ret;
}

/* One backend's figures, in the child. */
static void measure(enum tdxsim_cpu cpu, bool quick, struct result *r)
{
	/* N / 256 per phase: exits are ~1 us natively and tens of us under QEMU */
	const unsigned int n256[NR_PHASES] = {0, quick ? 1 : 8, quick ? 1 : 8,
					      quick ? 0x800 : 0x8000};
	const int reps = quick ? 1 : 3;
	int e;

	e = tdxsim_boot(&(struct tdxsim_boot){.cpu = cpu, .log = log_drop}, r->msg, sizeof(r->msg));
	if (e) {
		r->status = cpu == TDXSIM_CPU_SYSTEM && e == -ENOENT ? SKIPPED : FAILED;
		return;
	}
	for (unsigned int p = 1; p < NR_PHASES; p++) {
		for (int rep = 0; rep < reps; rep++) {
			double base, full, ns, base_exits, full_exits;

			if (run_td(PHASE_NONE, 0, &base, &base_exits, r->msg, sizeof(r->msg)) ||
			    run_td(p, n256[p], &full, &full_exits, r->msg, sizeof(r->msg))) {
				r->status = FAILED;
				goto out;
			}
			ns = (full - base) / (n256[p] * 256.0);
			if (rep == 0 || ns < r->ns[p]) {
				r->ns[p] = ns;
				r->exits[p] = (full_exits - base_exits) / (n256[p] * 256.0);
			}
		}
	}
	r->status = OK;
out:
	tdxsim_shutdown();
}

/* Run measure() in a child process (a fresh machine each), its result in shared memory. */
static void measure_in_child(enum tdxsim_cpu cpu, bool quick, struct result *r)
{
	struct result *shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int wstatus;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->status = FAILED;
	if (shared == MAP_FAILED) {
		snprintf(r->msg, sizeof(r->msg), "mmap: %s", strerror(errno));
		return;
	}
	memset(shared, 0, sizeof(*shared));
	shared->status = FAILED;
	snprintf(shared->msg, sizeof(shared->msg), "the child process died");
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		measure(cpu, quick, shared);
		_exit(0);
	}
	if (pid < 0)
		snprintf(r->msg, sizeof(r->msg), "fork: %s", strerror(errno));
	else if (waitpid(pid, &wstatus, 0) == pid)
		*r = *shared;
	munmap(shared, sizeof(*shared));
}

int main(int argc, char **argv)
{
	struct result native, system;
	bool quick = false;
	double sigsegv;
	bool met;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			quick = true;
		else
			elf = argv[i];
	}
	if (!elf) /* default: the guest built beside this binary (what `make bench` runs) */
		elf = bench_beside(argv[0], "sys_guest.elf");
	setvbuf(stdout, NULL, _IOLBF, 0);
	unsetenv("TDXSIM_CPU"); /* it would choose the backend of both children */
	sigsegv = bare_sigsegv_ns(quick ? 20000 : 100000);
	measure_in_child(TDXSIM_CPU_NATIVE, quick, &native);
	measure_in_child(TDXSIM_CPU_SYSTEM, quick, &system);
	if (native.status != OK) {
		fprintf(stderr, "bench_system: native backend: %s\n", native.msg);
		return 1;
	}
	printf("bare SIGSEGV round trip (baseline): %.1f ns\n", sigsegv);
	printf("%-40s %11s %11s %10s %8s %8s\n", "figure (ns per op)", "native", "system",
	       "sys/native", "exits n", "exits s");
	for (unsigned int p = 1; p < NR_PHASES; p++) {
		if (system.status == OK)
			printf("%-40s %11.1f %11.1f %10.1f %8.3f %8.3f\n", phase_names[p],
			       native.ns[p], system.ns[p], system.ns[p] / native.ns[p],
			       native.exits[p], system.exits[p]);
		else
			printf("%-40s %11.1f %11s %10s %8.3f %8s\n", phase_names[p], native.ns[p],
			       "skipped", "-", native.exits[p], "-");
	}
	if (system.status == SKIPPED) {
		printf("system backend: skipped (%s)\n", system.msg);
		return 0;
	}
	if (system.status != OK) {
		fprintf(stderr, "bench_system: system backend: %s\n", system.msg);
		return 1;
	}
	met = system.ns[PHASE_TDVMCALL] < 100000.0 && system.ns[PHASE_MMIO_VE] < 100000.0;
	printf("goal: a round trip in tens of microseconds at most (< 100 us): TDVMCALL %.1f us, "
	       "MMIO #VE %.1f us: %s\n",
	       system.ns[PHASE_TDVMCALL] / 1e3, system.ns[PHASE_MMIO_VE] / 1e3,
	       met ? "met" : "not met");
	/* At TCG's own speed: the loop runs as QEMU's translated code, with no TD exit of its
	 * own (fewer than one per million iterations beyond the empty run's: timer exits). */
	met = system.exits[PHASE_COMPUTE] < 1e-6;
	printf("goal: guest compute at QEMU TCG's own speed (no TD exit in the loop): system %.0f "
	       "M "
	       "insns/s, native %.0f M insns/s, %.2f exits per million iterations: %s\n",
	       4e3 / system.ns[PHASE_COMPUTE], 4e3 / native.ns[PHASE_COMPUTE],
	       system.exits[PHASE_COMPUTE] * 1e6, met ? "met" : "not met");
	return 0;
}
