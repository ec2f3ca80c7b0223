// SPDX-License-Identifier: MIT
/*
 * P7 (docs/PERFORMANCE.md): the VMM library's TD build, vmm_td_create() of an SDK guest from
 * the first SEAMCALL to TDH.MR.FINALIZE (vmm_td_stats' build_ns: ELF loading, the whole
 * SEAMCALL sequence, the CPUID rewrite), and its teardown, next to the same image hashed by
 * OpenSSL's SHA-384 in the same run. Best and median of R builds, MiB of image per second.
 *
 *   build/bench/bench_build [--quick] [GUEST.elf...]   (default: p7_guest.elf beside it, a
 *                                                      4 MiB image)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <tdxsim/vmm.h>

#include "bench_util.h"
#include "tests/support/vmm_machine.h"

static void serial_drop(void *opaque, const char *buf, size_t len)
{
	(void)opaque;
	(void)buf;
	(void)len;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* ns per MiB of SHA-384 over one page's worth of bytes at a time, for `pages` pages. */
static double sha384_ns(unsigned int pages)
{
	static unsigned char page[4096];
	unsigned char md[48];
	unsigned int len;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	double t0 = now_ns();

	EVP_DigestInit_ex(c, EVP_sha384(), NULL);
	for (unsigned int i = 0; i < pages; i++)
		EVP_DigestUpdate(c, page, sizeof(page));
	EVP_DigestFinal_ex(c, md, &len);
	EVP_MD_CTX_free(c);
	return now_ns() - t0;
}

static int bench_one(const char *elf, unsigned int reps)
{
	double build[16], destroy[16], mib;
	struct vmm_td_config cfg;
	struct vmm_td_stats ts = {0};
	char err[256];

	vmm_td_config_default(&cfg);
	cfg.memory_size = 64ULL << 20;
	cfg.serial = serial_drop;
	for (unsigned int r = 0; r < reps; r++) {
		struct vmm_td *td;
		double t0;

		if (vmm_td_create(&cfg, elf, &td, err, sizeof(err))) {
			fprintf(stderr, "bench_build: %s\n", err);
			return -1;
		}
		vmm_td_stats(td, &ts);
		build[r] = (double)ts.build_ns;
		t0 = now_ns();
		vmm_td_destroy(td);
		destroy[r] = now_ns() - t0;
	}
	qsort(build, reps, sizeof(build[0]), cmp_double);
	qsort(destroy, reps, sizeof(destroy[0]), cmp_double);
	mib = ts.image_pages / 256.0;
	printf("%-24s %6u pages  build best %8.2f ms median %8.2f ms (%6.1f MiB/s, %6.1f us/page)"
	       "  teardown median %7.2f ms  SHA-384 of the image %6.2f ms\n",
	       strrchr(elf, '/') ? strrchr(elf, '/') + 1 : elf, ts.image_pages, build[0] / 1e6,
	       build[reps / 2] / 1e6, mib / (build[reps / 2] / 1e9),
	       build[reps / 2] / 1e3 / ts.image_pages, destroy[reps / 2] / 1e6,
	       sha384_ns(ts.image_pages) / 1e6);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int reps = 7;
	int errors = 0, n = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			reps = 3;
	}
	if (vmm_machine_up()) {
		fprintf(stderr, "bench_build: cannot bring up the machine\n");
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick")) {
			errors += bench_one(argv[i], reps) != 0;
			n++;
		}
	}
	if (!n)
		errors += bench_one(bench_beside(argv[0], "p7_guest.elf"), reps) != 0;
	vmm_machine_down();
	return errors ? 1 : 0;
}
