/* SPDX-License-Identifier: MIT */
/* Helpers shared by the platform tests (include after <cmocka.h>). */
#ifndef TDXSIM_TESTS_PLATFORM_HELPERS_H
#define TDXSIM_TESTS_PLATFORM_HELPERS_H

#include <time.h>

#include "platform/platform.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

/* Boot a preset with `online` LPs online (0: all). */
static inline void boot_online(const char *preset, unsigned int online)
{
	struct machine_config cfg;

	assert_int_equal(machine_preset(preset, &cfg), 0);
	cfg.online_lps = online;
	assert_int_equal(platform_boot(&cfg), 0);
}

static inline void boot(const char *preset)
{
	boot_online(preset, 0);
}

/* cmocka teardown: a failed test must not leave the machine booted for the next one. */
static inline int teardown(void **state)
{
	(void)state;
	platform_shutdown();
	return 0;
}

static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
