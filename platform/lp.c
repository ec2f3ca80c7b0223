// SPDX-License-Identifier: MIT
/*
 * Logical processors: one host thread each, running a FIFO queue of work items. On top of
 * that: the per-LP interrupt and VMX state, running work on one or every online LP, and CPU
 * hotplug with ordered callbacks that run on the LP concerned and may refuse.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

__thread struct lp *this_lp;
/* This thread is not this_lp's own: it borrowed the LP for one lp_run_as() call. */
static __thread bool lp_borrowed_here;

/*
 * lp_work.done: the item's state, and who waits for it. A waiter parks on the futex of the
 * word itself, or, when it is an LP with interrupts enabled, on its own queue's condition
 * variable, so that it keeps running work sent to it while it waits (as a CPU spinning in
 * smp_call_function takes IPIs); the completer wakes whichever it finds recorded here.
 */
enum {
	WORK_QUEUED = 0,
	WORK_DONE = 1,
	WORK_WAIT_FUTEX = 2,
	WORK_WAIT_LP = 3, /* + the waiting LP's id */
};

struct hotplug_state {
	char name[32];
	int order;
	int (*online)(unsigned int lp);
	int (*offline)(unsigned int lp);
	struct hotplug_state *prev, *next;
};

/* cpus_read_lock(); online/offline hold it for writing. */
static pthread_rwlock_t hotplug_lock = PTHREAD_RWLOCK_INITIALIZER;
static __thread unsigned int hotplug_read_depth;
/*
 * The callback list has its own lock, so that a caller holding cpus_read_lock (tdx_enable)
 * can still register its callbacks, as with cpuhp_setup_state_cpuslocked().
 */
static pthread_mutex_t hp_list_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hotplug_state *hp_head, *hp_tail;

static _Atomic unsigned int nr_online;
static unsigned int nr_threads; /* LP threads created, to join */

/* LP threads report the result of their set-up here before boot goes on. */
static pthread_mutex_t boot_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t boot_cond = PTHREAD_COND_INITIALIZER;
static unsigned int nr_reported;
static int boot_err;

/* Interrupt flag of threads that are not LPs, so save/restore pairs still nest. */
static __thread bool nolp_irqs_off;

static struct lp *lp_get(unsigned int id)
{
	return id < plat.nr_lps ? plat.lps[id] : NULL;
}

/* ------------------------------------------------------------------------------------------
 * Work queues
 */

static void futex_op(int *addr, int op, int val)
{
	syscall(SYS_futex, addr, op, val, NULL, NULL, 0);
}

/*
 * Broadcasts: while an lp_run_as() caller is the LP, it and the LP's own thread both wait on
 * the LP's condition variable, and only the caller may take what the signal is for.
 */
static void lp_doorbell(struct lp *lp)
{
	pthread_mutex_lock(&lp->lock);
	pthread_cond_broadcast(&lp->cond);
	pthread_mutex_unlock(&lp->lock);
}

/* After the exchange the waiter may return and free w: do not touch it again. */
static void work_complete(struct lp_work *w, long result)
{
	int old;

	w->result = result;
	old = __atomic_exchange_n(&w->done, WORK_DONE, __ATOMIC_ACQ_REL);
	if (old == WORK_WAIT_FUTEX)
		futex_op(&w->done, FUTEX_WAKE_PRIVATE, INT_MAX);
	else if (old >= WORK_WAIT_LP)
		lp_doorbell(plat.lps[old - WORK_WAIT_LP]);
}

static struct lp_work *work_pop_locked(struct lp *lp)
{
	struct lp_work *w = lp->head;

	if (w) {
		lp->head = w->next;
		if (!lp->head)
			lp->tail = NULL;
	}
	return w;
}

static void work_run(struct lp_work *w)
{
	work_complete(w, w->fn(w->arg));
}

/* force: queue even when the LP is offline (its own hotplug callbacks). */
static int work_queue(struct lp *lp, struct lp_work *w, lp_fn_t fn, void *arg, bool force)
{
	w->fn = fn;
	w->arg = arg;
	w->next = NULL;
	w->done = WORK_QUEUED;
	pthread_mutex_lock(&lp->lock);
	if (lp->stop || (!force && !lp->online)) {
		pthread_mutex_unlock(&lp->lock);
		/* so that lp_work_wait() on it returns the error instead of hanging */
		w->result = -ENODEV;
		w->done = WORK_DONE;
		return -ENODEV;
	}
	if (lp->tail)
		lp->tail->next = w;
	else
		lp->head = w;
	lp->tail = w;
	pthread_cond_broadcast(&lp->cond);
	pthread_mutex_unlock(&lp->lock);
	return 0;
}

/* Run what is queued on lp, from its own thread. */
static void work_run_queued(struct lp *lp)
{
	struct lp_work *w;

	for (;;) {
		pthread_mutex_lock(&lp->lock);
		w = work_pop_locked(lp);
		pthread_mutex_unlock(&lp->lock);
		if (!w)
			return;
		work_run(w);
	}
}

static bool work_done(struct lp_work *w)
{
	return __atomic_load_n(&w->done, __ATOMIC_ACQUIRE) == WORK_DONE;
}

static void wait_on_futex(struct lp_work *w)
{
	int expect = WORK_QUEUED;

	if (!__atomic_compare_exchange_n(&w->done, &expect, WORK_WAIT_FUTEX, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return;
	while (!work_done(w))
		futex_op(&w->done, FUTEX_WAIT_PRIVATE, WORK_WAIT_FUTEX);
}

static void wait_serving_queue(struct lp *self, struct lp_work *w)
{
	int expect = WORK_QUEUED;

	if (!__atomic_compare_exchange_n(&w->done, &expect, WORK_WAIT_LP + (int)self->id, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return;
	for (;;) {
		pthread_mutex_lock(&self->lock);
		while (!work_done(w) && !self->head)
			pthread_cond_wait(&self->cond, &self->lock);
		pthread_mutex_unlock(&self->lock);
		if (work_done(w))
			return;
		work_run_queued(self);
	}
}

int lp_queue_work(unsigned int id, struct lp_work *w, lp_fn_t fn, void *arg)
{
	struct lp *lp = lp_get(id);

	if (!w)
		return -EINVAL;
	if (!lp || !fn) {
		w->result = -EINVAL;
		w->done = WORK_DONE;
		return -EINVAL;
	}
	return work_queue(lp, w, fn, arg, false);
}

long lp_work_wait(struct lp_work *w)
{
	struct lp *self = this_lp;

	if (self && !self->irqs_off)
		wait_serving_queue(self, w);
	else
		wait_on_futex(w);
	return w->result;
}

static long run_on(struct lp *lp, lp_fn_t fn, void *arg, bool force)
{
	struct lp_work w;
	int ret;

	if (this_lp == lp)
		return fn(arg);
	ret = work_queue(lp, &w, fn, arg, force);
	if (ret)
		return ret;
	return lp_work_wait(&w);
}

long lp_run_on(unsigned int id, lp_fn_t fn, void *arg)
{
	struct lp *lp = lp_get(id);

	if (!lp || !fn)
		return -EINVAL;
	return run_on(lp, fn, arg, false);
}

/*
 * lp_run_as(): the LP can be the calling thread's for one call when nothing runs on its own
 * thread and nothing waits in its queue. Work queued meanwhile waits, as for any item.
 */
static bool lp_lend(struct lp *lp)
{
	bool idle;

	pthread_mutex_lock(&lp->lock);
	idle = lp->online && !lp->stop && !lp->running && !lp->lent && !lp->head;
	if (idle)
		lp->lent = true;
	pthread_mutex_unlock(&lp->lock);
	return idle;
}

static void lp_take_back(struct lp *lp)
{
	pthread_mutex_lock(&lp->lock);
	lp->lent = false;
	if (lp->head || lp->stop)
		pthread_cond_broadcast(&lp->cond);
	pthread_mutex_unlock(&lp->lock);
}

long lp_run_as(unsigned int id, lp_fn_t fn, void *arg)
{
	struct lp *lp = lp_get(id);
	long ret;

	if (!lp || !fn)
		return -EINVAL;
	if (this_lp || !lp_lend(lp))
		return run_on(lp, fn, arg, false);
	this_lp = lp;
	lp_borrowed_here = true;
	ret = fn(arg);
	lp_borrowed_here = false;
	this_lp = NULL;
	lp_take_back(lp);
	return ret;
}

void lp_assert_own_thread(const char *what)
{
	static const char msg[] = " on an LP borrowed by lp_run_as(): guest code runs only on "
				  "its LP's own thread\n";

	if (!lp_borrowed_here)
		return;
	if (write(STDERR_FILENO, what, strlen(what)) < 0 ||
	    write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		abort();
	abort();
}

long lp_run_on_each_online(lp_fn_t fn, void *arg, long *results)
{
	struct lp_work *works;
	bool *ran;
	unsigned int i;
	long ret = 0;

	if (!fn)
		return -EINVAL;
	works = calloc(plat.nr_lps, sizeof(*works) + sizeof(*ran));
	if (!works)
		return -ENOMEM;
	ran = (bool *)(works + plat.nr_lps);
	for (i = 0; i < plat.nr_lps; i++) {
		if (plat.lps[i] != this_lp)
			ran[i] = !work_queue(plat.lps[i], &works[i], fn, arg, false);
	}
	/* our own share runs while the others run theirs */
	if (this_lp && this_lp->online) {
		works[this_lp->id].result = fn(arg);
		ran[this_lp->id] = true;
	}
	for (i = 0; i < plat.nr_lps; i++) {
		if (ran[i] && plat.lps[i] != this_lp)
			lp_work_wait(&works[i]);
		if (results)
			results[i] = ran[i] ? works[i].result : -ENODEV;
		if (ran[i] && !ret)
			ret = works[i].result;
	}
	free(works);
	return ret;
}

void lp_poll_work(void)
{
	if (this_lp && !this_lp->irqs_off)
		work_run_queued(this_lp);
}

/* ------------------------------------------------------------------------------------------
 * Topology and state
 */

unsigned int platform_nr_lps(void)
{
	return plat.nr_lps;
}

unsigned int platform_nr_online_lps(void)
{
	return atomic_load(&nr_online);
}

int lp_current(void)
{
	return this_lp ? (int)this_lp->id : -1;
}

unsigned int lp_package(unsigned int id)
{
	struct lp *lp = lp_get(id);

	return lp ? lp->package : UINT_MAX;
}

unsigned int lp_core(unsigned int id)
{
	struct lp *lp = lp_get(id);

	return lp ? lp->core : UINT_MAX;
}

bool lp_is_online(unsigned int id)
{
	struct lp *lp = lp_get(id);

	return lp && atomic_load(&lp->online);
}

static bool *irq_flag(void)
{
	return this_lp ? &this_lp->irqs_off : &nolp_irqs_off;
}

void lp_irq_disable(void)
{
	*irq_flag() = true;
}

void lp_irq_enable(void)
{
	*irq_flag() = false;
}

bool lp_irqs_disabled(void)
{
	return *irq_flag();
}

/* The flags word is RFLAGS-shaped, as local_irq_save() returns it. */
unsigned long lp_irq_save(void)
{
	bool *off = irq_flag();
	unsigned long flags = *off ? 0 : X86_EFLAGS_IF;

	*off = true;
	return flags;
}

void lp_irq_restore(unsigned long flags)
{
	*irq_flag() = !(flags & X86_EFLAGS_IF);
}

/* VMXON and VMXOFF are instructions of a CPU: a thread that is not an LP has none. */
int lp_vmxon(void)
{
	if (!this_lp)
		return -EPERM;
	if (this_lp->vmx)
		return -EBUSY;
	this_lp->vmx = true;
	return 0;
}

int lp_vmxoff(void)
{
	if (!this_lp)
		return -EPERM;
	if (!this_lp->vmx)
		return -EINVAL;
	this_lp->vmx = false;
	return 0;
}

bool lp_in_vmx(void)
{
	return this_lp && this_lp->vmx;
}

/* ------------------------------------------------------------------------------------------
 * Hotplug
 */

void cpus_read_lock(void)
{
	pthread_rwlock_rdlock(&hotplug_lock);
	hotplug_read_depth++;
}

void cpus_read_unlock(void)
{
	hotplug_read_depth--;
	pthread_rwlock_unlock(&hotplug_lock);
}

struct hotplug_state *hotplug_register(const char *name, int order, int (*online)(unsigned int),
				       int (*offline)(unsigned int))
{
	struct hotplug_state *st, *pos;

	if (!name || (!online && !offline)) {
		errno = EINVAL;
		return NULL;
	}
	st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	snprintf(st->name, sizeof(st->name), "%s", name);
	st->order = order;
	st->online = online;
	st->offline = offline;

	/* after every state of the same order: registration order breaks ties */
	pthread_mutex_lock(&hp_list_lock);
	for (pos = hp_head; pos && pos->order <= order; pos = pos->next)
		;
	st->next = pos;
	st->prev = pos ? pos->prev : hp_tail;
	*(st->prev ? &st->prev->next : &hp_head) = st;
	*(pos ? &pos->prev : &hp_tail) = st;
	pthread_mutex_unlock(&hp_list_lock);
	return st;
}

static void hp_unlink_locked(struct hotplug_state *st)
{
	*(st->prev ? &st->prev->next : &hp_head) = st->next;
	*(st->next ? &st->next->prev : &hp_tail) = st->prev;
}

void hotplug_unregister(struct hotplug_state *st)
{
	if (!st)
		return;
	pthread_mutex_lock(&hp_list_lock);
	hp_unlink_locked(st);
	pthread_mutex_unlock(&hp_list_lock);
	free(st);
}

static void hp_free_all(void)
{
	pthread_mutex_lock(&hp_list_lock);
	while (hp_head) {
		struct hotplug_state *st = hp_head;

		hp_unlink_locked(st);
		free(st);
	}
	pthread_mutex_unlock(&hp_list_lock);
}

/* Work queued before the LP went down is refused, as if it had arrived after. */
static void lp_set_online(struct lp *lp, bool online)
{
	struct lp_work *w, *refused = NULL;

	pthread_mutex_lock(&lp->lock);
	atomic_store(&lp->online, online);
	if (online) {
		atomic_fetch_add(&nr_online, 1);
	} else {
		atomic_fetch_sub(&nr_online, 1);
		refused = lp->head;
		lp->head = lp->tail = NULL;
	}
	pthread_mutex_unlock(&lp->lock);
	while (refused) {
		w = refused;
		refused = w->next;
		work_complete(w, -ENODEV);
	}
}

static struct hotplug_state *hp_step(struct hotplug_state *st, bool up)
{
	return up ? st->next : st->prev;
}

static int hp_call(struct hotplug_state *st, bool up, unsigned int lp)
{
	int (*fn)(unsigned int lp) = up ? st->online : st->offline;

	return fn ? fn(lp) : 0;
}

/*
 * Runs on the LP. Online callbacks go in order, offline ones in reverse; when one refuses,
 * the ones that already ran are undone, nearest first, and the LP stays as it was.
 */
static long hp_transition(struct lp *lp, bool up)
{
	struct hotplug_state *st, *undo;
	int ret = 0;

	for (st = up ? hp_head : hp_tail; st; st = hp_step(st, up)) {
		ret = hp_call(st, up, lp->id);
		if (ret)
			break;
	}
	if (!st) {
		lp_set_online(lp, up);
		return 0;
	}
	for (undo = hp_step(st, !up); undo; undo = hp_step(undo, !up))
		hp_call(undo, !up, lp->id);
	return ret;
}

static long hp_bring_up(void *arg)
{
	return hp_transition(arg, true);
}

static long hp_take_down(void *arg)
{
	return hp_transition(arg, false);
}

/*
 * Why an LP cannot go offline now: it runs the caller (there is no other CPU to move the
 * caller to), it is the last one online, or it is running a guest.
 */
static int hp_offline_busy(struct lp *lp)
{
	if (lp == this_lp || atomic_load(&nr_online) <= 1 || atomic_load(&lp->in_guest))
		return -EBUSY;
	return 0;
}

static int hp_change(unsigned int id, bool online)
{
	struct lp *lp = lp_get(id);
	long ret = 0;

	if (!lp)
		return -EINVAL;
	/* the write lock would wait for this thread's own read lock forever */
	if (hotplug_read_depth)
		return -EDEADLK;
	pthread_rwlock_wrlock(&hotplug_lock);
	pthread_mutex_lock(&hp_list_lock);
	if (atomic_load(&lp->online) == online)
		goto out;
	if (online) {
		ret = run_on(lp, hp_bring_up, lp, true);
	} else {
		ret = hp_offline_busy(lp);
		if (!ret)
			ret = run_on(lp, hp_take_down, lp, true);
	}
out:
	pthread_mutex_unlock(&hp_list_lock);
	pthread_rwlock_unlock(&hotplug_lock);
	return (int)ret;
}

int lp_online(unsigned int id)
{
	return hp_change(id, true);
}

int lp_offline(unsigned int id)
{
	return hp_change(id, false);
}

/* ------------------------------------------------------------------------------------------
 * LP threads
 */

static void boot_report(int err)
{
	pthread_mutex_lock(&boot_lock);
	if (err && !boot_err)
		boot_err = err;
	nr_reported++;
	pthread_cond_broadcast(&boot_cond);
	pthread_mutex_unlock(&boot_lock);
}

static int boot_wait(unsigned int n)
{
	int err;

	pthread_mutex_lock(&boot_lock);
	while (nr_reported < n)
		pthread_cond_wait(&boot_cond, &boot_lock);
	err = boot_err;
	pthread_mutex_unlock(&boot_lock);
	return err;
}

static void lp_serve(struct lp *lp)
{
	struct lp_work *w;
	long result;

	pthread_mutex_lock(&lp->lock);
	for (;;) {
		/* while lent (lp_run_as), the borrower is this LP: wait for it to end */
		while (lp->lent || (!lp->head && !lp->stop))
			pthread_cond_wait(&lp->cond, &lp->lock);
		w = work_pop_locked(lp);
		if (!w)
			break;
		lp->running = true;
		pthread_mutex_unlock(&lp->lock);
		result = w->fn(w->arg);
		/* idle before the waiter learns it: its next lp_run_as() finds the LP free */
		pthread_mutex_lock(&lp->lock);
		lp->running = false;
		pthread_mutex_unlock(&lp->lock);
		work_complete(w, result);
		pthread_mutex_lock(&lp->lock);
	}
	pthread_mutex_unlock(&lp->lock);
}

static void *lp_thread(void *arg)
{
	struct lp *lp = arg;
	int ret;

	this_lp = lp;
	lp->tid = gettid();
	ret = traps_lp_init(lp);
	boot_report(ret);
	if (!ret) {
		lp_serve(lp);
		traps_lp_fini(lp);
	}
	this_lp = NULL;
	return NULL;
}

static struct lp *lp_alloc(const struct machine_config *cfg, unsigned int id)
{
	unsigned int per_package = cfg->cores_per_package * cfg->threads_per_core;
	struct lp *lp = calloc(1, sizeof(*lp));

	if (!lp)
		return NULL;
	lp->id = id;
	lp->package = id / per_package;
	lp->core = id % per_package / cfg->threads_per_core;
	pthread_mutex_init(&lp->lock, NULL);
	pthread_cond_init(&lp->cond, NULL);
	return lp;
}

static void lp_free(struct lp *lp)
{
	pthread_cond_destroy(&lp->cond);
	pthread_mutex_destroy(&lp->lock);
	free(lp);
}

static int lps_alloc(const struct machine_config *cfg, unsigned int n)
{
	unsigned int i;

	plat.lps = calloc(n, sizeof(*plat.lps));
	if (!plat.lps)
		return -ENOMEM;
	/* work completion finds waiting LPs through plat.lps: publish before any runs */
	plat.nr_lps = n;
	for (i = 0; i < n; i++) {
		plat.lps[i] = lp_alloc(cfg, i);
		if (!plat.lps[i])
			return -ENOMEM;
	}
	return 0;
}

static int lps_start(unsigned int n)
{
	pthread_attr_t attr;
	int ret;

	ret = -pthread_attr_init(&attr);
	if (ret)
		return ret;
	ret = -pthread_attr_setstacksize(&attr, LP_THREAD_STACK_SIZE);
	while (!ret && nr_threads < n) {
		ret = -pthread_create(&plat.lps[nr_threads]->thread, &attr, lp_thread,
				      plat.lps[nr_threads]);
		if (!ret)
			nr_threads++;
	}
	pthread_attr_destroy(&attr);
	if (ret)
		return ret;
	return boot_wait(n);
}

int lps_init(const struct machine_config *cfg)
{
	unsigned int n = cfg->packages * cfg->cores_per_package * cfg->threads_per_core;
	unsigned int online = cfg->online_lps ? cfg->online_lps : n;
	unsigned int i;
	int ret;

	if (!n || n > PLATFORM_MAX_LPS || online > n)
		return -EINVAL;
	nr_reported = 0;
	boot_err = 0;
	ret = lps_alloc(cfg, n);
	if (ret)
		goto fail;
	ret = lps_start(n);
	if (ret)
		goto fail;
	for (i = 0; i < online; i++)
		lp_set_online(plat.lps[i], true);
	return 0;
fail:
	/* threads that failed their set-up report before exiting: wait, so none is left behind */
	boot_wait(nr_threads);
	lps_fini();
	return ret;
}

void lps_fini(void)
{
	unsigned int i;

	for (i = 0; i < nr_threads; i++) {
		pthread_mutex_lock(&plat.lps[i]->lock);
		plat.lps[i]->stop = true;
		pthread_cond_signal(&plat.lps[i]->cond);
		pthread_mutex_unlock(&plat.lps[i]->lock);
	}
	for (i = 0; i < nr_threads; i++)
		pthread_join(plat.lps[i]->thread, NULL);
	nr_threads = 0;
	for (i = 0; plat.lps && i < plat.nr_lps; i++) {
		if (plat.lps[i])
			lp_free(plat.lps[i]);
	}
	free(plat.lps);
	plat.lps = NULL;
	plat.nr_lps = 0;
	atomic_store(&nr_online, 0);
	hp_free_all();
}
