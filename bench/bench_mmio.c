// SPDX-License-Identifier: MIT
/*
 * P2 (docs/PERFORMANCE.md): one MMIO access through #VE (EPT fault -> #VE -> VEINFO.GET ->
 * decode -> TDVMCALL #VE.RequestMMIO -> device -> IRETQ) against the same access by direct
 * TDVMCALL, and a port write on each path, each next to a bare SIGSEGV round trip measured in
 * the same run. An SDK guest (p2_guest.c) run by the VMM library loops N accesses; time per
 * access = (run time with N - run time with none) / N. Also counted per access: platform
 * traps (signals), gate calls, TD exits (VP.ENTERs) and #VE deliveries.
 *
 *   build/bench/bench_mmio [--quick] [p2_guest.elf]   (default: p2_guest.elf beside it)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tdxsim/vmm.h>

#include "bench_util.h"
#include "host/page_alloc.h"
#include "host/tdx_host.h"
#include "module/tdx_module.h"
#include "platform/platform.h"
#include "tests/support/vmm_machine.h"

static const char *elf;

struct p2 {
	double ns;
	double traps, gates, entries, ves;
};

static void serial_drop(void *opaque, const char *buf, size_t len)
{
	(void)opaque;
	(void)buf;
	(void)len;
}

/* One TD run of kind with n accesses; 0 or -1. */
static int run_td(unsigned int kind, unsigned int n256, bool trapped, struct p2 *out)
{
	struct vmm_td_config cfg;
	struct vmm_td *td = NULL;
	struct vmm_td_stats ts;
	struct vmm_vcpu_stats vs;
	struct platform_stats a, b;
	char err[256];
	int ret = -1;

	vmm_td_config_default(&cfg);
	cfg.nr_vcpus = 1;
	cfg.serial = serial_drop;
	cfg.boot_opts = (uint64_t)kind << 8 | (uint64_t)n256 << 16 | (trapped ? 1u << 7 : 0);
	platform_claim_signals();
	if (vmm_td_create(&cfg, elf, &td, err, sizeof(err))) {
		fprintf(stderr, "bench_mmio: %s\n", err);
		return -1;
	}
	platform_get_stats(&a);
	if (!vmm_td_run(td) && vmm_td_result(td)->reason == VMM_STOP_POWEROFF &&
	    vmm_td_result(td)->exit_status == 0) {
		platform_get_stats(&b);
		vmm_td_stats(td, &ts);
		vmm_td_vcpu_stats(td, 0, &vs);
		out->ns = (double)ts.run_ns;
		out->traps = (double)(b.traps - a.traps);
		out->gates = (double)(b.gate_calls - a.gate_calls);
		out->entries = (double)vs.entries;
		out->ves = (double)ts.ve_deliveries;
		ret = 0;
	} else {
		fprintf(stderr, "bench_mmio: kind %u: %s\n", kind, vmm_td_result(td)->message);
	}
	vmm_td_destroy(td);
	return ret;
}

/* Per access: (run with n - run with none) / n, best of 3 (the machine is shared). */
static int measure(unsigned int kind, unsigned int n256, bool trapped, struct p2 *p)
{
	double n = n256 * 256.0;
	struct p2 base, full, best = {0};

	for (int rep = 0; rep < 3; rep++) {
		if (run_td(0, 0, trapped, &base) || run_td(kind, n256, trapped, &full))
			return -1;
		double ns = (full.ns - base.ns) / n;

		if (rep == 0 || ns < best.ns) {
			best.ns = ns;
			best.traps = (full.traps - base.traps) / n;
			best.gates = (full.gates - base.gates) / n;
			best.entries = (full.entries - base.entries) / n;
			best.ves = (full.ves - base.ves) / n;
		}
	}
	*p = best;
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const names[] = {
		"", "P2 MMIO readl via #VE", "P2 MMIO readl, direct TDVMCALL",
		"P2 port write (outb) via #VE", "P2 port write, direct TDVMCALL"};
	bool quick = false;
	double sigsegv;
	int errors = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			quick = true;
		else
			elf = argv[i];
	}
	if (!elf) /* default: the guest built beside this binary (what `make bench` runs) */
		elf = bench_beside(argv[0], "p2_guest.elf");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (vmm_machine_up()) {
		fprintf(stderr, "bench_mmio: cannot bring up the machine\n");
		return 1;
	}
	sigsegv = bare_sigsegv_ns(quick ? 20000 : 100000);
	printf("%-44s %10s %10s %7s %6s %6s %6s %6s\n", "figure (per access)", "ns", "SIGSEGV",
	       "ratio", "traps", "gates", "exits", "#VEs");
	for (int trapped = 0; trapped <= 1; trapped++) {
		for (unsigned int kind = 1; kind <= 4; kind++) {
			struct p2 p;
			char name[64];

			snprintf(name, sizeof(name), "%s%s", names[kind],
				 trapped ? ", TDCALL trapped" : "");
			if (measure(kind, quick ? 8 : (trapped ? 16 : 64), trapped, &p)) {
				printf("%-44s failed\n", name);
				errors++;
				continue;
			}
			printf("%-44s %10.1f %10.1f %7.3f %6.2f %6.2f %6.2f %6.2f%s\n", name, p.ns,
			       sigsegv, p.ns / sigsegv, p.traps, p.gates, p.entries, p.ves,
			       kind == 1 && !trapped ? (p.ns <= 1.3 * sigsegv ? "  (<= 1.3x: yes)"
									      : "  (<= 1.3x: no)")
						     : "");
		}
	}
	tdx_exit();
	tdx_module_unload();
	page_alloc_exit();
	platform_shutdown();
	return errors ? 1 : 0;
}
