// SPDX-License-Identifier: MIT
/*
 * Debugging a guest (docs/GUEST.md "Debugging a guest"), with gdb in batch mode on the
 * debugme guest: `tdxsim run --gdb=FILE` and scripts/tdxsim-gdb.py given to gdb directly,
 * with the gate and with the trapping SEAMCALL/TDCALL opcodes, with CPUID handled as the host
 * allows and with rewriting forced. Each run must stop in the guest's main on its first line,
 * print its locals exactly, step over calls (one of which takes the machine's own single-step
 * trap), hit a breakpoint set on a guest function before `run`, and continue to the end with
 * the guest's serial output and exit status (12), without a SIGTRAP ever reaching gdb or
 * tdxsim; an INT3 of the guest's own stops gdb and then resumes, or reaches the guest's IDT
 * as without gdb. Skipped when gdb is not installed (`make deps` installs it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/support/vmm_machine.h"

static const char *guest, *guest_int3, *guest_spin, *hello, *source, *tdxsim, *script;
static unsigned int main_line, probe_line, printf_line, spin_line;
static char out[1 << 18];

/* The four ways the machine can run the guest. */
static const char *const modes[][2] = {
	{"", ""},
	{"", "--seamcall insn"},
	{"TDXSIM_CPUID=rewrite", ""},
	{"TDXSIM_CPUID=rewrite", "--seamcall insn"},
};

/* The number of the line of debugme.c that carries "debugme: WHAT line". */
static unsigned int marker_line(const char *what)
{
	char line[512], marker[64];
	unsigned int n = 0;
	FILE *f = fopen(source, "r");

	assert_non_null(f);
	snprintf(marker, sizeof(marker), "debugme: %s line", what);
	while (fgets(line, sizeof(line), f)) {
		n++;
		if (strstr(line, marker)) {
			fclose(f);
			return n;
		}
	}
	fclose(f);
	fail_msg("no '%s' in %s", marker, source);
	return 0;
}

static bool has(const char *fmt, ...)
{
	char want[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	if (strstr(out, want))
		return true;
	fprintf(stderr, "missing \"%s\" in the output:\n%s\n", want, out);
	return false;
}

static bool lacks(const char *what)
{
	if (!strstr(out, what))
		return true;
	fprintf(stderr, "\"%s\" in the output:\n%s\n", what, out);
	return false;
}

/*
 * What every run must show: the image where tdxsim says it is, the guest's line and exit
 * status, and no trap reaching gdb or ending tdxsim. LeakSanitizer cannot work under a
 * debugger (it ptraces the process itself), so the sanitized tdxsim runs without it here.
 */
static int gdb_command(const char *env, const char *cmd)
{
	char full[2560];

	snprintf(full, sizeof(full),
		 "env -u TDXSIM_GDB -u TDXSIM_GDB_SCRIPT "
		 "ASAN_OPTIONS=\"$ASAN_OPTIONS:detect_leaks=0\" %s timeout 120 %s 2>&1 </dev/null",
		 env, cmd);
	return vmm_command(full, out, sizeof(out));
}

static void run_gdb_for(const char *env, const char *cmd, int status, const char *serial)
{
	char line[256];
	const char *p, *q;

	assert_int_equal(gdb_command(env, cmd), status);
	assert_true(has("%s", serial));
	assert_true(has(status ? "exited with code 0%o]" : "exited normally]", status));
	assert_true(lacks("terminated"));
	assert_true(lacks("received signal"));
	assert_true(lacks("Python Exception"));
	/* "tdxsim: guest PATH loaded at 0x..." and tdxsim's own "guest image at 0x...". */
	p = strstr(out, " loaded at 0x");
	q = strstr(out, "tdxsim: guest image at 0x");
	assert_non_null(p);
	assert_non_null(q);
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(p + 11, "\n"), p + 11);
	assert_true(has("tdxsim: guest image at %s\n", line));
}

static void run_gdb(const char *env, const char *cmd, int status)
{
	run_gdb_for(env, cmd, status, "debugme: answer 42\n");
}

static void skip_without_gdb(void)
{
	char v[256];

	if (vmm_command("gdb --version 2>/dev/null", v, sizeof(v)) != 0) {
		fprintf(stderr,
			"test_gdb: gdb is not installed (make deps installs it): skipped\n");
		skip();
	}
}

/* tdxsim run --gdb=FILE: stop in main, step, print, continue to the end. */
static void test_tool(void **state)
{
	char cmds[] = "/tmp/tdxsim-gdb-XXXXXX", cmd[1024];
	static const char text[] =
		"frame\nnext\nnext\nprint answer\nnext\nprint answer\ncontinue\n";
	int fd;

	(void)state;
	skip_without_gdb();
	fd = mkstemp(cmds);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		snprintf(cmd, sizeof(cmd), "%s run %s %s --gdb=%s", tdxsim, guest, modes[m][1],
			 cmds);
		run_gdb(modes[m][0], cmd, 12);
		assert_true(lacks("SIGTRAP"));
		assert_true(has("main () at "));
		assert_true(has("debugme.c:%u\n", main_line));
		assert_true(has("#0  main () at "));
		assert_true(has("$1 = 41\n"));
		assert_true(has("\n%u\t\ttdx_printf(", printf_line));
		assert_true(has("$2 = 42\n"));
	}
	unlink(cmds);
}

/* The script given to gdb: a breakpoint on a guest function set before `run` hits. */
static void test_script(void **state)
{
	char cmd[2048];

	(void)state;
	skip_without_gdb();
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		snprintf(cmd, sizeof(cmd),
			 "gdb -q -nx -batch -x %s -ex 'break debugme_probe' -ex run -ex continue "
			 "-ex 'print x' -ex bt -ex finish -ex continue -ex tdxsim-quit "
			 "--args %s run %s %s",
			 script, tdxsim, guest, modes[m][1]);
		run_gdb(modes[m][0], cmd, 12);
		assert_true(lacks("SIGTRAP"));
		assert_true(has("Breakpoint 2 (debugme_probe) pending."));
		assert_true(has("main () at "));
		assert_true(has("debugme.c:%u\n", main_line));
		assert_true(has("Breakpoint 2, debugme_probe (x=41) at "));
		assert_true(has("debugme.c:%u\n", probe_line));
		assert_true(has("$1 = 41\n"));
		assert_true(has("#1  0x"));
		assert_true(has(" in main () at "));
		assert_true(has("Value returned is $2 = 42\n"));
	}
}

/*
 * The guest's own INT3 stops gdb with the PC after it; `continue` resumes there (status 12),
 * `signal SIGTRAP` delivers #BP to the guest, whose SDK reports it fatal (126), as without
 * gdb.
 */
static void test_int3(void **state)
{
	static const char *const how[] = {"continue", "'signal SIGTRAP'"};
	char cmd[2048];

	(void)state;
	skip_without_gdb();
	for (size_t i = 0; i < 2; i++) {
		snprintf(cmd, sizeof(cmd),
			 "gdb -q -nx -batch -x %s -ex run -ex continue -ex 'x/i $pc - 1' -ex %s "
			 "-ex tdxsim-quit --args %s run %s",
			 script, how[i], tdxsim, guest_int3);
		run_gdb("", cmd, i == 0 ? 12 : 126);
		if (i == 1)
			assert_true(has("guest fatal error: #BP"));
		assert_true(has("tdxsim: the guest's own INT3: `continue` resumes after it"));
		assert_true(has("hit Catchpoint 1 (signal SIGTRAP), main () at "));
		assert_true(has(">:\tint3\n"));
	}
}

/*
 * A hardware breakpoint on the instruction after an STI the machine completed stops there,
 * and a step from it, which the machine's own single step coincides with, moves on by one
 * instruction; the program then runs to its end.
 */
static void test_after_sti(void **state)
{
	char cmd[2048];

	(void)state;
	skip_without_gdb();
	for (size_t m = 0; m < 2; m++) {
		snprintf(cmd, sizeof(cmd),
			 "gdb -q -nx -batch -x %s -ex run -ex 'break *debugme_after_sti' -ex "
			 "continue "
			 "-ex stepi -ex 'x/i $pc' -ex continue -ex tdxsim-quit --args %s run %s %s",
			 script, tdxsim, guest, modes[m][1]);
		run_gdb(modes[m][0], cmd, 12);
		assert_true(lacks("SIGTRAP"));
		assert_true(has("hit Breakpoint 3, 0x"));
		assert_true(has(" in debugme_irq_enable () at "));
		assert_true(has("<debugme_irq_enable+"));
		assert_true(lacks("on_trap"));
	}
}

/* An optimised guest (hello, -O2) unwinds to crt0 from .debug_frame (guest_cflags). */
static void test_bt_optimised(void **state)
{
	char cmd[2048];

	(void)state;
	skip_without_gdb();
	snprintf(cmd, sizeof(cmd),
		 "gdb -q -nx -batch -x %s -ex run -ex bt -ex continue -ex tdxsim-quit "
		 "--args %s run %s",
		 script, tdxsim, hello);
	run_gdb_for("", cmd, 0, "PCI test device says \"TDXSIMTD\"\n");
	assert_true(has("#0  main () at "));
	assert_true(has(" in tdx_guest_start ("));
	assert_true(has(" in _start () at "));
}

/*
 * SIGINT while the guest spins (Ctrl-C) stops the program in gdb, with the thread that runs
 * the guest selected, instead of stopping the TD: tdxsim leaves SIGINT to the debugger.
 */
static void test_interrupt(void **state)
{
	char cmd[2048];

	(void)state;
	skip_without_gdb();
	snprintf(cmd, sizeof(cmd),
		 "gdb -q -nx -batch -x %s -ex run "
		 "-ex 'python import subprocess; subprocess.Popen([\"sh\", \"-c\", \"sleep 1; "
		 "kill -INT %%d\" %% gdb.selected_inferior().pid])' "
		 "-ex continue -ex bt -ex 'print debugme_sink > 0' -ex kill --args %s run %s",
		 script, tdxsim, guest_spin);
	assert_int_equal(gdb_command("", cmd), 0);
	assert_true(has("debugme: answer 42\n"));
	assert_true(has("received signal SIGINT, Interrupt."));
	assert_true(has("tdxsim: thread 2 runs the guest:\n#0  "));
	assert_true(has("debugme.c:%u\n", spin_line));
	assert_true(has(" in main () at "));
	assert_true(has("$1 = 1\n"));
	assert_true(has("[Inferior 1 (process "));
	assert_true(has(" killed]"));
	assert_true(lacks("stopping the TD"));
	assert_true(lacks("Python Exception"));
}

/*
 * On the system backend ($TDXSIM_CPU=system) guest code runs in QEMU, not in the tdxsim
 * process gdb debugs, so no breakpoint in it could hit: `tdxsim run --gdb` and a run under
 * the gdb script (which sets TDXSIM_DEBUGGER) are refused with a sentence and status 125
 * before anything starts, instead of running the guest past every breakpoint.
 */
static void test_refused_on_system(void **state)
{
	char cmds[] = "/tmp/tdxsim-gdb-XXXXXX", cmd[2048];
	int fd;

	(void)state;
	skip_without_gdb();
	fd = mkstemp(cmds);
	assert_true(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "%s run %s --gdb=%s", tdxsim, guest, cmds);
	assert_int_equal(gdb_command("", cmd), 125);
	assert_true(has("tdxsim: --gdb debugs guest code run by the native CPU backend; it "
			"cannot follow the system backend's\n"));
	assert_true(lacks("debugme: answer"));
	unlink(cmds);
	snprintf(cmd, sizeof(cmd),
		 "gdb -q -nx -batch -x %s -ex 'break debugme_probe' -ex run --args %s run %s",
		 script, tdxsim, guest);
	gdb_command("", cmd);
	assert_true(has("tdxsim: gdb (TDXSIM_DEBUGGER is set) debugs guest code run by the "
			"native CPU backend; it cannot follow the system backend's\n"));
	assert_true(has("exited with code 0175]"));
	assert_true(lacks("debugme: answer"));
}

int main(int argc, char **argv)
{
	const char *cpu = getenv("TDXSIM_CPU");
	const struct CMUnitTest system_tests[] = {
		cmocka_unit_test(test_refused_on_system),
	};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tool),	  cmocka_unit_test(test_script),
		cmocka_unit_test(test_int3),	  cmocka_unit_test(test_bt_optimised),
		cmocka_unit_test(test_interrupt), cmocka_unit_test(test_after_sti),
	};

	if (argc != 8) {
		fprintf(stderr,
			"usage: %s debugme.elf debugme_int3.elf debugme_spin.elf hello.elf "
			"debugme.c "
			"tdxsim tdxsim-gdb.py\n",
			argv[0]);
		return 2;
	}
	guest = argv[1];
	guest_int3 = argv[2];
	guest_spin = argv[3];
	hello = argv[4];
	source = argv[5];
	tdxsim = argv[6];
	script = argv[7];
	main_line = marker_line("main");
	probe_line = marker_line("probe");
	printf_line = marker_line("printf");
	spin_line = marker_line("spin");
	if (cpu && !strcmp(cpu, "system"))
		return cmocka_run_group_tests(system_tests, NULL, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
