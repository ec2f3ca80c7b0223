// SPDX-License-Identifier: MIT
/*
 * `tdxsim run --cpu system` as a user meets it: each example prints exactly what it prints on
 * the native backend and exits the same way, TDXSIM_CPU chooses the backend for whole runs,
 * and what cannot work is a sentence with exit status 125 (an unknown backend, QEMU missing,
 * --gdb). Arguments: the tdxsim command, then the
 * example images. Skips (77) when qemu-system-x86_64 is not installed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/support/vmm_machine.h"

static const char *tdxsim;
static char **examples;
static int nr_examples;

static char out[2][8192];

static int run(char *buf, const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return vmm_command(cmd, buf, sizeof(out[0]));
}

/* The same guest output and exit status on both backends (stdout only: the summary differs). */
static void test_examples_same_output(void **state)
{
	(void)state;
	for (int i = 0; i < nr_examples; i++) {
		int native = run(out[0], "%s run --quiet --cpu native %s 2>/dev/null", tdxsim,
				 examples[i]);
		int system = run(out[1], "%s run --quiet --cpu system %s 2>/dev/null", tdxsim,
				 examples[i]);

		assert_int_equal(native, 0);
		assert_int_equal(system, native);
		assert_true(out[0][0]);
		assert_string_equal(out[1], out[0]);
	}
}

/* TDXSIM_CPU=system does what --cpu system does (QEMU is looked for); --cpu wins over it. */
static void test_env(void **state)
{
	(void)state;
	assert_int_equal(run(out[0],
			     "TDXSIM_QEMU=/nonexistent/qemu TDXSIM_CPU=system %s run %s 2>&1",
			     tdxsim, examples[0]),
			 125);
	assert_non_null(strstr(out[0], "tdxsim: the system CPU backend: cannot find QEMU "));
	assert_int_equal(run(out[1],
			     "TDXSIM_QEMU=/nonexistent/qemu TDXSIM_CPU=system %s run --quiet --cpu "
			     "native %s 2>&1",
			     tdxsim, examples[0]),
			 0);
}

static void test_errors(void **state)
{
	(void)state;
	assert_int_equal(run(out[0], "%s run --cpu kvm %s 2>&1", tdxsim, examples[0]), 125);
	assert_string_equal(out[0], "tdxsim: --cpu: 'kvm' is not native or system\n");
	assert_int_equal(run(out[0], "TDXSIM_CPU=kvm %s run %s 2>&1", tdxsim, examples[0]), 125);
	assert_string_equal(out[0], "tdxsim: TDXSIM_CPU: 'kvm' is not native or system\n");
	assert_int_equal(run(out[0], "%s run --cpu system --gdb %s 2>&1", tdxsim, examples[0]),
			 125);
	assert_string_equal(out[0], "tdxsim: --gdb debugs guest code run by the native CPU "
				    "backend; it cannot follow the system backend's\n");
	assert_int_equal(run(out[0],
			     "TDXSIM_QEMU=/nonexistent/qemu %s run --quiet --cpu system %s 2>&1",
			     tdxsim, examples[0]),
			 125);
	assert_non_null(strstr(out[0], "tdxsim: the system CPU backend: cannot find QEMU "
				       "'/nonexistent/qemu'"));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_examples_same_output),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_errors),
	};

	if (argc < 3) {
		fprintf(stderr, "usage: %s TDXSIM EXAMPLE.elf...\n", argv[0]);
		return 2;
	}
	if (vmm_command("command -v ${TDXSIM_QEMU:-qemu-system-x86_64} >/dev/null", out[0],
			sizeof(out[0])) != 0) {
		printf("SKIP: qemu-system-x86_64 is not installed (Debian: qemu-system-x86; "
		       "`make deps` installs it)\n");
		return 77;
	}
	tdxsim = argv[1];
	examples = argv + 2;
	nr_examples = argc - 2;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
