// SPDX-License-Identifier: MIT
/*
 * tdxsim run: boot a machine, load the TDX module, bring it up as the host (tdx_enable),
 * build a TD from a guest ELF and run it; the guest's serial output goes to stdout, a summary
 * (MRTD, exits by reason) to stderr, and the exit status is the guest's.
 *
 * tdxsim measure: the MRTD of a guest image and configuration, computed without a machine.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <tdxsim/vmm.h>

#include <tdxsim/tdxsim.h>

#include "tools.h"
#include "trace_json.h"

static void usage_run(FILE *f)
{
	fprintf(f,
		"usage: tdxsim run GUEST.elf [--vcpus N] [--memory SIZE] [--machine PRESET|FILE]\n"
		"                  [--io-path direct|ve] [--mmio-path direct|ve] [--debug]\n"
		"                  [--trace FILE] [--trace-json FILE] [--seamcall gate|insn]\n"
		"                  [--timeout SECONDS] [--quiet] [--gdb[=FILE]]\n"
		"                  [--cpu native|system]\n\n"
		"Boot the machine, bring the TDX module up, build a TD from GUEST.elf (a static\n"
		"PIE linked with the SDK's tdxguest.ld) and run it. The guest's serial output\n"
		"goes to stdout and its serial input (COM1) comes from stdin; the bring-up log\n"
		"and the summary go to stderr.\n\n"
		"  --vcpus N        vCPUs, 1 to %u and at most the machine's online LPs (default\n"
		"                   1); every vCPU starts at the reset vector, vCPU 0 runs main\n"
		"                   and the others wait in the guest's ACPI wake-up mailbox\n"
		"  --memory SIZE    private memory from GPA 0: bytes, or with K, M, G or T (KiB,\n"
		"                   MiB, ...; default 64M); a multiple of 4K, at most 3G (the\n"
		"                   MMIO hole and the reset page lie above), enough for the image\n"
		"  --machine P|F    a machine preset or configuration file (docs/MACHINE.md;\n"
		"                   default laptop); presets:",
		VMM_MAX_VCPUS);
	tool_print_presets(f);
	fprintf(f, "\n"
		   "  --io-path P      guest port I/O: direct (TDVMCALL) or ve (#VE, default)\n"
		   "  --mmio-path P    guest MMIO: direct (TDVMCALL) or ve (#VE, default)\n"
		   "  --debug          ATTRIBUTES.DEBUG (else SEPT_VE_DISABLE is set)\n"
		   "  --trace FILE     JSON lines: SEAMCALLs, TD exits, TDCALLs, #VEs\n"
		   "  --trace-json F   the same as Chrome/Perfetto trace events, a track per vCPU\n"
		   "                   (open F in ui.perfetto.dev or chrome://tracing)\n"
		   "  --seamcall M     gate (default) or insn (the trapping opcode)\n"
		   "  --timeout T      stop the TD after T seconds (fractions allowed; suffix s,\n"
		   "                   m, h or d as timeout(1); 0: none)\n"
		   "  --quiet          no bring-up log and no summary: only the guest's output,\n"
		   "                   and why the TD stopped when it gave no exit status\n"
		   "  --gdb[=FILE]     run under gdb, stopped in the guest's main; with FILE, gdb\n"
		   "                   runs its commands in batch mode (docs/GUEST.md)\n"
		   "  --cpu B          the CPU backend guest code runs on: native (at CPL3 in\n"
		   "                   this process) or system (at CPL0 under QEMU and the SEAM\n"
		   "                   shim, docs/SYSTEM.md; at most 4 LPs online); default\n"
		   "                   $TDXSIM_CPU, else native\n\n"
		   "Exit status (docs/VMM.md \"Exit status\"):\n"
		   "  0-122    the guest's own exit status\n"
		   "  123      the guest's status was outside 0-122 (stderr says which)\n"
		   "  124      --timeout expired\n"
		   "  125      tdxsim failed: usage, option, guest image, bring-up, trace file\n"
		   "  126      the TD stopped without a status: exception, fatal error, triple\n"
		   "           fault, no progress\n"
		   "  130/143  SIGINT/SIGTERM\n");
}

static void usage_measure(FILE *f)
{
	fprintf(f, "usage: tdxsim measure GUEST.elf [--vcpus N] [--memory SIZE] [--debug]\n\n"
		   "Print the MRTD the TDX module will compute for GUEST.elf (SHA-384 of the\n"
		   "PAGE.ADD/MR.EXTEND sequence of its pages and the reset page), without a\n"
		   "machine. --vcpus, --memory and --debug are checked as for run; they do not\n"
		   "change the MRTD. Exit status 0, or 125 (usage, option, guest image).\n");
}

/*
 * A whole number, decimal or 0x hex, without sign or spaces (strtoull would take "-1" as
 * 2^64 - 1 and " 7" as 7); *end after its digits. -EINVAL, or -ERANGE above 2^64 - 1.
 */
static int parse_u64(const char *s, uint64_t *out, char **end)
{
	int base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		if (!isxdigit((unsigned char)s[2]))
			return -EINVAL;
	} else if (!isdigit((unsigned char)s[0])) {
		return -EINVAL;
	}
	errno = 0;
	*out = strtoull(s, end, base);
	return errno == ERANGE ? -ERANGE : 0;
}

/*
 * --memory: bytes, or with a suffix K, M, G or T (powers of 1024, also written KiB, KB...).
 * -EINVAL for what is not a size, -ERANGE for a size above 2^64 - 1.
 */
static int parse_size(const char *s, uint64_t *out)
{
	static const char suffixes[] = "KMGT";
	const char *p;
	char *end;
	unsigned int shift = 0;
	uint64_t v;
	int ret = parse_u64(s, &v, &end);

	if (ret)
		return ret;
	if (*end && (p = strchr(suffixes, toupper((unsigned char)*end)))) {
		shift = 10 * (unsigned int)(p - suffixes + 1);
		end++;
		if (*end == 'i' && end[1] == 'B')
			end++;
		if (*end == 'B')
			end++;
	} else if (*end == 'B') {
		end++;
	}
	if (*end)
		return -EINVAL;
	if (shift && v > UINT64_MAX >> shift)
		return -ERANGE;
	*out = v << shift;
	return 0;
}

/* --memory's value, or a message and TDXSIM_EXIT_TOOL. */
static int memory_option(const char *arg, uint64_t *out)
{
	uint64_t v = 0;
	int ret = parse_size(arg, &v);

	if (ret == -EINVAL) {
		fprintf(stderr,
			"tdxsim: --memory: '%s' is not a size: a whole number of bytes, or with K, "
			"M, G or T (64M, 1G)\n",
			arg);
		return TDXSIM_EXIT_TOOL;
	}
	if (ret == -ERANGE || v > VMM_MAX_MEMORY) {
		fprintf(stderr,
			"tdxsim: --memory: %s is more than 3G, the most a TD has here: its private "
			"memory runs from GPA 0 up to the MMIO hole at 3 GiB (device BARs and the "
			"reset page below 4 GiB)\n",
			arg);
		return TDXSIM_EXIT_TOOL;
	}
	if (!v || v % 4096) {
		fprintf(stderr,
			"tdxsim: --memory: %s is not a positive multiple of 4K, the TD's page "
			"size\n",
			arg);
		return TDXSIM_EXIT_TOOL;
	}
	*out = v;
	return 0;
}

/* --vcpus's value, or a message and TDXSIM_EXIT_TOOL. */
static int vcpus_option(const char *arg, unsigned int *out)
{
	uint64_t v = 0;
	char *end = NULL;

	if (parse_u64(arg, &v, &end) == -EINVAL || *end) {
		fprintf(stderr, "tdxsim: --vcpus: '%s' is not a count\n", arg);
		return TDXSIM_EXIT_TOOL;
	}
	if (!v || v > VMM_MAX_VCPUS) { /* ERANGE left v at UINT64_MAX */
		fprintf(stderr,
			"tdxsim: --vcpus: %s is not in 1..%u (VMM_MAX_VCPUS, the vCPUs a TD "
			"has here)\n",
			arg, VMM_MAX_VCPUS);
		return TDXSIM_EXIT_TOOL;
	}
	*out = (unsigned int)v;
	return 0;
}

static void print_mrtd(FILE *f, const uint8_t m[48])
{
	for (int i = 0; i < 48; i++)
		fprintf(f, "%02x", m[i]);
}

struct run_opts {
	struct vmm_td_config cfg;
	const char *guest, *machine, *trace, *trace_json, *timeout_arg;
	struct trace_json *tj; /* --trace-json's converter, once started */
	double timeout;	       /* seconds; 0: none */
	bool quiet;
	bool seamcall_insn; /* --seamcall insn: the host's SEAMCALLs by the trapping opcode */
	const char *gdb_arg, *gdb_commands; /* --gdb[=FILE]: the argument itself, FILE */
	const char *cpu;		    /* --cpu, else $TDXSIM_CPU, else NULL (native) */
};

/* --timeout: a number of seconds, fractions allowed, with timeout(1)'s suffixes. */
static int parse_duration(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || !isfinite(v) || v < 0)
		return -EINVAL;
	switch (*end) {
	case 's':
		end++;
		break;
	case 'm':
		v *= 60;
		end++;
		break;
	case 'h':
		v *= 3600;
		end++;
		break;
	case 'd':
		v *= 86400;
		end++;
		break;
	default:
		break;
	}
	if (*end || !isfinite(v))
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse(int argc, char **argv, struct run_opts *o, bool measure)
{
	static const struct option opts[] = {
		{"vcpus", required_argument, NULL, 'c'},
		{"memory", required_argument, NULL, 'm'},
		{"machine", required_argument, NULL, 'M'},
		{"io-path", required_argument, NULL, 'i'},
		{"mmio-path", required_argument, NULL, 'o'},
		{"trace", required_argument, NULL, 't'},
		{"trace-json", required_argument, NULL, 'j'},
		{"seamcall", required_argument, NULL, 's'},
		{"timeout", required_argument, NULL, 'T'},
		{"debug", no_argument, NULL, 'd'},
		{"quiet", no_argument, NULL, 'q'},
		{"gdb", optional_argument, NULL, 'G'},
		{"cpu", required_argument, NULL, 'C'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *cmd = measure ? "measure" : "run";
	int c, idx = 0;

	memset(o, 0, sizeof(*o));
	vmm_td_config_default(&o->cfg);
	o->cfg.attributes = VMM_ATTR_SEPT_VE_DISABLE;
	o->cfg.no_outside_interrupts = true; /* a TD whose vCPUs all halt stops (vmm.h) */
	o->cfg.serial_stdin = true;	     /* COM1 receives stdin */
	o->machine = "laptop";
	optind = 1;
	opterr = 0; /* the messages below, with "tdxsim: " */
	while ((c = getopt_long(argc, argv, ":h", opts, &idx)) != -1) {
		const char *arg = argv[optind - 1]; /* for ':' and '?': the option itself */

		if (measure && strchr("MiotjsTqGC", c)) {
			fprintf(stderr, "tdxsim: --%s is an option of run, not of measure\n",
				opts[idx].name);
			return TDXSIM_EXIT_TOOL;
		}
		if (c == 'c') {
			if (vcpus_option(optarg, &o->cfg.nr_vcpus))
				return TDXSIM_EXIT_TOOL;
		} else if (c == 'm') {
			if (memory_option(optarg, &o->cfg.memory_size))
				return TDXSIM_EXIT_TOOL;
		} else if (c == 'M') {
			o->machine = optarg;
		} else if (c == 'i' || c == 'o') {
			uint64_t bit = c == 'i' ? TDXSIM_BOOT_OPT_IO_TDVMCALL
						: TDXSIM_BOOT_OPT_MMIO_TDVMCALL;

			if (!strcmp(optarg, "direct")) {
				o->cfg.boot_opts |= bit;
			} else if (!strcmp(optarg, "ve")) {
				o->cfg.boot_opts &= ~bit;
			} else {
				fprintf(stderr, "tdxsim: --%s: '%s' is not direct or ve\n",
					c == 'i' ? "io-path" : "mmio-path", optarg);
				return TDXSIM_EXIT_TOOL;
			}
		} else if (c == 't') {
			o->trace = optarg;
		} else if (c == 'j') {
			o->trace_json = optarg;
		} else if (c == 's') {
			if (strcmp(optarg, "gate") && strcmp(optarg, "insn")) {
				fprintf(stderr, "tdxsim: --seamcall: '%s' is not gate or insn\n",
					optarg);
				return TDXSIM_EXIT_TOOL;
			}
			o->seamcall_insn = !strcmp(optarg, "insn");
		} else if (c == 'T') {
			if (parse_duration(optarg, &o->timeout)) {
				fprintf(stderr,
					"tdxsim: --timeout: '%s' is not a duration in seconds "
					"(e.g. 2, 0.5, 1m)\n",
					optarg);
				return TDXSIM_EXIT_TOOL;
			}
			o->timeout_arg = optarg;
		} else if (c == 'C') {
			if (strcmp(optarg, "native") && strcmp(optarg, "system")) {
				fprintf(stderr, "tdxsim: --cpu: '%s' is not native or system\n",
					optarg);
				return TDXSIM_EXIT_TOOL;
			}
			o->cpu = optarg;
		} else if (c == 'd') {
			o->cfg.attributes = VMM_ATTR_DEBUG;
		} else if (c == 'q') {
			o->quiet = true;
		} else if (c == 'G') {
			o->gdb_arg = argv[optind - 1];
			o->gdb_commands = optarg;
		} else if (c == 'h') {
			(measure ? usage_measure : usage_run)(stdout);
			return -1;
		} else if (c == ':') {
			fprintf(stderr, "tdxsim: %s needs a value ('tdxsim %s --help')\n", arg,
				cmd);
			return TDXSIM_EXIT_TOOL;
		} else {
			if (optopt)
				fprintf(stderr, "tdxsim: unknown option -%c ('tdxsim %s --help')\n",
					optopt, cmd);
			else
				fprintf(stderr, "tdxsim: unknown option %s ('tdxsim %s --help')\n",
					arg, cmd);
			return TDXSIM_EXIT_TOOL;
		}
	}
	if (optind != argc - 1) {
		if (optind == argc)
			fprintf(stderr, "tdxsim: %s: no GUEST.elf given\n", cmd);
		else
			fprintf(stderr, "tdxsim: %s: one GUEST.elf, not '%s' and '%s'\n", cmd,
				argv[optind], argv[optind + 1]);
		(measure ? usage_measure : usage_run)(stderr);
		return TDXSIM_EXIT_TOOL;
	}
	o->guest = argv[optind];
	return 0;
}

int cmd_measure(int argc, char **argv)
{
	struct run_opts o;
	uint8_t mrtd[48];
	char err[1024];
	int ret = parse(argc, argv, &o, true);

	if (ret)
		return ret < 0 ? 0 : ret;
	if (vmm_td_measure(&o.cfg, o.guest, mrtd, err, sizeof(err))) {
		fprintf(stderr, "tdxsim: %s\n", err);
		return TDXSIM_EXIT_TOOL;
	}
	print_mrtd(stdout, mrtd);
	printf("\n");
	return 0;
}

/* Why the TD stopped, one line (printed even with --quiet when it has no exit status). */
static void stop_line(struct vmm_td *td)
{
	const struct vmm_td_result *r = vmm_td_result(td);

	if (r->reason == VMM_STOP_POWEROFF)
		fprintf(stderr, "tdxsim: TD stopped: %s, exit status %d%s%s\n",
			vmm_stop_reason_name(r->reason), r->exit_status, r->message[0] ? " - " : "",
			r->message);
	else /* no exit status: the guest did not give one */
		fprintf(stderr, "tdxsim: TD stopped: %s - %s\n", vmm_stop_reason_name(r->reason),
			r->message);
}

static void summary(struct vmm_td *td)
{
	struct vmm_td_stats ts;
	uint8_t mrtd[48];
	uint64_t total = 0;

	vmm_td_stats(td, &ts);
	stop_line(td);
	if (!vmm_td_mrtd(td, mrtd)) {
		fprintf(stderr, "tdxsim: MRTD ");
		print_mrtd(stderr, mrtd);
		fprintf(stderr, "\n");
	}
	fprintf(stderr,
		"tdxsim: build %.2f ms (%u image pages), run %.2f ms, %u private pages, "
		"%u shared, %llu exceptions delivered (#VE)\n",
		ts.build_ns / 1e6, ts.image_pages, ts.run_ns / 1e6, ts.private_pages,
		ts.shared_pages, (unsigned long long)ts.ve_deliveries);
	for (unsigned int v = 0; v < vmm_td_nr_vcpus(td); v++) {
		struct vmm_vcpu_stats st;
		uint64_t n = 0;

		vmm_td_vcpu_stats(td, v, &st);
		fprintf(stderr, "tdxsim: vCPU %u (LP %llu): %llu entries;", v,
			(unsigned long long)st.lp, (unsigned long long)st.entries);
		for (unsigned int e = 0; e < VMM_EXIT_REASONS; e++) {
			const char *name = vmm_exit_reason_name(e);

			if (!st.exits[e])
				continue;
			n += st.exits[e];
			if (name)
				fprintf(stderr, " %s %llu", name, (unsigned long long)st.exits[e]);
			else
				fprintf(stderr, " reason%u %llu", e,
					(unsigned long long)st.exits[e]);
		}
		fprintf(stderr, "; TDVMCALL:");
		for (unsigned int k = 0; k < VMM_TDVMCALL_KINDS; k++) {
			if (st.tdvmcalls[k])
				fprintf(stderr, " %s %llu", vmm_tdvmcall_kind_name(k),
					(unsigned long long)st.tdvmcalls[k]);
		}
		if (st.halts || st.ipis || st.interrupts)
			fprintf(stderr, "; %llu halts (%.2f ms), %llu IPIs sent, %llu interrupts",
				(unsigned long long)st.halts, st.ns_halted / 1e6,
				(unsigned long long)st.ipis, (unsigned long long)st.interrupts);
		if (n)
			fprintf(stderr, "; %.1f us/exit in the VMM, %.1f us in the guest per entry",
				st.ns_in_vmm / 1e3 / (double)n,
				st.ns_in_guest / 1e3 / (double)st.entries);
		fprintf(stderr, "\n");
		total += n;
	}
	if (ts.run_ns)
		fprintf(stderr, "tdxsim: %llu TD exits, %.0f exits/s\n", (unsigned long long)total,
			(double)total * 1e9 / (double)ts.run_ns);
}

/* ------------------------------------------------------------------------------------------
 * Waiting for the TD. vmm_td_run() runs on a thread of its own while the main thread waits
 * for its end, SIGINT or SIGTERM, or the --timeout. Both signals are blocked in every thread
 * from before the machine boots (its LP threads inherit the mask) and read from a signalfd
 * here: no signal handler runs, so nothing needs to be async-signal-safe, and stopping is an
 * ordinary vmm_td_stop() whose kicks (lp_kick) bring out vCPUs spinning in guest code. The
 * vCPUs finish the exit they are in, so the trace ends with whole lines.
 */

struct runner {
	struct vmm_td *td;
	int ret;
	int done_fd; /* eventfd: vmm_td_run() returned */
};

static void *runner_fn(void *arg)
{
	struct runner *r = arg;
	uint64_t one = 1;

	r->ret = vmm_td_run(r->td);
	while (write(r->done_fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
	return NULL;
}

enum run_end { RUN_DONE, RUN_TIMEOUT, RUN_SIGNAL };

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Until vmm_td_run() returned; *sig = the signal when it ended RUN_SIGNAL. */
static enum run_end wait_run(struct runner *r, int sig_fd, const struct run_opts *o, int *sig)
{
	enum run_end end = RUN_DONE;
	struct timespec t0;
	char msg[96];

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p[2] = {{.fd = r->done_fd, .events = POLLIN},
				      {.fd = sig_fd, .events = POLLIN}};
		struct signalfd_siginfo si;
		int ms = -1, n;

		if (o->timeout > 0 && end == RUN_DONE) {
			double left = o->timeout - seconds_since(&t0);

			ms = left <= 0 ? 0 : left >= 2e6 ? 2000000000 : (int)(left * 1000) + 1;
		}
		n = poll(p, 2, ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n > 0 && p[0].revents)
			return end;
		if (n > 0 && p[1].revents) {
			if (read(sig_fd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (end == RUN_SIGNAL) {
				/* Asked twice: the TD did not stop; leave without tearing down. */
				fprintf(stderr,
					"tdxsim: %s again: exiting without waiting for the TD\n",
					si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
				if (o->tj) /* what was converted, as one JSON value */
					trace_json_abandon(o->tj);
				_exit(TDXSIM_EXIT_SIGNAL((int)si.ssi_signo));
			}
			end = RUN_SIGNAL;
			*sig = (int)si.ssi_signo;
			snprintf(msg, sizeof(msg), "stopped by %s",
				 *sig == SIGINT ? "SIGINT" : "SIGTERM");
			fprintf(stderr, "tdxsim: %s: stopping the TD\n",
				*sig == SIGINT ? "SIGINT" : "SIGTERM");
			vmm_td_stop(r->td, VMM_STOP_INTERRUPTED, 1, msg);
			continue;
		}
		if (n == 0 && end == RUN_DONE && o->timeout > 0 &&
		    seconds_since(&t0) >= o->timeout) {
			end = RUN_TIMEOUT;
			snprintf(msg, sizeof(msg), "--timeout %s expired", o->timeout_arg);
			fprintf(stderr,
				"tdxsim: timeout: the TD still ran after %g s; stopping it\n",
				o->timeout);
			vmm_td_stop(r->td, VMM_STOP_INTERRUPTED, 1, msg);
		}
	}
}

/* Run the TD: 0 or -errno from vmm_td_run(); *end and *sig say how it ended. */
static int run_td(struct vmm_td *td, int sig_fd, const struct run_opts *o, enum run_end *end,
		  int *sig)
{
	struct runner r = {.td = td, .ret = 0, .done_fd = eventfd(0, EFD_CLOEXEC)};
	pthread_t t;

	*end = RUN_DONE;
	if (r.done_fd < 0 || sig_fd < 0 || pthread_create(&t, NULL, runner_fn, &r)) {
		/* No waiting thread: run here, without --timeout and signals. */
		if (r.done_fd >= 0)
			close(r.done_fd);
		fprintf(stderr,
			"tdxsim: no thread to wait for the TD: --timeout and signals off\n");
		return vmm_td_run(td);
	}
	*end = wait_run(&r, sig_fd, o, sig);
	pthread_join(t, NULL);
	close(r.done_fd);
	/* A TD that ended by itself while the stop was asked for keeps its own ending. */
	if (vmm_td_result(td)->reason != VMM_STOP_INTERRUPTED)
		*end = RUN_DONE;
	return r.ret;
}

/* Where each vCPU was: RIP with symbol and its last TD exit. */
static void print_vcpus(struct vmm_td *td)
{
	char where[320];

	for (unsigned int v = 0; v < vmm_td_nr_vcpus(td); v++) {
		vmm_td_vcpu_where(td, v, where, sizeof(where));
		fprintf(stderr, "tdxsim: vCPU %u: %s\n", v, where);
	}
}

/*
 * --trace FILE and --trace-json FILE (@opt), opened once the guest image was read and
 * checked: never the guest itself (the same file by device and inode, whatever the path),
 * nor the file @other was opened on (--trace's, for --trace-json), and truncated only after
 * that is known. NULL after a message.
 */
static FILE *open_trace(const char *opt, const char *path, const char *guest, FILE *other)
{
	struct stat gs, ts, os;
	FILE *f;
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);

	if (fd < 0) {
		fprintf(stderr, "tdxsim: %s %s: %s\n", opt, path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &ts) || stat(guest, &gs) || (other && fstat(fileno(other), &os))) {
		fprintf(stderr, "tdxsim: %s %s: %s\n", opt, path, strerror(errno));
		close(fd);
		return NULL;
	}
	if (ts.st_dev == gs.st_dev && ts.st_ino == gs.st_ino) {
		fprintf(stderr, "tdxsim: %s %s: that is the guest image %s; not overwriting it\n",
			opt, path, guest);
		close(fd);
		return NULL;
	}
	if (other && S_ISREG(ts.st_mode) && ts.st_dev == os.st_dev && ts.st_ino == os.st_ino) {
		fprintf(stderr, "tdxsim: %s %s: that is --trace's file too; give each its own\n",
			opt, path);
		close(fd);
		return NULL;
	}
	if (S_ISREG(ts.st_mode) && ftruncate(fd, 0)) {
		fprintf(stderr, "tdxsim: %s %s: %s\n", opt, path, strerror(errno));
		close(fd);
		return NULL;
	}
	f = fdopen(fd, "w");
	if (!f) {
		fprintf(stderr, "tdxsim: %s %s: %s\n", opt, path, strerror(errno));
		close(fd);
	}
	return f;
}

/*
 * --quiet: the host's bring-up log is kept here instead of going to stderr, and printed only
 * when the bring-up fails (it says why).
 */
struct quiet_log {
	char *buf;
	size_t len, cap;
};

static void quiet_log_line(const char *line, void *arg)
{
	struct quiet_log *q = arg;
	size_t n = strlen(line) + 1;

	if (q->len + n + 1 > q->cap) {
		size_t cap = (q->cap ? q->cap * 2 : 4096) + n;
		char *b = realloc(q->buf, cap);

		if (!b)
			return;
		q->buf = b;
		q->cap = cap;
	}
	memcpy(q->buf + q->len, line, n - 1);
	q->buf[q->len + n - 1] = '\n';
	q->len += n;
	q->buf[q->len] = 0;
}

/* A guest status as the exit status: 0..122 itself, anything else 123 (docs/VMM.md). */
static int guest_exit_status(int s)
{
	return s >= 0 && s <= TDXSIM_EXIT_GUEST_MAX ? s : TDXSIM_EXIT_GUEST_RANGE;
}

int cmd_run(int argc, char **argv)
{
	struct quiet_log qlog = {0};
	struct tdxsim_machine_desc mc;
	struct run_opts o;
	struct vmm_td *td = NULL;
	char err[1024];
	FILE *trace = NULL, *trace_json = NULL;
	enum run_end end = RUN_DONE;
	sigset_t sigs;
	int ret = parse(argc, argv, &o, false), status = TDXSIM_EXIT_TOOL, sig = 0, sig_fd;
	int trace_errno = 0, json_errno = 0, tee_errno = 0;

	if (ret)
		return ret < 0 ? 0 : ret;
	if (tool_machine_config(o.machine, &mc))
		return TDXSIM_EXIT_TOOL;
	/* The image and configuration before any machine: a bad guest costs no bring-up. */
	if (vmm_td_check(&o.cfg, o.guest, err, sizeof(err))) {
		fprintf(stderr, "tdxsim: %s\n", err);
		return TDXSIM_EXIT_TOOL;
	}
	if (!o.cpu && getenv("TDXSIM_CPU") && *getenv("TDXSIM_CPU")) {
		o.cpu = getenv("TDXSIM_CPU");
		if (strcmp(o.cpu, "native") && strcmp(o.cpu, "system")) {
			fprintf(stderr, "tdxsim: TDXSIM_CPU: '%s' is not native or system\n",
				o.cpu);
			return TDXSIM_EXIT_TOOL;
		}
	}
	if (o.cpu && !strcmp(o.cpu, "system") && o.cfg.gpaw52) {
		fprintf(stderr, "tdxsim: the system CPU backend runs TDs with GPAW 48 only (QEMU's "
				"physical address width is 48 bits)\n");
		return TDXSIM_EXIT_TOOL;
	}
	/* --gdb, or gdb with scripts/tdxsim-gdb.py, which sets TDXSIM_DEBUGGER: the guest's
	 * code is not in this process on the system backend, so no breakpoint would hit */
	if (o.cpu && !strcmp(o.cpu, "system") && (o.gdb_arg || getenv("TDXSIM_DEBUGGER"))) {
		fprintf(stderr,
			"tdxsim: %s debugs guest code run by the native CPU backend; it "
			"cannot follow the system backend's\n",
			o.gdb_arg ? "--gdb" : "gdb (TDXSIM_DEBUGGER is set)");
		return TDXSIM_EXIT_TOOL;
	}
	/* --cpu over $TDXSIM_CPU, which libtdxsim reads too */
	if (o.cpu)
		setenv("TDXSIM_CPU", o.cpu, 1);
	if (o.gdb_arg)
		return run_under_gdb(argc, argv, o.gdb_arg, o.gdb_commands);
	if (o.trace) {
		trace = open_trace("--trace", o.trace, o.guest, NULL);
		if (!trace)
			return TDXSIM_EXIT_TOOL;
		o.cfg.trace_file = trace;
	}
	if (o.trace_json) {
		trace_json = open_trace("--trace-json", o.trace_json, o.guest, trace);
		if (!trace_json) {
			if (trace)
				fclose(trace);
			return TDXSIM_EXIT_TOOL;
		}
	}
	/*
	 * Before any thread exists, so that every thread inherits it (wait_run). Under gdb
	 * (scripts/tdxsim-gdb.py sets TDXSIM_DEBUGGER), SIGINT is the debugger's: Ctrl-C stops
	 * the program in gdb, which a blocked SIGINT could not do.
	 */
	sigemptyset(&sigs);
	if (!getenv("TDXSIM_DEBUGGER"))
		sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	sig_fd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (trace_json) {
		/* The VMM writes its lines to the converter, which copies them to --trace's. */
		struct trace_json_opts tjo = {.guest = o.guest,
					      .nr_vcpus = o.cfg.nr_vcpus,
					      .shared_bit = o.cfg.gpaw52 ? 51 : 47};
		FILE *vmm_file = NULL;

		o.tj = trace_json_start(trace_json, trace, &tjo, &vmm_file);
		if (!o.tj) {
			fprintf(stderr, "tdxsim: --trace-json %s: %s\n", o.trace_json,
				strerror(errno));
			fclose(trace_json);
			trace_json = NULL;
			goto out_trace;
		}
		o.cfg.trace_file = vmm_file;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* The host's SEAMCALLs by the gate or the opcode, bring-up included. */
	if (tdxsim_boot(&(struct tdxsim_boot){.machine = o.machine,
					      .seamcall = o.seamcall_insn ? TDXSIM_SEAMCALL_INSN
									  : TDXSIM_SEAMCALL_GATE,
					      .cpu = o.cpu && !strcmp(o.cpu, "system")
							     ? TDXSIM_CPU_SYSTEM
							     : TDXSIM_CPU_NATIVE,
					      .log = o.quiet ? quiet_log_line : NULL,
					      .log_opaque = &qlog},
			err, sizeof(err))) {
		if (qlog.buf)
			fputs(qlog.buf, stderr);
		tool_print_boot_error(err);
		goto out_trace;
	}
	if (vmm_td_create(&o.cfg, o.guest, &td, err, sizeof(err))) {
		fprintf(stderr, "tdxsim: %s\n", err);
		goto out;
	}
	/* For gdb: add-symbol-file GUEST.elf -o BASE (guest code runs natively there). */
	if (!o.quiet)
		fprintf(stderr, "tdxsim: guest image at 0x%llx\n",
			(unsigned long long)vmm_td_image_base(td));
	ret = run_td(td, sig_fd, &o, &end, &sig);
	if (ret)
		fprintf(stderr, "tdxsim: run: %s\n", strerror(-ret));
	if (end != RUN_DONE || vmm_td_result(td)->reason == VMM_STOP_NO_PROGRESS)
		print_vcpus(td);
	if (end == RUN_SIGNAL)
		status = TDXSIM_EXIT_SIGNAL(sig);
	else if (end == RUN_TIMEOUT)
		status = TDXSIM_EXIT_TIMEOUT;
	else if (vmm_td_result(td)->reason == VMM_STOP_POWEROFF)
		status = guest_exit_status(vmm_td_result(td)->exit_status);
	else
		status = TDXSIM_EXIT_TD_FATAL; /* fatal error, fault, no progress, VMM error */
	if (!o.quiet)
		summary(td);
	else if (vmm_td_result(td)->reason != VMM_STOP_POWEROFF ||
		 status == TDXSIM_EXIT_GUEST_RANGE)
		stop_line(td);
	if (status == TDXSIM_EXIT_GUEST_RANGE)
		fprintf(stderr,
			"tdxsim: exit status %d: the guest's status %d is outside 0..%d, which "
			"pass through unchanged\n",
			TDXSIM_EXIT_GUEST_RANGE, vmm_td_result(td)->exit_status,
			TDXSIM_EXIT_GUEST_MAX);
	trace_errno = vmm_td_destroy(td);
out:
	tdxsim_shutdown();
out_trace:
	free(qlog.buf);
	if (o.tj) {
		/* The VMM wrote to the converter: its error is the pipe's, the copy's --trace's. */
		json_errno = trace_json_finish(o.tj, &tee_errno);
		if (!json_errno)
			json_errno = trace_errno;
		trace_errno = tee_errno;
	}
	if (trace && fclose(trace) && !trace_errno)
		trace_errno = errno ? errno : EIO;
	if (json_errno) {
		fprintf(stderr, "tdxsim: --trace-json %s: %s; the trace is incomplete\n",
			o.trace_json, strerror(json_errno));
		if (end == RUN_DONE)
			status = TDXSIM_EXIT_TOOL;
	}
	if (trace_errno) {
		/* 125 unless the run ended by --timeout or a signal, whose statuses stay. */
		fprintf(stderr, "tdxsim: --trace %s: %s; the trace is incomplete\n", o.trace,
			strerror(trace_errno));
		if (end == RUN_DONE)
			status = TDXSIM_EXIT_TOOL;
	}
	if (sig_fd >= 0)
		close(sig_fd);
	return status;
}
