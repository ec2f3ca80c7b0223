// SPDX-License-Identifier: MIT
/*
 * Where a round trip through an LP's mailbox spends its time (legs.h): the host's TSC when it
 * posts a request and when it sees the answer, the shim's TSC when it saw the request, at
 * VMRUN, after #VMEXIT and when it answered. QEMU's TSC under TCG counts the host's cycles
 * since the machine started, so the two clocks differ by a constant, found by PINGs: a PING's
 * shim stamp lies between the host's two, and the intersection of those windows over many
 * PINGs with both sides polling is the constant to within the fastest PING.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "platform/system/legs.h"
#include "platform/system/system.h"

#define CALIBRATION_PINGS 4096 /* at most; it stops when the window is narrow */
#define CALIBRATION_NS	  4000
#define MAX_RECORDS	  (1U << 20)

struct record {
	uint64_t posted, idle, seen, vmrun, exit, done, answered;
	uint32_t lp, how;
};

struct system_legs {
	pthread_mutex_t lock;
	struct record *r;
	size_t n, cap;
	int64_t off_lo, off_hi; /* the shim's TSC - the host's, within [off_lo, off_hi] */
};

static double tsc_per_ns;
static pthread_once_t tsc_once = PTHREAD_ONCE_INIT;

static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC_RAW, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

static void tsc_calibrate(void)
{
	uint64_t t0 = mono_ns(), c0 = __rdtsc(), t1, c1;

	nanosleep(&(struct timespec){.tv_nsec = 2000000}, NULL);
	t1 = mono_ns();
	c1 = __rdtsc();
	tsc_per_ns = t1 > t0 && c1 > c0 ? (double)(c1 - c0) / (double)(t1 - t0) : 0;
}

double system_tsc_per_ns(void)
{
	pthread_once(&tsc_once, tsc_calibrate);
	return tsc_per_ns;
}

/*
 * PINGs on LP 0 with both sides polling: the window of each narrows the clocks' offset, until
 * it is narrower than CALIBRATION_NS (a loaded host needs more PINGs to see a fast one).
 */
static int tie_clocks(struct system_vm *vm, struct system_legs *l)
{
	struct shim_mailbox *mb = system_mailbox(vm, 0);
	uint64_t shim_spin, host_spin;
	char err[256];
	int r = 0;

	system_spin(vm, &shim_spin, &host_spin);
	system_set_spin(vm, 1000000, 1000000);
	l->off_lo = INT64_MIN;
	l->off_hi = INT64_MAX;
	for (int i = 0; i < CALIBRATION_PINGS && !r; i++) {
		uint64_t t0, t1;

		if (i >= 64 &&
		    (double)(l->off_hi - l->off_lo) < CALIBRATION_NS * system_tsc_per_ns())
			break;
		mb->cmd = SHIM_CMD_PING;
		t0 = __rdtsc();
		r = system_call(vm, 0, err, sizeof(err));
		t1 = __rdtsc();
		if ((int64_t)(mb->tsc_seen - t1) > l->off_lo)
			l->off_lo = (int64_t)(mb->tsc_seen - t1);
		if ((int64_t)(mb->tsc_seen - t0) < l->off_hi)
			l->off_hi = (int64_t)(mb->tsc_seen - t0);
	}
	system_set_spin(vm, shim_spin, host_spin);
	return r;
}

struct system_legs *system_legs_start(struct system_vm *vm)
{
	const char *env = getenv("TDXSIM_SYSTEM_LEGS");
	struct system_legs *l;

	if (!env || !*env || !strcmp(env, "0") || !system_tsc_per_ns())
		return NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	pthread_mutex_init(&l->lock, NULL);
	if (tie_clocks(vm, l)) {
		system_legs_finish(l, NULL);
		return NULL;
	}
	return l;
}

void system_legs_record(struct system_legs *l, unsigned int lp, uint64_t posted, uint64_t answered,
			const struct shim_mailbox *mb, unsigned int how)
{
	pthread_mutex_lock(&l->lock);
	if (l->n == l->cap && l->cap < MAX_RECORDS) {
		size_t cap = l->cap ? l->cap * 2 : 4096;
		struct record *r = realloc(l->r, cap * sizeof(*r));

		if (r) {
			l->r = r;
			l->cap = cap;
		}
	}
	if (l->n < l->cap)
		l->r[l->n++] = (struct record){.posted = posted,
					       .idle = mb->tsc_idle,
					       .seen = mb->tsc_seen,
					       .vmrun = mb->tsc_vmrun,
					       .exit = mb->tsc_exit,
					       .done = mb->tsc_done,
					       .answered = answered,
					       .lp = lp,
					       .how = how};
	pthread_mutex_unlock(&l->lock);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

enum leg {
	LEG_RING,
	LEG_WAKE,
	LEG_SHIM_IN,
	LEG_GUEST,
	LEG_SHIM_OUT,
	LEG_DOORBELL,
	LEG_HOST,
	LEG_TOTAL,
	NR_LEGS
};

static const char *const leg_names[NR_LEGS] = {
	[LEG_RING] = "shim: answer to waiting again", [LEG_WAKE] = "host -> shim: request seen",
	[LEG_SHIM_IN] = "shim: request to VMRUN",     [LEG_GUEST] = "VMRUN to #VMEXIT (guest)",
	[LEG_SHIM_OUT] = "shim: #VMEXIT to answer",   [LEG_DOORBELL] = "shim -> host: answer seen",
	[LEG_HOST] = "host: answer to next request",  [LEG_TOTAL] = "round trip (host's view)",
};

/* A RUN's legs in TSC ticks; the host's leg from the same LP's previous RUN, if any. */
static void legs_of(const struct system_legs *l, const struct record *r, const struct record *prev,
		    double out[NR_LEGS])
{
	double off = ((double)l->off_lo + (double)l->off_hi) / 2;

	out[LEG_RING] = prev ? (double)(r->idle - prev->done) : -1;
	out[LEG_WAKE] = (double)r->seen - off - (double)r->posted;
	out[LEG_SHIM_IN] = (double)(r->vmrun - r->seen);
	out[LEG_GUEST] = (double)(r->exit - r->vmrun);
	out[LEG_SHIM_OUT] = (double)(r->done - r->exit);
	out[LEG_DOORBELL] = (double)r->answered - ((double)r->done - off);
	out[LEG_HOST] = prev ? (double)(r->posted - prev->answered) : -1;
	out[LEG_TOTAL] = (double)(r->answered - r->posted);
}

static void print_leg(FILE *f, const char *name, double *v, size_t n, double scale)
{
	double sum = 0;

	if (!n)
		return;
	qsort(v, n, sizeof(*v), cmp_double);
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	fprintf(f, "  %-30s %9.2f %9.2f %9.2f %9.2f us\n", name, v[n / 10] * scale,
		v[n / 2] * scale, v[n * 9 / 10] * scale, sum / (double)n * scale);
}

static void print_legs(struct system_legs *l, FILE *f)
{
	double *v[NR_LEGS] = {0}, scale = 1e-3 / system_tsc_per_ns();
	size_t n[NR_LEGS] = {0}, runs = 0, woke = 0, blocked = 0;
	const struct record *prev[SHIM_MAX_LPS] = {0};

	for (int i = 0; i < NR_LEGS; i++)
		if (!(v[i] = malloc((l->n + 1) * sizeof(double))))
			goto out;
	for (size_t i = 0; i < l->n; i++) {
		const struct record *r = &l->r[i];
		double x[NR_LEGS];

		if (!r->vmrun || r->lp >= SHIM_MAX_LPS) /* a PING: no guest ran */
			continue;
		legs_of(l, r, prev[r->lp], x);
		prev[r->lp] = r;
		runs++;
		woke += !!(r->how & SYSTEM_LEG_WOKE);
		blocked += !!(r->how & SYSTEM_LEG_BLOCKED);
		for (int k = 0; k < NR_LEGS; k++)
			if (x[k] >= 0 || k == LEG_WAKE || k == LEG_DOORBELL)
				v[k][n[k]++] = x[k];
	}
	fprintf(f,
		"tdxsim: system round trips: %zu runs, %zu woke a halted LP, %zu blocked for the "
		"doorbell; clocks tied to +-%.2f us\n",
		runs, woke, blocked, (double)(l->off_hi - l->off_lo) / 2 * scale);
	fprintf(f, "  %-30s %9s %9s %9s %9s\n", "leg", "p10", "median", "p90", "mean");
	for (int k = 0; k < NR_LEGS; k++)
		print_leg(f, leg_names[k], v[k], n[k], scale);
out:
	for (int i = 0; i < NR_LEGS; i++)
		free(v[i]);
}

void system_legs_finish(struct system_legs *l, FILE *f)
{
	if (!l)
		return;
	if (f && l->n)
		print_legs(l, f);
	pthread_mutex_destroy(&l->lock);
	free(l->r);
	free(l);
}
