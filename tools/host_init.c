// SPDX-License-Identifier: MIT
/*
 * tdxsim host-init: boot a machine, load the TDX module, and bring it up as the host
 * kernel does (tdx_init, tdx_enable). Prints the bring-up log, the TDMR/PAMT layout, the
 * time each phase took and the memory the process used.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <tdxsim/tdxsim.h>

#include "tools.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long peak_rss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static void print_line(const char *line, void *arg)
{
	(void)arg;
	printf("%s\n", line);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: tdxsim host-init [--machine PRESET|FILE] [--inject SPEC]\n"
		   "                        [--module-version latest|1.5.01] [--svg FILE]\n\n"
		   "Boot the machine, load the TDX module and run the host bring-up (tdx_enable):\n"
		   "the log, the TDMR/PAMT layout and the time taken. Exit status 0, or 125 when\n"
		   "the bring-up or an option failed (docs/VMM.md \"Exit status\").\n\n"
		   "  --machine P|F     a machine preset or configuration file (docs/MACHINE.md;\n"
		   "                    default laptop), as for tdxsim run; presets:");
	tool_print_presets(f);
	fprintf(f, "\n"
		   "  --preset P|F      the same as --machine\n"
		   "  --inject SPEC     module fault injection, e.g. "
		   "TDH.SYS.KEY.CONFIG:1=KEY_GENERATION_FAILED\n"
		   "  --module-version  which module revision to behave as\n"
		   "  --svg FILE        draw the physical memory map (RAM, CMRs, TDMRs, reserved\n"
		   "                    areas, PAMTs) as SVG into FILE; open it in a browser\n"
		   "  --help            this text\n");
}

int cmd_host_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{"machine", required_argument, NULL, 'm'},
		{"preset", required_argument, NULL, 'm'},
		{"inject", required_argument, NULL, 'i'},
		{"module-version", required_argument, NULL, 'v'},
		{"svg", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *machine = "laptop", *inject = NULL, *svg_path = NULL, *version = NULL;
	FILE *svg = NULL;
	char err[512], note[160];
	struct tdxsim_machine_desc cfg;
	double t0, t_boot, t_enable;
	int c, ret, status = TDXSIM_EXIT_TOOL;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'm') {
			machine = optarg;
		} else if (c == 'i') {
			inject = optarg;
		} else if (c == 's') {
			svg_path = optarg;
		} else if (c == 'v' && (!strcmp(optarg, "1.5.01") || !strcmp(optarg, "latest"))) {
			version = optarg;
		} else if (c == 'v') {
			fprintf(stderr, "tdxsim: --module-version: '%s' is not latest or 1.5.01\n",
				optarg);
			return TDXSIM_EXIT_TOOL;
		} else if (c == 'h') {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return TDXSIM_EXIT_TOOL;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "tdxsim: host-init takes no arguments ('%s')\n", argv[optind]);
		usage(stderr);
		return TDXSIM_EXIT_TOOL;
	}
	if (tool_machine_config(machine, &cfg))
		return TDXSIM_EXIT_TOOL;
	/* Before the bring-up: a file that cannot be written costs no machine. */
	if (svg_path && !(svg = fopen(svg_path, "w"))) {
		fprintf(stderr, "tdxsim: --svg %s: %s\n", svg_path, strerror(errno));
		return TDXSIM_EXIT_TOOL;
	}

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("machine %s: %u package(s) x %u core(s) x %u thread(s), %.1f GiB RAM in %u "
	       "ranges\n",
	       cfg.name, cfg.packages, cfg.cores_per_package, cfg.threads_per_core,
	       (double)cfg.ram_bytes / (1ULL << 30), cfg.nr_ram);

	t0 = now();
	if (tdxsim_boot(&(struct tdxsim_boot){.machine = machine,
					      .inject = inject,
					      .module_version = version,
					      .no_tdx_enable = true,
					      .log = print_line},
			err, sizeof(err))) {
		tool_print_boot_error(err);
		if (svg)
			fclose(svg);
		return TDXSIM_EXIT_TOOL;
	}
	t_boot = now();
	ret = tdxsim_tdx_enable();
	t_enable = now();
	if (ret) {
		fprintf(stderr, "tdxsim: tdx_enable failed: %s\n", strerror(-ret));
	} else {
		printf("layout:\n");
		tdxsim_tdx_print_layout();
		status = 0;
	}
	printf("time: machine boot %.3f s, tdx_enable %.3f s; %u LPs online\n", t_boot - t0,
	       t_enable - t_boot, tdxsim_nr_online_lps());
	printf("memory: RAM touched %.1f MiB, PAMT %.1f MiB (untouched by the host), "
	       "peak RSS %.1f MiB\n",
	       (double)tdxsim_resident_bytes() / (1 << 20), (double)tdxsim_pamt_bytes() / (1 << 20),
	       (double)peak_rss_kib() / 1024);
	if (svg) {
		int werr;

		if (ret)
			snprintf(note, sizeof(note),
				 "tdx_enable() failed (%s): no CMRs, TDMRs or PAMTs to draw",
				 strerror(-ret));
		else
			snprintf(note, sizeof(note),
				 "after tdx_enable(), as tdxsim host-init set it up");
		werr = memmap_svg_write(svg, &cfg, !ret, note);
		if (fclose(svg) && !werr)
			werr = errno ? errno : EIO;
		if (werr) {
			fprintf(stderr, "tdxsim: --svg %s: %s; the picture is incomplete\n",
				svg_path, strerror(werr));
			status = TDXSIM_EXIT_TOOL;
		}
	}
	tdxsim_shutdown();
	return status;
}
