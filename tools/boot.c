// SPDX-License-Identifier: MIT
/*
 * tdxsim boot: a Linux bzImage (and initrd) directly as a TD (docs/LINUX-BOOT.md). The TD's
 * image is built and measured here (vmm/linux_boot.c); running it needs the system CPU
 * backend, since the native one runs guest code at CPL3 inside this process and a kernel needs
 * CPL0. Until the system backend runs TDs, boot prints the layout and the MRTD the TD would
 * have and exits with 125 saying so.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tdxsim/linux.h"
#include "tools.h"

#define DEFAULT_MEMORY	(512ULL << 20)
#define DEFAULT_CMDLINE "console=ttyS0"
#define MAX_MEMORY	(3ULL << 30)

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tdxsim boot --kernel VMLINUZ [--initrd FILE] [--cmdline \"...\"]\n"
		"                   [--vcpus N] [--memory SIZE] [--cpu native|system]\n\n"
		"Boot a Linux bzImage directly as a TD: the kernel at its preferred address, the\n"
		"initrd at the top of memory, boot_params with e820, the command line (default\n"
		"\"" DEFAULT_CMDLINE "\"), ACPI tables (MADT with x2APIC and wake-up mailbox,\n"
		"hardware-reduced FADT) and a measured reset page that enters long mode, accepts\n"
		"the memory and jumps to the 64-bit entry. --memory defaults to 512M (at most "
		"3G),\n"
		"--vcpus to 1. Prints the layout and the TD's MRTD. Running the kernel needs the\n"
		"system CPU backend (docs/SYSTEM.md), which does not run TDs yet: exit status 125\n"
		"(docs/LINUX-BOOT.md).\n");
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

int cmd_boot(int argc, char **argv)
{
	static const struct option opts[] = {
		{"kernel", required_argument, NULL, 'k'},  {"initrd", required_argument, NULL, 'i'},
		{"cmdline", required_argument, NULL, 'c'}, {"vcpus", required_argument, NULL, 'v'},
		{"memory", required_argument, NULL, 'm'},  {"cpu", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},	   {NULL, 0, NULL, 0},
	};
	const char *kernel = NULL, *initrd = NULL, *cmdline = DEFAULT_CMDLINE, *cpu = "native";
	uint64_t memory = DEFAULT_MEMORY, vcpus = 1;
	struct tdxsim_linux_info lay;
	char err[1024], *end;
	int c;

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
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return TDXSIM_EXIT_TOOL;
		}
	}
	if (!kernel || optind != argc) {
		usage(stderr);
		return TDXSIM_EXIT_TOOL;
	}
	if (tdxsim_linux_measure(kernel, initrd, cmdline, memory, (unsigned int)vcpus, &lay, err,
				 sizeof(err))) {
		fprintf(stderr, "tdxsim boot: %s\n", err);
		return TDXSIM_EXIT_TOOL;
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
	printf("pages   %u added and measured, %u vCPU%s, %llu MiB\nMRTD    ", lay.nr_pages,
	       (unsigned int)vcpus, vcpus == 1 ? "" : "s", (unsigned long long)(memory >> 20));
	for (unsigned int i = 0; i < 48; i++)
		printf("%02x", lay.mrtd[i]);
	printf("\n");
	fflush(stdout);
	fprintf(stderr,
		"tdxsim boot: the TD is built in memory only: the %s CPU backend cannot run a "
		"Linux "
		"kernel. %s\n",
		cpu,
		!strcmp(cpu, "native")
			? "The native backend runs guest code at CPL3 inside the tdxsim process; a "
			  "kernel needs CPL0, which the system backend (--cpu system) gives."
			: "The system backend does not run TDs yet (docs/SYSTEM.md); when it does, "
			  "this command will run the kernel there (docs/LINUX-BOOT.md).");
	return TDXSIM_EXIT_TOOL;
}
