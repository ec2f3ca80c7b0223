// SPDX-License-Identifier: MIT
/* Machine configuration: presets, the configuration-file format and validation. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "tests/support/capture.h"

static void assert_range(const struct phys_range *r, uint64_t base, uint64_t end, unsigned int node)
{
	assert_int_equal(r->base, base);
	assert_int_equal(r->base + r->size, end);
	assert_int_equal(r->node, node);
}

static void assert_valid(const struct machine_config *cfg)
{
	char err[256] = "";

	if (machine_config_validate(cfg, err, sizeof(err)))
		fail_msg("%s: %s", cfg->name, err);
}

static void test_preset_names(void **state)
{
	const char *const *names = machine_preset_names();
	struct machine_config cfg;
	int i;

	(void)state;
	assert_string_equal(names[0], "laptop");
	assert_string_equal(names[1], "2s-224lp-1t");
	assert_string_equal(names[2], "1024lp");
	assert_string_equal(names[3], "tiny");
	assert_null(names[4]);
	for (i = 0; names[i]; i++) {
		assert_int_equal(machine_preset(names[i], &cfg), 0);
		assert_string_equal(cfg.name, names[i]);
		assert_valid(&cfg);
		/* the defaults every preset shares */
		assert_true(cfg.seamrr_enabled);
		assert_true(cfg.module_present);
		assert_true(cfg.gate);
		assert_int_equal(cfg.cpuid_mode, CPUID_TRAP_AUTO);
		assert_int_equal(cfg.timer_hz, 0);
		assert_int_equal(cfg.online_lps, 0);
		assert_int_equal(cfg.nr_cmrs, 0);
	}
	assert_int_equal(machine_preset("nonesuch", &cfg), -ENOENT);
	assert_int_equal(machine_preset(NULL, &cfg), -EINVAL);
}

static void test_preset_laptop(void **state)
{
	struct machine_config cfg;

	(void)state;
	assert_int_equal(machine_preset("laptop", &cfg), 0);
	assert_int_equal(cfg.packages, 1);
	assert_int_equal(cfg.cores_per_package, 4);
	assert_int_equal(cfg.threads_per_core, 2);
	assert_int_equal(cfg.nr_ram, 3);
	assert_range(&cfg.ram[0], 0, 640 * KiB, 0);
	assert_range(&cfg.ram[1], 1 * MiB, 2 * GiB, 0);
	assert_range(&cfg.ram[2], 4 * GiB, 18 * GiB, 0);
	assert_int_equal(machine_ram_bytes(&cfg), 640 * KiB + 2 * GiB - 1 * MiB + 14 * GiB);
	assert_int_equal(cfg.maxphyaddr, 46);
	assert_int_equal(cfg.keyid_bits, 6);
	assert_int_equal(cfg.mktme_keyids, 31);
	assert_int_equal(cfg.tdx_keyids, 32);
}

static void test_preset_2s(void **state)
{
	struct machine_config cfg;

	(void)state;
	assert_int_equal(machine_preset("2s-224lp-1t", &cfg), 0);
	assert_int_equal(cfg.packages * cfg.cores_per_package * cfg.threads_per_core, 224);
	assert_int_equal(cfg.packages, 2);
	assert_int_equal(cfg.threads_per_core, 1);
	assert_int_equal(cfg.nr_ram, 4);
	assert_range(&cfg.ram[0], 0, 640 * KiB, 0);
	assert_range(&cfg.ram[1], 1 * MiB, 2 * GiB, 0);
	assert_range(&cfg.ram[2], 4 * GiB, 514 * GiB, 0);
	assert_range(&cfg.ram[3], 516 * GiB, 1028 * GiB, 1);
	assert_int_equal(machine_ram_bytes(&cfg), 1024 * GiB - 1 * MiB + 640 * KiB);
	assert_int_equal(cfg.maxphyaddr, 52);
	assert_int_equal(cfg.keyid_bits, 7);
	assert_int_equal(cfg.mktme_keyids, 63);
	assert_int_equal(cfg.tdx_keyids, 64);
}

static void test_preset_1024lp_tiny(void **state)
{
	struct machine_config cfg;

	(void)state;
	assert_int_equal(machine_preset("1024lp", &cfg), 0);
	assert_int_equal(cfg.packages, 4);
	assert_int_equal(cfg.cores_per_package, 128);
	assert_int_equal(cfg.threads_per_core, 2);
	assert_int_equal(cfg.nr_ram, 5);
	assert_range(&cfg.ram[2], 4 * GiB, 6 * GiB, 1);
	assert_range(&cfg.ram[4], 8 * GiB, 10 * GiB, 3);

	assert_int_equal(machine_preset("tiny", &cfg), 0);
	assert_int_equal(cfg.packages * cfg.cores_per_package * cfg.threads_per_core, 2);
	assert_int_equal(cfg.nr_ram, 2);
	assert_range(&cfg.ram[1], 1 * MiB, 1 * GiB, 0);
}

static const char full_file[] = "# a test machine\n"
				"preset = tiny   # start small\n"
				"name = bench box\n"
				"packages = 2\n"
				"cores_per_package = 3\n"
				"threads_per_core=2\n"
				"  online_lps = 5\n"
				"\n"
				"ram = 4G +2G node=1\n"
				"ram = 0x100000-0x40000000\n"
				"ram = 0 - 640K node=0\n"
				"cmr = 1M-1G\n"
				"cmr = 4G +2g\n"
				"maxphyaddr = 52\n"
				"keyid_bits = 0x7\n"
				"mktme_keyids = 15\n"
				"tdx_keyids = 112\n"
				"seamrr = off\n"
				"module = absent\n"
				"gate = off\n"
				"cpuid = rewrite\n"
				"timer_hz = 250\r\n";

static void test_parse_full(void **state)
{
	struct machine_config cfg;
	char err[256] = "";

	(void)state;
	assert_int_equal(machine_config_parse(full_file, "full.cfg", &cfg, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_string_equal(cfg.name, "bench box");
	assert_int_equal(cfg.packages, 2);
	assert_int_equal(cfg.cores_per_package, 3);
	assert_int_equal(cfg.threads_per_core, 2);
	assert_int_equal(cfg.online_lps, 5);
	/* the first ram line replaced the preset's map; lines are kept sorted */
	assert_int_equal(cfg.nr_ram, 3);
	assert_range(&cfg.ram[0], 0, 640 * KiB, 0);
	assert_range(&cfg.ram[1], 1 * MiB, 1 * GiB, 0);
	assert_range(&cfg.ram[2], 4 * GiB, 6 * GiB, 1);
	assert_int_equal(cfg.nr_cmrs, 2);
	assert_range(&cfg.cmr[0], 1 * MiB, 1 * GiB, 0);
	assert_range(&cfg.cmr[1], 4 * GiB, 6 * GiB, 0);
	assert_int_equal(cfg.maxphyaddr, 52);
	assert_int_equal(cfg.keyid_bits, 7);
	assert_int_equal(cfg.mktme_keyids, 15);
	assert_int_equal(cfg.tdx_keyids, 112);
	assert_false(cfg.seamrr_enabled);
	assert_false(cfg.module_present);
	assert_false(cfg.gate);
	assert_int_equal(cfg.cpuid_mode, CPUID_TRAP_REWRITE);
	assert_int_equal(cfg.timer_hz, 250);
}

/* Without `preset`, a file starts from the laptop; an empty one is the laptop. */
static void test_parse_defaults(void **state)
{
	struct machine_config cfg, laptop;
	char err[256];

	(void)state;
	machine_preset("laptop", &laptop);
	assert_int_equal(machine_config_parse("", "empty", &cfg, err, sizeof(err)), 0);
	assert_memory_equal(&cfg, &laptop, sizeof(cfg));
	assert_int_equal(machine_config_parse("timer_hz = 1000\ncpuid = faulting", "x", &cfg, err,
					      sizeof(err)),
			 0);
	assert_int_equal(cfg.nr_ram, 3);
	assert_int_equal(cfg.timer_hz, 1000);
	assert_int_equal(cfg.cpuid_mode, CPUID_TRAP_FAULTING);
	assert_int_equal(cfg.cpu_fms, 0); /* the default CPU */
	assert_int_equal(machine_config_parse("cpu_fms = 0xa06d1", "x", &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.cpu_fms, 0xa06d1);
	assert_int_equal(machine_config_parse("preset = 1024lp\nonline_lps = 4", "x", &cfg, err,
					      sizeof(err)),
			 0);
	assert_string_equal(cfg.name, "1024lp");
	assert_int_equal(cfg.online_lps, 4);
	assert_int_equal(cfg.packages, 4);
}

struct bad_case {
	const char *text;
	const char *msg;
};

static const struct bad_case bad_cases[] = {
	{"packages 2", "t.cfg:1: expected 'key = value'"},
	{"= 2", "t.cfg:1: expected 'key = value'"},
	{"# fine\n\ncolour = blue", "t.cfg:3: unknown key 'colour'"},
	{"packages =   # nothing", "t.cfg:1: missing value for 'packages'"},
	{"packages = two", "t.cfg:1: bad number 'two'"},
	{"packages = 2K", "t.cfg:1: bad number '2K'"},
	{"timer_hz = 0x", "t.cfg:1: bad number '0x'"},
	{"timer_hz = -1", "t.cfg:1: bad number '-1'"},
	{"tdx_keyids = 0x100000000", "t.cfg:1: number out of range '0x100000000'"},
	{"ram = 0 +99999999999999999999", "t.cfg:1: bad number '99999999999999999999'"},
	{"ram = 0 +17179869184T", "t.cfg:1: bad number '17179869184T'"},
	{"ram = 1G +2Q", "t.cfg:1: bad number '2Q'"},
	{"ram = x-2G", "t.cfg:1: bad number 'x'"},
	{"preset = tiny\npreset = huge", "t.cfg:2: unknown preset 'huge'"},
	{"timer_hz = 1\npreset = tiny", "t.cfg:2: 'preset' must come before other keys"},
	{"seamrr = yes", "t.cfg:1: bad value 'yes' for seamrr (expected on|off)"},
	{"gate = 1", "t.cfg:1: bad value '1' for gate (expected on|off)"},
	{"module = gone", "t.cfg:1: bad value 'gone' for module (expected present|absent)"},
	{"cpuid = trap", "t.cfg:1: bad value 'trap' for cpuid (expected auto|faulting|rewrite)"},
	{"ram = 4G", "t.cfg:1: bad ram range '4G' (expected BASE-END or BASE +SIZE [node=N])"},
	{"ram = 4G-", "t.cfg:1: bad ram range '4G-' (expected BASE-END or BASE +SIZE [node=N])"},
	{"ram = 4G +1G nodes=1",
	 "t.cfg:1: bad ram range '4G +1G nodes=1' (expected BASE-END or BASE +SIZE [node=N])"},
	{"ram = 4G +1G node=1 x",
	 "t.cfg:1: bad ram range '4G +1G node=1 x' (expected BASE-END or BASE +SIZE [node=N])"},
	{"ram = 4G +1G node=one", "t.cfg:1: bad number 'one'"},
	{"cmr = 4G +1G node=0",
	 "t.cfg:1: bad cmr range '4G +1G node=0' (expected BASE-END or BASE +SIZE)"},
	{"cmr = 4G", "t.cfg:1: bad cmr range '4G' (expected BASE-END or BASE +SIZE)"},
	{"ram = 4G-4G", "t.cfg:1: empty ram range '4G-4G'"},
	{"ram = 4G-2G", "t.cfg:1: empty ram range '4G-2G'"},
	{"cmr = 1M +0", "t.cfg:1: empty cmr range '1M +0'"},
	{"ram = 0xffffffffffff0000 +1M", "t.cfg:1: ram range '0xffffffffffff0000 +1M' overflows"},
	{"ram = 0x1800-4G", "t.cfg:1: ram range '0x1800-4G' is not page-aligned"},
	{"ram = 0 +1M\nram = 4G +1G\nram = 512K-2M",
	 "t.cfg:3: ram range [0x80000, 0x200000) overlaps [0x0, 0x100000)"},
	{"cmr = 0 +1M\ncmr = 0x1000 +4K",
	 "t.cfg:2: cmr range [0x1000, 0x2000) overlaps [0x0, 0x100000)"},
	{"name = 0123456789012345678901234567890123456789012345678901234567890123",
	 "t.cfg:1: name too long (max 63 characters)"},
};

static void test_parse_errors(void **state)
{
	struct machine_config cfg, before;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		memset(&cfg, 0x5a, sizeof(cfg));
		before = cfg;
		err[0] = '\0';
		assert_int_equal(
			machine_config_parse(bad_cases[i].text, "t.cfg", &cfg, err, sizeof(err)),
			-EINVAL);
		if (strcmp(err, bad_cases[i].msg))
			fail_msg("case %zu '%s':\n  got      '%s'\n  expected '%s'", i,
				 bad_cases[i].text, err, bad_cases[i].msg);
		/* a failed parse leaves the caller's configuration alone */
		assert_memory_equal(&cfg, &before, sizeof(cfg));
	}
}

static void test_parse_line_limits(void **state)
{
	char *text = malloc(70 * 64 + 1), err[256];
	struct machine_config cfg;
	size_t len = 0;
	int i;

	(void)state;
	for (i = 0; i < 65; i++)
		len += sprintf(text + len, "ram = %dG +4K\n", 2 * i);
	assert_int_equal(machine_config_parse(text, "many", &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "many:65: too many ram ranges (max 64)");

	len = 0;
	for (i = 0; i < 33; i++)
		len += sprintf(text + len, "cmr = %dM +4K\n", i);
	assert_int_equal(machine_config_parse(text, "cmrs", &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "cmrs:33: too many cmr ranges (max 32)");

	memset(text, ' ', 1100);
	strcpy(text + 1100, "x = 1\n");
	assert_int_equal(machine_config_parse(text, "long", &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "long:1: line too long (max 1023 characters)");
	free(text);
}

/* The validation messages a parsed file gets, prefixed with the origin and no line. */
static const struct bad_case invalid_files[] = {
	{"packages = 17", "v: packages must be 1..16, not 17"},
	{"packages = 0", "v: packages must be 1..16, not 0"},
	{"cores_per_package = 0", "v: cores_per_package must be at least 1"},
	{"threads_per_core = 0", "v: threads_per_core must be at least 1"},
	{"packages = 16\ncores_per_package = 33\nthreads_per_core = 2",
	 "v: 1056 LPs: at most 1024 are supported"},
	{"online_lps = 9", "v: online_lps 9 exceeds the 8 LPs"},
	{"maxphyaddr = 35", "v: maxphyaddr must be 36..52, not 35"},
	{"maxphyaddr = 53", "v: maxphyaddr must be 36..52, not 53"},
	{"keyid_bits = 16", "v: keyid_bits must be at most 15, not 16"},
	{"mktme_keyids = 32",
	 "v: 1 + mktme_keyids 32 + tdx_keyids 32 exceeds the 64 KeyIDs of keyid_bits 6"},
	{"mktme_keyids = 62\ntdx_keyids = 1", "v: tdx_keyids must be 0 or at least 2, not 1"},
	{"maxphyaddr = 40", "v: ram range 2 [0x100000000, +0x380000000) is above the physical "
			    "address limit 0x400000000"},
	{"ram = 0 +1G node=1", "v: ram range 0 is on node 1, but there are 1 packages"},
	{"cmr = 1M-3G", "v: cmr range 0 [0x100000, 0xc0000000) is not all RAM"},
	{"cmr = 0-2G", "v: cmr range 0 [0x0, 0x80000000) is not all RAM"},
	{"timer_hz = 100001", "v: timer_hz must be at most 100000, not 100001"},
	{"cpu_fms = 0x100806f8", "v: cpu_fms 0x100806f8 sets reserved bits (31:28, 15:14)"},
	{"cpu_fms = 0xc6f8", "v: cpu_fms 0xc6f8 sets reserved bits (31:28, 15:14)"},
};

static void test_parse_invalid(void **state)
{
	struct machine_config cfg;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(invalid_files) / sizeof(invalid_files[0]); i++) {
		err[0] = '\0';
		assert_int_equal(
			machine_config_parse(invalid_files[i].text, "v", &cfg, err, sizeof(err)),
			-EINVAL);
		if (strcmp(err, invalid_files[i].msg))
			fail_msg("case %zu '%s':\n  got      '%s'\n  expected '%s'", i,
				 invalid_files[i].text, err, invalid_files[i].msg);
	}
	/* adjacent RAM ranges of two nodes make one CMR possible */
	assert_int_equal(machine_config_parse("packages = 2\nram = 0 +1G\nram = 1G +1G node=1\n"
					      "cmr = 0-2G",
					      "v", &cfg, err, sizeof(err)),
			 0);
}

/* Configurations built in code break rules a parser cannot produce. */
static void test_validate(void **state)
{
	struct machine_config cfg;
	char err[256];

	(void)state;
	machine_preset("laptop", &cfg);
	cfg.ram[1].base = 0x100800;
	assert_int_equal(machine_config_validate(&cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "ram range 1 [0x100800, +0x7ff00000) is not page-aligned");

	machine_preset("laptop", &cfg);
	cfg.ram[1].base = 512 * KiB;
	assert_int_equal(machine_config_validate(&cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "ram range 1 is not sorted or overlaps range 0");

	machine_preset("laptop", &cfg);
	cfg.ram[2].size = 0;
	assert_int_equal(machine_config_validate(&cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "ram range 2 is empty");

	machine_preset("laptop", &cfg);
	cfg.nr_ram = 0;
	assert_int_equal(machine_config_validate(&cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "nr_ram must be 1..64, not 0");

	machine_preset("laptop", &cfg);
	cfg.nr_cmrs = 33;
	assert_int_equal(machine_config_validate(&cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "nr_cmrs must be at most 32, not 33");

	machine_preset("laptop", &cfg);
	cfg.cpuid_mode = 7;
	assert_int_equal(machine_config_validate(&cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "cpuid_mode 7 is not a mode");

	machine_preset("laptop", &cfg);
	memset(cfg.name, 'x', sizeof(cfg.name));
	assert_int_equal(machine_config_validate(&cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "name is not terminated");

	/* more RAM ranges than CMRs: the default of one CMR per range cannot work */
	machine_preset("laptop", &cfg);
	for (cfg.nr_ram = 0; cfg.nr_ram < 40; cfg.nr_ram++)
		cfg.ram[cfg.nr_ram] = (struct phys_range){cfg.nr_ram * 2 * MiB, 1 * MiB, 0};
	assert_int_equal(machine_config_validate(&cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "40 ram ranges need explicit CMRs (at most 32)");

	assert_int_equal(machine_config_validate(NULL, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "no configuration");
}

/* The example in docs/MACHINE.md. */
static void test_doc_example(void **state)
{
	static const char doc[] = "# A two-socket test machine\n"
				  "preset = 2s-224lp-1t        # must come first\n"
				  "name = my-box\n"
				  "online_lps = 200\n"
				  "ram = 0 +640K\n"
				  "ram = 1M-2G node=0\n"
				  "ram = 4G +60G node=0\n"
				  "ram = 0x1000000000 +64G node=1\n"
				  "cmr = 1M-2G\n"
				  "cmr = 4G +60G\n"
				  "timer_hz = 1000\n"
				  "cpuid = rewrite\n";
	struct machine_config cfg;
	char err[256] = "";

	(void)state;
	assert_int_equal(machine_config_parse(doc, "doc", &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.nr_ram, 4);
	assert_range(&cfg.ram[3], 64 * GiB, 128 * GiB, 1);
	assert_int_equal(cfg.nr_cmrs, 2);
	assert_int_equal(cfg.online_lps, 200);
	assert_int_equal(cfg.maxphyaddr, 52);
}

static void test_load(void **state)
{
	char path[] = "/tmp/tdxsim-machine-XXXXXX", err[256];
	struct machine_config cfg;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, full_file, strlen(full_file)), (ssize_t)strlen(full_file));
	close(fd);
	assert_int_equal(machine_config_load(path, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.name, "bench box");

	fd = open(path, O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, "bogus = 1\n", 10), 10);
	close(fd);
	assert_int_equal(machine_config_load(path, &cfg, err, sizeof(err)), -EINVAL);
	{
		char expect[300];

		snprintf(expect, sizeof(expect), "%s:23: unknown key 'bogus'", path);
		assert_string_equal(err, expect);
	}
	unlink(path);
	assert_int_equal(machine_config_load(path, &cfg, err, sizeof(err)), -ENOENT);
	{
		char expect[300];

		snprintf(expect, sizeof(expect), "%s: No such file or directory", path);
		assert_string_equal(err, expect);
	}
}

/* TDXSIM_CPUID over a configuration: the `cpuid` key's words, nothing else. */
static void test_env_cpuid_apply(void **state)
{
	char *saved = env_swap("TDXSIM_CPUID", NULL);
	struct machine_config cfg;
	char err[256] = "";

	(void)state;
	assert_int_equal(machine_preset("laptop", &cfg), 0);
	assert_int_equal(machine_config_apply_env(&cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.cpuid_mode, CPUID_TRAP_AUTO);
	setenv("TDXSIM_CPUID", "rewrite", 1);
	assert_int_equal(machine_config_apply_env(&cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.cpuid_mode, CPUID_TRAP_REWRITE);
	setenv("TDXSIM_CPUID", "faulting", 1);
	assert_int_equal(machine_config_apply_env(&cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.cpuid_mode, CPUID_TRAP_FAULTING);
	setenv("TDXSIM_CPUID", "auto", 1); /* the variable wins over the configuration */
	assert_int_equal(machine_config_apply_env(&cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.cpuid_mode, CPUID_TRAP_AUTO);
	cfg.cpuid_mode = CPUID_TRAP_REWRITE;
	setenv("TDXSIM_CPUID", "", 1); /* empty: as if unset */
	assert_int_equal(machine_config_apply_env(&cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.cpuid_mode, CPUID_TRAP_REWRITE);
	setenv("TDXSIM_CPUID", "Rewrite", 1);
	assert_int_equal(machine_config_apply_env(&cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(
		err, "bad value 'Rewrite' for TDXSIM_CPUID (expected auto|faulting|rewrite)");
	assert_int_equal(cfg.cpuid_mode, CPUID_TRAP_REWRITE);
	env_restore("TDXSIM_CPUID", saved);
}

/* CPUIDs a platform booted with TDXSIM_CPUID=MODE rewrites in one page of code. */
static int rewrites_under(const char *mode, int *boot_ret, char *msg, size_t msglen)
{
	static const uint8_t code[] = {0x0F, 0xA2, 0xC3}; /* cpuid; ret */
	char *saved = env_swap("TDXSIM_CPUID", mode);
	struct stderr_capture cap;
	struct machine_config cfg;
	struct td_window *w;
	uint8_t *va;
	int n = -1;

	assert_int_equal(machine_preset("tiny", &cfg), 0);
	cfg.cpuid_mode = CPUID_TRAP_AUTO;
	assert_int_equal(stderr_capture_start(&cap), 0);
	*boot_ret = platform_boot(&cfg);
	stderr_capture_end(&cap, msg, msglen);
	env_restore("TDXSIM_CPUID", saved);
	if (*boot_ret)
		return -1;
	w = td_window_create(48);
	assert_non_null(w);
	assert_int_equal(
		td_window_map(w, 0x1000, false, 8 * MiB, PROT_READ | PROT_WRITE | PROT_EXEC), 0);
	va = td_window_va(w, 0x1000, false);
	memcpy(va, code, sizeof(code));
	n = cpuid_rewrite_code(va, sizeof(code));
	assert_int_equal(va[1], n == 1 ? CPUID_REWRITTEN_BYTE : 0xA2);
	td_window_destroy(w);
	platform_shutdown();
	return n;
}

/* platform_boot honours TDXSIM_CPUID, whatever the configuration says, and refuses a bad one. */
static void test_env_cpuid_boot(void **state)
{
	char msg[512];
	int ret;

	(void)state;
	/* This host may have CPUID faulting: rewrite mode rewrites all the same. */
	assert_int_equal(rewrites_under("rewrite", &ret, msg, sizeof(msg)), 1);
	assert_int_equal(ret, 0);
	assert_string_equal(msg, "");
	if (rewrites_under("faulting", &ret, msg, sizeof(msg)) < 0) {
		assert_int_equal(ret, -ENODEV);
		assert_string_equal(msg, "tdxsim: cpuid = faulting, but this host has no CPUID "
					 "faulting (arch_prctl(ARCH_SET_CPUID) fails)\n");
	} else {
		assert_int_equal(ret, 0);
		assert_int_equal(rewrites_under("faulting", &ret, msg, sizeof(msg)), 0);
	}
	assert_int_equal(rewrites_under("bogus", &ret, msg, sizeof(msg)), -1);
	assert_int_equal(ret, -EINVAL);
	assert_string_equal(msg, "tdxsim: bad value 'bogus' for TDXSIM_CPUID (expected "
				 "auto|faulting|rewrite)\n");
	/* Nothing of the refused boot is left: the next one works. */
	assert_int_equal(rewrites_under("rewrite", &ret, msg, sizeof(msg)), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_preset_names),
		cmocka_unit_test(test_preset_laptop),
		cmocka_unit_test(test_preset_2s),
		cmocka_unit_test(test_preset_1024lp_tiny),
		cmocka_unit_test(test_parse_full),
		cmocka_unit_test(test_parse_defaults),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_line_limits),
		cmocka_unit_test(test_parse_invalid),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_doc_example),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_env_cpuid_apply),
		cmocka_unit_test_teardown(test_env_cpuid_boot, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
