/* SPDX-License-Identifier: MIT */
/* Internal state of the simulated machine, shared by the files of platform/ only. */
#ifndef TDXSIM_PLATFORM_INTERNAL_H
#define TDXSIM_PLATFORM_INTERNAL_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <ucontext.h>

#include "platform.h"

#define LP_ALTSTACK_SIZE     (1024 * 1024) /* signal handlers run module code here */
#define LP_GATESTACK_SIZE    (1024 * 1024) /* the gate runs module code here */
#define LP_THREAD_STACK_SIZE (1024 * 1024)

/* Signal for asynchronous exits (timer ticks and kicks). */
#define SIG_LP_INTR (SIGRTMIN + 3)

/*
 * Per-LP state. The first fields are read by platform/gate.S at fixed offsets (asserted in
 * switch.c): keep them first and in this order.
 */
struct lp {
	struct cpu_regs gate_ctx;      /* the context a gate call saved / resumes (offset 0) */
	uint64_t gate_stack_top;       /* module stack for the gate (144) */
	uint64_t gate_calls;	       /* (152) */
	volatile uint8_t in_dispatch;  /* the gate is running C code for this LP (160) */
	volatile uint8_t intr_pending; /* an async event waits for the dispatcher (161) */
	uint8_t xsaveopt;	       /* the gate saves with XSAVEOPT, else XSAVE (162) */
	uint8_t xinuse;		       /* the CPU has XGETBV with ECX = 1, XINUSE (163) */
	void *xstate;		       /* home of the current world's extended state (168) */
	uint64_t xfeatures;	       /* XSAVE/XRSTOR's component mask (176) */
	void *xstate_host;	       /* the host's home (xstate.c) (184) */

	unsigned int id;
	unsigned int package;
	unsigned int core;
	pid_t tid;
	pthread_t thread;

	/* State of the CPU */
	_Atomic bool online;
	bool vmx;
	bool irqs_off;

	/* Interrupts sent to this LP (lp_kick, lp_send_ipi), taken by its guest's next stop */
	_Atomic bool kicked;
	_Atomic uint64_t ipi[4]; /* one bit per vector */

	/* World switch */
	_Atomic bool in_guest;
	_Atomic uint64_t exits;	  /* lp_world_exit()s here, written by this LP only */
	struct guest_cpu *guest;  /* the vCPU running (or last run) here */
	struct cpu_regs host_ctx; /* host context saved by lp_world_enter */
	bool gate_step;		  /* a guest's gate call came with TF set (trap.c) */

	/* Work queue */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct lp_work *head, *tail;
	bool stop;
	bool running; /* the LP's thread runs an item */
	bool lent;    /* another thread is this LP for an lp_run_as() call */

	/* Stacks */
	void *altstack;
	void *gatestack;
	timer_t timer;
	bool timer_armed;
};

struct platform {
	struct machine_config cfg;
	unsigned int nr_lps;
	struct lp **lps;
	struct platform_hooks hooks;
	bool booted;

	/* physmem */
	int memfd;
	uint64_t top;
	uint8_t *direct; /* host direct map */
	uint8_t *seam;	 /* SEAM view */

	/* stats */
	_Atomic uint64_t traps, gate_calls, exits, deliveries, async_exits;
};

extern struct platform plat;
extern __thread struct lp *this_lp;

/* Set-up and tear-down of the pieces, in boot order. */
int physmem_init(const struct machine_config *cfg);
void physmem_fini(void);
int lps_init(const struct machine_config *cfg);
void lps_fini(void);
int traps_init(void);
void traps_fini(void);
/* Per-LP-thread set-up run on the LP itself (alternate stack, CPUID faulting, timer). */
int traps_lp_init(struct lp *lp);
void traps_lp_fini(struct lp *lp);

/*
 * Guest code runs only on an LP's own thread (its signal stack, CPUID faulting, timer and
 * kicks are that thread's): a world switch into a guest calls this, which stops the process
 * with "<what> on an LP borrowed by lp_run_as() ..." when the thread only borrowed the LP.
 */
void lp_assert_own_thread(const char *what);

/* Stacks with a guard page below. */
void *mmap_stack(size_t size);
void munmap_stack(void *stack, size_t size);

/* xstate.c: CPUID leaf 0xD and XCR0 read at boot; areas; the trap path's signal frames. */
int xstate_init(void);
bool xstate_has_xsaveopt(void);
bool xstate_has_xinuse(void);
/* A host's SEAMCALL with this RAX does not keep the caller's extended state (xstate.c). */
bool xstate_not_kept(uint64_t rax);
void *xstate_alloc(void); /* reset, 64-byte aligned; free() it */
/*
 * Make area the initial configuration of every component, as XRSTOR loads it: XSTATE_BV 0
 * (each component's init state, whatever the area's bytes) and MXCSR 0x1F80 (which XRSTOR
 * takes from the area whatever XSTATE_BV says). Two stores, not the whole area.
 */
void xstate_init_config(void *area);
/* Load home into the frame sigreturn will resume. */
void xstate_frame_load(ucontext_t *uc, const void *home);
/* The dispatch switched worlds: the frame's state to old_home, new_home into the frame. */
void xstate_frame_switch(ucontext_t *uc, void *old_home, const void *new_home);

/* cpuid.c */
int cpuid_init(enum cpuid_trap_mode mode);
int cpuid_lp_init(struct lp *lp);
void cpuid_lp_fini(struct lp *lp);
bool cpuid_is_rewritten(uint64_t addr);
bool cpuid_faulting_active(void);
void cpuid_forget_code(void *va, size_t len);

/* machine.c: is [base, end) covered by the sorted ranges r (adjacent ones count as one)? */
bool ranges_cover(const struct phys_range *r, unsigned int n, uint64_t base, uint64_t end);
/* machine.c: make "nr_cmrs = 0" explicit: one CMR per RAM range (when they fit). */
void machine_default_cmrs(struct machine_config *cfg);

/*
 * physmem.c: one bit per 4 KiB page of [0, size), in per-GiB chunks allocated on first use
 * (pagemap_reserve() allocates ahead, for callers that cannot allocate later). Bits are
 * atomic; pagemap_test() takes no lock and never allocates, so signal handlers may call it.
 */
struct pagemap {
	size_t nr_chunks;
	_Atomic uint64_t *_Atomic *chunks;
};
int pagemap_init(struct pagemap *m, uint64_t size);
void pagemap_fini(struct pagemap *m);
bool pagemap_test(const struct pagemap *m, uint64_t addr);
int pagemap_reserve(struct pagemap *m, uint64_t addr);
/* Returns the bit's old value (0 or 1), -ENOMEM, or -EINVAL beyond size. */
int pagemap_set(struct pagemap *m, uint64_t addr, bool on);
/* The addresses whose bit is set, ascending, in a malloc'ed array (snapshots). */
int pagemap_list(const struct pagemap *m, uint64_t **out, size_t *nr);

/* The native CPU backend (cpu_backend.h): its address spaces are TD windows (window.c). */
struct td_window *native_space_create(unsigned int gpaw);
void native_space_destroy(struct td_window *w);
int native_space_map(struct td_window *w, uint64_t gpa, bool shared, uint64_t hpa, int prot);
int native_space_unmap(struct td_window *w, uint64_t gpa, bool shared);
int native_space_map_alias(struct td_window *w, uint64_t gpa, bool shared, void *src);
int native_space_map_deferred(struct td_window *w, uint64_t gpa, bool shared, uint64_t hpa,
			      int prot);
int native_space_flush(struct td_window *w);
int native_space_set_suppress_ve(struct td_window *w, uint64_t gpa, uint64_t size, bool suppress);
bool native_space_suppress_ve(const struct td_window *w, uint64_t gpa);
uintptr_t native_space_base(const struct td_window *w);
void *native_space_va(const struct td_window *w, uint64_t gpa, bool shared);
bool native_space_is_mapped(const struct td_window *w, uint64_t gpa, bool shared);
uint64_t native_space_shared_bit(const struct td_window *w);
bool native_space_any(void);
/* switch.c: event injection with the CPU's escalation (exception, #DF, triple fault). */
void native_inject(struct cpu_regs *ctx, struct guest_cpu *g, uint32_t intr_info,
		   uint32_t error_code);

/*
 * switch.c: MOV to CR0/CR4 of v (from GPR gpr) against the virtual CPU, as VMX runs it with
 * the module's guest/host masks: 0 when written (g->cr0/cr4), 1 (VCPU_EXIT) when it changes a
 * bit the module owns (ti is the EXIT_REASON_CR_ACCESS exit), 2 (VCPU_EXCEPTION) for the
 * CPU's own #GP (ti's intr_info). long_mode: also the checks of a 64-bit guest (PG, PAE).
 */
int vcpu_mov_to_cr(struct guest_cpu *g, unsigned int cr, unsigned int gpr, uint64_t v,
		   bool long_mode, struct vm_exit *ti);
/*
 * switch.c: MOV to (to_dr) or from DRn with *gpr against the virtual CPU (g->dr[], TDX runs
 * it natively): 0 when done, 2 (VCPU_EXCEPTION) for the CPU's #UD, #GP(0) or #DB (DR7.GD),
 * ti's intr_info.
 */
int vcpu_mov_dr(struct guest_cpu *g, unsigned int dr, bool to_dr, uint64_t *gpr,
		struct vm_exit *ti);

/* physmem: a host write hit a hidden page at host address addr; true when handled. */
bool physmem_host_write_fault(uintptr_t addr);
/* window: host code touched a page of a deferred run at addr, now mapped; true if so. */
bool window_host_fault(uintptr_t addr);
/* window: is the page containing addr mapped (safe to read instruction bytes from)? */
bool window_addr_readable(uintptr_t addr);

#endif
