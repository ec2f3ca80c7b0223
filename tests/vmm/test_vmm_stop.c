// SPDX-License-Identifier: MIT
/*
 * TDs that stop without an exit status, and how a person learns why: guest exceptions (#PF,
 * #GP, #UD) named, their error codes decoded, CR2, the RIP as image offset and symbol; a
 * guest that touches a private page it never accepted, stopped by the no-progress watch
 * instead of looping; and the tdxsim command: exit status 126 for such stops, --timeout
 * (124) on a guest that spins, SIGINT (130) and SIGTERM (143) with each vCPU's RIP and last
 * exit, and a trace left with whole JSON lines (also after SIGKILL).
 *
 * Every run that could hang is bounded: the library runs by a watchdog that stops the TD
 * after WATCHDOG_S and fails the test, the command runs by timeout(1).
 *
 * Arguments: stop_pf.elf stop_gp.elf stop_ud.elf stop_unaccepted.elf stop_spin.elf
 *            stop_halt.elf stop_shared.elf tdxsim
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <tdx/status.h>
#include <tdx/vmx.h>
#include <tdxsim/tdxsim.h>
#include <tdxsim/vmm.h>

#include "tests/support/stop_message.h"
#include "tests/support/vmm_machine.h"

enum { PF, GP, UD, UNACCEPTED, SPIN, HALT, SHARED, NR_ELFS };
static const char *elf[NR_ELFS], *tdxsim;

#define WATCHDOG_S 60

struct watchdog {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done, fired;
	struct vmm_td *td;
};

static void *watchdog_fn(void *arg)
{
	struct watchdog *w = arg;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += WATCHDOG_S;
	pthread_mutex_lock(&w->lock);
	while (!w->done && pthread_cond_timedwait(&w->cond, &w->lock, &ts) != ETIMEDOUT)
		;
	if (!w->done) {
		w->fired = true;
		vmm_td_stop(w->td, VMM_STOP_INTERRUPTED, 1, "the test's watchdog");
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* Build and run @id (cfg from the defaults plus @attributes), bounded by the watchdog. */
static struct vmm_td *run(unsigned int id, uint64_t attributes, struct serial_capture *out)
{
	struct watchdog w = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	struct vmm_td_config cfg;
	char err[256] = "";
	pthread_t t;

	tdxsim_claim_signals();
	memset(out, 0, sizeof(*out));
	vmm_td_config_default(&cfg);
	cfg.attributes = attributes;
	cfg.serial = serial_capture_sink;
	cfg.serial_opaque = out;
	if (vmm_td_create(&cfg, elf[id], &w.td, err, sizeof(err)))
		fail_msg("vmm_td_create(%s): %s", elf[id], err);
	assert_int_equal(pthread_create(&t, NULL, watchdog_fn, &w), 0);
	assert_int_equal(vmm_td_run(w.td), 0);
	pthread_mutex_lock(&w.lock);
	w.done = true;
	pthread_cond_signal(&w.cond);
	pthread_mutex_unlock(&w.lock);
	pthread_join(t, NULL);
	if (w.fired)
		fail_msg("%s still ran after %d s: %s", elf[id], WATCHDOG_S,
			 vmm_td_result(w.td)->message);
	return w.td;
}

static void expect_exception(unsigned int id, const char *image, const char *prefix,
			     const char *sym)
{
	struct serial_capture out;
	struct vmm_td *td = run(id, VMM_ATTR_SEPT_VE_DISABLE, &out);
	const struct vmm_td_result *r = vmm_td_result(td);
	char line[32];

	snprintf(line, sizeof(line), "stop: scenario %u\n", id + 1);
	assert_string_equal(out.buf, line);
	assert_int_equal(r->reason, VMM_STOP_FATAL_ERROR);
	assert_int_equal(r->vcpu, 0);
	assert_int_equal(r->code, 0);
	expect_rip_msg(r->message, vmm_td_image_base(td), prefix, image, sym, 0, "");
	vmm_td_destroy(td);
}

/*
 * The #PF of stop_pf's load: its error code's U/S bit is the guest's CPL, 3 on the native
 * backend and 0 on the system backend (docs/SYSTEM.md), which $TDXSIM_CPU chooses for the
 * machine and for `tdxsim run` alike.
 */
static const char *pf_words(void)
{
	const char *cpu = getenv("TDXSIM_CPU");

	return cpu && !strcmp(cpu, "system")
		       ? "#PF page fault, error code 0x0 (not present, read, supervisor mode), "
			 "CR2 0x1000, RIP "
		       : "#PF page fault, error code 0x4 (not present, read, user mode), CR2 "
			 "0x1000, RIP ";
}

/* A load from 0x1000, outside the TD: #PF with the error code in words and CR2. */
static void test_page_fault(void **state)
{
	char want[256];

	(void)state;
	snprintf(want, sizeof(want), "vCPU 0: guest fatal error: %s", pf_words());
	expect_exception(PF, "stop_pf.elf", want, "stop_pf");
}

/* DS loaded with a DPL 0 selector at CPL 3: #GP, the error code is the selector. */
static void test_general_protection(void **state)
{
	(void)state;
	expect_exception(GP, "stop_gp.elf",
			 "vCPU 0: guest fatal error: #GP general protection, error code 0x10 "
			 "(selector 0x10: GDT index 2), RIP ",
			 "stop_gp");
}

/* UD2: #UD, no error code. */
static void test_invalid_opcode(void **state)
{
	(void)state;
	expect_exception(UD, "stop_ud.elf", "vCPU 0: guest fatal error: #UD invalid opcode, RIP ",
			 "stop_ud");
}

/*
 * A load from a private GPA the guest never accepted, in a TD with SEPT_VE_DISABLE: every
 * try is an EPT violation TD exit, the VMM's PAGE.AUG adds the page once and then finds it
 * there (pending); the TD stops after VMM_NO_PROGRESS_LIMIT identical exits, not never.
 */
static void test_no_progress(void **state)
{
	struct serial_capture out;
	struct vmm_vcpu_stats st;
	struct vmm_td *td;
	const struct vmm_td_result *r;
	char prefix[160];

	(void)state;
	td = run(UNACCEPTED, VMM_ATTR_SEPT_VE_DISABLE, &out);
	r = vmm_td_result(td);
	assert_string_equal(out.buf, "stop: scenario 4\n");
	assert_int_equal(r->reason, VMM_STOP_NO_PROGRESS);
	assert_int_equal(r->exit_status, 1);
	assert_int_equal(r->gpa, 40ULL << 20);
	assert_int_equal(r->code, TDX_EPT_ENTRY_STATE_INCORRECT | 1);
	snprintf(prefix, sizeof(prefix),
		 "vCPU 0: no progress: %u EPT violations in a row at GPA 0x2800000 (read), RIP ",
		 VMM_NO_PROGRESS_LIMIT);
	expect_rip_msg(r->message, vmm_td_image_base(td), prefix, "stop_unaccepted.elf",
		       "stop_unaccepted", 0,
		       "; PAGE.AUG finds the page there (0xc0000b0d00000001): a page the guest "
		       "never accepted (SEPT_VE_DISABLE: no #VE tells it)");
	assert_int_equal(vmm_td_vcpu_stats(td, 0, &st), 0);
	/* the first exit adds the page, the limit's worth find it there */
	assert_int_equal(st.exits[EXIT_REASON_EPT_VIOLATION], VMM_NO_PROGRESS_LIMIT + 1);
	assert_int_equal(st.aug_pages, 1);
	vmm_td_destroy(td);
}

/*
 * A load from a shared GPA in the TD's RAM that MapGPA never made shared: the VMM's shared
 * EPT has suppress-#VE over its RAM, so this is an EPT-violation TD exit (not a #VE, which
 * is for MMIO above RAM), and the VMM's shared-GPA handler stops the TD saying where.
 */
static void test_shared_ept_violation(void **state)
{
	struct serial_capture out;
	struct vmm_vcpu_stats st;
	struct vmm_td *td;
	const struct vmm_td_result *r;

	(void)state;
	td = run(SHARED, VMM_ATTR_SEPT_VE_DISABLE, &out);
	r = vmm_td_result(td);
	assert_string_equal(out.buf, "stop: scenario 7\n");
	assert_int_equal(r->reason, VMM_STOP_EPT_VIOLATION);
	assert_int_equal(r->vcpu, 0);
	assert_int_equal(r->code, 0);
	assert_int_equal(r->gpa, (40ULL << 20) | (1ULL << 47));
	expect_rip_msg(r->message, vmm_td_image_base(td),
		       "vCPU 0: EPT violation on shared GPA 0x800002800000 (read) at RIP ",
		       "stop_shared.elf", "stop_shared", 0, "");
	assert_int_equal(vmm_td_vcpu_stats(td, 0, &st), 0);
	assert_int_equal(st.exits[EXIT_REASON_EPT_VIOLATION], 1);
	assert_int_equal(st.aug_pages, 0);
	vmm_td_destroy(td);
}

/* ---- the tdxsim command ---- */

/* The image base `tdxsim run` printed ("tdxsim: guest image at 0x..."), 0 when it did not. */
static uintptr_t printed_base(const char *out)
{
	const char *p = strstr(out, "tdxsim: guest image at 0x");
	unsigned long long base = 0;

	if (p)
		sscanf(p, "tdxsim: guest image at 0x%llx", &base);
	return (uintptr_t)base;
}

/* The line of @out that starts with @start, copied without its newline into line. */
static void find_line(const char *out, const char *start, char *line, size_t len)
{
	const char *p = strstr(out, start), *e;

	if (!p)
		fail_msg("no line \"%s...\" in:\n%s", start, out);
	e = strchr(p, '\n');
	if (!e)
		fail_msg("line \"%s...\" not ended", start);
	snprintf(line, len, "%.*s", (int)(e - p), p);
}

/* Each of @n vCPUs reported spinning: RIP in stop_spin (its PAUSE or JMP), kicked out. */
static void expect_spinning_vcpus(const char *out, unsigned int n)
{
	uintptr_t base = printed_base(out);
	char start[32], prefix[32], line[512];

	assert_int_not_equal(base, 0);
	for (unsigned int v = 0; v < n; v++) {
		snprintf(start, sizeof(start), "tdxsim: vCPU %u: RIP ", v);
		snprintf(prefix, sizeof(prefix), "tdxsim: vCPU %u: RIP ", v);
		find_line(out, start, line, sizeof(line));
		/* PAUSE at +0x0, JMP at +0x2: the kick finds it at one of them */
		if (strstr(line, "<stop_spin+0x0>"))
			expect_rip_msg(line, base, prefix, "stop_spin.elf", "stop_spin", 0,
				       ", last exit EXTERNAL_INTERRUPT");
		else
			expect_rip_msg(line, base, prefix, "stop_spin.elf", "stop_spin", 2,
				       ", last exit EXTERNAL_INTERRUPT");
	}
}

/* The unaccepted-page guest through the command: status 126 and the no-progress line. */
static void test_tool_no_progress(void **state)
{
	char cmd[1024], out[8192], want[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "timeout 60 %s run %s --quiet 2>&1 >/dev/null", tdxsim,
		 elf[UNACCEPTED]);
	assert_int_equal(vmm_command(cmd, out, sizeof(out)), 126);
	snprintf(want, sizeof(want),
		 "tdxsim: TD stopped: no progress - vCPU 0: no progress: %u EPT violations in a "
		 "row at GPA 0x2800000 (read), RIP 0x",
		 VMM_NO_PROGRESS_LIMIT);
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, " = stop_unaccepted.elf+0x"));
	assert_non_null(strstr(out, "<stop_unaccepted+0x0>; PAGE.AUG finds the page there "
				    "(0xc0000b0d00000001): a page the guest never accepted "
				    "(SEPT_VE_DISABLE: no #VE tells it)\n"));
	/* #PF through the command: 126 too, the readable message even with --quiet */
	snprintf(cmd, sizeof(cmd), "timeout 60 %s run %s --quiet 2>&1 >/dev/null", tdxsim, elf[PF]);
	assert_int_equal(vmm_command(cmd, out, sizeof(out)), 126);
	snprintf(want, sizeof(want),
		 "tdxsim: TD stopped: fatal error - vCPU 0: guest fatal error: %s0x", pf_words());
	assert_non_null(strstr(out, want));
}

/*
 * Every vCPU halted for good (vCPU 0 with interrupts blocked, vCPU 1 in the wake-up
 * mailbox): `tdxsim run` has no one outside the TD to post an interrupt, so the TD stops
 * (126) instead of sleeping for ever, with where each vCPU halted.
 */
static void test_tool_all_halted(void **state)
{
	char cmd[1024], out[16384], line[512];

	(void)state;
	snprintf(cmd, sizeof(cmd), "timeout 60 %s run %s --vcpus 2 --quiet 2>&1", tdxsim,
		 elf[HALT]);
	assert_int_equal(vmm_command(cmd, out, sizeof(out)), 126);
	assert_non_null(strstr(out, "stop: scenario 6\n"));
	find_line(out, "tdxsim: TD stopped: no progress - vCPU ", line, sizeof(line));
	assert_non_null(strstr(line, ": no progress: all 2 vCPUs halted, no interrupt pending and "
				     "none can come; this one halted at RIP 0x"));
	assert_non_null(strstr(line, " = stop_halt.elf+0x"));
	for (unsigned int v = 0; v < 2; v++) {
		char start[32];

		snprintf(start, sizeof(start), "tdxsim: vCPU %u: RIP 0x", v);
		find_line(out, start, line, sizeof(line));
		assert_non_null(strstr(line, " = stop_halt.elf+0x"));
		assert_non_null(strstr(line, ", last exit TDCALL (TDVMCALL HLT)"));
	}
}

/* --timeout on two vCPUs spinning without exits: 124, where each was, the summary. */
static void test_tool_timeout(void **state)
{
	static const char *const bad[] = {"-1", "abc", "nan", "inf", "1x", "", "2ss"};
	char cmd[1024], out[16384];

	(void)state;
	snprintf(cmd, sizeof(cmd), "timeout 60 %s run %s --vcpus 2 --timeout 0.3 2>&1", tdxsim,
		 elf[SPIN]);
	assert_int_equal(vmm_command(cmd, out, sizeof(out)), 124);
	assert_non_null(strstr(out, "spinning on 2 vCPUs\n"));
	assert_non_null(
		strstr(out, "tdxsim: timeout: the TD still ran after 0.3 s; stopping it\n"));
	expect_spinning_vcpus(out, 2);
	assert_non_null(strstr(out, "tdxsim: TD stopped: interrupted - --timeout 0.3 expired\n"));
	assert_non_null(strstr(out, "tdxsim: MRTD "));
	/* timeout(1)'s forms: a suffix, 0 = no timeout (the guest exits by itself) */
	snprintf(cmd, sizeof(cmd), "timeout 60 %s run %s --timeout 0.005m --quiet 2>&1", tdxsim,
		 elf[SPIN]);
	assert_int_equal(vmm_command(cmd, out, sizeof(out)), 124);
	snprintf(cmd, sizeof(cmd), "timeout 60 %s run %s --timeout 0 --quiet 2>&1", tdxsim,
		 elf[PF]);
	assert_int_equal(vmm_command(cmd, out, sizeof(out)), 126);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[128];

		snprintf(cmd, sizeof(cmd), "%s run %s --timeout '%s' 2>&1", tdxsim, elf[SPIN],
			 bad[i]);
		assert_int_equal(vmm_command(cmd, out, sizeof(out)), 125);
		snprintf(want, sizeof(want),
			 "tdxsim: --timeout: '%s' is not a duration in seconds (e.g. 2, 0.5, 1m)\n",
			 bad[i]);
		assert_string_equal(out, want);
	}
}

/* Read from @fd until @text has come (false after ~60 s or at EOF). */
static bool wait_output(int fd, const char *text)
{
	char buf[4096];
	size_t len = 0;

	for (int tries = 0; tries < 600; tries++) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return false;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, text))
			return true;
	}
	return false;
}

/* The exit status of @pid, SIGKILLing it (and failing, @trace removed) after ~60 s. */
static int wait_exit(pid_t pid, const char *trace)
{
	int st;

	for (int tries = 0; tries < 600; tries++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		usleep(100000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	unlink(trace);
	fail_msg("tdxsim did not end within 60 s of the signal");
	return -1;
}

/*
 * Every line of the trace one whole JSON object, the file ending with a newline. The file
 * is gone from the directory before anything is checked, so a failing test leaves none.
 */
static void expect_whole_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, lines = 0;
	ssize_t n;

	unlink(path);
	assert_non_null(f);
	while ((n = getline(&line, &cap, f)) > 0) {
		lines++;
		if (strncmp(line, "{\"t_ns\":", 8) || n < 3 || line[n - 1] != '\n' ||
		    line[n - 2] != '}')
			fail_msg("trace line %zu is not whole: %s", lines, line);
	}
	free(line);
	fclose(f);
	assert_true(lines > 10);
}

/*
 * SIGINT or SIGTERM to a `tdxsim run` whose 3 vCPUs spin in guest code: the vCPUs are
 * kicked out, each one's RIP with symbol and last exit printed, the summary, exit status
 * 128 + the signal, a trace of whole lines.
 */
static void signal_run(int sig, const char *name)
{
	char trace[] = "/tmp/tdxsim-stop-trace-XXXXXX", errf[] = "/tmp/tdxsim-stop-err-XXXXXX";
	int tfd = mkstemp(trace), efd = mkstemp(errf), out[2], status;
	static char err[16384];
	char want[96];
	ssize_t n;
	pid_t pid;

	assert_true(tfd >= 0 && efd >= 0);
	close(tfd);
	unlink(errf); /* the child writes it through the descriptor */
	assert_int_equal(pipe(out), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		dup2(out[1], 1);
		dup2(efd, 2);
		close(out[0]);
		execl(tdxsim, tdxsim, "run", elf[SPIN], "--vcpus", "3", "--trace", trace,
		      (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	if (!wait_output(out[0], "spinning on 3 vCPUs\n")) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		unlink(trace);
		fail_msg("the guest did not start spinning");
	}
	/* vCPU 0 printed that line on its way into stop_spin: let it get there */
	usleep(300 * 1000);
	if (kill(pid, sig))
		unlink(trace);
	status = wait_exit(pid, trace);
	close(out[0]);
	/* no chance to flush after SIGKILL: whatever reached the file is whole lines */
	expect_whole_lines(trace);
	n = pread(efd, err, sizeof(err) - 1, 0);
	close(efd);
	assert_int_equal(status, 128 + sig);
	if (sig == SIGKILL)
		return;
	assert_true(n > 0);
	err[n] = '\0';
	snprintf(want, sizeof(want), "tdxsim: %s: stopping the TD\n", name);
	assert_non_null(strstr(err, want));
	expect_spinning_vcpus(err, 3);
	snprintf(want, sizeof(want), "tdxsim: TD stopped: interrupted - stopped by %s\n", name);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, "tdxsim: MRTD "));
}

static void test_tool_sigint(void **state)
{
	(void)state;
	signal_run(SIGINT, "SIGINT");
}

static void test_tool_sigterm(void **state)
{
	(void)state;
	signal_run(SIGTERM, "SIGTERM");
}

/* SIGKILL mid-run: the trace written so far ends with a whole line (vmm_trace). */
static void test_tool_sigkill_trace(void **state)
{
	(void)state;
	signal_run(SIGKILL, "SIGKILL");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page_fault),
		cmocka_unit_test(test_general_protection),
		cmocka_unit_test(test_invalid_opcode),
		cmocka_unit_test(test_no_progress),
		cmocka_unit_test(test_shared_ept_violation),
		cmocka_unit_test(test_tool_no_progress),
		cmocka_unit_test(test_tool_timeout),
		cmocka_unit_test(test_tool_sigint),
		cmocka_unit_test(test_tool_sigterm),
		cmocka_unit_test(test_tool_sigkill_trace),
		cmocka_unit_test(test_tool_all_halted),
	};

	if (argc != 2 + NR_ELFS) {
		fprintf(stderr,
			"usage: %s stop_pf stop_gp stop_ud stop_unaccepted stop_spin stop_halt "
			"stop_shared tdxsim\n",
			argv[0]);
		return 2;
	}
	for (unsigned int i = 0; i < NR_ELFS; i++)
		elf[i] = argv[1 + i];
	tdxsim = argv[1 + NR_ELFS];
	return cmocka_run_group_tests(tests, vmm_machine_setup, vmm_machine_teardown);
}
