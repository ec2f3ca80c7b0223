// SPDX-License-Identifier: MIT
/*
 * Interrupts and SMP end to end: SDK guests (tests/vmm/guests/irq.c, one scenario per ELF)
 * built into TDs and run by the VMM library on a machine with the real module. All vCPUs
 * start through the ACPI wake-up mailbox; IPIs by ICR writes, every shorthand and
 * destination form, the KVM answers for other delivery modes and reserved bits; an IPI
 * that wakes a vCPU in tdx_safe_halt and runs its handler; vmm_td_post_interrupt() waking a
 * vCPU halted with interrupts blocked, the interrupt taken only after STI; the GetQuote
 * notification to the vCPU that registered it; vmm_td_stop() with every vCPU halted, and
 * the VMM's own stop of such a TD when nothing outside it posts interrupts; every
 * vCPU reporting a fatal error at once, exactly one stop recorded whole; every vCPU accepting
 * the same pages at once, the PAGE.AUG races not taken for a guest without progress.
 * Exact serial output and the VMM's per-vCPU counters (halts, IPIs sent, interrupts).
 *
 * Arguments: irq_smp.elf irq_icr.elf irq_post.elf irq_stop.elf irq_notify.elf irq_ipi.elf
 *            irq_fatal.elf irq_accept.elf
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <tdx/ghci.h>
#include <tdx/vmx.h>
#include <tdxsim/tdxsim.h>
#include <tdxsim/vmm.h>

#include "tests/support/vmm_machine.h"

enum { SMP, ICR, POST, STOP, NOTIFY, IPI, FATAL, ACCEPT, NR_ELFS };
static const char *elf[NR_ELFS];

static struct vmm_td *create_td(unsigned int elf_id, unsigned int vcpus, struct serial_capture *out,
				bool no_outside_interrupts)
{
	struct vmm_td_config cfg;
	struct vmm_td *td = NULL;
	char err[256] = "";

	tdxsim_claim_signals();
	memset(out, 0, sizeof(*out));
	vmm_td_config_default(&cfg);
	cfg.nr_vcpus = vcpus;
	cfg.attributes = VMM_ATTR_SEPT_VE_DISABLE;
	cfg.serial = serial_capture_sink;
	cfg.serial_opaque = out;
	cfg.no_outside_interrupts = no_outside_interrupts;
	if (vmm_td_create(&cfg, elf[elf_id], &td, err, sizeof(err)))
		fail_msg("vmm_td_create(%s): %s", elf[elf_id], err);
	return td;
}

static struct vmm_td *create(unsigned int elf_id, unsigned int vcpus, struct serial_capture *out)
{
	return create_td(elf_id, vcpus, out, false);
}

static struct vmm_vcpu_stats stats(struct vmm_td *td, unsigned int v)
{
	struct vmm_vcpu_stats st;

	assert_int_equal(vmm_td_vcpu_stats(td, v, &st), 0);
	return st;
}

static void expect_poweroff(struct vmm_td *td)
{
	if (vmm_td_result(td)->reason != VMM_STOP_POWEROFF || vmm_td_result(td)->exit_status)
		fail_msg("TD stopped: %s", vmm_td_result(td)->message);
}

/* Every vCPU enters the image; APs start one after the other through the mailbox. */
static void test_smp_all_vcpus(void **state)
{
	struct serial_capture out;
	struct vmm_td *td = create(SMP, 4, &out);

	(void)state;
	assert_int_equal(vmm_td_run(td), 0);
	expect_poweroff(td);
	assert_string_equal(out.buf, "4 vCPUs, bsp 0\n"
				     "cpu 1: tdx_cpu_id 1\n"
				     "cpu 2: tdx_cpu_id 2\n"
				     "cpu 3: tdx_cpu_id 3\n"
				     "again: -16, cpu 4: -22, cpu 0: -22\n");
	/* One wake-up IPI per AP, from the BSP */
	assert_int_equal(stats(td, 0).ipis, 3);
	assert_int_equal(stats(td, 0).interrupts, 0);
	for (unsigned int v = 1; v < 4; v++) {
		assert_int_equal(stats(td, v).ipis, 0);
		assert_int_equal(stats(td, v).interrupts, 1);
		assert_true(stats(td, v).entries >= 2);
	}
	vmm_td_destroy(td);
}

/*
 * ICR writes: statuses in the guest's output, destinations in each vCPU's interrupt count.
 * vCPU 0 self 0x50, all 0x51, broadcast 0x54, the SELF IPI register's 0x5D = 4; vCPU 1
 * all, all-but, broadcast, logical = 4; vCPU 2 all, all-but, physical 2, broadcast, lowest priority (0x56 mod 4 = 2) = 5;
 * vCPU 3 all, all-but, broadcast, logical, busy-bit write = 5. Nothing for vCPU 9, vector 5,
 * a deasserted level, NMI, INIT, SIPI, SMI; reserved bits fail. Then the x2APIC registers
 * the VMM emulates: their reset values (ID 0, version, LDR, SVR, masked LVTs), SVR and an
 * LVT written and read back; read-only ones, non-zero ESR and reserved bits refused.
 */
static void test_icr(void **state)
{
	static const unsigned int want[4] = {4, 4, 5, 5};
	struct serial_capture out;
	struct vmm_td *td = create(ICR, 4, &out);

	(void)state;
	assert_int_equal(vmm_td_run(td), 0);
	expect_poweroff(td);
	assert_string_equal(out.buf,
			    "self: 0\n"
			    "all incl self: 0\n"
			    "all excl self: 0\n"
			    "physical 2: 0\n"
			    "broadcast: 0\n"
			    "logical 1,3: 0\n"
			    "lowest all: 0\n"
			    "busy bit: 0\n"
			    "physical 9: 0\n"
			    "vector 5: 0\n"
			    "level deassert: 0\n"
			    "nmi: 0\n"
			    "init: 0\n"
			    "sipi: 0\n"
			    "smi: 0\n"
			    "reserved 13: 8000000000000000\n"
			    "reserved 16: 8000000000000000\n"
			    "reserved 20: 8000000000000000\n"
			    "rd 802: 0 0\n"
			    "rd 803: 0 50014\n"
			    "rd 80d: 0 1\n"
			    "rd 80f: 0 ff\n"
			    "rd 828: 0 0\n"
			    "rd 82f: 0 10000\n"
			    "rd 832: 0 10000\n"
			    "rd 837: 0 10000\n"
			    "rd 838: 0 0\n"
			    "wr 80f 1ff: 0\n"
			    "rd 80f: 1ff\n"
			    "wr 832 20030: 0\n"
			    "rd 832: 20030\n"
			    "wr 828 0: 0, 828 1: 8000000000000000, 802: 8000000000000000, "
			    "839: 8000000000000000, 80f high: 8000000000000000\n"
			    "self ipi 5d: 0, 100: 8000000000000000, rd 83f: 8000000000000000\n");
	for (unsigned int v = 0; v < 4; v++)
		assert_int_equal(stats(td, v).interrupts, want[v]);
	assert_int_equal(stats(td, 0).ipis, 3 + 4 + 5 + 5);
	assert_int_equal(stats(td, 0).tdvmcalls[VMM_TDVMCALL_WRMSR],
			 18 + 9); /* the ICR writes, the registers */
	vmm_td_destroy(td);
}

struct poster {
	struct vmm_td *td;
	unsigned int vcpus; /* wait until this many vCPUs are halted */
	bool stop;	    /* then vmm_td_stop(), else post 0x60 to vCPU 0 */
};

static void wait_halted(struct vmm_td *td, unsigned int n)
{
	for (;;) {
		unsigned int halted = 0;

		for (unsigned int v = 0; v < n; v++) {
			enum tdxsim_mp_state st;

			assert_int_equal(tdxsim_vcpu_get_mp_state(td, v, &st), 0);
			halted += st == TDXSIM_MP_HALTED;
		}
		if (halted == n)
			return;
		sched_yield();
	}
}

static void *poster_thread(void *arg)
{
	struct poster *p = arg;

	wait_halted(p->td, p->vcpus);
	if (p->stop)
		vmm_td_stop(p->td, VMM_STOP_POWEROFF, 5, "stopped by the test");
	else
		assert_int_equal(vmm_td_post_interrupt(p->td, 0, 0x60), 0);
	return NULL;
}

static void run_with_poster(struct vmm_td *td, unsigned int vcpus, bool stop)
{
	struct poster p = {.td = td, .vcpus = vcpus, .stop = stop};
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, poster_thread, &p), 0);
	assert_int_equal(vmm_td_run(td), 0);
	pthread_join(t, NULL);
}

/*
 * The embedder posts to a vCPU halted with interrupts blocked: the halt ends, the interrupt
 * stays pending while IF = 0, and the handler runs after STI. Bad arguments first.
 */
static void test_post_wakes_blocked_halt(void **state)
{
	struct serial_capture out;
	struct vmm_td *td = create(POST, 1, &out);

	(void)state;
	assert_int_equal(vmm_td_post_interrupt(td, 0, 15), -EINVAL);
	assert_int_equal(vmm_td_post_interrupt(td, 0, 256), -EINVAL);
	assert_int_equal(vmm_td_post_interrupt(td, 1, 0x60), -EINVAL);
	assert_int_equal(vmm_td_post_interrupt(NULL, 0, 0x60), -EINVAL);
	run_with_poster(td, 1, false);
	expect_poweroff(td);
	assert_string_equal(out.buf, "after halt: 0 handled\n"
				     "after sti: 1 handled, vector 60\n");
	assert_int_equal(stats(td, 0).halts, 1);
	assert_int_equal(stats(td, 0).interrupts, 1);
	/* tdx_halt, then tdx_safe_halt, which returns at once: VMXIP (the interrupt is in the
	 * virtual APIC since the vCPU re-entered), and it is delivered after the TDCALL */
	assert_int_equal(stats(td, 0).tdvmcalls[VMM_TDVMCALL_HLT], 2);
	vmm_td_destroy(td);
}

/* Every vCPU halted for good: vmm_td_stop() wakes them and the run ends; then teardown. */
static void test_stop_with_halted_vcpus(void **state)
{
	struct serial_capture out;
	struct vmm_td *td = create(STOP, 4, &out);

	(void)state;
	run_with_poster(td, 4, true);
	assert_int_equal(vmm_td_result(td)->reason, VMM_STOP_POWEROFF);
	assert_int_equal(vmm_td_result(td)->exit_status, 5);
	assert_string_equal(vmm_td_result(td)->message, "stopped by the test");
	for (unsigned int v = 0; v < 4; v++)
		assert_int_equal(stats(td, v).halts, 1);
	vmm_td_destroy(td);
}

/*
 * The same guest when the embedder says nothing outside the TD posts interrupts (as
 * `tdxsim run`): the last of the four vCPUs to halt finds all halted with nothing pending
 * and stops the TD instead of the four sleeping for ever.
 */
static void test_all_halted_stops(void **state)
{
	struct serial_capture out;
	struct vmm_td *td = create_td(STOP, 4, &out, true);
	const struct vmm_td_result *r;
	char want[96];

	(void)state;
	assert_int_equal(vmm_td_run(td), 0);
	r = vmm_td_result(td);
	assert_int_equal(r->reason, VMM_STOP_NO_PROGRESS);
	snprintf(want, sizeof(want),
		 "vCPU %u: no progress: all 4 vCPUs halted, no interrupt pending and none can come",
		 r->vcpu);
	assert_memory_equal(r->message, want, strlen(want));
	for (unsigned int v = 0; v < 4; v++)
		assert_true(stats(td, v).tdvmcalls[VMM_TDVMCALL_HLT] >= 1);
	vmm_td_destroy(td);
}

/* The SetupEventNotifyInterrupt exits, seen and left to the VMM. */
struct notify_seen {
	unsigned int n, vcpu;
	uint8_t vector;
};

static void notify_handler(void *opaque, struct vmm_td *td, struct tdxsim_exit *ex)
{
	struct notify_seen *seen = opaque;

	(void)td;
	if (ex->reason == TDXSIM_EXIT_SETUP_EVENT_NOTIFY) {
		seen->n++;
		seen->vcpu = ex->vcpu;
		seen->vector = ex->notify.vector;
	}
	ex->use_default = true;
}

/* SetupEventNotifyInterrupt on vCPU 1; vCPU 0's GetQuote: the vector goes to vCPU 1. */
static void test_notify_after_get_quote(void **state)
{
	struct serial_capture out;
	struct vmm_td *td = create(NOTIFY, 2, &out);
	struct notify_seen seen = {0};

	(void)state;
	assert_int_equal(tdxsim_td_set_exits(td, TDXSIM_EXIT_BIT(TDXSIM_EXIT_SETUP_EVENT_NOTIFY)),
			 0);
	tdxsim_td_set_exit_handler(td, notify_handler, &seen);
	assert_int_equal(vmm_td_run(td), 0);
	expect_poweroff(td);
	assert_string_equal(out.buf, "setup: 0\n"
				     "quote: 0, status 0\n");
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.vector, 0x70);
	assert_int_equal(seen.vcpu, 1);
	assert_int_equal(stats(td, 0).interrupts, 0);
	assert_int_equal(stats(td, 1).interrupts, 2); /* the wake-up IPI, the notification */
	assert_int_equal(stats(td, 0).tdvmcalls[VMM_TDVMCALL_GET_QUOTE], 1);
	vmm_td_destroy(td);
}

/* An IPI ends AP 1's tdx_safe_halt and its handler runs there with the vector sent. */
static void test_ipi_wakes_safe_halt(void **state)
{
	struct serial_capture out;
	struct vmm_td *td = create(IPI, 2, &out);

	(void)state;
	assert_int_equal(vmm_td_run(td), 0);
	expect_poweroff(td);
	assert_string_equal(out.buf, "cpu 1: vector 41 handled on cpu 1\n"
				     "handled 1\n");
	assert_int_equal(stats(td, 0).ipis, 2); /* wake-up, 0x41 */
	assert_int_equal(stats(td, 1).interrupts, 2);
	vmm_td_destroy(td);
}

/*
 * Every vCPU reports a fatal error at the same moment, each with its own code, GPA and
 * message: the result is one of them, whole (vCPU, code, GPA and message all that vCPU's),
 * however the stops interleave. Several runs, so that the stops really do collide.
 */
static void test_simultaneous_fatal_errors(void **state)
{
	(void)state;
	for (unsigned int run = 0; run < 8; run++) {
		struct serial_capture out;
		struct vmm_td *td = create(FATAL, 4, &out);
		const struct vmm_td_result *r;
		uint64_t code;
		char want[96];
		unsigned int v;

		assert_int_equal(vmm_td_run(td), 0);
		r = vmm_td_result(td);
		v = r->vcpu;
		code = (1ULL << 63) /* R12 bit 63: R13 is a GPA */ | (0x100 + v);
		assert_int_equal(r->reason, VMM_STOP_FATAL_ERROR);
		assert_int_equal(r->exit_status, 1);
		assert_in_range(v, 0, 3);
		assert_int_equal(r->code, code);
		assert_int_equal(r->gpa, 0x1000ULL * (v + 1));
		snprintf(want, sizeof(want),
			 "vCPU %u: guest fatal error 0x%llx: fatal race vCPU %u", v,
			 (unsigned long long)code, v);
		assert_string_equal(r->message, want);
		assert_string_equal(out.buf, "");
		vmm_td_destroy(td);
	}
}

/*
 * Four vCPUs accept the same 32 pages at the same moment, five times: the EPT violations
 * race for the PAGE.AUGs, a loser re-enters and finds the page. Each page is added once and
 * accepted once, every run ends by itself with status 0: the no-progress watch
 * (VMM_NO_PROGRESS_LIMIT) never takes these retries for a guest that cannot go on.
 */
static void test_accept_race_makes_progress(void **state)
{
	(void)state;
	for (unsigned int run = 0; run < 5; run++) {
		struct serial_capture out;
		struct vmm_td *td = create(ACCEPT, 4, &out);
		uint64_t augs = 0, epts = 0;

		assert_int_equal(vmm_td_run(td), 0);
		expect_poweroff(td);
		assert_string_equal(out.buf,
				    "4 vCPUs: 32 pages accepted once, 96 already, sum 0\n");
		for (unsigned int v = 0; v < 4; v++) {
			augs += stats(td, v).aug_pages;
			epts += stats(td, v).exits[EXIT_REASON_EPT_VIOLATION];
		}
		assert_int_equal(augs, 32);
		assert_true(epts >= 32);
		vmm_td_destroy(td);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smp_all_vcpus),
		cmocka_unit_test(test_icr),
		cmocka_unit_test(test_post_wakes_blocked_halt),
		cmocka_unit_test(test_stop_with_halted_vcpus),
		cmocka_unit_test(test_all_halted_stops),
		cmocka_unit_test(test_notify_after_get_quote),
		cmocka_unit_test(test_ipi_wakes_safe_halt),
		cmocka_unit_test(test_simultaneous_fatal_errors),
		cmocka_unit_test(test_accept_race_makes_progress),
	};

	if (argc != 1 + NR_ELFS) {
		fprintf(stderr,
			"usage: %s irq_smp irq_icr irq_post irq_stop irq_notify irq_ipi "
			"irq_fatal irq_accept\n",
			argv[0]);
		return 2;
	}
	for (unsigned int i = 0; i < NR_ELFS; i++)
		elf[i] = argv[1 + i];
	return cmocka_run_group_tests(tests, vmm_machine_setup, vmm_machine_teardown);
}
