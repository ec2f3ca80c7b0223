// SPDX-License-Identifier: MIT
/*
 * The VMM library end to end: a machine booted, the TDX module brought up by the host
 * (tdx_enable), guest ELFs built with the SDK built into TDs and run. Serial output byte-exact,
 * exit statuses, MRTD from vmm_td_measure() equal to the module's, 4 vCPUs, lazy PAGE.AUG,
 * fatal guests, and the tdxsim command.
 *
 * Arguments: hello.elf exit7.elf panic.elf accept.elf oob.elf tdxsim
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <tdx/vmx.h>
#include <tdxsim/tdxsim.h>
#include <tdxsim/vmm.h>

#include "tests/support/vmm_machine.h"

static const char *hello_elf, *exit7_elf, *panic_elf, *accept_elf, *oob_elf, *tdxsim;

#define HELLO_OUT                                                                                  \
	"hello from a TD: GPAW 48, I/O path #VE, MMIO path #VE\n"                                  \
	"PCI test device says \"TDXSIMTD\"\n"

/* Build and run one guest; returns the TD (destroyed by the caller). */
static struct vmm_td *run(const char *elf, struct vmm_td_config *cfg, struct serial_capture *out)
{
	struct vmm_td *td = NULL;
	char err[256] = "";

	tdxsim_claim_signals();
	memset(out, 0, sizeof(*out));
	cfg->serial = serial_capture_sink;
	cfg->serial_opaque = out;
	if (vmm_td_create(cfg, elf, &td, err, sizeof(err)))
		fail_msg("vmm_td_create(%s): %s", elf, err);
	assert_int_equal(vmm_td_run(td), 0);
	return td;
}

static void test_hello(void **state)
{
	struct vmm_td_config cfg;
	struct serial_capture out;
	struct vmm_vcpu_stats st;
	struct vmm_td_stats ts;
	uint8_t measured[48], module[48];
	char err[256];
	struct vmm_td *td;

	(void)state;
	vmm_td_config_default(&cfg);
	cfg.attributes = VMM_ATTR_SEPT_VE_DISABLE;
	td = run(hello_elf, &cfg, &out);
	assert_string_equal(out.buf, HELLO_OUT);
	assert_int_equal(vmm_td_result(td)->reason, VMM_STOP_POWEROFF);
	assert_int_equal(vmm_td_result(td)->exit_status, 0);

	/* MRTD: computed without a machine == what the module computed (TDH.MNG.RD) */
	assert_int_equal(vmm_td_measure(&cfg, hello_elf, measured, err, sizeof(err)), 0);
	assert_int_equal(vmm_td_mrtd(td, module), 0);
	assert_memory_equal(measured, module, 48);

	/* Statistics: every exit a TDCALL here; port I/O by #VE, one MMIO */
	assert_int_equal(vmm_td_vcpu_stats(td, 0, &st), 0);
	assert_true(st.entries > 10);
	assert_int_equal(st.exits[EXIT_REASON_TDCALL], st.entries);
	assert_int_equal(st.tdvmcalls[VMM_TDVMCALL_MMIO], 1);
	assert_true(st.tdvmcalls[VMM_TDVMCALL_IO] >= strlen(HELLO_OUT));
	vmm_td_stats(td, &ts);
	assert_true(ts.ve_deliveries >= strlen(HELLO_OUT));
	assert_true(ts.image_pages > 1);
	vmm_td_destroy(td);
}

/* --io-path/--mmio-path direct: the same output, no #VE at all. */
static void test_direct_paths(void **state)
{
	struct vmm_td_config cfg;
	struct serial_capture out;
	struct vmm_td_stats ts;
	struct vmm_td *td;

	(void)state;
	vmm_td_config_default(&cfg);
	cfg.boot_opts = TDXSIM_BOOT_OPT_IO_TDVMCALL | TDXSIM_BOOT_OPT_MMIO_TDVMCALL;
	td = run(hello_elf, &cfg, &out);
	assert_string_equal(out.buf, "hello from a TD: GPAW 48, I/O path direct, MMIO path direct\n"
				     "PCI test device says \"TDXSIMTD\"\n");
	vmm_td_stats(td, &ts);
	assert_int_equal(ts.ve_deliveries, 0);
	assert_int_equal(vmm_td_result(td)->exit_status, 0);
	vmm_td_destroy(td);
}

/*
 * The trapping SEAMCALL opcode instead of the gate (a host setting): the same run, and every
 * VP.ENTER of it a trap.
 */
static void test_seamcall_insn(void **state)
{
	struct vmm_td_config cfg;
	struct serial_capture out;
	struct tdxsim_machine_stats a, b;
	struct vmm_vcpu_stats st;
	struct vmm_td *td;

	(void)state;
	vmm_td_config_default(&cfg);
	assert_int_equal(tdxsim_seamcall_path(), TDXSIM_SEAMCALL_GATE);
	tdxsim_set_seamcall_path(TDXSIM_SEAMCALL_INSN);
	assert_int_equal(tdxsim_seamcall_path(), TDXSIM_SEAMCALL_INSN);
	tdxsim_machine_stats(&a);
	td = run(hello_elf, &cfg, &out);
	tdxsim_machine_stats(&b);
	tdxsim_set_seamcall_path(TDXSIM_SEAMCALL_GATE);
	assert_string_equal(out.buf, HELLO_OUT);
	assert_int_equal(vmm_td_vcpu_stats(td, 0, &st), 0);
	assert_true(b.traps - a.traps >= st.entries);
	vmm_td_destroy(td);
}

/* Exit status; a partial line flushed at the end; 4 vCPUs (the APs wait in the SDK mailbox). */
static void test_exit_status_4vcpus(void **state)
{
	struct vmm_td_config cfg;
	struct serial_capture out;
	struct vmm_td *td;

	(void)state;
	vmm_td_config_default(&cfg);
	cfg.nr_vcpus = 4;
	td = run(exit7_elf, &cfg, &out);
	assert_int_equal(vmm_td_result(td)->reason, VMM_STOP_POWEROFF);
	assert_int_equal(vmm_td_result(td)->exit_status, 7);
	assert_int_equal(vmm_td_nr_vcpus(td), 4);
	for (unsigned int v = 0; v < 4; v++) {
		struct vmm_vcpu_stats st;

		assert_int_equal(vmm_td_vcpu_stats(td, v, &st), 0);
		assert_true(st.entries >= 1);
		assert_int_equal(st.lp, v);
		if (v)
			assert_int_equal(st.tdvmcalls[VMM_TDVMCALL_IO], 0);
	}
	vmm_td_destroy(td);
	assert_string_equal(out.buf, "exit7: vCPU count test line\nno newline");
}

static void test_fatal_error(void **state)
{
	struct vmm_td_config cfg;
	struct serial_capture out;
	struct vmm_td *td;
	const struct vmm_td_result *r;

	(void)state;
	vmm_td_config_default(&cfg);
	td = run(panic_elf, &cfg, &out);
	r = vmm_td_result(td);
	assert_int_equal(r->reason, VMM_STOP_FATAL_ERROR);
	assert_int_equal(r->exit_status, 1);
	assert_int_equal(r->code, 0x42);
	assert_non_null(strstr(r->message, "boom 17"));
	assert_string_equal(out.buf, "about to panic\n");
	vmm_td_destroy(td);
}

/* Memory beyond the image: ACCEPT -> EPT violation -> PAGE.AUG -> ACCEPT again. */
static void test_lazy_aug(void **state)
{
	struct vmm_td_config cfg;
	struct serial_capture out;
	struct vmm_vcpu_stats st;
	struct vmm_td *td;

	(void)state;
	vmm_td_config_default(&cfg);
	cfg.attributes = VMM_ATTR_SEPT_VE_DISABLE;
	td = run(accept_elf, &cfg, &out);
	assert_string_equal(vmm_td_result(td)->message, "the guest powered off with status 0");
	assert_string_equal(out.buf, "accepted 16 pages, sum 13736\n");
	assert_int_equal(vmm_td_vcpu_stats(td, 0, &st), 0);
	assert_int_equal(st.aug_pages, 16);
	assert_int_equal(st.exits[EXIT_REASON_EPT_VIOLATION], 16);
	vmm_td_destroy(td);
}

static void test_out_of_bounds(void **state)
{
	struct vmm_td_config cfg;
	struct serial_capture out;
	struct vmm_td *td;
	const struct vmm_td_result *r;

	(void)state;
	vmm_td_config_default(&cfg);
	td = run(oob_elf, &cfg, &out);
	r = vmm_td_result(td);
	assert_int_equal(r->reason, VMM_STOP_EPT_VIOLATION);
	assert_int_equal(r->exit_status, 1);
	assert_int_equal(r->gpa, 1ULL << 31);
	assert_non_null(strstr(r->message, "outside the TD's 64 MiB"));
	vmm_td_destroy(td);
}

static void test_bad_config(void **state)
{
	struct vmm_td_config cfg;
	struct vmm_td *td;
	char err[256];

	(void)state;
	vmm_td_config_default(&cfg);
	cfg.nr_vcpus = 64; /* the laptop has 8 LPs */
	assert_int_equal(vmm_td_create(&cfg, hello_elf, &td, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "online LPs"));
	vmm_td_config_default(&cfg);
	cfg.memory_size = 64 * 1024;
	assert_int_equal(vmm_td_create(&cfg, hello_elf, &td, err, sizeof(err)), -EINVAL);
	assert_int_equal(vmm_td_create(&cfg, "/nonexistent.elf", &td, err, sizeof(err)), -ENOENT);
	vmm_td_config_default(&cfg);
	assert_int_equal(vmm_td_create(&cfg, "/dev/null", &td, err, sizeof(err)), -ENOEXEC);
	/* Nothing leaked: a TD after all these failures still builds and runs */
	test_hello(state);
}

/* ---- --trace: SEAMCALLs, TDCALLs, #VEs and TD exits as JSON lines ---- */

/*
 * One JSON object: starts with the time, braces balanced outside strings and closed only
 * by the last character, every string closed. (Values never hold escapes or braces.)
 */
static bool json_object_line(const char *l)
{
	size_t n = strlen(l);
	int depth = 0;
	bool in_str = false;

	if (strncmp(l, "{\"t_ns\":", 8) || n < 2 || l[n - 1] != '\n' || l[n - 2] != '}')
		return false;
	for (size_t i = 0; i < n - 1; i++) {
		if (l[i] == '"')
			in_str = !in_str;
		else if (!in_str && l[i] == '{')
			depth++;
		else if (!in_str && l[i] == '}' && (--depth < 0 || (depth == 0 && i != n - 2)))
			return false;
	}
	return !in_str && depth == 0;
}

static bool has(const char *l, const char *key)
{
	return strstr(l, key) != NULL;
}

struct trace_counts {
	unsigned int lines, seamcalls, enter_seamcalls, mng_create, mr_finalize, exits;
	unsigned int tdcalls, veinfo_get, vmcall, vp_info, ves, ve_serial_out, stops;
	unsigned int vmcall_then_exit; /* a TDG.VP.VMCALL line followed by its TD exit line */
};

/* Count the lines of each kind, checking each one's shape and keys. */
static void trace_parse(FILE *f, struct trace_counts *c)
{
	char ve_out[128], veinfo_out[160], *line = NULL, prev[64] = "";
	uint64_t qual = tdx_io_qual_make(1, false, false, false, false, 0x3F8);
	size_t cap = 0;

	/* An OUT %al,%dx to COM1's THR, and what TDG.VP.VEINFO.GET returns for it. */
	snprintf(ve_out, sizeof(ve_out),
		 "\"ve\":\"IO_INSTRUCTION\",\"reason\":%u,\"qual\":\"0x%llx\",\"gla\":\"0x0\","
		 "\"gpa\":\"0x0\",\"len\":1}",
		 EXIT_REASON_IO_INSTRUCTION, (unsigned long long)qual);
	snprintf(veinfo_out, sizeof(veinfo_out),
		 "\"out\":{\"rcx\":\"0x%x\",\"rdx\":\"0x%llx\",\"r8\":\"0x0\",\"r9\":\"0x0\","
		 "\"r10\":\"0x1\",",
		 EXIT_REASON_IO_INSTRUCTION, (unsigned long long)qual);
	memset(c, 0, sizeof(*c));
	while (getline(&line, &cap, f) > 0) {
		c->lines++;
		if (!json_object_line(line))
			fail_msg("trace line %u is not one JSON object: %s", c->lines, line);
		if (has(line, "\"seamcall\":\"")) {
			c->seamcalls++;
			c->enter_seamcalls += has(line, "\"TDH.VP.ENTER\"");
			c->mng_create += has(line, "\"seamcall\":\"TDH.MNG.CREATE\"");
			c->mr_finalize += has(line, "\"seamcall\":\"TDH.MR.FINALIZE\"");
			assert_true(has(line, "\"lp\":") && has(line, "\"status\":\"0x"));
		} else if (has(line, "\"tdcall\":\"")) {
			c->tdcalls++;
			assert_true(has(line, "\"lp\":0,\"vcpu\":0,") && has(line, "\"rax\":\"0x"));
			assert_true(has(line, "\"in\":{\"rcx\":") && has(line, "\"rsi\":\"0x"));
			if (has(line, "\"exited\":true")) {
				assert_false(has(line, "\"out\":") || has(line, "\"status\":"));
			} else {
				assert_true(has(line, "\"status\":\"0x") && has(line, "\"out\":{"));
			}
			if (has(line, "\"tdcall\":\"TDG.VP.VEINFO.GET\"")) {
				c->veinfo_get++;
				assert_true(has(line, "\"status\":\"0x0\""));
				/* the first #VE is the MMIO one, every other one COM1's OUT */
				if (c->veinfo_get > 1 && !has(line, veinfo_out))
					fail_msg("VEINFO.GET of an OUT: %s", line);
			}
			if (has(line, "\"tdcall\":\"TDG.VP.VMCALL\"")) {
				c->vmcall++;
				assert_true(has(line, "\"exited\":true"));
			}
			c->vp_info += has(line, "\"tdcall\":\"TDG.VP.INFO\"");
		} else if (has(line, "\"ve\":\"")) {
			c->ves++;
			c->ve_serial_out += has(line, ve_out);
			assert_true(has(line, "\"lp\":0,\"vcpu\":0,") && has(line, "\"len\":"));
		} else if (has(line, "\"exit\":\"")) {
			c->exits++;
			c->vmcall_then_exit +=
				!strcmp(prev, "TDG.VP.VMCALL") && has(line, "\"exit\":\"TDCALL\"");
			assert_true(has(line, "\"guest_ns\":") && has(line, "\"r15\":\"0x"));
		} else if (has(line, "\"stop\":\"")) {
			c->stops++;
			/* hello powers off with 0: the run's end, as vmm_td_result() says it */
			assert_true(has(line, "\"stop\":\"poweroff\",\"vcpu\":0,\"exit_status\":0,"
					      "\"message\":\""));
		} else {
			fail_msg("trace line of no known kind: %s", line);
		}
		snprintf(prev, sizeof(prev), "%s",
			 has(line, "\"tdcall\":\"TDG.VP.VMCALL\"") ? "TDG.VP.VMCALL" : "");
	}
	free(line);
}

static void test_trace(void **state)
{
	struct vmm_td_config cfg;
	struct serial_capture out;
	struct vmm_vcpu_stats st;
	struct vmm_td_stats ts;
	struct trace_counts c, c2;
	struct vmm_td *td;
	FILE *f = tmpfile();

	(void)state;
	assert_non_null(f);
	vmm_td_config_default(&cfg);
	cfg.trace_file = f;
	td = run(hello_elf, &cfg, &out);
	assert_string_equal(out.buf, HELLO_OUT);
	assert_int_equal(vmm_td_vcpu_stats(td, 0, &st), 0);
	vmm_td_stats(td, &ts);
	vmm_td_destroy(td);
	fflush(f);
	rewind(f);
	trace_parse(f, &c);
	fclose(f);

	/* SEAMCALLs: the build's (one TD, one finalize), never VP.ENTER (in the exit lines) */
	assert_int_equal(c.mng_create, 1);
	assert_int_equal(c.mr_finalize, 1);
	assert_int_equal(c.enter_seamcalls, 0);
	/* Exits: all TDG.VP.VMCALL, each right after its TDCALL line */
	assert_int_equal(c.exits, st.entries);
	assert_int_equal(c.vmcall, st.exits[EXIT_REASON_TDCALL]);
	assert_int_equal(c.vmcall_then_exit, c.vmcall);
	/* #VE: one line per delivery, each read once; one per byte on COM1, one MMIO */
	assert_int_equal(c.ves, ts.ve_deliveries);
	assert_int_equal(c.veinfo_get, c.ves);
	assert_int_equal(c.ve_serial_out, strlen(HELLO_OUT));
	assert_int_equal(c.ves, strlen(HELLO_OUT) + 1);
	/* TDCALLs: the SDK's TDG.VP.INFO at start-up, the #VE handler's, the TDVMCALLs */
	assert_int_equal(c.vp_info, 1);
	assert_int_equal(c.tdcalls, c.vp_info + c.veinfo_get + c.vmcall);
	/* One stop line, when the run ended */
	assert_int_equal(c.stops, 1);
	assert_int_equal(c.lines, c.seamcalls + c.tdcalls + c.ves + c.exits + c.stops);

	/*
	 * The VMM removed the module's trace hooks when the run ended: the next TD's trace has
	 * its TDCALL and #VE lines too (no "another TD's trace is on" line).
	 */
	f = tmpfile();
	assert_non_null(f);
	cfg.trace_file = f;
	td = run(hello_elf, &cfg, &out);
	vmm_td_destroy(td);
	fflush(f);
	rewind(f);
	trace_parse(f, &c2);
	fclose(f);
	assert_int_equal(c2.tdcalls, c.tdcalls);
	assert_int_equal(c2.ves, c.ves);
	assert_int_equal(c2.lines, c2.seamcalls + c2.tdcalls + c2.ves + c2.exits + c2.stops);
}

/* ---- the command ---- */

static void test_tool(void **state)
{
	struct vmm_td_config cfg;
	uint8_t m[48];
	char cmd[1024], out[4096], hex[97], err[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "%s run %s --quiet 2>/dev/null", tdxsim, hello_elf);
	assert_int_equal(vmm_command(cmd, out, sizeof(out)), 0);
	assert_string_equal(out, HELLO_OUT);
	snprintf(cmd, sizeof(cmd), "%s run %s --vcpus 2 --io-path direct 2>/dev/null", tdxsim,
		 exit7_elf);
	assert_int_equal(vmm_command(cmd, out, sizeof(out)), 7);
	snprintf(cmd, sizeof(cmd), "%s run %s --quiet 2>&1 >/dev/null", tdxsim, panic_elf);
	assert_int_equal(vmm_command(cmd, out, sizeof(out)), 126); /* stopped without a status */
	assert_non_null(strstr(out, "tdxsim: TD stopped: fatal error - vCPU 0: guest fatal error "
				    "0x42: boom 17\n"));
	snprintf(cmd, sizeof(cmd), "%s run %s 2>&1 >/dev/null", tdxsim, hello_elf);
	assert_int_equal(vmm_command(cmd, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "tdxsim: MRTD "));
	assert_non_null(strstr(out, "TDCALL"));

	vmm_td_config_default(&cfg);
	assert_int_equal(vmm_td_measure(&cfg, hello_elf, m, err, sizeof(err)), 0);
	for (int i = 0; i < 48; i++)
		sprintf(hex + 2 * i, "%02x", m[i]);
	snprintf(cmd, sizeof(cmd), "%s measure %s", tdxsim, hello_elf);
	assert_int_equal(vmm_command(cmd, out, sizeof(out)), 0);
	assert_memory_equal(out, hex, 96);
	assert_int_equal(out[96], '\n');

	snprintf(cmd, sizeof(cmd), "%s run 2>/dev/null", tdxsim);
	assert_int_equal(vmm_command(cmd, out, sizeof(out)), 125); /* usage: tdxsim's own */
	snprintf(cmd, sizeof(cmd), "%s --version", tdxsim);
	assert_int_equal(vmm_command(cmd, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "tdxsim "));
	snprintf(cmd, sizeof(cmd), "%s run --help", tdxsim);
	assert_int_equal(vmm_command(cmd, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "--io-path"));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello),	      cmocka_unit_test(test_direct_paths),
		cmocka_unit_test(test_seamcall_insn), cmocka_unit_test(test_exit_status_4vcpus),
		cmocka_unit_test(test_fatal_error),   cmocka_unit_test(test_lazy_aug),
		cmocka_unit_test(test_out_of_bounds), cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_trace),	      cmocka_unit_test(test_tool),
	};

	if (argc != 7) {
		fprintf(stderr, "usage: %s hello exit7 panic accept oob tdxsim\n", argv[0]);
		return 2;
	}
	hello_elf = argv[1];
	exit7_elf = argv[2];
	panic_elf = argv[3];
	accept_elf = argv[4];
	oob_elf = argv[5];
	tdxsim = argv[6];
	return cmocka_run_group_tests(tests, vmm_machine_setup, vmm_machine_teardown);
}
