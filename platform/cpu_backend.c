// SPDX-License-Identifier: MIT
/*
 * The native CPU backend's operations table (cpu_backend.h) and the choice of backend. The
 * native backend runs guest code at CPL3 on the LP threads: exits come from the trap layer
 * (trap.c) and the gate, the world switch and event delivery are switch.c's, and a TD's
 * address space is its window (window.c).
 */
#include <errno.h>
#include <stdatomic.h>

#include "internal.h"

const struct cpu_backend_ops cpu_backend_native = {
	.name = "native",
	.enter = lp_world_enter,
	.exit = lp_world_exit,
	.inject = native_inject,
	.single_step = guest_single_step,
	.space_create = native_space_create,
	.space_destroy = native_space_destroy,
	.map = native_space_map,
	.unmap = native_space_unmap,
	.map_deferred = native_space_map_deferred,
	.flush = native_space_flush,
	.set_suppress_ve = native_space_set_suppress_ve,
	.suppress_ve = native_space_suppress_ve,
};

static const struct cpu_backend_ops *_Atomic backend = &cpu_backend_native;

const struct cpu_backend_ops *cpu_backend(void)
{
	return atomic_load_explicit(&backend, memory_order_relaxed);
}

int platform_set_cpu_backend(const struct cpu_backend_ops *ops)
{
	if (native_space_any())
		return -EBUSY;
	atomic_store(&backend, ops ? ops : &cpu_backend_native);
	return 0;
}
