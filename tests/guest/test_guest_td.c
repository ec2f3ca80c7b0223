// SPDX-License-Identifier: MIT
/*
 * Guests built with the SDK, run on the real module through the VMM library: port I/O on
 * the early, decompressor and runtime paths (io_guest.c), MMIO accessors on both paths and
 * every decoder form against a recorder page and the PCI test device (mmio_guest.c), and the
 * fatal ends (fault_guest.c): nested #VE -> #DF, an exit reason the runtime does not handle,
 * MMIO to a private GPA. The test puts recorder devices on the TD's bus (vmm/bus.h) and
 * compares every access the guest made (address, size, direction, value) with the list the
 * guest was meant to make.
 *
 * fp_guest.c computes with doubles and SSE/AVX/AVX-512 vectors around exits of every kind
 * and checks the exact results.
 *
 * Arguments: io_guest.elf mmio_guest.elf fault_guest.elf fp_guest.elf
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

#include <asm/hwcap2.h>

#include <cmocka.h>
#include <tdx/td.h>
#include <tdx/vmx.h>
#include <tdxsim/vmm.h>

#include "host/page_alloc.h"
#include "host/tdx_host.h"
#include "module/tdx_module.h"
#include "platform/cpu_backend.h"
#include "platform/platform.h"
#include "tests/guest/guest_td.h"
#include "vmm/bus.h"
#include "vmm/vmm_internal.h"
#include "tests/support/stop_message.h"
#include "tests/support/vmm_machine.h"

static const char *io_elf, *mmio_elf, *fault_elf, *fp_elf, *cpu_elf;

struct acc {
	uint64_t addr;
	unsigned size;
	bool write;
	uint64_t value;
};

struct rec {
	struct acc a[512];
	size_t n;
	uint32_t port_reads;
	struct serial_capture serial;
};

static void rec_add(struct rec *r, uint64_t addr, unsigned size, bool write, uint64_t value)
{
	if (r->n < sizeof(r->a) / sizeof(r->a[0]))
		r->a[r->n] = (struct acc){addr, size, write, value};
	r->n++;
}

static void rec_pio(void *opaque, uint64_t off, void *data, unsigned size, bool write)
{
	struct rec *r = opaque;

	if (!write) {
		uint64_t m = size == 4 ? 0xFFFFFFFFULL : (1ULL << (8 * size)) - 1;
		bus_data_set(data, size, gtd_port_value(r->port_reads++) & m);
	}
	rec_add(r, GTD_PORT + off, size, write, bus_data_get(data, size));
}

static void rec_mmio(void *opaque, uint64_t off, void *data, unsigned size, bool write)
{
	struct rec *r = opaque;

	if (!write)
		bus_data_set(data, size, gtd_mmio_value(off, size));
	rec_add(r, off, size, write, bus_data_get(data, size));
}

/* Build the TD (XFAM x87 | SSE unless given), put the recorders on its bus, run it. */
static struct vmm_td *run_xfam(const char *elf, uint64_t boot_opts, uint64_t attributes,
			       uint64_t xfam, struct rec *r)
{
	struct vmm_td_config cfg;
	struct vmm_td *td = NULL;
	char err[256] = "";

	platform_claim_signals();
	memset(r, 0, sizeof(*r));
	vmm_td_config_default(&cfg);
	cfg.boot_opts = boot_opts;
	cfg.attributes = attributes;
	cfg.xfam = xfam;
	cfg.serial = serial_capture_sink;
	cfg.serial_opaque = &r->serial;
	if (vmm_td_create(&cfg, elf, &td, err, sizeof(err)))
		fail_msg("vmm_td_create(%s): %s", elf, err);
	assert_int_equal(vmm_bus_register_pio(&td->bus, GTD_PORT, GTD_PORT_LEN, rec_pio, r, "rec"),
			 0);
	assert_int_equal(vmm_bus_register_mmio(&td->bus, GTD_MMIO_GPA, 4096, rec_mmio, r, "rec"),
			 0);
	assert_int_equal(vmm_td_run(td), 0);
	return td;
}

static struct vmm_td *run(const char *elf, uint64_t boot_opts, uint64_t attributes, struct rec *r)
{
	return run_xfam(elf, boot_opts, attributes, 0, r);
}

static void expect_eq(const struct rec *r, const struct acc *want, size_t n)
{
	for (size_t i = 0; i < n && i < r->n; i++) {
		const struct acc *g = &r->a[i];

		if (g->addr != want[i].addr || g->size != want[i].size ||
		    g->write != want[i].write || g->value != want[i].value)
			fail_msg("access %zu: got %#lx/%u/%s/%#lx, want %#lx/%u/%s/%#lx", i,
				 (unsigned long)g->addr, g->size, g->write ? "W" : "R",
				 (unsigned long)g->value, (unsigned long)want[i].addr, want[i].size,
				 want[i].write ? "W" : "R", (unsigned long)want[i].value);
	}
	assert_int_equal(r->n, n);
}

static uint32_t m32(unsigned size, uint32_t v)
{
	return size == 4 ? v : v & ((1u << (8 * size)) - 1);
}

/* Port I/O: every accessor size and string form on the three paths, byte-exact. */
static void test_io_paths(void **state)
{
	static struct rec r;
	static struct acc want[512];
	size_t n = 0;
	uint32_t k = 0;
	struct vmm_td *td;

	(void)state;
	td = run(io_elf, 0, 0, &r);
	assert_string_equal(r.serial.buf, "io: early ok\nio: decompressor ok\nio: runtime ok\n");
	assert_int_equal(vmm_td_result(td)->reason, VMM_STOP_POWEROFF);
	assert_int_equal(vmm_td_result(td)->exit_status, 0);

	for (unsigned path = 0; path < 3; path++) {
		uint64_t port = GTD_PORT + 4 * path;

		for (size_t i = 0; i < GTD_NR_PORT_OPS; i++) {
			const struct gtd_port_op *o = &gtd_port_ops[i];

			switch (o->op) {
			case GTD_OUT:
				want[n++] = (struct acc){port, o->size, true, o->arg};
				break;
			case GTD_IN:
				want[n++] = (struct acc){port, o->size, false,
							 m32(o->size, gtd_port_value(k++))};
				break;
			case GTD_OUTS:
				for (unsigned j = 0; j < o->arg; j++)
					want[n++] = (struct acc){port, o->size, true,
								 gtd_outs_value(o->size, j)};
				break;
			case GTD_INS:
				for (unsigned j = 0; j < o->arg; j++)
					want[n++] = (struct acc){port, o->size, false,
								 m32(o->size, gtd_port_value(k++))};
				break;
			}
		}
		if (path == GTD_PATH_DIRECT)
			continue;
		for (unsigned s = 1; s <= 4; s *= 2)
			want[n++] = (struct acc){port, s, false, m32(s, gtd_port_value(k++))};
		for (unsigned j = 0; j < GTD_REP_INSB; j++)
			want[n++] = (struct acc){port, 1, false, m32(1, gtd_port_value(k++))};
		for (unsigned j = 0; j < GTD_REP_OUTSW; j++)
			want[n++] = (struct acc){port, 2, true, gtd_outs_value(2, j)};
	}
	expect_eq(&r, want, n);
	vmm_td_destroy(td);
}

static void add_mmio(struct acc *want, size_t *n, const struct gtd_mmio_acc *a, size_t cnt,
		     uint64_t base)
{
	for (size_t i = 0; i < cnt; i++) {
		uint64_t off = base + a[i].off;

		want[(*n)++] =
			(struct acc){off, a[i].size, a[i].write,
				     a[i].write ? a[i].value : gtd_mmio_value(off, a[i].size)};
	}
}

/*
 * MMIO: the accessors on the #VE and direct paths, then every decoder form through #VE, the
 * moffs forms A0-A3 last (the 67 ones where the host kernel lets the guest set GS's base).
 */
static void test_mmio(void **state)
{
	static struct rec r;
	static struct acc want[512];
	size_t n = 0;
	struct vmm_td *td;
	struct vmm_vcpu_stats st;
	/* The moffs32 forms need WRGSBASE in user space (CR4.FSGSBASE, Linux 5.9+). */
	bool addr32 = getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE;

	(void)state;
	td = run(mmio_elf, addr32 ? GTD_MMIO_ADDR32 : 0, 0, &r);
	assert_string_equal(r.serial.buf, "mmio: ok\n");
	assert_int_equal(vmm_td_result(td)->reason, VMM_STOP_POWEROFF);
	assert_int_equal(vmm_td_result(td)->exit_status, 0);
	add_mmio(want, &n, gtd_mmio_accessors, GTD_NR_MMIO_ACCESSORS, 0);
	add_mmio(want, &n, gtd_mmio_accessors, GTD_NR_MMIO_ACCESSORS, 0x800);
	add_mmio(want, &n, gtd_mmio_forms, GTD_NR_MMIO_FORMS, 0);
	add_mmio(want, &n, gtd_mmio_moffs,
		 addr32 ? GTD_NR_MMIO_MOFFS : GTD_NR_MMIO_MOFFS - GTD_NR_MMIO_MOFFS32, 0);
	expect_eq(&r, want, n);
	assert_int_equal(vmm_td_vcpu_stats(td, 0, &st), 0);
	assert_true(st.tdvmcalls[VMM_TDVMCALL_MMIO] > n);
	vmm_td_destroy(td);
}

/*
 * The guest ends in ReportFatalError: the VMM's message is @prefix, the RIP named as
 * fault_guest.elf+OFFSET <@sym+@sym_off>, nothing after it.
 */
static void expect_fatal(unsigned scenario, uint64_t attributes, const char *prefix,
			 const char *sym, long long sym_off)
{
	static struct rec r;
	char line[64];
	struct vmm_td *td;
	const struct vmm_td_result *res;

	td = run(fault_elf, (uint64_t)scenario << GTD_FAULT_SHIFT, attributes, &r);
	res = vmm_td_result(td);
	snprintf(line, sizeof(line), "fault: scenario %u\n", scenario);
	assert_string_equal(r.serial.buf, line);
	if (res->reason != VMM_STOP_FATAL_ERROR)
		fail_msg("scenario %u: stop %s, message \"%s\"", scenario,
			 vmm_stop_reason_name(res->reason), res->message);
	expect_rip_msg(res->message, vmm_td_image_base(td), prefix, "fault_guest.elf", sym, sym_off,
		       "");
	assert_int_not_equal(res->exit_status, 0);
	assert_int_equal(r.n, 0);
	vmm_td_destroy(td);
}

/* A #VE inside the #VE entry, before VEINFO.GET: #DF, reported by the runtime. */
static void test_nested_ve_df(void **state)
{
	(void)state;
	expect_fatal(GTD_FAULT_NESTED_VE, 0,
		     "vCPU 0: guest fatal error: #DF double fault, error code 0x0, RIP ",
		     "gtd_nested_ve", 0);
}

/* WBINVD: #VE exit reason 54, which the runtime does not handle. */
static void test_unexpected_exit_reason(void **state)
{
	(void)state;
	expect_fatal(GTD_FAULT_WBINVD, 0,
		     "vCPU 0: guest fatal error: #VE unexpected exit reason 54 (WBINVD) RIP ",
		     "main", -1);
}

/* A load from an unaccepted private page: #VE EPT violation on a private GPA. */
static void test_private_gpa(void **state)
{
	(void)state;
	expect_fatal(GTD_FAULT_PRIVATE, 0,
		     "vCPU 0: guest fatal error: #VE EPT violation on private GPA 0x2800000 RIP ",
		     "main", -1);
}

/*
 * The state components a TD's XFAM may have here: those the host switches (the native
 * backend's guest code runs on the host CPU) that the module offers (XFAM_FIXED0, from the
 * CPUID of the CPU guest code runs on: the system backend's QEMU has no AVX-512).
 */
static uint64_t td_xstate_features(void)
{
	return platform_xstate_features() & tdx_get_sysinfo()->td_conf.xfam_fixed0;
}

/*
 * Whether the guest's TDCALLs are the instruction: asked for, or on the system backend, which
 * gives the guest no gate (docs/SYSTEM.md "How the module runs a TD here": R9 = 0), so the
 * SDK uses the instruction and the guests say so.
 */
static bool tdcall_is_insn(bool asked)
{
	return asked || cpu_backend() == &cpu_backend_system;
}

/*
 * Floating point and SIMD across MMIO and port #VEs, TDVMCALLs and interrupts (fp_guest.c,
 * built without -mgeneral-regs-only): exact values, MXCSR and x87 rounding. The TD's XFAM
 * has AVX and AVX-512 where the host switches them, and the guest tests them then.
 */
static void expect_fp(bool tdcall_insn)
{
	static struct rec r;
	uint64_t f = td_xstate_features(), opts = tdcall_insn ? GTD_FP_TDCALL_INSN : 0;
	uint64_t xfam = TDX_XFAM_X87 | TDX_XFAM_SSE;
	char want[96];
	struct vmm_td *td;

	if (f & XFEATURE_YMM) {
		opts |= GTD_FP_AVX;
		xfam |= TDX_XFAM_AVX;
	} else {
		print_message("[ SKIPPED  ] AVX and AVX-512 parts: the TD's CPU (%#llx) has no AVX "
			      "state\n",
			      (unsigned long long)f);
	}
	if ((f & TDX_XFAM_AVX512) == TDX_XFAM_AVX512) {
		opts |= GTD_FP_AVX512;
		xfam |= TDX_XFAM_AVX512;
	} else if (f & XFEATURE_YMM) {
		print_message("[ SKIPPED  ] AVX-512 part: the TD's CPU (%#llx) has no AVX-512 "
			      "state\n",
			      (unsigned long long)f);
	}
	td = run_xfam(fp_elf, opts, 0, xfam, &r);
	snprintf(want, sizeof(want), "fp: ok%s%s %s\n", opts & GTD_FP_AVX ? ", AVX" : "",
		 opts & GTD_FP_AVX512 ? ", AVX-512" : "",
		 tdcall_is_insn(tdcall_insn) ? "(TDCALL instruction)" : "(gate)");
	assert_string_equal(r.serial.buf, want);
	assert_int_equal(vmm_td_result(td)->reason, VMM_STOP_POWEROFF);
	assert_int_equal(vmm_td_result(td)->exit_status, 0);
	vmm_td_destroy(td);
}

static void test_fp_gate(void **state)
{
	(void)state;
	expect_fp(false);
}

static void test_fp_tdcall_insn(void **state)
{
	(void)state;
	expect_fp(true);
}

/*
 * CR0, CR4, XCR0, DR0-DR7 and single steps as TDX virtualises them (cpu_guest.c, rows of
 * docs/TD-CPU.md): each row's value, #GP, #UD, #VE (reason, qualification, length) or #DB
 * (RIP, DR6) checked in the TD; XFAM with AVX where the host switches it.
 */
static void expect_cpu(bool tdcall_insn)
{
	static struct rec r;
	uint64_t opts = tdcall_insn ? GTD_CPU_TDCALL_INSN : 0;
	uint64_t xfam = TDX_XFAM_X87 | TDX_XFAM_SSE;
	char want[64];
	struct vmm_td *td;

	if (td_xstate_features() & XFEATURE_YMM) {
		opts |= GTD_CPU_XFAM_AVX;
		xfam |= TDX_XFAM_AVX;
	}
	td = run_xfam(cpu_elf, opts, 0, xfam, &r);
	snprintf(want, sizeof(want), "cpu: ok %s\n",
		 tdcall_is_insn(tdcall_insn) ? "(TDCALL instruction)" : "(gate)");
	if (strcmp(r.serial.buf, want))
		fail_msg("the TD's serial output:\n%s", r.serial.buf);
	assert_int_equal(vmm_td_result(td)->reason, VMM_STOP_POWEROFF);
	assert_int_equal(vmm_td_result(td)->exit_status, 0);
	/* The gate path's and the instruction's TDG.VP.VMCALL each wrote 0x5A once. */
	assert_int_equal(r.n, 1);
	assert_int_equal(r.a[0].addr, GTD_PORT);
	assert_int_equal(r.a[0].value, 0x5A);
	vmm_td_destroy(td);
}

static void test_cpu_gate(void **state)
{
	(void)state;
	expect_cpu(false);
}

static void test_cpu_tdcall_insn(void **state)
{
	(void)state;
	expect_cpu(true);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_io_paths),
		cmocka_unit_test(test_mmio),
		cmocka_unit_test(test_nested_ve_df),
		cmocka_unit_test(test_unexpected_exit_reason),
		cmocka_unit_test(test_private_gpa),
		cmocka_unit_test(test_fp_gate),
		cmocka_unit_test(test_fp_tdcall_insn),
		cmocka_unit_test(test_cpu_gate),
		cmocka_unit_test(test_cpu_tdcall_insn),
	};

	if (argc != 6) {
		fprintf(stderr,
			"usage: %s io_guest.elf mmio_guest.elf fault_guest.elf fp_guest.elf "
			"cpu_guest.elf\n",
			argv[0]);
		return 2;
	}
	io_elf = argv[1];
	mmio_elf = argv[2];
	fault_elf = argv[3];
	fp_elf = argv[4];
	cpu_elf = argv[5];
	return cmocka_run_group_tests(tests, vmm_machine_setup, vmm_machine_teardown);
}
