// SPDX-License-Identifier: MIT
/*
 * tdxsim boot: a Linux bzImage (and initrd) directly as a TD (docs/LINUX-BOOT.md). The TD's
 * image is built and measured here (vmm/linux_boot.c) and its layout and MRTD printed. With
 * --cpu system the TD is built on the module (tdxsim_linux_td_create) and run on the system
 * CPU backend (docs/SYSTEM.md), the serial console on stdout; the native backend runs guest
 * code at CPL3 inside this process, where a kernel cannot run, so there boot exits with 125.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tdxsim/linux.h"
#include "tdxsim/tdvf.h"
#include "tdxsim/tdxsim.h"
#include "tools.h"

#define DEFAULT_MEMORY	(512ULL << 20)
#define DEFAULT_CMDLINE "console=ttyS0"
#define MAX_MEMORY	(3ULL << 30)

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tdxsim boot --kernel VMLINUZ [--initrd FILE] [--cmdline \"...\"]\n"
		"                   [--vcpus N] [--memory SIZE] [--cpu native|system]\n"
		"                   [--timeout SECONDS] [--trace FILE]\n"
		"       tdxsim boot --firmware OVMF_CODE.fd [--vars OVMF_VARS.fd] [--vcpus N]\n"
		"                   [--memory SIZE] [--cpu native|system] [--timeout SECONDS]\n"
		"                   [--trace FILE]\n\n"
		"Boot a Linux bzImage directly as a TD: the kernel at its preferred address, the\n"
		"initrd at the top of memory, boot_params with e820, the command line (default\n"
		"\"" DEFAULT_CMDLINE "\"), ACPI tables (MADT with x2APIC and wake-up mailbox,\n"
		"hardware-reduced FADT) and a measured reset page that enters long mode, accepts\n"
		"the memory and jumps to the 64-bit entry. --memory defaults to 512M (at most "
		"3G),\n"
		"--vcpus to 1. Prints the layout and the TD's MRTD. With --cpu system the TD runs "
		"on\n"
		"the system CPU backend (docs/SYSTEM.md), its serial console on stdout, until it\n"
		"powers off (its status), --timeout expires (124, default none) or it stops "
		"(126);\n"
		"--trace writes a JSON line per TD exit. The native backend cannot run a kernel\n"
		"(CPL3): exit status 125 (docs/LINUX-BOOT.md).\n\n"
		"--firmware boots a TDVF (OVMF with TDX metadata) instead: its sections placed\n"
		"as its metadata says (BFV measured, CFV, TD HOB with the memory map, temporary\n"
		"memory); a code-only image takes its variable store from --vars (default:\n"
		"OVMF_VARS.fd beside it).\n");
}

/* Bytes, or with K, M, G (powers of 1024). -EINVAL or -ERANGE. */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned int shift = 0;
	uint64_t v;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift)
		end++;
	if (*end)
		return -EINVAL;
	if (v > UINT64_MAX >> shift)
		return -ERANGE;
	*out = v << shift;
	return 0;
}

struct boot_timer {
	struct vmm_td *td;
	double seconds;
	const char *arg;
	pthread_mutex_t lock;
	pthread_cond_t done_cond;
	bool done, expired;
};

/* --timeout: stop the TD when it still runs after that long. */
static void *timer_thread(void *opaque)
{
	struct boot_timer *t = opaque;
	struct timespec until;
	char msg[128];

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)t->seconds;
	until.tv_nsec += (long)((t->seconds - (double)(time_t)t->seconds) * 1e9);
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&t->lock);
	while (!t->done && pthread_cond_timedwait(&t->done_cond, &t->lock, &until) != ETIMEDOUT)
		;
	if (!t->done) {
		t->expired = true;
		snprintf(msg, sizeof(msg), "--timeout %s expired", t->arg);
		vmm_td_stop(t->td, VMM_STOP_INTERRUPTED, 1, msg);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

static void quiet_log(const char *line, void *opaque)
{
	(void)opaque;
	(void)line;
}

/*
 * Build the TD on the module and run it on the system backend: the kernel's console (COM1)
 * on stdout. The status: the guest's on power-off, 124 on --timeout, 126 when it stopped
 * otherwise (where each vCPU was and the TD's stop on stderr), 125 when it could not start.
 */
static int boot_system(const char *kernel, const char *initrd, const char *cmdline,
		       const char *firmware, const char *vars, uint64_t memory, unsigned int vcpus,
		       double timeout, const char *timeout_arg, FILE *trace)
{
	struct boot_timer t = {.seconds = timeout, .arg = timeout_arg};
	struct vmm_td_config cfg;
	const struct vmm_td_result *res;
	struct vmm_td_stats st;
	struct vmm_td *td = NULL;
	pthread_t timer;
	bool timer_started = false;
	char err[1024], where[256];
	int status = TDXSIM_EXIT_TOOL, ret;

	if (tdxsim_boot(&(struct tdxsim_boot){.cpu = TDXSIM_CPU_SYSTEM, .log = quiet_log}, err,
			sizeof(err))) {
		tool_print_boot_error(err);
		return TDXSIM_EXIT_TOOL;
	}
	vmm_td_config_default(&cfg);
	cfg.memory_size = memory;
	cfg.nr_vcpus = vcpus;
	/* Linux refuses a TD without SEPT_VE_DISABLE unless it is a debug TD [ABI §10]. */
	cfg.attributes = VMM_ATTR_SEPT_VE_DISABLE;
	cfg.serial_stdin = true;
	cfg.trace_file = trace;
	cfg.rbp_mod = firmware != NULL; /* EDK2's TDVF of 2022 exposes RBP in TDG.VP.VMCALL */
	cfg.io_paths = true;
	if (firmware ? tdxsim_tdvf_td_create(&cfg, firmware, vars, &td, err, sizeof(err))
		     : tdxsim_linux_td_create(&cfg, kernel, initrd, cmdline, &td, err,
					      sizeof(err))) {
		fprintf(stderr, "tdxsim boot: %s\n", err);
		goto out;
	}
	fprintf(stderr, "tdxsim boot: running the %s on the system CPU backend\n",
		firmware ? "firmware" : "kernel");
	if (timeout > 0) {
		t.td = td;
		pthread_mutex_init(&t.lock, NULL);
		pthread_cond_init(&t.done_cond, NULL);
		timer_started = !pthread_create(&timer, NULL, timer_thread, &t);
	}
	ret = vmm_td_run(td);
	if (timer_started) {
		pthread_mutex_lock(&t.lock);
		t.done = true;
		pthread_cond_signal(&t.done_cond);
		pthread_mutex_unlock(&t.lock);
		pthread_join(timer, NULL);
	}
	fflush(stdout);
	if (ret)
		fprintf(stderr, "tdxsim boot: run: %s\n", strerror(-ret));
	res = vmm_td_result(td);
	if (t.expired)
		status = TDXSIM_EXIT_TIMEOUT;
	else if (res->reason == VMM_STOP_POWEROFF)
		status = res->exit_status >= 0 && res->exit_status <= TDXSIM_EXIT_GUEST_MAX
				 ? res->exit_status
				 : TDXSIM_EXIT_GUEST_RANGE;
	else
		status = TDXSIM_EXIT_TD_FATAL;
	vmm_td_stats(td, &st);
	fprintf(stderr, "tdxsim boot: stopped: %s (vCPU %u): %s; %.3f s, %llu #VEs delivered\n",
		vmm_stop_reason_name(res->reason), res->vcpu, res->message, (double)st.run_ns / 1e9,
		(unsigned long long)st.ve_deliveries);
	boot_paths_print(stderr, td, st.run_ns, firmware ? "firmware" : "decompressor");
	for (unsigned int v = 0; v < vmm_td_nr_vcpus(td); v++) {
		struct vmm_vcpu_stats vs;

		vmm_td_vcpu_where(td, v, where, sizeof(where));
		vmm_td_vcpu_stats(td, v, &vs);
		fprintf(stderr, "tdxsim boot: vCPU %u: %llu entries; %s\n", v,
			(unsigned long long)vs.entries, where);
	}
	if (vmm_td_destroy(td) && trace)
		fprintf(stderr, "tdxsim boot: --trace: a write failed; the trace is incomplete\n");
out:
	tdxsim_shutdown();
	return status;
}

/* The Linux TD's layout and MRTD on stdout (tdxsim_linux_measure). 0, or -1 said on stderr. */
static int linux_print(const char *kernel, const char *initrd, const char *cmdline, uint64_t memory,
		       unsigned int vcpus)
{
	struct tdxsim_linux_info lay;
	char err[1024];

	if (tdxsim_linux_measure(kernel, initrd, cmdline, memory, vcpus, &lay, err, sizeof(err))) {
		fprintf(stderr, "tdxsim boot: %s\n", err);
		return -1;
	}
	printf("kernel  %s: GPA 0x%llx, 64-bit entry 0x%llx, needs up to 0x%llx\n", kernel,
	       (unsigned long long)lay.kernel_gpa, (unsigned long long)lay.kernel_entry,
	       (unsigned long long)lay.kernel_end);
	if (lay.initrd_len)
		printf("initrd  %s: GPA 0x%llx, %llu bytes\n", initrd,
		       (unsigned long long)lay.initrd_gpa, (unsigned long long)lay.initrd_len);
	printf("cmdline \"%s\" at 0x%x; boot_params at 0x%x; ACPI RSDP at 0x%llx (%zu bytes of "
	       "tables)\n",
	       cmdline, (unsigned int)lay.cmdline_gpa, (unsigned int)lay.boot_params_gpa,
	       (unsigned long long)lay.rsdp_gpa, lay.acpi_len);
	for (unsigned int i = 0; i < lay.nr_e820; i++)
		printf("e820    0x%010llx-0x%010llx %s\n", (unsigned long long)lay.e820[i].addr,
		       (unsigned long long)(lay.e820[i].addr + lay.e820[i].size - 1),
		       lay.e820[i].type == TDXSIM_LINUX_E820_RAM    ? "RAM"
		       : lay.e820[i].type == TDXSIM_LINUX_E820_ACPI ? "ACPI"
								    : "reserved");
	printf("pages   %u added and measured, %u vCPU%s, %llu MiB\nMRTD    ", lay.nr_pages, vcpus,
	       vcpus == 1 ? "" : "s", (unsigned long long)(memory >> 20));
	for (unsigned int i = 0; i < 48; i++)
		printf("%02x", lay.mrtd[i]);
	printf("\n");
	return 0;
}

/* OVMF_VARS.fd in the firmware's directory, when it exists: true and its path in buf. */
static bool tdvf_vars_beside(const char *firmware, char *buf, size_t len)
{
	const char *slash = strrchr(firmware, '/');
	int dir = slash ? (int)(slash - firmware) + 1 : 0;
	FILE *f;

	if ((size_t)snprintf(buf, len, "%.*sOVMF_VARS.fd", dir, firmware) >= len)
		return false;
	f = fopen(buf, "rb");
	if (f)
		fclose(f);
	return f != NULL;
}

/* The TDVF TD's sections, memory map and MRTD on stdout. 0, or -1 said on stderr. */
static int tdvf_print(const char *firmware, const char *vars, uint64_t memory, unsigned int vcpus)
{
	struct tdxsim_tdvf_info info;
	char err[1024];

	if (tdxsim_tdvf_measure(firmware, vars, memory, &info, err, sizeof(err))) {
		fprintf(stderr, "tdxsim boot: %s\n", err);
		return -1;
	}
	printf("firmware %s: TDVF, a 0x%llx-byte image%s%s\n", firmware,
	       (unsigned long long)info.image_size, vars ? " with " : "", vars ? vars : "");
	for (unsigned int i = 0; i < info.nr_sections; i++)
		printf("section %-7s GPA 0x%08llx + 0x%06llx%s\n", info.section[i].name,
		       (unsigned long long)info.section[i].gpa,
		       (unsigned long long)info.section[i].size,
		       info.section[i].attributes & 1 ? ", measured" : "");
	printf("TD HOB  at 0x%llx, %zu bytes\n", (unsigned long long)info.hob_gpa, info.hob_len);
	for (unsigned int i = 0; i < info.nr_ram; i++)
		printf("memory  0x%010llx-0x%010llx %s\n", (unsigned long long)info.ram[i].addr,
		       (unsigned long long)(info.ram[i].addr + info.ram[i].size - 1),
		       info.ram[i].accepted ? "added" : "unaccepted");
	printf("pages   %u added, %u measured, %u vCPU%s, %llu MiB\nMRTD    ", info.nr_pages,
	       info.nr_measured, vcpus, vcpus == 1 ? "" : "s", (unsigned long long)(memory >> 20));
	for (unsigned int i = 0; i < 48; i++)
		printf("%02x", info.mrtd[i]);
	printf("\n");
	return 0;
}

int cmd_boot(int argc, char **argv)
{
	static const struct option opts[] = {
		{"kernel", required_argument, NULL, 'k'},
		{"initrd", required_argument, NULL, 'i'},
		{"cmdline", required_argument, NULL, 'c'},
		{"vcpus", required_argument, NULL, 'v'},
		{"memory", required_argument, NULL, 'm'},
		{"cpu", required_argument, NULL, 'p'},
		{"timeout", required_argument, NULL, 't'},
		{"trace", required_argument, NULL, 'T'},
		{"firmware", required_argument, NULL, 'f'},
		{"vars", required_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *kernel = NULL, *initrd = NULL, *cmdline = DEFAULT_CMDLINE, *cpu = "native";
	const char *firmware = NULL, *vars = NULL;
	char vars_beside[4096];
	uint64_t memory = DEFAULT_MEMORY, vcpus = 1;
	const char *timeout_arg = NULL, *trace_path = NULL;
	double timeout = 0;
	char *end;
	FILE *trace = NULL;
	int c, status;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			kernel = optarg;
			break;
		case 'i':
			initrd = optarg;
			break;
		case 'c':
			cmdline = optarg;
			break;
		case 'v':
			errno = 0;
			vcpus = strtoull(optarg, &end, 10);
			if (!isdigit((unsigned char)*optarg) || *end || errno || !vcpus ||
			    vcpus > 255) {
				fprintf(stderr, "tdxsim boot: --vcpus: '%s' is not 1..255\n",
					optarg);
				return TDXSIM_EXIT_TOOL;
			}
			break;
		case 'm':
			if (parse_size(optarg, &memory) || memory > MAX_MEMORY) {
				fprintf(stderr,
					"tdxsim boot: --memory: '%s' is not a size up to 3G (512M, "
					"1G)\n",
					optarg);
				return TDXSIM_EXIT_TOOL;
			}
			break;
		case 'p':
			cpu = optarg;
			if (strcmp(cpu, "native") && strcmp(cpu, "system")) {
				fprintf(stderr,
					"tdxsim boot: --cpu: '%s' is not native or system\n", cpu);
				return TDXSIM_EXIT_TOOL;
			}
			break;
		case 't':
			errno = 0;
			timeout = strtod(optarg, &end);
			if (!isdigit((unsigned char)*optarg) || *end || errno || timeout < 0) {
				fprintf(stderr, "tdxsim boot: --timeout: '%s' is not seconds\n",
					optarg);
				return TDXSIM_EXIT_TOOL;
			}
			timeout_arg = optarg;
			break;
		case 'T':
			trace_path = optarg;
			break;
		case 'f':
			firmware = optarg;
			break;
		case 'V':
			vars = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return TDXSIM_EXIT_TOOL;
		}
	}
	if (!kernel == !firmware || optind != argc || (firmware && initrd)) {
		usage(stderr);
		return TDXSIM_EXIT_TOOL;
	}
	if (firmware && !vars && tdvf_vars_beside(firmware, vars_beside, sizeof(vars_beside)))
		vars = vars_beside;
	if (firmware ? tdvf_print(firmware, vars, memory, (unsigned int)vcpus)
		     : linux_print(kernel, initrd, cmdline, memory, (unsigned int)vcpus))
		return TDXSIM_EXIT_TOOL;
	fflush(stdout);
	if (!strcmp(cpu, "system")) {
		if (trace_path && !(trace = fopen(trace_path, "w"))) {
			fprintf(stderr, "tdxsim boot: --trace %s: %s\n", trace_path,
				strerror(errno));
			return TDXSIM_EXIT_TOOL;
		}
		setvbuf(stdout, NULL, _IOLBF, 0);
		status = boot_system(kernel, initrd, cmdline, firmware, vars, memory,
				     (unsigned int)vcpus, timeout, timeout_arg, trace);
		if (trace && fclose(trace)) {
			fprintf(stderr, "tdxsim boot: --trace %s: %s\n", trace_path,
				strerror(errno));
			if (status != TDXSIM_EXIT_TIMEOUT)
				status = TDXSIM_EXIT_TOOL;
		}
		return status;
	}
	fprintf(stderr,
		"tdxsim boot: the TD is built in memory only: the native CPU backend cannot run a "
		"Linux kernel or firmware. The native backend runs guest code at CPL3 inside the "
		"tdxsim "
		"process; a kernel needs CPL0, which the system backend (--cpu system) gives.\n");
	return TDXSIM_EXIT_TOOL;
}
