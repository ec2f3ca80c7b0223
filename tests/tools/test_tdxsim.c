// SPDX-License-Identifier: MIT
/*
 * The tdxsim command as a user meets it, through the built binary: the exit statuses of
 * docs/VMM.md "Exit status" (a guest's own status passed through up to 122, 123 with the real
 * value for any other, 125 for every failure of tdxsim itself in run, measure, host-init and
 * the dispatcher); --memory and --vcpus values, with their limits; guest files that are not
 * guests (a directory, missing, unreadable, the tdxsim binary, a PT_LOAD of almost 2^64
 * bytes); --trace naming the guest, an unwritable trace; --quiet; --machine with one meaning
 * in run and host-init; the help texts. Every check is of the exact stderr and status.
 *
 * Arguments: TDXSIM HELLO STATUS_122 STATUS_123 STATUS_256 STATUS_M1
 */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <tdxsim/vmm.h>

#include "tests/support/vmm_machine.h"

#define HELLO_OUT                                                                                  \
	"hello from a TD: GPAW 48, I/O path #VE, MMIO path #VE\n"                                  \
	"PCI test device says \"TDXSIMTD\"\n"
#define GUEST_IS "a tdxsim guest is an x86-64 static PIE linked with the SDK's tdxguest.ld"
#define MEMORY_MAX_MSG                                                                             \
	" is more than 3G, the most a TD has here: its private memory runs from GPA 0 up to the "  \
	"MMIO hole at 3 GiB (device BARs and the reset page below 4 GiB)\n"

static const char *tdxsim, *hello, *st122, *st123, *st256, *stm1;

/* What the last command wrote: stdout, stderr. */
static char out[16384], err[16384];

/* Run `tdxsim ARGS` (a shell command line after the binary); its status, out and err. */
__attribute__((format(printf, 1, 2))) static int tdx(const char *fmt, ...)
{
	char cmd[4096], args[2048], errpath[] = "/tmp/tdxsim-test-err-XXXXXX";
	va_list ap;
	FILE *f;
	size_t n;
	int fd = mkstemp(errpath), st;

	assert_true(fd >= 0);
	close(fd);
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "timeout 120 %s %s 2>%s", tdxsim, args, errpath);
	st = vmm_command(cmd, out, sizeof(out));
	f = fopen(errpath, "r");
	assert_non_null(f);
	n = fread(err, 1, sizeof(err) - 1, f);
	err[n] = 0;
	fclose(f);
	unlink(errpath);
	return st;
}

/* A temporary file holding @len bytes of @buf (or empty); its path in @path (64 bytes). */
static void temp_file(char *path, const void *buf, size_t len)
{
	int fd;

	strcpy(path, "/tmp/tdxsim-test-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	if (len)
		assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static uint8_t *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	b = malloc((size_t)n);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

/* ---- exit statuses ---- */

static void test_guest_statuses(void **state)
{
	char want[512];

	(void)state;
	assert_int_equal(tdx("run %s --quiet", hello), 0);
	assert_string_equal(out, HELLO_OUT);
	assert_string_equal(err, "");
	/* 122: the last status that passes through */
	assert_int_equal(tdx("run %s --quiet", st122), 122);
	assert_string_equal(out, "status 122\n");
	assert_string_equal(err, "");
	/* 123, 256 (which a shell would see as 0) and -1: 123, and stderr says which */
	assert_int_equal(tdx("run %s --quiet", st123), 123);
	assert_string_equal(err,
			    "tdxsim: TD stopped: poweroff, exit status 123 - the guest "
			    "powered off with status 123\n"
			    "tdxsim: exit status 123: the guest's status 123 is outside 0..122, "
			    "which pass through unchanged\n");
	assert_int_equal(tdx("run %s --quiet", st256), 123);
	assert_string_equal(out, "status 256\n");
	assert_string_equal(err,
			    "tdxsim: TD stopped: poweroff, exit status 256 - the guest "
			    "powered off with status 256\n"
			    "tdxsim: exit status 123: the guest's status 256 is outside 0..122, "
			    "which pass through unchanged\n");
	assert_int_equal(tdx("run %s --quiet", stm1), 123);
	assert_string_equal(err,
			    "tdxsim: TD stopped: poweroff, exit status -1 - the guest "
			    "powered off with status -1\n"
			    "tdxsim: exit status 123: the guest's status -1 is outside 0..122, "
			    "which pass through unchanged\n");
	/* Without --quiet the summary has the stop line, and the 123 line follows it */
	assert_int_equal(tdx("run %s", st256), 123);
	assert_non_null(strstr(err, "tdxsim: TD stopped: poweroff, exit status 256 - the guest "
				    "powered off with status 256\ntdxsim: MRTD "));
	snprintf(want, sizeof(want),
		 "tdxsim: exit status 123: the guest's status 256 is outside "
		 "0..122, which pass through unchanged\n");
	assert_non_null(strstr(err, want));
	assert_string_equal(strstr(err, want), want); /* the last line */
}

/* Every usage error of every subcommand: 125, with its message. */
static void test_usage_statuses(void **state)
{
	(void)state;
	assert_int_equal(tdx(" "), 125);
	assert_non_null(strstr(err, "usage: tdxsim COMMAND"));
	assert_int_equal(tdx("frobnicate"), 125);
	assert_true(
		!strncmp(err, "tdxsim: unknown command 'frobnicate'\nusage: tdxsim COMMAND", 57));
	assert_int_equal(tdx("--help"), 0);
	assert_non_null(strstr(out, "125 when tdxsim itself failed"));
	assert_int_equal(tdx("run"), 125);
	assert_true(!strncmp(err, "tdxsim: run: no GUEST.elf given\nusage: tdxsim run", 49));
	assert_int_equal(tdx("run %s %s", hello, hello), 125);
	assert_non_null(strstr(err, "tdxsim: run: one GUEST.elf, not "));
	assert_int_equal(tdx("run %s --bogus", hello), 125);
	assert_string_equal(err, "tdxsim: unknown option --bogus ('tdxsim run --help')\n");
	assert_int_equal(tdx("run %s -x", hello), 125);
	assert_string_equal(err, "tdxsim: unknown option -x ('tdxsim run --help')\n");
	assert_int_equal(tdx("run %s --memory", hello), 125);
	assert_string_equal(err, "tdxsim: --memory needs a value ('tdxsim run --help')\n");
	assert_int_equal(tdx("run %s --io-path fast", hello), 125);
	assert_string_equal(err, "tdxsim: --io-path: 'fast' is not direct or ve\n");
	assert_int_equal(tdx("run %s --mmio-path x", hello), 125);
	assert_string_equal(err, "tdxsim: --mmio-path: 'x' is not direct or ve\n");
	assert_int_equal(tdx("run %s --seamcall vmcall", hello), 125);
	assert_string_equal(err, "tdxsim: --seamcall: 'vmcall' is not gate or insn\n");
	assert_int_equal(tdx("measure %s --trace t.json", hello), 125);
	assert_string_equal(err, "tdxsim: --trace is an option of run, not of measure\n");
	assert_int_equal(tdx("measure"), 125);
	assert_true(
		!strncmp(err, "tdxsim: measure: no GUEST.elf given\nusage: tdxsim measure", 57));
	assert_int_equal(tdx("host-init extra"), 125);
	assert_true(!strncmp(err, "tdxsim: host-init takes no arguments ('extra')\nusage:", 53));
	assert_int_equal(tdx("host-init --module-version 9"), 125);
	assert_string_equal(err, "tdxsim: --module-version: '9' is not latest or 1.5.01\n");
	assert_int_equal(tdx("host-init --inject NO.SUCH.LEAF:1=0"), 125);
	assert_non_null(strstr(err, "tdxsim: --inject: "));
}

/* ---- option values ---- */

static void test_memory(void **state)
{
	static const struct {
		const char *arg, *msg;
	} bad[] = {
		{"17179869184G", "tdxsim: --memory: 17179869184G" MEMORY_MAX_MSG}, /* 2^64 */
		{"18446744073709551616", "tdxsim: --memory: 18446744073709551616" MEMORY_MAX_MSG},
		{"3073M", "tdxsim: --memory: 3073M" MEMORY_MAX_MSG},
		{"3221229568", "tdxsim: --memory: 3221229568" MEMORY_MAX_MSG}, /* 3G + 4K */
		{"4T", "tdxsim: --memory: 4T" MEMORY_MAX_MSG},
		{"-1",
		 "tdxsim: --memory: '-1' is not a size: a whole number of bytes, or with K, M, "
		 "G or T (64M, 1G)\n"},
		{"' 64M'",
		 "tdxsim: --memory: ' 64M' is not a size: a whole number of bytes, or with "
		 "K, M, G or T (64M, 1G)\n"},
		{"64Q",
		 "tdxsim: --memory: '64Q' is not a size: a whole number of bytes, or with K, "
		 "M, G or T (64M, 1G)\n"},
		{"1.5G",
		 "tdxsim: --memory: '1.5G' is not a size: a whole number of bytes, or with K, "
		 "M, G or T (64M, 1G)\n"},
		{"0", "tdxsim: --memory: 0 is not a positive multiple of 4K, the TD's page size\n"},
		{"0G",
		 "tdxsim: --memory: 0G is not a positive multiple of 4K, the TD's page size\n"},
		{"1000", "tdxsim: --memory: 1000 is not a positive multiple of 4K, the TD's page "
			 "size\n"},
	};
	static const char *const good[] = {"64M",	"64MiB", "64MB", "65536K",
					   "0x4000000", "1g",	 "3G"};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(tdx("run %s --memory %s", hello, bad[i].arg), 125);
		assert_string_equal(err, bad[i].msg);
		assert_int_equal(tdx("measure %s --memory %s", hello, bad[i].arg), 125);
		assert_string_equal(err, bad[i].msg);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(tdx("measure %s --memory %s", hello, good[i]), 0);
		assert_int_equal(strlen(out), 97);
	}
	/* 3G, refused before (its check stopped 4 KiB short): the TD runs */
	assert_int_equal(tdx("run %s --memory 3G --quiet", hello), 0);
	assert_string_equal(out, HELLO_OUT);
	assert_string_equal(err, "");
	/* Too little for the image: the library's message, before any bring-up */
	assert_int_equal(tdx("run %s --memory 1M", hello), 125);
	assert_true(!strncmp(err, "tdxsim: memory: the image ends at GPA 0x", 40));
	assert_non_null(strstr(err, ", beyond the TD's private memory [0, 0x100000)\n"));
	assert_null(strstr(err, "tdx:"));
}

static void test_vcpus(void **state)
{
	static const struct {
		const char *arg, *msg;
	} bad[] = {
		{"4294967297", "tdxsim: --vcpus: 4294967297 is not in 1..64 (VMM_MAX_VCPUS, the "
			       "vCPUs a TD has here)\n"}, /* 2^32 + 1: was 1 vCPU */
		{"18446744073709551617", "tdxsim: --vcpus: 18446744073709551617 is not in 1..64 "
					 "(VMM_MAX_VCPUS, the vCPUs a TD has here)\n"},
		{"65", "tdxsim: --vcpus: 65 is not in 1..64 (VMM_MAX_VCPUS, the vCPUs a TD has "
		       "here)\n"},
		{"0", "tdxsim: --vcpus: 0 is not in 1..64 (VMM_MAX_VCPUS, the vCPUs a TD has "
		      "here)\n"},
		{"-1", "tdxsim: --vcpus: '-1' is not a count\n"},
		{"2x", "tdxsim: --vcpus: '2x' is not a count\n"},
		{"''", "tdxsim: --vcpus: '' is not a count\n"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(tdx("run %s --vcpus %s", hello, bad[i].arg), 125);
		assert_string_equal(err, bad[i].msg);
		assert_int_equal(tdx("measure %s --vcpus %s", hello, bad[i].arg), 125);
		assert_string_equal(err, bad[i].msg);
	}
	/* In range but more than the machine's LPs (the laptop has 8): after bring-up */
	assert_int_equal(tdx("run %s --vcpus 9 --quiet", hello), 125);
	assert_string_equal(err, "tdxsim: vcpus: 9 vCPUs need as many online LPs; the machine "
				 "has 8\n");
	assert_int_equal(tdx("run %s --vcpus 4 --quiet", hello), 0);
	assert_string_equal(out, HELLO_OUT);
}

/* ---- guest files ---- */

static void test_guest_files(void **state)
{
	char path[64], want[1024];
	uint8_t *b;
	size_t len;
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph, *last = NULL;

	(void)state;
	/* Both commands, no bring-up first (nothing but the message on stderr) */
	assert_int_equal(tdx("run /tmp"), 125);
	assert_string_equal(err, "tdxsim: /tmp: Is a directory\n");
	assert_int_equal(tdx("measure /tmp"), 125);
	assert_string_equal(err, "tdxsim: /tmp: Is a directory\n");
	assert_string_equal(out, "");
	assert_int_equal(tdx("run /nonexistent/g.elf"), 125);
	assert_string_equal(err, "tdxsim: /nonexistent/g.elf: No such file or directory\n");
	assert_int_equal(tdx("measure /dev/null"), 125);
	assert_string_equal(err, "tdxsim: /dev/null: not a regular file; " GUEST_IS "\n");
	assert_int_equal(tdx("run %s", tdxsim), 125);
	snprintf(want, sizeof(want),
		 "tdxsim: %s: a dynamically linked program: it needs the program interpreter "
		 "/lib64/ld-linux-x86-64.so.2 (PT_INTERP), and a TD has none; " GUEST_IS "\n",
		 tdxsim);
	assert_string_equal(err, want);

	/* Unreadable: as another user when root (root reads any file) */
	b = read_all(hello, &len);
	temp_file(path, b, len);
	assert_int_equal(chmod(path, 0), 0);
	if (geteuid() == 0) {
		char cmd[1024];

		snprintf(cmd, sizeof(cmd),
			 "setpriv --reuid=65534 --regid=65534 --clear-groups %s run %s 2>&1",
			 tdxsim, path);
		assert_int_equal(vmm_command(cmd, out, sizeof(out)), 125);
		snprintf(want, sizeof(want), "tdxsim: %s: Permission denied\n", path);
		assert_string_equal(out, want);
	} else {
		assert_int_equal(tdx("run %s", path), 125);
		snprintf(want, sizeof(want), "tdxsim: %s: Permission denied\n", path);
		assert_string_equal(err, want);
	}
	unlink(path);

	/* hello.elf with its last PT_LOAD's p_memsz near 2^64: vaddr + memsz wraps */
	eh = (Elf64_Ehdr *)b;
	ph = (Elf64_Phdr *)(b + eh->e_phoff);
	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD)
			last = &ph[i];
	}
	assert_non_null(last);
	last->p_memsz = 0 - last->p_vaddr + 0x1000;
	temp_file(path, b, len);
	snprintf(want, sizeof(want),
		 "tdxsim: %s: PT_LOAD segment %u: 0x%llx bytes at address 0x%llx go past the "
		 "1024 MiB an image may span from address 0\n",
		 path, (unsigned int)(last - ph), (unsigned long long)last->p_memsz,
		 (unsigned long long)last->p_vaddr);
	assert_int_equal(tdx("measure %s", path), 125); /* printed an MRTD */
	assert_string_equal(err, want);
	assert_string_equal(out, "");
	assert_int_equal(tdx("run %s", path), 125); /* hung */
	assert_string_equal(err, want);
	unlink(path);
	free(b);
}

/* ---- --trace ---- */

static void test_trace(void **state)
{
	char path[64], alias[80], want[512], mrtd[128];
	uint8_t *before, *after;
	size_t len, len2;
	struct stat st;

	(void)state;
	assert_int_equal(tdx("measure %s", hello), 0);
	assert_int_equal(strlen(out), 97);
	memcpy(mrtd, out, 98);
	before = read_all(hello, &len);
	temp_file(path, before, len);
	/* The guest itself: by its path, a symbolic link and a hard link */
	assert_int_equal(tdx("run %s --trace %s", path, path), 125);
	snprintf(want, sizeof(want),
		 "tdxsim: --trace %s: that is the guest image %s; not overwriting it\n", path,
		 path);
	assert_string_equal(err, want);
	snprintf(alias, sizeof(alias), "%s.sym", path);
	assert_int_equal(symlink(path, alias), 0);
	assert_int_equal(tdx("run %s --trace %s", path, alias), 125);
	snprintf(want, sizeof(want),
		 "tdxsim: --trace %s: that is the guest image %s; not overwriting it\n", alias,
		 path);
	assert_string_equal(err, want);
	unlink(alias);
	snprintf(alias, sizeof(alias), "%s.hard", path);
	assert_int_equal(link(path, alias), 0);
	assert_int_equal(tdx("run %s --trace %s", alias, path), 125);
	snprintf(want, sizeof(want),
		 "tdxsim: --trace %s: that is the guest image %s; not overwriting it\n", path,
		 alias);
	assert_string_equal(err, want);
	unlink(alias);
	/* The guest is whole: the same bytes, the same MRTD */
	after = read_all(path, &len2);
	assert_int_equal(len2, len);
	assert_memory_equal(after, before, len);
	free(after);
	assert_int_equal(tdx("measure %s", path), 0);
	assert_string_equal(out, mrtd);

	/* A trace that cannot be written: the run's output, then 125 and why */
	assert_int_equal(tdx("run %s --quiet --trace /dev/full", path), 125);
	assert_string_equal(out, HELLO_OUT);
	assert_string_equal(err, "tdxsim: --trace /dev/full: No space left on device; the trace "
				 "is incomplete\n");
	assert_int_equal(tdx("run %s --quiet --trace /nonexistent/t.json", path), 125);
	assert_string_equal(err, "tdxsim: --trace /nonexistent/t.json: No such file or "
				 "directory\n");
	assert_string_equal(out, "");
	/* A bad guest creates no trace file */
	snprintf(alias, sizeof(alias), "%s.json", path);
	assert_int_equal(tdx("run /tmp --trace %s", alias), 125);
	assert_int_equal(stat(alias, &st), -1);
	assert_int_equal(errno, ENOENT);
	/* An existing trace file is truncated and rewritten */
	temp_file(alias, "x\n", 2);
	assert_int_equal(tdx("run %s --quiet --trace %s", path, alias), 0);
	after = read_all(alias, &len2);
	assert_true(len2 > 2 && !memcmp(after, "{\"t_ns\":", 8) && after[len2 - 1] == '\n');
	free(after);
	unlink(alias);
	unlink(path);
	free(before);
}

/* ---- --quiet ---- */

static void test_quiet(void **state)
{
	(void)state;
	/* Nothing on stderr: no bring-up log, no image line, no summary */
	assert_int_equal(tdx("run %s --quiet", hello), 0);
	assert_string_equal(out, HELLO_OUT);
	assert_string_equal(err, "");
	assert_int_equal(tdx("run %s --quiet --vcpus 2 --io-path direct --machine tiny", hello), 0);
	assert_string_equal(err, "");
	/* Without it: the bring-up log, the image line, the summary */
	assert_int_equal(tdx("run %s", hello), 0);
	assert_true(!strncmp(err, "tdx: ", 5));
	assert_non_null(strstr(err, "tdxsim: guest image at 0x"));
	assert_non_null(strstr(err, "tdxsim: TD stopped: poweroff, exit status 0"));
	/* A bring-up that fails shows its log even with --quiet: it says why */
	assert_int_equal(setenv("TDXSIM_INJECT", "TDH.SYS.KEY.CONFIG:*=KEY_GENERATION_FAILED", 1),
			 0);
	assert_int_equal(tdx("run %s --quiet", hello), 125);
	unsetenv("TDXSIM_INJECT");
	assert_string_equal(out, "");
	assert_true(!strncmp(err, "tdx: BIOS enabled: private KeyID range [32, 64)\n", 48));
	assert_non_null(strstr(err, "tdx: SEAMCALL TDH.SYS.KEY.CONFIG (0x1f) failed: CPU 0: "
				    "0x8000080000000000\n"));
	assert_string_equal(strstr(err, "tdxsim: "),
			    "tdxsim: TDX bring-up failed: tdx_enable: Input/output error\n");
}

/* ---- --machine: one meaning in run and host-init ---- */

static void test_machine(void **state)
{
	char path[64], want[512];
	const char *tiny_line = "machine tiny: 1 package(s) x 2 core(s) x 1 thread(s), 1.0 GiB "
				"RAM in 2 ranges\n";

	(void)state;
	assert_int_equal(tdx("host-init --machine tiny"), 0);
	assert_true(!strncmp(out, tiny_line, strlen(tiny_line)));
	assert_non_null(strstr(out, "LPs online"));
	assert_int_equal(tdx("host-init --preset tiny"), 0);
	assert_true(!strncmp(out, tiny_line, strlen(tiny_line)));
	assert_int_equal(tdx("run %s --machine tiny --quiet", hello), 0);
	assert_string_equal(out, HELLO_OUT);
	/* A configuration file, in both */
	temp_file(path, "preset = tiny\n", 14);
	assert_int_equal(tdx("host-init --machine %s", path), 0);
	assert_non_null(strstr(out, " 1 package(s) x 2 core(s) x 1 thread(s), 1.0 GiB RAM"));
	assert_int_equal(tdx("run %s --machine %s --quiet", hello, path), 0);
	assert_string_equal(out, HELLO_OUT);
	unlink(path);
	/* Neither: the same message from both */
	snprintf(want, sizeof(want),
		 "tdxsim: --machine no-such: not a preset (laptop, 2s-224lp-1t, 1024lp, tiny) and "
		 "not a configuration file: no-such: No such file or directory\n");
	assert_int_equal(tdx("host-init --machine no-such"), 125);
	assert_string_equal(err, want);
	assert_int_equal(tdx("run %s --machine no-such", hello), 125);
	assert_string_equal(err, want);
	/* A bring-up that fails: 125 from both (host-init said 1) */
	assert_int_equal(tdx("host-init --inject 'TDH.SYS.KEY.CONFIG:*=KEY_GENERATION_FAILED'"),
			 125);
	assert_string_equal(strstr(err, "tdxsim: "),
			    "tdxsim: tdx_enable failed: Input/output error\n");
	assert_non_null(strstr(out, "time: machine boot "));
}

/* ---- help ---- */

static void test_help(void **state)
{
	(void)state;
	assert_int_equal(tdx("run --help"), 0);
	assert_string_equal(err, "");
	/* The vCPUs other than 0 wait in the guest's mailbox, not in the reset page */
	assert_non_null(strstr(out, "  --vcpus N        vCPUs, 1 to 64 and at most the machine's "
				    "online LPs (default\n"
				    "                   1); every vCPU starts at the reset vector, "
				    "vCPU 0 runs main\n"
				    "                   and the others wait in the guest's ACPI "
				    "wake-up mailbox\n"));
	assert_null(strstr(out, "park"));
	assert_non_null(
		strstr(out, "\n                  [--timeout SECONDS] [--quiet] [--gdb[=FILE]]\n"));
	assert_non_null(strstr(out, "  --trace-json F   the same as Chrome/Perfetto trace events"));
	assert_non_null(strstr(out, "at most 3G"));
	assert_non_null(strstr(out,
			       "  0-122    the guest's own exit status\n"
			       "  123      the guest's status was outside 0-122 (stderr says "
			       "which)\n"
			       "  124      --timeout expired\n"
			       "  125      tdxsim failed: usage, option, guest image, bring-up, "
			       "trace file\n"));
	assert_int_equal(tdx("measure --help"), 0);
	assert_non_null(strstr(out, "usage: tdxsim measure GUEST.elf [--vcpus N] [--memory SIZE] "
				    "[--debug]\n"));
	assert_int_equal(tdx("host-init --help"), 0);
	assert_non_null(strstr(out, "usage: tdxsim host-init [--machine PRESET|FILE]"));
	assert_non_null(strstr(out, "  --preset P|F      the same as --machine\n"));
	assert_int_equal(tdx("--version"), 0);
	assert_true(!strncmp(out, "tdxsim ", 7));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guest_statuses), cmocka_unit_test(test_usage_statuses),
		cmocka_unit_test(test_memory),	       cmocka_unit_test(test_vcpus),
		cmocka_unit_test(test_guest_files),    cmocka_unit_test(test_trace),
		cmocka_unit_test(test_quiet),	       cmocka_unit_test(test_machine),
		cmocka_unit_test(test_help),
	};

	if (argc != 7) {
		fprintf(stderr,
			"usage: %s TDXSIM HELLO STATUS_122 STATUS_123 STATUS_256 STATUS_M1\n",
			argv[0]);
		return 2;
	}
	tdxsim = argv[1];
	hello = argv[2];
	st122 = argv[3];
	st123 = argv[4];
	st256 = argv[5];
	stm1 = argv[6];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
