// SPDX-License-Identifier: MIT
/*
 * The native CPU backend's operations table (cpu_backend.h) and the choice of backend. The
 * native backend runs guest code at CPL3 on the LP threads: exits come from the trap layer
 * (trap.c) and the gate, the world switch and event delivery are switch.c's, and a TD's
 * address space is its window (window.c).
 */
#include <errno.h>
#include <stdatomic.h>

#include "decode.h"
#include "internal.h"
#include "tdx/td.h"
#include "tdxsim/boot.h"

/*
 * TDH.VP.INIT's start: TDX's reset vector inside the TD window (guest code runs at CPL3 from
 * there), and the gate in R9 for guests that call it instead of trapping on TDCALL.
 */
static int native_vcpu_init(struct guest_cpu *g)
{
	g->regs.rip = td_window_base(g->window) + TDX_VP_INIT_RIP;
	g->regs.gpr[TDXSIM_BOOT_REG_GATE] = (uint64_t)(uintptr_t)tdxsim_gate_ptr;
	return 0;
}

static void native_vcpu_destroy(struct guest_cpu *g)
{
	(void)g;
}

/* Guest linear addresses are the process's own here (the TD window): page by page. */
static unsigned int native_read_linear(struct guest_cpu *g, uint64_t gla, void *buf,
				       unsigned int len)
{
	unsigned int done = 0;

	(void)g;
	while (done < len) {
		uint64_t a = gla + done;
		unsigned int n = (unsigned int)(PAGE_SIZE - (a & (PAGE_SIZE - 1)));

		if (n > len - done)
			n = len - done;
		if (guest_read((uint8_t *)buf + done, a, n))
			break;
		done += n;
	}
	return done;
}

static uint64_t native_idt_base(struct guest_cpu *g)
{
	return g->idt_base;
}

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
	.map_alias = native_space_map_alias,
	.map_deferred = native_space_map_deferred,
	.flush = native_space_flush,
	.set_suppress_ve = native_space_set_suppress_ve,
	.suppress_ve = native_space_suppress_ve,
	.space_base = native_space_base,
	.space_va = native_space_va,
	.is_mapped = native_space_is_mapped,
	.shared_bit = native_space_shared_bit,
	.vcpu_init = native_vcpu_init,
	.vcpu_destroy = native_vcpu_destroy,
	.read_linear = native_read_linear,
	.idt_base = native_idt_base,
};

static const struct cpu_backend_ops *_Atomic backend = &cpu_backend_native;

const struct cpu_backend_ops *cpu_backend(void)
{
	return atomic_load_explicit(&backend, memory_order_relaxed);
}

int platform_set_cpu_backend(const struct cpu_backend_ops *ops)
{
	if (native_space_any() || (cpu_backend()->space_any && cpu_backend()->space_any()))
		return -EBUSY;
	atomic_store(&backend, ops ? ops : &cpu_backend_native);
	return 0;
}
