// SPDX-License-Identifier: MIT
/*
 * A Linux TD built on the real module (native backend; it is built, not run): the TD of a
 * hand-built bzImage and initrd through tdxsim_linux_td_create(), its MRTD read back from the
 * module (TDH.MNG.RD) equal to tdxsim_linux_measure()'s, its image pages as many as the
 * image has; another command line gives another MRTD; refusals as vmm_td_create. With
 * Debian's kernel when scripts/td-linux-fetch.sh fetched it (2 vCPUs, 512 MiB) the same.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bzimage.h"
#include "tdxsim/linux.h"
#include "tdxsim/tdxsim.h"

static char dir[] = "/tmp/tdxsim-linux-td-XXXXXX";
static char kernel[128], initrd[128], real[4096];
static char err[1024];

static void write_file(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	fclose(f);
}

static int setup(void **state)
{
	static uint8_t bz[2 * 512 + 5 * 4096], rd[3 * 4096 + 7];

	(void)state;
	if (!mkdtemp(dir))
		return -1;
	bz_header(bz);
	for (size_t i = 1024; i < sizeof(bz); i++)
		bz[i] = (uint8_t)(i * 13);
	for (size_t i = 0; i < sizeof(rd); i++)
		rd[i] = (uint8_t)(i * 3 + 1);
	snprintf(kernel, sizeof(kernel), "%s/bzImage", dir);
	snprintf(initrd, sizeof(initrd), "%s/initrd", dir);
	write_file(kernel, bz, sizeof(bz));
	write_file(initrd, rd, sizeof(rd));
	if (tdxsim_boot(&(struct tdxsim_boot){.machine = "tiny"}, err, sizeof(err))) {
		fprintf(stderr, "tdxsim_boot: %s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	char cmd[256];

	(void)state;
	tdxsim_shutdown();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* Build, compare the module's MRTD with the prediction, tear down; the MRTD into *mrtd. */
static void build_and_check(const char *k, const char *i, const char *cmdline, uint64_t mem,
			    unsigned int vcpus, uint8_t mrtd[48])
{
	struct vmm_td_config cfg;
	struct tdxsim_linux_info info;
	struct vmm_td_stats st;
	struct vmm_td *td;
	uint8_t got[48];

	vmm_td_config_default(&cfg);
	cfg.memory_size = mem;
	cfg.nr_vcpus = vcpus;
	assert_int_equal(tdxsim_linux_measure(k, i, cmdline, mem, vcpus, &info, err, sizeof(err)),
			 0);
	if (tdxsim_linux_td_create(&cfg, k, i, cmdline, &td, err, sizeof(err)))
		fail_msg("tdxsim_linux_td_create: %s", err);
	assert_int_equal(vmm_td_mrtd(td, got), 0);
	assert_memory_equal(got, info.mrtd, 48);
	vmm_td_stats(td, &st);
	assert_int_equal(st.image_pages, info.nr_pages);
	vmm_td_destroy(td);
	memcpy(mrtd, got, 48);
}

static void test_built(void **state)
{
	uint8_t a[48], b[48];
	struct vmm_td_config cfg;
	struct vmm_td *td;

	(void)state;
	build_and_check(kernel, initrd, "console=ttyS0", 64ULL << 20, 2, a);
	build_and_check(kernel, initrd, "console=ttyS0 quiet", 64ULL << 20, 2, b);
	assert_memory_not_equal(a, b, 48);
	build_and_check(kernel, NULL, "", 32ULL << 20, 1, b);

	/* Refusals come back as vmm_td_create's do. */
	vmm_td_config_default(&cfg);
	cfg.memory_size = 16ULL << 20; /* below pref_address + init_size */
	assert_int_equal(tdxsim_linux_td_create(&cfg, kernel, NULL, "", &td, err, sizeof(err)),
			 -E2BIG);
	assert_null(td);
	assert_string_equal(err, "the kernel needs memory up to 0x1200000 (pref_address 0x1000000 "
				 "+ init_size 0x200000); the TD has 0x1000000 bytes");
	cfg.memory_size = 64ULL << 20;
	assert_int_equal(tdxsim_linux_td_create(&cfg, initrd, NULL, "", &td, err, sizeof(err)),
			 -ENOEXEC);
}

static void test_debian_kernel(void **state)
{
	uint8_t m[48];

	(void)state;
	if (!real[0] || access(real, R_OK)) {
		printf("no Debian kernel fetched (scripts/td-linux-fetch.sh)\n");
		skip();
	}
	build_and_check(real, NULL, "console=ttyS0", 512ULL << 20, 2, m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_built),
		cmocka_unit_test(test_debian_kernel),
	};
	const char *cache = getenv("TDXSIM_CACHE_DIR"), *xdg = getenv("XDG_CACHE_HOME");

	if (cache && *cache)
		snprintf(real, sizeof(real), "%s/linux/vmlinuz", cache);
	else if (xdg && *xdg)
		snprintf(real, sizeof(real), "%s/tdxsim/linux/vmlinuz", xdg);
	else if (getenv("HOME"))
		snprintf(real, sizeof(real), "%s/.cache/tdxsim/linux/vmlinuz", getenv("HOME"));
	return cmocka_run_group_tests(tests, setup, teardown);
}
