// SPDX-License-Identifier: MIT
/*
 * TDs that stop without an exit status, and how a person learns why: guest exceptions (#PF,
 * #GP, #UD) named, their error codes decoded, CR2, the RIP as image offset and symbol; a
 * guest that touches a private page it never accepted, stopped by the no-progress watch
 * instead of looping; and the tdxsim command: exit status 126 for such stops, --timeout
 * (124) on a guest that spins, SIGINT (130) and SIGTERM (143) with each vCPU's RIP and last
 * exit, and a trace left with whole JSON lines.
 *
 * Every run that could hang is bounded: the library runs by a watchdog that stops the TD
 * after WATCHDOG_S and fails the test, the command runs by timeout(1).
 *
 * Arguments: stop_pf.elf stop_gp.elf stop_ud.elf stop_unaccepted.elf stop_spin.elf tdxsim
 */
#include <errno.h>
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
#include <tdxsim/vmm.h>

#include "platform/platform.h"
#include "tests/support/stop_message.h"
#include "tests/support/vmm_machine.h"

enum { PF, GP, UD, UNACCEPTED, SPIN, NR_ELFS };
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

	platform_claim_signals();
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

/* A load from 0x1000, outside the TD: #PF with the error code in words and CR2. */
static void test_page_fault(void **state)
{
	(void)state;
	expect_exception(PF, "stop_pf.elf",
			 "vCPU 0: guest fatal error: #PF page fault, error code 0x4 (not present, "
			 "read, user mode), CR2 0x1000, RIP ",
			 "stop_pf");
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

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page_fault),
		cmocka_unit_test(test_general_protection),
		cmocka_unit_test(test_invalid_opcode),
		cmocka_unit_test(test_no_progress),
	};

	if (argc != 2 + NR_ELFS) {
		fprintf(stderr,
			"usage: %s stop_pf stop_gp stop_ud stop_unaccepted stop_spin tdxsim\n",
			argv[0]);
		return 2;
	}
	for (unsigned int i = 0; i < NR_ELFS; i++)
		elf[i] = argv[1 + i];
	tdxsim = argv[1 + NR_ELFS];
	return cmocka_run_group_tests(tests, vmm_machine_setup, vmm_machine_teardown);
}
