/* SPDX-License-Identifier: MIT */
/* What every benchmark shares: a clock, the bare SIGSEGV round trip baseline, and where
 * its default guest is. */
#ifndef TDXSIM_BENCH_UTIL_H
#define TDXSIM_BENCH_UTIL_H

/* CLOCK_MONOTONIC in nanoseconds. */
double now_ns(void);

/* ns per round trip of a load from an unmapped address skipped by a SIGSEGV handler (one
 * kernel signal round trip, the least any trap can cost), averaged over `iterations`. */
double bare_sigsegv_ns(long iterations);

/* The path of `name` in the directory of argv0 (the guest `make bench` builds beside each
 * benchmark), in a static buffer. */
const char *bench_beside(const char *argv0, const char *name);

#endif
