// SPDX-License-Identifier: MIT
/*
 * The guest runtime's own services in a real TD (guests built with the SDK, run on the real
 * module through the VMM library): tdx_printf's formats (printf_guest.c), the #VE handler's
 * page-crossing check of MMIO (split_guest.c), constructors and destructors (ctor_guest.c),
 * serial input from stdin through `tdxsim run` (echo_guest.c), stack overflow into the guard
 * pages (stack_guest.c).
 *
 * Arguments: printf_guest.elf split_guest.elf ctor_guest.elf echo_guest.elf stack_guest.elf
 * tdxsim
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <tdxsim/vmm.h>

#include "platform/platform.h"
#include "vmm/bus.h"
#include "vmm/vmm_internal.h"
#include "tests/guest/guest_rt.h"
#include "tests/guest/printf_cases.h"
#include "tests/support/vmm_machine.h"

static const char *printf_elf, *split_elf, *ctor_elf, *echo_elf, *stack_elf, *tdxsim;

/* Build @elf with @nr_vcpus and the boot options; its serial output goes to @serial. */
static struct vmm_td *create(const char *elf, unsigned nr_vcpus, uint64_t boot_opts,
			     struct serial_capture *serial)
{
	struct vmm_td_config cfg;
	struct vmm_td *td = NULL;
	char err[256] = "";

	platform_claim_signals();
	memset(serial, 0, sizeof(*serial));
	vmm_td_config_default(&cfg);
	cfg.nr_vcpus = nr_vcpus;
	cfg.boot_opts = boot_opts;
	cfg.serial = serial_capture_sink;
	cfg.serial_opaque = serial;
	if (vmm_td_create(&cfg, elf, &td, err, sizeof(err)))
		fail_msg("vmm_td_create(%s): %s", elf, err);
	return td;
}

static struct vmm_td *run(const char *elf, unsigned nr_vcpus, struct serial_capture *serial)
{
	struct vmm_td *td = create(elf, nr_vcpus, 0, serial);

	assert_int_equal(vmm_td_run(td), 0);
	return td;
}

static void expect_poweroff(struct vmm_td *td, int status)
{
	const struct vmm_td_result *res = vmm_td_result(td);

	if (res->reason != VMM_STOP_POWEROFF || res->exit_status != status)
		fail_msg("stop %s status %d \"%s\", want POWEROFF %d",
			 vmm_stop_reason_name(res->reason), res->exit_status, res->message, status);
}

#define HOST_PRINT(...)                                                                            \
	do {                                                                                       \
		char line[512];                                                                    \
		int n = snprintf(line, sizeof(line), __VA_ARGS__);                                 \
		len += (size_t)snprintf(want + len, sizeof(want) - len, "%s=%d\n", line, n);       \
	} while (0);

/* tdx_printf in the TD prints what the host's snprintf prints, and returns the same count. */
static void test_printf(void **state)
{
	static struct serial_capture serial;
	static char want[4096];
	size_t len = 0;
	struct vmm_td *td;

	(void)state;
	PRINTF_CASES(HOST_PRINT)
	assert_true(len < sizeof(serial.buf) - 1);
	td = run(printf_elf, 1, &serial);
	expect_poweroff(td, 0);
	assert_string_equal(serial.buf, want);
	vmm_td_destroy(td);
}

/* The recorder behind the split guest's MMIO page: known values, every access kept. */
struct rec {
	struct {
		uint64_t off;
		unsigned size;
		bool write;
		uint64_t value;
	} a[16];
	size_t n;
};

static void rec_mmio(void *opaque, uint64_t off, void *data, unsigned size, bool write)
{
	struct rec *r = opaque;
	uint64_t v = GRT_SPLIT_VALUE(off, size);

	if (write)
		memcpy(&v, data, size);
	else
		memcpy(data, &v, size);
	if (r->n < sizeof(r->a) / sizeof(r->a[0]))
		r->a[r->n].off = off, r->a[r->n].size = size, r->a[r->n].write = write,
		r->a[r->n].value = v;
	r->n++;
}

static struct vmm_td *run_split(unsigned scenario, struct serial_capture *serial, struct rec *r)
{
	struct vmm_td *td = create(split_elf, 1, (uint64_t)scenario << GRT_SCN_SHIFT, serial);

	memset(r, 0, sizeof(*r));
	assert_int_equal(
		vmm_bus_register_mmio(&td->bus, GRT_SPLIT_MMIO_GPA, 4096, rec_mmio, r, "rec"), 0);
	assert_int_equal(vmm_td_run(td), 0);
	return td;
}

/* Accesses inside the MMIO page, at its start and its end, and just before it. */
static void test_mmio_no_split(void **state)
{
	static struct serial_capture serial;
	static struct rec r;
	char want[256];
	struct vmm_td *td;

	(void)state;
	td = run_split(GRT_SPLIT_OK, &serial, &r);
	expect_poweroff(td, 0);
	snprintf(want, sizeof(want),
		 "split: scenario 0\n8 at 0: 0x%llx\n4 at 0xffc: 0x%llx\n8 before: "
		 "0xeeeeeeeeeeeeeeee\n",
		 (unsigned long long)GRT_SPLIT_VALUE(0, 8),
		 (unsigned long long)GRT_SPLIT_VALUE(0xFFC, 4));
	assert_string_equal(serial.buf, want);
	assert_int_equal(r.n, 3);
	assert_true(r.a[0].off == 0 && r.a[0].size == 8 && !r.a[0].write);
	assert_true(r.a[1].off == 0xFFC && r.a[1].size == 4 && !r.a[1].write);
	assert_true(r.a[2].off == 0xFFE && r.a[2].size == 2 && r.a[2].write &&
		    r.a[2].value == 0xABCD);
	vmm_td_destroy(td);
}

/*
 * A load and a store that start in the mapped page before the MMIO page and run into it: a
 * fatal error naming the operand's address (the #VE's GLA would be the MMIO page's start,
 * and the access would have been made there), nothing reaches the device.
 */
static void expect_split(unsigned scenario, unsigned size, uint64_t back)
{
	static struct serial_capture serial;
	static struct rec r;
	const struct vmm_td_result *res;
	char want[256];
	struct vmm_td *td;
	uint64_t window, ea;

	td = run_split(scenario, &serial, &r);
	res = vmm_td_result(td);
	window = vmm_td_image_base(td) - VMM_IMAGE_GPA;
	ea = window + (1ULL << TDXSIM_WINDOW_GPA_BITS) + GRT_SPLIT_MMIO_GPA - back;
	snprintf(want, sizeof(want),
		 "vCPU 0: guest fatal error: MMIO %u bytes at 0x%llx cross a page RIP 0x", size,
		 (unsigned long long)ea);
	if (res->reason != VMM_STOP_FATAL_ERROR || strncmp(res->message, want, strlen(want)) ||
	    !strstr(res->message, " = split_guest.elf+0x") || !strstr(res->message, " <main+0x"))
		fail_msg("stop %s \"%s\", want FATAL_ERROR \"%s...\"",
			 vmm_stop_reason_name(res->reason), res->message, want);
	snprintf(want, sizeof(want), "split: scenario %u\n", scenario);
	assert_string_equal(serial.buf, want);
	assert_int_equal(r.n, 0);
	vmm_td_destroy(td);
}

static void test_mmio_split_load(void **state)
{
	(void)state;
	expect_split(GRT_SPLIT_LOAD, 8, 4);
}

static void test_mmio_split_store(void **state)
{
	(void)state;
	expect_split(GRT_SPLIT_STORE, 4, 2);
}

/*
 * Constructors ran before main in the ELF ABI's order (.preinit_array, then .init_array by
 * priority, then the unnumbered entries in index order), destructors at exit in reverse.
 * The entries are relocated pointers: unrelocated, the first call would fault.
 */
static void expect_ctor(unsigned scenario, const char *out, int status)
{
	static struct serial_capture serial;
	const struct vmm_td_result *res;
	struct vmm_td *td = create(ctor_elf, 1, (uint64_t)scenario << GRT_SCN_SHIFT, &serial);

	assert_int_equal(vmm_td_run(td), 0);
	res = vmm_td_result(td);
	assert_string_equal(serial.buf, out);
	assert_int_equal(res->exit_status, status);
	vmm_td_destroy(td);
}

static void test_constructors(void **state)
{
	static const char dtors[] = "fini_array[1]\nfini_array[0]\ndestructor(200)\n"
				    "destructor(101)\n";
	char out[256];

	(void)state;

	snprintf(out, sizeof(out), "main: Pabcdm\n%s", dtors);
	expect_ctor(0, out, 3);
	expect_ctor(1, out, 4);
	/* A destructor that exits: the others are not run a second time, nor the rest. */
	expect_ctor(2, "main: Pabcdm\nfini_array[1]\n", 6);
}

/*
 * `tdxsim run` with stdin piped into COM1: @input through `printf` into the echo guest (or
 * /dev/null when NULL). Returns tdxsim's status; in @out its stdout (the guest's serial
 * output), or its stderr with @err.
 */
static int run_echo(const char *input, bool err, char *out, size_t cap)
{
	const char *redir = err ? "2>&1 >/dev/null" : "2>/dev/null";
	char cmd[1024];

	if (input)
		snprintf(cmd, sizeof(cmd), "printf '%s' | %s run %s --quiet %s", input, tdxsim,
			 echo_elf, redir);
	else
		snprintf(cmd, sizeof(cmd), "%s run %s --quiet </dev/null %s", tdxsim, echo_elf,
			 redir);
	return vmm_command(cmd, out, cap);
}

/* Whole lines, a 'q' ends it: exactly the bytes echoed, nothing left to read after it. */
static void test_serial_input(void **state)
{
	static char out[16384];

	(void)state;
	assert_int_equal(run_echo("hello\\nworld\\n\\001\\377 q", false, out, sizeof(out)), 0);
	assert_string_equal(out, "echo: ready\nhello\nworld\n\001\377 \nafter q: -1 -1 -1\n"
				 "bye 15\n");
}

/* More than the UART's receive queue (4096) in one go: none of it dropped. */
static void test_serial_input_long(void **state)
{
	static char out[16384], want[16384], cmd[1024];
	size_t len;

	(void)state;
	snprintf(cmd, sizeof(cmd),
		 "{ head -c 10000 /dev/zero | tr '\\000' x; printf q; } | %s run %s --quiet "
		 "2>/dev/null",
		 tdxsim, echo_elf);
	assert_int_equal(vmm_command(cmd, out, sizeof(out)), 0);
	len = (size_t)snprintf(want, sizeof(want), "echo: ready\n");
	memset(want + len, 'x', 10000);
	snprintf(want + len + 10000, sizeof(want) - len - 10000,
		 "\nafter q: -1 -1 -1\nbye 10000\n");
	assert_string_equal(out, want);
}

/*
 * EOF before the 'q' (and stdin /dev/null): what came is echoed, then the guest waits in
 * tdx_getc() for input that cannot come, and the TD stops (no progress, status 126) instead
 * of waiting for ever.
 */
static void expect_eof(const char *input, const char *echoed)
{
	static char out[16384];
	char want[256];
	const char *stop = "tdxsim: TD stopped: no progress - vCPU 0: no progress: all 1 vCPUs "
			   "halted, no interrupt pending and none can come; this one halted at "
			   "RIP 0x";

	assert_int_equal(run_echo(input, false, out, sizeof(out)), 126);
	snprintf(want, sizeof(want), "echo: ready\n%s", echoed);
	assert_string_equal(out, want);
	assert_int_equal(run_echo(input, true, out, sizeof(out)), 126);
	if (!strstr(out, stop) || !strstr(out, "= echo_guest.elf+0x") ||
	    !strstr(out, " <tdx_safe_halt+0x"))
		fail_msg("stderr \"%s\", want \"%s...\"", out, stop);
}

static void test_serial_input_eof(void **state)
{
	(void)state;
	expect_eof("abc", "abc");
	expect_eof(NULL, "");
}

/*
 * A recursion without bound ends at the guard page below its stack: the VMM stops the TD
 * with VMM_STOP_STACK_OVERFLOW naming the vCPU, the GPA (in the guard page the guest
 * printed) and the stack, instead of adding the page; and the image's MRTD as `tdxsim
 * measure` computes it (vmm_td_measure) is the module's, holes and all.
 */
static void expect_overflow(unsigned scenario, unsigned nr_vcpus, unsigned vcpu, const char *stack)
{
	static struct serial_capture serial;
	const struct vmm_td_result *res;
	struct vmm_td_config cfg;
	uint8_t mrtd[48], measured[48];
	unsigned long guard = 0;
	char want[256], err[256];
	struct vmm_td *td =
		create(stack_elf, nr_vcpus, (uint64_t)scenario << GRT_SCN_SHIFT, &serial);

	vmm_td_config_default(&cfg);
	cfg.nr_vcpus = nr_vcpus;
	cfg.boot_opts = (uint64_t)scenario << GRT_SCN_SHIFT;
	assert_int_equal(vmm_td_measure(&cfg, stack_elf, measured, err, sizeof(err)), 0);
	assert_int_equal(vmm_td_mrtd(td, mrtd), 0);
	assert_memory_equal(mrtd, measured, sizeof(mrtd));
	assert_int_equal(vmm_td_run(td), 0);
	res = vmm_td_result(td);
	snprintf(want, sizeof(want), "stack: %s, guard 0x%%lx\n", vcpu ? "vCPU 1" : "boot");
	if (sscanf(serial.buf, want, &guard) != 1)
		fail_msg("serial \"%s\"", serial.buf);
	snprintf(want, sizeof(want), "stack: %s, guard 0x%lx\n", vcpu ? "vCPU 1" : "boot", guard);
	assert_string_equal(serial.buf, want);
	assert_int_equal(res->reason, VMM_STOP_STACK_OVERFLOW);
	assert_int_equal(res->vcpu, vcpu);
	assert_int_equal(res->gpa & ~0xFFFULL, guard);
	snprintf(want, sizeof(want),
		 "vCPU %u: stack overflow: GPA 0x%llx is the guard page below the %s; RIP 0x", vcpu,
		 (unsigned long long)res->gpa, stack);
	if (strncmp(res->message, want, strlen(want)) ||
	    !strstr(res->message, " = stack_guest.elf+0x") || !strstr(res->message, " <recurse+0x"))
		fail_msg("message \"%s\", want \"%s... <recurse+0x...>\"", res->message, want);
	assert_string_equal(vmm_stop_reason_name(res->reason), "stack overflow");
	vmm_td_destroy(td);
}

static void test_stack_overflow_boot(void **state)
{
	(void)state;
	expect_overflow(0, 1, 0, "boot stack");
}

static void test_stack_overflow_ap(void **state)
{
	(void)state;
	expect_overflow(1, 2, 1, "AP stack of vCPU 1");
}

/* Through tdxsim run: status 126 and the stop line. */
static void test_stack_overflow_tdxsim(void **state)
{
	static char out[16384];
	char cmd[1024];

	(void)state;
	snprintf(cmd, sizeof(cmd), "%s run %s --quiet </dev/null 2>&1 >/dev/null", tdxsim,
		 stack_elf);
	assert_int_equal(vmm_command(cmd, out, sizeof(out)), 126);
	if (!strstr(out, "tdxsim: TD stopped: stack overflow - vCPU 0: stack overflow: GPA 0x") ||
	    !strstr(out, " is the guard page below the boot stack; RIP 0x"))
		fail_msg("stderr \"%s\"", out);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_printf),
		cmocka_unit_test(test_mmio_no_split),
		cmocka_unit_test(test_mmio_split_load),
		cmocka_unit_test(test_mmio_split_store),
		cmocka_unit_test(test_constructors),
		cmocka_unit_test(test_serial_input),
		cmocka_unit_test(test_serial_input_long),
		cmocka_unit_test(test_serial_input_eof),
		cmocka_unit_test(test_stack_overflow_boot),
		cmocka_unit_test(test_stack_overflow_ap),
		cmocka_unit_test(test_stack_overflow_tdxsim),
	};

	if (argc != 7) {
		fprintf(stderr,
			"usage: %s printf_guest.elf split_guest.elf ctor_guest.elf echo_guest.elf "
			"stack_guest.elf tdxsim\n",
			argv[0]);
		return 2;
	}
	printf_elf = argv[1];
	split_elf = argv[2];
	ctor_elf = argv[3];
	echo_elf = argv[4];
	stack_elf = argv[5];
	tdxsim = argv[6];
	return cmocka_run_group_tests(tests, vmm_machine_setup, vmm_machine_teardown);
}
