// SPDX-License-Identifier: MIT
/*
 * TDs with the real software TDX module, each figure next to a baseline measured in the
 * same run (docs/PERFORMANCE.md, "TDs"):
 *
 *   P1  a CPU-bound loop inside a TD vs the same machine code called natively
 *   P2  MMIO and port I/O through #VE vs direct TDVMCALL: bench_mmio.c (an SDK guest run by
 *       the VMM library)
 *   P3  a TDVMCALL round trip (TD exit + VP.ENTER), gate and trapped, vs a bare SIGSEGV
 *   P4  tdx_enable() on the 2s-224lp-1t preset: wall time and peak RSS
 *   P5  building a TD with a 256 MiB measured image vs OpenSSL SHA-384 over the same bytes
 *   P6  SEAMCALLs per second (TDH.SYS.RD of one field), gate vs trap, 1 LP and all LPs
 *
 * TDs are built by hand with SEAMCALLs by the td_harness of tests/module; the machine is its
 * "2s" (4 LPs), with a 250 Hz timer so that asynchronous exits happen as they would.
 *
 *   build/bench/bench_td [--quick] [P1,P3,...]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "host/seamcall.h"
#include "host/tdx_host.h"
#include "tdx/vmx.h"
#include "tests/host/host_test.h"
#include "tests/module/td_harness.h"

#include "bench_util.h"

/*
 * The guest: one page, at CODE_GPA, page-aligned here too so that bench_compute has the same
 * address bits in the TD as natively. It reports with a TDVMCALL through the gate (R11 =
 * what it did, R12 = result) and takes a command from the VMM's answer (R11 = command,
 * R12 = count): 1 compute, 2 loop of gated TDVMCALLs, 3 loop of trapped TDVMCALLs.
 */
__asm__(".pushsection .text\n"
	".balign 4096\n"
	".globl bench_guest, bench_guest_end, bench_compute\n"
	"bench_guest:\n"
	"	leaq bench_guest(%rip), %rsp\n" /* stack: the top of the data page below */
	"	movq %r9, bg_gate_slot(%rip)\n"
	"	xorl %r11d, %r11d\n"
	"bg_report:\n"
	"	movl $0xfc00, %ecx\n"
	"	xorl %eax, %eax\n"
	"	xorl %r10d, %r10d\n"
	"	call *bg_gate_slot(%rip)\n"
	"	movq %r12, %rbx\n"
	"	cmpq $1, %r11\n"
	"	je bg_compute\n"
	"	cmpq $2, %r11\n"
	"	je bg_vmcall_gate\n"
	"	cmpq $3, %r11\n"
	"	je bg_vmcall_trap\n"
	"	ud2\n"
	"bg_compute:\n"
	"	movq %rbx, %rdi\n"
	"	call bench_compute\n"
	"	movq %rax, %r12\n"
	"	movl $1, %r11d\n"
	"	jmp bg_report\n"
	"bg_vmcall_gate:\n"
	"	movl $0xfc00, %ecx\n"
	"	xorl %eax, %eax\n"
	"	movl $0x10, %r11d\n"
	"	call *bg_gate_slot(%rip)\n"
	"	decq %rbx\n"
	"	jnz bg_vmcall_gate\n"
	"	movl $2, %r11d\n"
	"	jmp bg_report\n"
	"bg_vmcall_trap:\n"
	"	movl $0xfc00, %ecx\n"
	"	xorl %eax, %eax\n"
	"	movl $0x10, %r11d\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	decq %rbx\n"
	"	jnz bg_vmcall_trap\n"
	"	movl $3, %r11d\n"
	"	jmp bg_report\n"
	/* uint64_t bench_compute(uint64_t n): n rounds of a 64-bit LCG, a dependency chain */
	"	.balign 64\n"
	"bench_compute:\n"
	"	movq %rdi, %rcx\n"
	"	movabsq $0x5851f42d4c957f2d, %rdx\n"
	"	movl $1, %eax\n"
	"1:	imulq %rdx, %rax\n"
	"	addq %rcx, %rax\n"
	"	decq %rcx\n"
	"	jnz 1b\n"
	"	ret\n"
	"	.balign 8\n"
	"bg_gate_slot: .quad 0\n"
	"bench_guest_end:\n"
	".popsection\n");

extern const uint8_t bench_guest[], bench_guest_end[];
uint64_t bench_compute(uint64_t n);

#define CODE_GPA  0xFFFFF000ULL /* holds the reset vector 0xFFFFFFF0 */
#define DATA_GPA  0xFFFFE000ULL
#define IMAGE_GPA 0x40000000ULL /* P5's image */

enum { CMD_COMPUTE = 1, CMD_VMCALL_GATE = 2, CMD_VMCALL_TRAP = 3 };

static bool quick;
static const char *only; /* run just these figures ("P1,P3"), or all */

static bool want(const char *fig)
{
	return !only || strstr(only, fig);
}
static int errors;

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		errors++;                                                                          \
		fprintf(stderr, "bench_td: " __VA_ARGS__);                                         \
		fprintf(stderr, "\n");                                                             \
	} while (0)

/* ------------------------------------------------------------------------------------------
 * Output: one row per figure, printed at the end.
 */
struct row {
	char figure[64], value[32], baseline[48], ratio[16], target[24];
	const char *met;
};
static struct row rows[16];
static unsigned int nr_rows;

static struct row *row(const char *figure, const char *target)
{
	struct row *r = &rows[nr_rows++];

	memset(r, 0, sizeof(*r));
	snprintf(r->figure, sizeof(r->figure), "%s", figure);
	snprintf(r->target, sizeof(r->target), "%s", target);
	r->met = "-";
	return r;
}

static void print_rows(void)
{
	printf("%-44s %14s %26s %8s %12s %4s\n", "figure", "value", "baseline (same run)", "ratio",
	       "target", "met");
	for (unsigned int i = 0; i < nr_rows; i++)
		printf("%-44s %14s %26s %8s %12s %4s\n", rows[i].figure, rows[i].value,
		       rows[i].baseline, rows[i].ratio, rows[i].target, rows[i].met);
}

/* ------------------------------------------------------------------------------------------
 * The TD that runs bench_guest, and entering it.
 */
static struct test_td td;

static uint64_t enter(bool gate, struct tdx_module_args *a, uint64_t *async)
{
	uint64_t s;

	for (;;) {
		a->rcx = td.tdvpr[0];
		a->r10 = 0;
		s = gate ? __seamcall_gate(TDH_VP_ENTER, a) : __seamcall_insn(TDH_VP_ENTER, a);
		if (s != EXIT_REASON_EXTERNAL_INTERRUPT)
			return s;
		++*async;
	}
}

static void make_code_page(uint8_t *page)
{
	int32_t rel = -(int32_t)(0xFF0 + 5);

	memset(page, 0xCC, 4096);
	memcpy(page, bench_guest, (size_t)(bench_guest_end - bench_guest));
	page[0xFF0] = 0xE9; /* the reset vector: jmp rel32 to the page start */
	memcpy(&page[0xFF1], &rel, 4);
}

static long build_guest_td(void *arg)
{
	static uint8_t code[4096], data[4096];
	struct tdx_module_args a = {0};
	struct td_params p;
	uint64_t async = 0;

	(void)arg;
	if ((size_t)(bench_guest_end - bench_guest) > 0xFF0)
		return -1;
	make_code_page(code);
	td_params_default(&p);
	td_path = PATH_GATE;
	if (td_create(&td, TD_HKID) || td_init(&td, &p) || td_add_vcpu(&td) ||
	    td_sept_map(&td, DATA_GPA) || td_sept_map(&td, CODE_GPA) ||
	    td_page_add(&td, DATA_GPA, data, true) || td_page_add(&td, CODE_GPA, code, true) ||
	    td_finalize(&td))
		return -1;
	/* First entry: the guest starts and reports ready (R11 = 0). */
	if (enter(true, &a, &async) != EXIT_REASON_TDCALL || a.r11 != 0)
		return -1;
	return 0;
}

/* ------------------------------------------------------------------------------------------
 * P1: guest compute
 */
struct p1 {
	uint64_t n;
	double native_ns, td_ns;
	uint64_t entries, async, stats_async;
	uint64_t native_result, td_result;
};

static long p1_run(void *arg)
{
	struct p1 *p = arg;
	struct tdx_module_args a;
	struct platform_stats st0, st1;
	double t;

	p->native_ns = p->td_ns = 1e30;
	/* Alternate five times and keep the best of each: the noise is the machine's. */
	for (int round = 0; round < 5; round++) {
		uint64_t async = 0;

		t = now_ns();
		p->native_result = bench_compute(p->n);
		t = now_ns() - t;
		if (t < p->native_ns)
			p->native_ns = t;

		a = (struct tdx_module_args){.r11 = CMD_COMPUTE, .r12 = p->n};
		platform_get_stats(&st0);
		t = now_ns();
		if (enter(true, &a, &async) != EXIT_REASON_TDCALL || a.r11 != 1)
			return -1;
		t = now_ns() - t;
		platform_get_stats(&st1);
		p->td_result = a.r12;
		if (t < p->td_ns) {
			p->td_ns = t;
			p->async = async;
			p->stats_async = st1.async_exits - st0.async_exits;
		}
	}
	return 0;
}

static void bench_p1(void)
{
	struct p1 p = {.n = quick ? 10000000 : 100000000};
	struct row *r = row("P1 guest compute (LCG loop, ms)", "<= 1.02x");
	double ratio;

	if (lp_run_on(0, p1_run, &p) || p.td_result != p.native_result) {
		FAIL("P1: the TD did not compute what the host did");
		snprintf(r->value, sizeof(r->value), "failed");
		return;
	}
	ratio = p.td_ns / p.native_ns;
	snprintf(r->value, sizeof(r->value), "%.1f", p.td_ns / 1e6);
	snprintf(r->baseline, sizeof(r->baseline), "native %.1f", p.native_ns / 1e6);
	snprintf(r->ratio, sizeof(r->ratio), "%.3f", ratio);
	r->met = ratio <= 1.02 ? "yes" : "no";
	printf("P1: %llu iterations; %llu timer exits in the TD run (platform stats: %llu async "
	       "exits) at %u Hz\n",
	       (unsigned long long)p.n, (unsigned long long)p.async,
	       (unsigned long long)p.stats_async, 250U);
}

/* ------------------------------------------------------------------------------------------
 * P3: TDVMCALL round trips
 */
struct p3 {
	bool gate;
	long n;
	double ns;
	uint64_t async;
};

static long p3_run(void *arg)
{
	struct p3 *p = arg;
	uint64_t cmd = p->gate ? CMD_VMCALL_GATE : CMD_VMCALL_TRAP;
	struct tdx_module_args a = {.r11 = cmd, .r12 = (uint64_t)p->n};
	long exits = 0;
	double t = now_ns();

	/* The command entry, then one re-entry per TDVMCALL; the last exit is the report. */
	do {
		if (enter(p->gate, &a, &p->async) != EXIT_REASON_TDCALL)
			return -1;
		exits++;
	} while (a.r11 != cmd);
	t = now_ns() - t;
	if (exits != p->n + 1)
		return -1;
	p->ns = t / (double)exits;
	return 0;
}

static void bench_p3(double sigsegv)
{
	for (int gate = 1; gate >= 0; gate--) {
		struct p3 p = {.gate = gate, .n = gate ? (quick ? 100000 : 1000000) : 20000};
		struct row *r = row(gate ? "P3 TDVMCALL round trip, gate (ns)"
					 : "P3 TDVMCALL round trip, trapped (ns)",
				    gate ? "<= 200 ns (issue 17)" : "");

		if (lp_run_on(0, p3_run, &p)) {
			FAIL("P3: the guest did not behave as expected");
			snprintf(r->value, sizeof(r->value), "failed");
			continue;
		}
		snprintf(r->value, sizeof(r->value), "%.1f", p.ns);
		snprintf(r->baseline, sizeof(r->baseline), "SIGSEGV %.1f", sigsegv);
		snprintf(r->ratio, sizeof(r->ratio), "%.3f", p.ns / sigsegv);
		if (gate)
			r->met = p.ns <= 200 ? "yes" : "no";
	}
}

/* ------------------------------------------------------------------------------------------
 * P5: a TD with a 256 MiB measured image
 */
struct p5 {
	const uint8_t *image;
	size_t size;
	bool measure;
	uint16_t hkid;
	double ns;
};

static long p5_build(void *arg)
{
	struct p5 *p = arg;
	struct test_td t;
	struct td_params params;
	double t0 = now_ns();

	td_params_default(&params);
	td_path = PATH_GATE;
	if (td_create(&t, p->hkid) || td_init(&t, &params) || td_add_vcpu(&t))
		return -1;
	for (size_t off = 0; off < p->size; off += 4096) {
		uint64_t gpa = IMAGE_GPA + off;

		if (!(gpa & (2 * MiB - 1)) && td_sept_map(&t, gpa))
			return -1;
		if (td_page_add(&t, gpa, p->image + off, p->measure))
			return -1;
	}
	if (td_finalize(&t))
		return -1;
	p->ns = now_ns() - t0;
	return 0;
}

static double sha384_ns(const uint8_t *buf, size_t size, bool module_stream)
{
	static const uint8_t header[128];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	uint8_t md[48];
	unsigned int len = 48;
	double t = now_ns();

	EVP_DigestInit_ex(c, EVP_sha384(), NULL);
	if (!module_stream) {
		EVP_DigestUpdate(c, buf, size);
	} else {
		/* What the module hashes: a header per PAGE.ADD, a header per 256-byte chunk. */
		for (size_t off = 0; off < size; off += 4096) {
			EVP_DigestUpdate(c, header, sizeof(header));
			for (size_t i = 0; i < 4096; i += 256) {
				EVP_DigestUpdate(c, header, sizeof(header));
				EVP_DigestUpdate(c, buf + off + i, 256);
			}
		}
	}
	EVP_DigestFinal_ex(c, md, &len);
	t = now_ns() - t;
	EVP_MD_CTX_free(c);
	return t;
}

static void bench_p5(void)
{
	size_t size = (quick ? 32 : 256) * MiB;
	uint8_t *image = malloc(size);
	struct p5 m = {.size = size, .measure = true, .hkid = TD_HKID + 1};
	struct p5 u = {.size = size, .measure = false, .hkid = TD_HKID + 2};
	double sha, stream, mib = (double)size / MiB;
	struct row *r;
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	if (!image) {
		FAIL("P5: no memory");
		return;
	}
	for (size_t i = 0; i < size; i += 8) { /* xorshift64: incompressible content */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(image + i, &x, 8);
	}
	m.image = u.image = image;
	sha = sha384_ns(image, size, false);
	stream = sha384_ns(image, size, true);
	if (lp_run_on(0, p5_build, &m) || lp_run_on(0, p5_build, &u)) {
		FAIL("P5: building the TD failed");
		free(image);
		return;
	}
	free(image);

	r = row("P5 TD build, measured image (MiB/s)", ">= 0.55x (issue 17)");
	snprintf(r->value, sizeof(r->value), "%.0f", mib / (m.ns / 1e9));
	snprintf(r->baseline, sizeof(r->baseline), "SHA-384 %.0f", mib / (sha / 1e9));
	snprintf(r->ratio, sizeof(r->ratio), "%.3f", sha / m.ns);
	r->met = sha / m.ns >= 0.55 ? "yes" : "no";
	printf("P5: %.0f MiB image: build %.3f s measured, %.3f s unmeasured (PAGE.ADD only); "
	       "SHA-384 %.3f s over the image, %.3f s over the module's stream (1.53x the "
	       "bytes)\n",
	       mib, m.ns / 1e9, u.ns / 1e9, sha / 1e9, stream / 1e9);
	r = row("P5 parts: SHA-384 of the module's stream", "");
	snprintf(r->value, sizeof(r->value), "%.0f MiB/s", mib / (stream / 1e9));
	snprintf(r->baseline, sizeof(r->baseline), "SHA-384 %.0f", mib / (sha / 1e9));
	snprintf(r->ratio, sizeof(r->ratio), "%.3f", sha / stream);
	r = row("P5 parts: build without MR.EXTEND", "");
	snprintf(r->value, sizeof(r->value), "%.0f MiB/s", mib / (u.ns / 1e9));
	snprintf(r->baseline, sizeof(r->baseline), "SHA-384 %.0f", mib / (sha / 1e9));
	snprintf(r->ratio, sizeof(r->ratio), "%.3f", sha / u.ns);
}

/* ------------------------------------------------------------------------------------------
 * P6: SEAMCALLs per second
 */
struct p6 {
	bool gate;
	long n;
};

static long p6_calls(void *arg)
{
	struct p6 *p = arg;

	for (long i = 0; i < p->n; i++) {
		struct tdx_module_args a = {.rdx = MD_FIELD_ID_MAX_TDMRS};
		uint64_t s =
			p->gate ? __seamcall_gate(TDH_SYS_RD, &a) : __seamcall_insn(TDH_SYS_RD, &a);

		if (s || a.r8 == 0)
			return -1;
	}
	return 0;
}

static void bench_p6(void)
{
	double rate[2][2]; /* [gate][all LPs] */
	unsigned int lps = platform_nr_lps();

	for (int gate = 1; gate >= 0; gate--) {
		for (int all = 0; all <= 1; all++) {
			struct p6 p = {.gate = gate,
				       .n = gate ? (quick ? 200000 : 2000000) : 50000};
			double t = now_ns();
			long ret = all ? lp_run_on_each_online(p6_calls, &p, NULL)
				       : lp_run_on(0, p6_calls, &p);

			t = now_ns() - t;
			if (ret)
				FAIL("P6: TDH.SYS.RD failed");
			rate[gate][all] = (double)p.n * (all ? lps : 1) / (t / 1e9);
		}
	}
	for (int all = 0; all <= 1; all++) {
		char name[64];
		struct row *r;

		snprintf(name, sizeof(name), "P6 SEAMCALL/s gate, %u LP%s (M/s)", all ? lps : 1,
			 all ? "s" : "");
		r = row(name, "");
		snprintf(r->value, sizeof(r->value), "%.2f", rate[1][all] / 1e6);
		snprintf(r->baseline, sizeof(r->baseline), "trapped %.3f", rate[0][all] / 1e6);
		snprintf(r->ratio, sizeof(r->ratio), "%.1f", rate[1][all] / rate[0][all]);
	}
}

/* ------------------------------------------------------------------------------------------
 * P4: tdx_enable() on the big preset, in its own machine
 */
static long status_kib(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = strtol(line + strlen(key), NULL, 10);
	fclose(f);
	return v;
}

static void bench_p4(void)
{
	struct row *r;
	double t_boot, t_enable;
	long rss0, hwm;
	FILE *f;

	/* Reset the peak RSS to the current RSS (Linux 4.0+). */
	f = fopen("/proc/self/clear_refs", "w");
	if (f) {
		fputs("5", f);
		fclose(f);
	}
	rss0 = status_kib("VmRSS:");
	t_boot = now_ns();
	if (host_test_boot_preset("2s-224lp-1t")) {
		FAIL("P4: cannot boot the 2s-224lp-1t preset");
		return;
	}
	t_boot = now_ns() - t_boot;
	t_enable = now_ns();
	if (tdx_enable())
		FAIL("P4: tdx_enable failed");
	t_enable = now_ns() - t_enable;
	hwm = status_kib("VmHWM:");
	host_test_shutdown();

	r = row("P4 tdx_enable, 2s-224lp-1t (s)", "<= 1 s");
	snprintf(r->value, sizeof(r->value), "%.3f", t_enable / 1e9);
	snprintf(r->baseline, sizeof(r->baseline), "machine boot %.3f", t_boot / 1e9);
	snprintf(r->ratio, sizeof(r->ratio), "%.2f", t_enable / t_boot);
	r->met = t_enable <= 1e9 ? "yes" : "no";
	r = row("P4 peak RSS, boot + tdx_enable (MiB)", "");
	snprintf(r->value, sizeof(r->value), "%.1f", (double)hwm / 1024);
	snprintf(r->baseline, sizeof(r->baseline), "RSS before %.1f", (double)rss0 / 1024);
	snprintf(r->ratio, sizeof(r->ratio), "+%.1f", (double)(hwm - rss0) / 1024);
}

/* ------------------------------------------------------------------------------------------
 */
int main(int argc, char **argv)
{
	struct machine_config cfg;
	double sigsegv;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			quick = true;
		} else if (argv[i][0] == 'P') {
			only = argv[i];
		} else {
			fprintf(stderr, "usage: %s [--quick] [P1,P3,P4,P5,P6]\n", argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigsegv = bare_sigsegv_ns(quick ? 20000 : 100000);

	if (want("P4"))
		bench_p4();

	machine_2s(&cfg);
	cfg.timer_hz = 250;
	if (harness_boot(&cfg) || bring_up(TDX_MODULE_LATEST, S_TDMR, 0)) {
		fprintf(stderr, "bench_td: cannot bring up machine 2s\n");
		return 1;
	}
	platform_claim_signals();
	if (lp_run_on(0, build_guest_td, NULL)) {
		FAIL("cannot build the guest TD");
	} else {
		if (want("P1"))
			bench_p1();
		if (want("P3"))
			bench_p3(sigsegv);
	}
	if (want("P6"))
		bench_p6();
	if (want("P5"))
		bench_p5();
	harness_shutdown();

	print_rows();
	printf("P2: build/bench/bench_mmio build/bench/p2_guest.elf\n");
	return errors ? 1 : 0;
}
