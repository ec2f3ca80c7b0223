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

#include "host/page_alloc.h"
#include "host/tdx_host.h"
#include "module/tdx_module.h"
#include "platform/platform.h"

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
	const char *const *names = machine_preset_names();

	fprintf(f, "usage: tdxsim host-init [--preset NAME | --machine FILE] [--inject SPEC]\n"
		   "                        [--module-version latest|1.5.01]\n\n"
		   "Boot the machine, load the TDX module and run the host bring-up (tdx_enable):\n"
		   "the log, the TDMR/PAMT layout and the time taken.\n\n"
		   "  --preset NAME     a machine preset:");
	for (; *names; names++)
		fprintf(f, " %s", *names);
	fprintf(f, " (default laptop)\n"
		   "  --machine FILE    a machine configuration file (docs/MACHINE.md)\n"
		   "  --inject SPEC     module fault injection, e.g. TDH.SYS.KEY.CONFIG:1=KEY_GENERATION_FAILED\n"
		   "  --module-version  which module revision to behave as\n"
		   "  --help            this text\n");
}

static int load_config(const char *preset, const char *file, struct machine_config *cfg)
{
	char err[256];

	if (file) {
		if (machine_config_load(file, cfg, err, sizeof(err))) {
			fprintf(stderr, "tdxsim: %s\n", err);
			return -EINVAL;
		}
		return 0;
	}
	if (machine_preset(preset, cfg)) {
		fprintf(stderr, "tdxsim: unknown preset '%s'\n", preset);
		return -ENOENT;
	}
	return 0;
}

int cmd_host_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "preset", required_argument, NULL, 'p' },
		{ "machine", required_argument, NULL, 'm' },
		{ "inject", required_argument, NULL, 'i' },
		{ "module-version", required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tdx_module_params params = { 0 };
	const char *preset = "laptop", *file = NULL, *inject = NULL;
	char err[256];
	struct machine_config cfg;
	double t0, t_boot, t_enable;
	int c, ret, status = 1;

	while ((c = getopt_long(argc, argv, "p:m:i:v:h", opts, NULL)) != -1) {
		if (c == 'p') {
			preset = optarg;
		} else if (c == 'm') {
			file = optarg;
		} else if (c == 'i') {
			inject = optarg;
		} else if (c == 'v' && !strcmp(optarg, "1.5.01")) {
			params.version = TDX_MODULE_1_5_01;
		} else if (c == 'v' && !strcmp(optarg, "latest")) {
			params.version = TDX_MODULE_LATEST;
		} else if (c == 'h') {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (load_config(preset, file, &cfg))
		return 2;

	setvbuf(stdout, NULL, _IOLBF, 0);
	tdx_log_set_sink(print_line, NULL);
	printf("machine %s: %u package(s) x %u core(s) x %u thread(s), %.1f GiB RAM in %u "
	       "ranges\n",
	       cfg.name, cfg.packages, cfg.cores_per_package, cfg.threads_per_core,
	       (double)machine_ram_bytes(&cfg) / (1ULL << 30), cfg.nr_ram);

	t0 = now();
	ret = platform_boot(&cfg);
	if (ret) {
		fprintf(stderr, "tdxsim: machine boot failed: %s\n", strerror(-ret));
		return 1;
	}
	platform_claim_signals();
	ret = page_alloc_init();
	if (!ret)
		ret = tdx_module_load(&params);
	if (ret) {
		fprintf(stderr, "tdxsim: %s\n", strerror(-ret));
		goto out_platform;
	}
	if (inject && tdx_module_inject_parse(inject, err, sizeof(err))) {
		fprintf(stderr, "tdxsim: --inject: %s\n", err);
		ret = -EINVAL;
		goto out_module;
	}
	ret = tdx_init();
	if (ret)
		goto out_module;
	t_boot = now();
	ret = tdx_enable();
	t_enable = now();
	if (ret) {
		printf("tdx_enable: %d (%s)\n", ret, strerror(-ret));
	} else {
		printf("layout:\n");
		tdx_print_layout();
		status = 0;
	}
	printf("time: machine boot %.3f s, tdx_enable %.3f s; %u LPs online\n", t_boot - t0,
	       t_enable - t_boot, platform_nr_online_lps());
	printf("memory: RAM touched %.1f MiB, PAMT %.1f MiB (untouched by the host), "
	       "peak RSS %.1f MiB\n",
	       (double)phys_resident_bytes() / (1 << 20), (double)tdx_pamt_bytes() / (1 << 20),
	       (double)peak_rss_kib() / 1024);
	tdx_exit();
out_module:
	tdx_module_unload();
	page_alloc_exit();
out_platform:
	platform_shutdown();
	return status;
}
