/* SPDX-License-Identifier: MIT */
/*
 * Locks the way the TDX module takes them: every acquisition is a try. A SEAMCALL that
 * cannot get a lock fails at once with a BUSY status (SYS_BUSY for the global lock,
 * OPERAND_BUSY | operand for an object) and the host retries; the module never waits
 * [TDX module 1.5.01 helpers/tdx_locks.h: acquire_sharex_lock_* return LOCK_RET_FAIL_*].
 * That is also what makes module code safe in a signal handler.
 */
#ifndef TDXSIM_MODULE_LOCK_H
#define TDXSIM_MODULE_LOCK_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Shared/exclusive lock: bit 0 = held exclusively, bits 31:1 = number of shared holders.
 */
struct sharex_lock {
	uint32_t v;
};

static inline bool sharex_try_shared(struct sharex_lock *l)
{
	uint32_t old = __atomic_load_n(&l->v, __ATOMIC_RELAXED);

	do {
		if (old & 1)
			return false;
	} while (!__atomic_compare_exchange_n(&l->v, &old, old + 2, true, __ATOMIC_ACQUIRE,
					      __ATOMIC_RELAXED));
	return true;
}

static inline bool sharex_try_exclusive(struct sharex_lock *l)
{
	uint32_t expected = 0;

	return __atomic_compare_exchange_n(&l->v, &expected, 1, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

static inline void sharex_release_shared(struct sharex_lock *l)
{
	__atomic_fetch_sub(&l->v, 2, __ATOMIC_RELEASE);
}

static inline void sharex_release_exclusive(struct sharex_lock *l)
{
	__atomic_store_n(&l->v, 0, __ATOMIC_RELEASE);
}

static inline bool sharex_is_free(const struct sharex_lock *l)
{
	return __atomic_load_n(&l->v, __ATOMIC_RELAXED) == 0;
}

/* Mutex (one holder), as the module's per-TDMR lock. */
struct try_mutex {
	uint8_t held;
};

static inline bool mutex_try(struct try_mutex *m)
{
	return !__atomic_exchange_n(&m->held, 1, __ATOMIC_ACQUIRE);
}

static inline void mutex_release(struct try_mutex *m)
{
	__atomic_store_n(&m->held, 0, __ATOMIC_RELEASE);
}

#endif
