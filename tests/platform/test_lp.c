// SPDX-License-Identifier: MIT
/* Logical processors: work queues, IRQ and VMX state, hotplug. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"

/* cmocka's asserts must not fire on LP threads: report the failing line instead */
#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			return __LINE__;                                                           \
	} while (0)

static long whoami(void *arg)
{
	(void)arg;
	return lp_current();
}

static long store_whoami(void *arg)
{
	int *slots = arg;

	slots[lp_current()] = lp_current();
	return 0;
}

static void test_topology(void **state)
{
	unsigned int i;

	(void)state;
	boot("1024lp");
	assert_int_equal(platform_nr_lps(), 1024);
	assert_int_equal(platform_nr_online_lps(), 1024);
	/* package-major, SMT siblings adjacent */
	assert_int_equal(lp_package(0), 0);
	assert_int_equal(lp_core(0), 0);
	assert_int_equal(lp_core(1), 0);
	assert_int_equal(lp_core(2), 1);
	assert_int_equal(lp_package(255), 0);
	assert_int_equal(lp_core(255), 127);
	assert_int_equal(lp_package(256), 1);
	assert_int_equal(lp_core(256), 0);
	assert_int_equal(lp_package(1023), 3);
	assert_int_equal(lp_core(1023), 127);
	assert_int_equal(lp_package(1024), (unsigned int)-1);
	assert_int_equal(lp_core(1024), (unsigned int)-1);
	assert_false(lp_is_online(1024));
	for (i = 0; i < 1024; i++)
		assert_true(lp_is_online(i));
	assert_int_equal(lp_current(), -1);
	platform_shutdown();
}

/* The largest machine boots, runs something on every LP and goes away, quickly. */
static void test_1024_lps(void **state)
{
	long *results = calloc(1024, sizeof(*results));
	int *slots = malloc(1024 * sizeof(*slots));
	double t0, t1, t2, t3;
	unsigned int i;

	(void)state;
	memset(slots, 0xff, 1024 * sizeof(*slots));
	t0 = now();
	boot("1024lp");
	t1 = now();
	assert_int_equal(lp_run_on_each_online(store_whoami, slots, results), 0);
	t2 = now();
	for (i = 0; i < 1024; i++) {
		assert_int_equal(slots[i], i);
		assert_int_equal(results[i], 0);
	}
	for (i = 0; i < 1024; i += 97)
		assert_int_equal(lp_run_on(i, whoami, NULL), i);
	platform_shutdown();
	t3 = now();
	printf("1024 LPs: boot %.1f ms, run on each %.1f ms, shutdown %.1f ms\n", (t1 - t0) * 1e3,
	       (t2 - t1) * 1e3, (t3 - t2) * 1e3);
	assert_true(t3 - t0 < 20.0);
	free(results);
	free(slots);
}

struct fifo {
	pthread_mutex_t lock;
	int seen[64];
	int n;
};

struct fifo_item {
	struct fifo *f;
	int i;
};

static long record(void *arg)
{
	struct fifo_item *it = arg;

	pthread_mutex_lock(&it->f->lock);
	it->f->seen[it->f->n++] = it->i;
	pthread_mutex_unlock(&it->f->lock);
	return it->i * 10;
}

static void test_queue_fifo(void **state)
{
	struct fifo f = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct fifo_item items[64];
	struct lp_work w[64];
	int i;

	(void)state;
	boot("tiny");
	for (i = 0; i < 64; i++) {
		items[i] = (struct fifo_item){&f, i};
		assert_int_equal(lp_queue_work(1, &w[i], record, &items[i]), 0);
	}
	for (i = 63; i >= 0; i--)
		assert_int_equal(lp_work_wait(&w[i]), i * 10);
	for (i = 0; i < 64; i++)
		assert_int_equal(f.seen[i], i);
	assert_int_equal(lp_queue_work(2, &w[0], record, &items[0]), -EINVAL);
	assert_int_equal(lp_work_wait(&w[0]), -EINVAL);
	assert_int_equal(lp_queue_work(0, &w[0], NULL, NULL), -EINVAL);
	assert_int_equal(lp_queue_work(0, NULL, record, NULL), -EINVAL);
	assert_int_equal(lp_run_on(2, whoami, NULL), -EINVAL);
	assert_int_equal(lp_run_on(0, NULL, NULL), -EINVAL);
}

static long nested_same(void *arg)
{
	(void)arg;
	/* already on LP 1: runs directly, no deadlock on our own queue */
	return lp_run_on(1, whoami, NULL) * 100 + lp_current();
}

static long ping_back(void *arg)
{
	(void)arg;
	return lp_run_on(0, whoami, NULL) + 10;
}

/* LP 0 waits for LP 1, which needs LP 0: LP 0 serves its queue while it waits. */
static long ping(void *arg)
{
	(void)arg;
	return lp_run_on(1, ping_back, NULL);
}

static void test_run_on_nested(void **state)
{
	(void)state;
	boot("tiny");
	assert_int_equal(lp_run_on(1, nested_same, NULL), 101);
	assert_int_equal(lp_run_on(0, ping, NULL), 10);
}

/* ---- lp_run_as: the caller is the LP for the call when the LP is idle ---------------------- */

struct whereami {
	int lp;
	pid_t tid;
};

static long where(void *arg)
{
	struct whereami *w = arg;

	w->lp = lp_current();
	w->tid = gettid();
	return 7;
}

static long tid_of_lp(void *arg)
{
	(void)arg;
	return gettid();
}

static long run_as_from_lp(void *arg)
{
	return lp_run_as(1, where, arg);
}

static void test_run_as(void **state)
{
	struct whereami w = {-2, 0};
	pid_t lp0, lp1;

	(void)state;
	boot_online("tiny", 1);
	lp0 = (pid_t)lp_run_on(0, tid_of_lp, NULL);
	/* an idle LP: fn runs here, as LP 0, and this thread is no LP again afterwards */
	assert_int_equal(lp_run_as(0, where, &w), 7);
	assert_int_equal(w.lp, 0);
	assert_int_equal(w.tid, gettid());
	assert_int_not_equal(w.tid, lp0);
	assert_int_equal(lp_current(), -1);
	/* errors as lp_run_on's */
	assert_int_equal(lp_run_as(1, where, &w), -ENODEV);
	assert_int_equal(lp_run_as(2, where, &w), -EINVAL);
	assert_int_equal(lp_run_as(0, NULL, NULL), -EINVAL);
	assert_int_equal(lp_online(1), 0);
	lp1 = (pid_t)lp_run_on(1, tid_of_lp, NULL);
	assert_int_not_equal(lp1, lp0);
	/* an LP cannot be another LP as well: from LP 0 the call hops to LP 1's thread */
	w = (struct whereami){-2, 0};
	assert_int_equal(lp_run_on(0, run_as_from_lp, &w), 7);
	assert_int_equal(w.lp, 1);
	assert_int_equal(w.tid, lp1);
}

struct lend_case {
	pthread_t queuer;
	_Atomic int started, release, order;
	int blocker_at, borrower_at, queued_at; /* order of completion, from 1 */
	struct whereami borrower, queued;
};

/* An item that holds LP 1 until the test releases it. */
static long hold_lp(void *arg)
{
	struct lend_case *c = arg;

	atomic_store(&c->started, 1);
	while (!atomic_load(&c->release))
		usleep(1000);
	c->blocker_at = atomic_fetch_add(&c->order, 1) + 1;
	return 0;
}

static long borrower_fn(void *arg)
{
	struct lend_case *c = arg;

	where(&c->borrower);
	c->borrower_at = atomic_fetch_add(&c->order, 1) + 1;
	return 0;
}

static void *borrower_thread(void *arg)
{
	return (void *)(intptr_t)lp_run_as(1, borrower_fn, arg);
}

static long queued_fn(void *arg)
{
	struct lend_case *c = arg;

	where(&c->queued);
	c->queued_at = atomic_fetch_add(&c->order, 1) + 1;
	return 0;
}

static void *queuer_thread(void *arg)
{
	return (void *)(intptr_t)lp_run_on(1, queued_fn, arg);
}

/* LP 1 busy with an item: lp_run_as() waits in its queue and runs on LP 1's own thread. */
static void test_run_as_busy_lp_hops(void **state)
{
	struct lend_case c = {0};
	struct lp_work hold;
	pthread_t t;
	void *ret;

	(void)state;
	boot("tiny");
	assert_int_equal(lp_queue_work(1, &hold, hold_lp, &c), 0);
	while (!atomic_load(&c.started))
		usleep(1000);
	assert_int_equal(pthread_create(&t, NULL, borrower_thread, &c), 0);
	usleep(20000);
	assert_int_equal(atomic_load(&c.order), 0); /* nothing ran beside the item */
	atomic_store(&c.release, 1);
	assert_int_equal(lp_work_wait(&hold), 0);
	assert_int_equal(pthread_join(t, &ret), 0);
	assert_int_equal((intptr_t)ret, 0);
	assert_int_equal(c.blocker_at, 1);
	assert_int_equal(c.borrower_at, 2);
	assert_int_equal(c.borrower.lp, 1);
	assert_int_equal(c.borrower.tid, (pid_t)lp_run_on(1, tid_of_lp, NULL));
}

/* While a caller is LP 1, work queued for LP 1 waits for it, then runs on LP 1's thread. */
static long lend_and_queue(void *arg)
{
	struct lend_case *c = arg;

	if (pthread_create(&c->queuer, NULL, queuer_thread, c))
		return -1;
	usleep(20000);
	where(&c->borrower);
	c->borrower_at = atomic_fetch_add(&c->order, 1) + 1;
	return 0;
}

static void test_run_as_queued_work_waits(void **state)
{
	struct lend_case c = {0};
	void *ret;

	(void)state;
	boot("tiny");
	assert_int_equal(lp_run_as(1, lend_and_queue, &c), 0);
	assert_int_equal(pthread_join(c.queuer, &ret), 0);
	assert_int_equal((intptr_t)ret, 0);
	assert_int_equal(c.borrower_at, 1);
	assert_int_equal(c.queued_at, 2);
	assert_int_equal(c.borrower.lp, 1);
	assert_int_equal(c.borrower.tid, gettid());
	assert_int_equal(c.queued.lp, 1);
	assert_int_equal(c.queued.tid, (pid_t)lp_run_on(1, tid_of_lp, NULL));
}

static long count(void *arg)
{
	return ++*(int *)arg;
}

/* Work an LP sends itself runs when it polls, and only with interrupts enabled. */
static long poll_self(void *arg)
{
	struct lp_work w;
	int n = 0;

	(void)arg;
	CHECK(lp_queue_work((unsigned int)lp_current(), &w, count, &n) == 0);
	lp_irq_disable();
	lp_poll_work();
	CHECK(n == 0);
	lp_irq_enable();
	lp_poll_work();
	CHECK(n == 1);
	CHECK(lp_work_wait(&w) == 1);
	return 0;
}

static void test_poll_work(void **state)
{
	(void)state;
	boot("tiny");
	assert_int_equal(lp_run_on(1, poll_self, NULL), 0);
	lp_poll_work(); /* not an LP: nothing to do */
}

static long ret_lp_if_odd(void *arg)
{
	(void)arg;
	return lp_current() % 2 ? lp_current() : 0;
}

static void test_offline_lps(void **state)
{
	long results[8];
	struct lp_work w;
	unsigned int i;

	(void)state;
	boot_online("laptop", 3);
	assert_int_equal(platform_nr_lps(), 8);
	assert_int_equal(platform_nr_online_lps(), 3);
	assert_true(lp_is_online(2));
	assert_false(lp_is_online(3));
	assert_int_equal(lp_run_on(3, whoami, NULL), -ENODEV);
	assert_int_equal(lp_queue_work(7, &w, whoami, NULL), -ENODEV);
	assert_int_equal(lp_work_wait(&w), -ENODEV);
	/* the first non-zero result in LP order; offline LPs are not run */
	assert_int_equal(lp_run_on_each_online(ret_lp_if_odd, NULL, results), 1);
	assert_int_equal(results[0], 0);
	assert_int_equal(results[1], 1);
	assert_int_equal(results[2], 0);
	for (i = 3; i < 8; i++)
		assert_int_equal(results[i], -ENODEV);
	assert_int_equal(lp_run_on_each_online(NULL, NULL, NULL), -EINVAL);
}

static long irq_checks(void *arg)
{
	unsigned long flags, inner;

	(void)arg;
	CHECK(!lp_irqs_disabled());
	flags = lp_irq_save();
	CHECK(flags == X86_EFLAGS_IF);
	CHECK(lp_irqs_disabled());
	inner = lp_irq_save();
	CHECK(inner == 0);
	lp_irq_restore(inner);
	CHECK(lp_irqs_disabled());
	lp_irq_restore(flags);
	CHECK(!lp_irqs_disabled());
	lp_irq_disable();
	CHECK(lp_irqs_disabled());
	lp_irq_enable();
	CHECK(!lp_irqs_disabled());
	return 0;
}

static long vmx_checks(void *arg)
{
	(void)arg;
	CHECK(!lp_in_vmx());
	CHECK(lp_vmxoff() == -EINVAL);
	CHECK(lp_vmxon() == 0);
	CHECK(lp_in_vmx());
	CHECK(lp_vmxon() == -EBUSY);
	return 0;
}

static long in_vmx(void *arg)
{
	(void)arg;
	return lp_in_vmx();
}

static long vmx_off(void *arg)
{
	(void)arg;
	return lp_vmxoff();
}

static void test_irq_vmx(void **state)
{
	(void)state;
	boot("tiny");
	assert_int_equal(lp_run_on(0, irq_checks, NULL), 0);
	/* a thread that is no LP has a flag of its own */
	assert_int_equal(irq_checks(NULL), 0);

	assert_int_equal(lp_vmxon(), -EPERM);
	assert_int_equal(lp_vmxoff(), -EPERM);
	assert_false(lp_in_vmx());
	assert_int_equal(lp_run_on(1, vmx_checks, NULL), 0);
	/* per LP: LP 1 stays in VMX operation, LP 0 never entered it */
	assert_int_equal(lp_run_on(1, in_vmx, NULL), 1);
	assert_int_equal(lp_run_on(0, in_vmx, NULL), 0);
	assert_int_equal(lp_run_on(1, vmx_off, NULL), 0);
	assert_int_equal(lp_run_on(1, in_vmx, NULL), 0);
}

/* ------------------------------------------------------------------------------------------
 * Hotplug
 */

static struct {
	pthread_mutex_t lock;
	char log[64][32];
	int n;
	int refuse_online; /* which callback refuses ('A'...), 0 none */
	int refuse_offline;
} hp = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void hp_log(char name, const char *what, unsigned int lp)
{
	pthread_mutex_lock(&hp.lock);
	/* each callback also proves it runs on the LP concerned */
	snprintf(hp.log[hp.n++], sizeof(hp.log[0]), "%c %s %u%s", name, what, lp,
		 lp_current() == (int)lp ? "" : " WRONG LP");
	pthread_mutex_unlock(&hp.lock);
}

#define HP_CALLBACKS(X)                                                                            \
	static int X##_online(unsigned int lp)                                                     \
	{                                                                                          \
		hp_log(#X[0], "up", lp);                                                           \
		return hp.refuse_online == #X[0] ? -EIO : 0;                                       \
	}                                                                                          \
	static int X##_offline(unsigned int lp)                                                    \
	{                                                                                          \
		hp_log(#X[0], "down", lp);                                                         \
		return hp.refuse_offline == #X[0] ? -EPERM : 0;                                    \
	}

HP_CALLBACKS(A)
HP_CALLBACKS(B)
HP_CALLBACKS(C)

static void hp_expect(const char *const *expected)
{
	int i;

	for (i = 0; expected[i]; i++) {
		if (i >= hp.n)
			fail_msg("missing call %d '%s'", i, expected[i]);
		assert_string_equal(hp.log[i], expected[i]);
	}
	if (hp.n != i)
		fail_msg("unexpected call %d '%s'", i, hp.log[i]);
	hp.n = 0;
}

static void hp_setup(void)
{
	memset(hp.log, 0, sizeof(hp.log));
	hp.n = 0;
	hp.refuse_online = hp.refuse_offline = 0;
	/* registration order breaks ties: B (0), A (10), C (10) */
	assert_non_null(hotplug_register("A", 10, A_online, A_offline));
	assert_non_null(hotplug_register("B", 0, B_online, B_offline));
	assert_non_null(hotplug_register("C", 10, C_online, C_offline));
}

static void test_hotplug_order(void **state)
{
	(void)state;
	boot("laptop");
	hp_setup();
	/* registering calls nothing: callers enable the LPs already online themselves */
	hp_expect((const char *const[]){NULL});

	assert_int_equal(lp_offline(5), 0);
	hp_expect((const char *const[]){"C down 5", "A down 5", "B down 5", NULL});
	assert_false(lp_is_online(5));
	assert_int_equal(platform_nr_online_lps(), 7);
	assert_int_equal(lp_run_on(5, whoami, NULL), -ENODEV);

	assert_int_equal(lp_online(5), 0);
	hp_expect((const char *const[]){"B up 5", "A up 5", "C up 5", NULL});
	assert_true(lp_is_online(5));
	assert_int_equal(lp_run_on(5, whoami, NULL), 5);

	/* already in the state asked for: nothing to do */
	assert_int_equal(lp_online(5), 0);
	hp_expect((const char *const[]){NULL});
	assert_int_equal(lp_online(8), -EINVAL);
	assert_int_equal(lp_offline(8), -EINVAL);
}

static void test_hotplug_online_refused(void **state)
{
	(void)state;
	boot("laptop");
	hp_setup();
	assert_int_equal(lp_offline(3), 0);
	hp.n = 0;
	hp.refuse_online = 'A';
	assert_int_equal(lp_online(3), -EIO);
	/* C never ran; B, which did, is rolled back */
	hp_expect((const char *const[]){"B up 3", "A up 3", "B down 3", NULL});
	assert_false(lp_is_online(3));
	assert_int_equal(lp_run_on(3, whoami, NULL), -ENODEV);

	hp.refuse_online = 'B';
	assert_int_equal(lp_online(3), -EIO);
	hp_expect((const char *const[]){"B up 3", NULL});

	hp.refuse_online = 0;
	assert_int_equal(lp_online(3), 0);
	hp_expect((const char *const[]){"B up 3", "A up 3", "C up 3", NULL});
}

static void test_hotplug_offline_refused(void **state)
{
	(void)state;
	boot("laptop");
	hp_setup();
	hp.refuse_offline = 'A';
	assert_int_equal(lp_offline(6), -EPERM);
	/* C went down first; it comes back up */
	hp_expect((const char *const[]){"C down 6", "A down 6", "C up 6", NULL});
	assert_true(lp_is_online(6));
	assert_int_equal(lp_run_on(6, whoami, NULL), 6);
	assert_int_equal(platform_nr_online_lps(), 8);
}

static struct hotplug_state *b_state;

static void test_hotplug_unregister(void **state)
{
	(void)state;
	boot("laptop");
	assert_non_null(hotplug_register("A", 1, A_online, NULL));
	b_state = hotplug_register("B", 2, NULL, B_offline);
	assert_non_null(b_state);
	assert_null(hotplug_register(NULL, 1, A_online, A_offline));
	assert_int_equal(errno, EINVAL);
	assert_null(hotplug_register("X", 1, NULL, NULL));
	assert_int_equal(errno, EINVAL);
	hp.n = 0;
	hp.refuse_online = hp.refuse_offline = 0;
	assert_int_equal(lp_offline(2), 0);
	hp_expect((const char *const[]){"B down 2", NULL});
	hotplug_unregister(b_state);
	hotplug_unregister(NULL);
	assert_int_equal(lp_online(2), 0);
	hp_expect((const char *const[]){"A up 2", NULL});
	assert_int_equal(lp_offline(2), 0);
	hp_expect((const char *const[]){NULL});
}

static long offline_self(void *arg)
{
	(void)arg;
	return lp_offline((unsigned int)lp_current());
}

static void test_hotplug_busy(void **state)
{
	(void)state;
	boot("tiny");
	assert_int_equal(lp_run_on(1, offline_self, NULL), -EBUSY);
	assert_int_equal(lp_offline(1), 0);
	/* the last LP online stays */
	assert_int_equal(lp_offline(0), -EBUSY);
	assert_true(lp_is_online(0));
	assert_int_equal(lp_online(1), 0);
	/* offlining under our own read lock would wait for ourselves */
	cpus_read_lock();
	assert_int_equal(lp_offline(1), -EDEADLK);
	cpus_read_unlock();
}

struct offliner {
	unsigned int lp;
	int ret;
	int done;
};

static void *offliner(void *arg)
{
	struct offliner *o = arg;

	o->ret = lp_offline(o->lp);
	__atomic_store_n(&o->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void test_hotplug_lock(void **state)
{
	struct offliner o = {.lp = 1, .ret = 1};
	pthread_t t;

	(void)state;
	boot("tiny");
	cpus_read_lock();
	cpus_read_lock(); /* readers nest */
	assert_int_equal(pthread_create(&t, NULL, offliner, &o), 0);
	usleep(100 * 1000);
	assert_false(__atomic_load_n(&o.done, __ATOMIC_ACQUIRE));
	assert_true(lp_is_online(1));
	cpus_read_unlock();
	usleep(50 * 1000);
	assert_false(__atomic_load_n(&o.done, __ATOMIC_ACQUIRE));
	cpus_read_unlock();
	pthread_join(t, NULL);
	assert_int_equal(o.ret, 0);
	assert_false(lp_is_online(1));
}

static int gate_open;

static long blocker(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&gate_open, __ATOMIC_ACQUIRE))
		usleep(1000);
	return 0;
}

/* Work accepted while the LP was online but queued behind its offlining is refused. */
static void test_offline_refuses_queued(void **state)
{
	struct offliner o = {.lp = 1, .ret = 1};
	struct lp_work first, late;
	pthread_t t;

	(void)state;
	boot("tiny");
	gate_open = 0;
	assert_int_equal(lp_queue_work(1, &first, blocker, NULL), 0);
	assert_int_equal(pthread_create(&t, NULL, offliner, &o), 0);
	usleep(50 * 1000); /* the offline request is queued behind the blocker */
	assert_true(lp_is_online(1));
	assert_int_equal(lp_queue_work(1, &late, whoami, NULL), 0);
	__atomic_store_n(&gate_open, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	assert_int_equal(o.ret, 0);
	assert_int_equal(lp_work_wait(&first), 0);
	assert_int_equal(lp_work_wait(&late), -ENODEV);
	assert_false(lp_is_online(1));
}

/* Boot and shutdown repeatedly, with registrations left behind: nothing leaks or lingers. */
static void test_reboot(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 5; i++) {
		boot(i % 2 ? "laptop" : "tiny");
		assert_non_null(hotplug_register("left", 0, A_online, A_offline));
		assert_int_equal(lp_run_on(1, whoami, NULL), 1);
		platform_shutdown();
	}
	assert_int_equal(platform_nr_lps(), 0);
	assert_int_equal(lp_run_on(0, whoami, NULL), -EINVAL);
	assert_int_equal(lp_online(0), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_topology, teardown),
		cmocka_unit_test_teardown(test_1024_lps, teardown),
		cmocka_unit_test_teardown(test_queue_fifo, teardown),
		cmocka_unit_test_teardown(test_run_on_nested, teardown),
		cmocka_unit_test_teardown(test_run_as, teardown),
		cmocka_unit_test_teardown(test_run_as_busy_lp_hops, teardown),
		cmocka_unit_test_teardown(test_run_as_queued_work_waits, teardown),
		cmocka_unit_test_teardown(test_poll_work, teardown),
		cmocka_unit_test_teardown(test_offline_lps, teardown),
		cmocka_unit_test_teardown(test_irq_vmx, teardown),
		cmocka_unit_test_teardown(test_hotplug_order, teardown),
		cmocka_unit_test_teardown(test_hotplug_online_refused, teardown),
		cmocka_unit_test_teardown(test_hotplug_offline_refused, teardown),
		cmocka_unit_test_teardown(test_hotplug_unregister, teardown),
		cmocka_unit_test_teardown(test_hotplug_busy, teardown),
		cmocka_unit_test_teardown(test_hotplug_lock, teardown),
		cmocka_unit_test_teardown(test_offline_refuses_queued, teardown),
		cmocka_unit_test_teardown(test_reboot, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
