/* SPDX-License-Identifier: MIT */
/*
 * The simulated machine ("hardware"): logical processors, physical memory, VMX/SEAM state,
 * instruction traps, exception delivery to guest code, the world switch, timers and CPU
 * hotplug. One machine per process, booted with platform_boot() and torn down with
 * platform_shutdown().
 *
 * Everything above this layer (module/, host/, vmm/, guest/) sees the machine only through
 * what real hardware offers: the host through this API (its "instructions": VMXON, run on a
 * CPU, hotplug) and SEAMCALL; the module through the hooks it installs; the guest through
 * native instructions that trap.
 */
#ifndef TDXSIM_PLATFORM_H
#define TDXSIM_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tdxsim/boot.h" /* the TD window's size */

#define PLATFORM_MAX_LPS      1024
#define PLATFORM_MAX_RANGES   64
#define PLATFORM_MAX_CMRS     32
#define PLATFORM_MAX_PACKAGES 16

#define PAGE_SHIFT 12
#define PAGE_SIZE  4096ULL
#define PAGE_MASK  (~(PAGE_SIZE - 1))

/* ------------------------------------------------------------------------------------------
 * Machine configuration
 */

/* A range of physical address space. For RAM, `node` is the package whose memory it is. */
struct phys_range {
	uint64_t base;
	uint64_t size;
	unsigned int node;
};

enum cpuid_trap_mode {
	CPUID_TRAP_AUTO,     /* CPUID faulting where the host has it, else rewriting */
	CPUID_TRAP_FAULTING, /* arch_prctl(ARCH_SET_CPUID, 0) on every LP; boot fails without it */
	CPUID_TRAP_REWRITE,  /* rewrite CPUID in guest code pages to a trapping form */
};

struct machine_config {
	char name[64];
	unsigned int packages;
	unsigned int cores_per_package;
	unsigned int threads_per_core;
	unsigned int online_lps; /* LPs online after boot (the first N); 0 = all */

	unsigned int nr_ram;
	struct phys_range ram[PLATFORM_MAX_RANGES];
	unsigned int nr_cmrs; /* 0 = one CMR per RAM range */
	struct phys_range cmr[PLATFORM_MAX_CMRS];

	unsigned int maxphyaddr; /* physical address bits, KeyID bits included */
	unsigned int keyid_bits; /* MK-TME KeyID bits taken from the top of maxphyaddr */
	uint32_t mktme_keyids;	 /* IA32_MKTME_KEYID_PARTITIONING (MSR 0x87) bits 31:0 */
	uint32_t tdx_keyids;	 /* MSR 0x87 bits 63:32 */

	bool seamrr_enabled; /* false: SEAMCALL raises #GP, as when the BIOS left TDX off */
	bool module_present; /* false: SEAMCALL returns VMfailInvalid */
	bool gate;	     /* offer the SEAMCALL/TDCALL gate (a function-pointer fast path) */
	enum cpuid_trap_mode cpuid_mode;
	unsigned int timer_hz; /* per-LP preemption timer while a guest runs; 0 = off */
	uint32_t cpu_fms;      /* the CPU's family/model/stepping as TDs see it; 0 = 0x806F8 */
};

/* Fill `cfg` with a named preset ("laptop", "2s-224lp-1t", "1024lp", ...). 0 or -ENOENT. */
int machine_preset(const char *name, struct machine_config *cfg);
/* Names of all presets, NULL-terminated. */
const char *const *machine_preset_names(void);
/*
 * Parse a configuration file ("key = value" lines, '#' comments; see docs/MACHINE.md).
 * Starts from the "laptop" preset unless the file says `preset = NAME`. On error returns
 * -EINVAL and writes "FILE:LINE: what is wrong" into err.
 */
int machine_config_load(const char *path, struct machine_config *cfg, char *err, size_t errlen);
int machine_config_parse(const char *text, const char *origin, struct machine_config *cfg,
			 char *err, size_t errlen);
/* Check a configuration for consistency; -EINVAL with a message in err. */
int machine_config_validate(const struct machine_config *cfg, char *err, size_t errlen);
/*
 * The environment's say over a configuration, applied by platform_boot(): TDXSIM_CPUID =
 * auto | faulting | rewrite (the words and meanings of the `cpuid` key) replaces
 * cfg->cpuid_mode, so that any run can be forced into either CPUID mode without a machine
 * file. Unset or empty: no change. A bad value: -EINVAL with a message in err.
 */
int machine_config_apply_env(struct machine_config *cfg, char *err, size_t errlen);
/* Total bytes of RAM in a configuration. */
uint64_t machine_ram_bytes(const struct machine_config *cfg);

/* Boot the machine: LP threads, physical memory, traps. -errno on failure. */
int platform_boot(const struct machine_config *cfg);
/* Stop every LP, unmap everything, restore signal handlers. */
void platform_shutdown(void);
/*
 * Install the machine's trap handlers again. Test harnesses (cmocka) replace the SIGSEGV,
 * SIGILL, SIGFPE and SIGBUS handlers around every test; a test that traps calls this first.
 */
void platform_claim_signals(void);
/* The configuration the machine booted with. */
const struct machine_config *platform_config(void);

/* ------------------------------------------------------------------------------------------
 * Logical processors
 */

typedef long (*lp_fn_t)(void *arg);

unsigned int platform_nr_lps(void);
/* The LP this thread is, or -1 when called from a thread that is not an LP. */
int lp_current(void);
unsigned int lp_package(unsigned int lp);
unsigned int lp_core(unsigned int lp);
bool lp_is_online(unsigned int lp);
unsigned int platform_nr_online_lps(void);

/*
 * Run fn(arg) on an LP and wait for it; its return value is returned. When already on that
 * LP, fn runs directly. -ENODEV when the LP is offline, -EINVAL when it does not exist.
 * Work runs in FIFO order; an LP runs one item at a time.
 */
long lp_run_on(unsigned int lp, lp_fn_t fn, void *arg);
/*
 * lp_run_on() without the hop where the calling thread can be the LP for the call: when the
 * caller is no LP and `lp` is online with nothing running or queued on it, fn runs on the
 * calling thread as that LP (lp_current(), its interrupt and VMX state, its SEAMCALLs, traps
 * and gate are the LP's), and the LP runs nothing else until fn returns: work queued for it
 * meanwhile waits, and a concurrent lp_run_as() hops and waits as with lp_run_on(). Otherwise
 * it is lp_run_on(). fn must not enter guest code (TDH.VP.ENTER): a guest runs on its LP's
 * own thread, and a world switch on a borrowed LP stops the process.
 */
long lp_run_as(unsigned int lp, lp_fn_t fn, void *arg);

/* Asynchronous form: queue fn on lp; lp_work_wait() returns its result. */
struct lp_work {
	lp_fn_t fn;
	void *arg;
	long result;
	int done; /* internal */
	struct lp_work *next;
};
int lp_queue_work(unsigned int lp, struct lp_work *w, lp_fn_t fn, void *arg);
long lp_work_wait(struct lp_work *w);

/*
 * Run fn(arg) on every online LP in parallel and wait for all (on_each_cpu). Results go to
 * results[lp] when non-NULL (offline LPs get -ENODEV). Returns the first non-zero result in
 * LP order, or 0.
 */
long lp_run_on_each_online(lp_fn_t fn, void *arg, long *results);

/* Run the work queued for the current LP (a long-running item calls this, as a CPU takes
 * interrupts when it enables them). */
void lp_poll_work(void);

/* Interrupt flag of the current LP (local_irq_*). Work is still accepted while it is off. */
void lp_irq_disable(void);
void lp_irq_enable(void);
bool lp_irqs_disabled(void);
unsigned long lp_irq_save(void);
void lp_irq_restore(unsigned long flags);

/* VMX operation of the current LP. VMXON twice or VMXOFF outside VMX: -EBUSY / -EINVAL. */
int lp_vmxon(void);
int lp_vmxoff(void);
bool lp_in_vmx(void);

/* ------------------------------------------------------------------------------------------
 * CPU hotplug. Callbacks run on the LP concerned, in `order` (ascending) when it comes
 * online and in reverse when it goes offline. An online callback that fails rolls back the
 * ones before it and leaves the LP offline; an offline callback that fails vetoes the
 * offline and the earlier ones are rolled back with their online callback.
 */

struct hotplug_state;
struct hotplug_state *hotplug_register(const char *name, int order, int (*online)(unsigned int lp),
				       int (*offline)(unsigned int lp));
void hotplug_unregister(struct hotplug_state *st);
/* 0 or -errno (the refusing callback's error; -EBUSY when the LP is busy). */
int lp_online(unsigned int lp);
int lp_offline(unsigned int lp);
/* The hotplug lock (cpus_read_lock); online/offline take it for writing. */
void cpus_read_lock(void);
void cpus_read_unlock(void);

/* ------------------------------------------------------------------------------------------
 * Physical memory: one sparse memfd the size of the top of RAM.
 *
 * The host's direct map is the host's view: a page that is hidden (TD-private) reads as
 * zeros there, and a host write to it poisons the page (TDX memory integrity): the TD's next
 * access to the page is fatal. The SEAM view is the module's: it sees every page's content.
 */

uint64_t phys_top(void);
/* The memfd itself (-1 before boot): the system backend gives it to QEMU as its RAM. */
int phys_memfd(void);
bool phys_is_ram(uint64_t hpa, uint64_t size);
/* Package whose RAM holds hpa, or -1 outside RAM. */
int phys_node(uint64_t hpa);
void *phys_host_va(uint64_t hpa); /* NULL outside RAM */
void *phys_seam_va(uint64_t hpa); /* NULL outside RAM */
int phys_hide(uint64_t hpa);	  /* page becomes private: host direct map reads zeros */
int phys_unhide(uint64_t hpa);	  /* back to the host, contents zeroed */
/* The same for every page of a page-aligned range, one mapping change per contiguous run. */
int phys_hide_range(uint64_t hpa, uint64_t size);
int phys_unhide_range(uint64_t hpa, uint64_t size);
bool phys_is_hidden(uint64_t hpa);
bool phys_is_poisoned(uint64_t hpa);
void phys_clear_poison(uint64_t hpa);
/* Zero [hpa, hpa+size) without touching it (page-aligned; frees the backing pages). */
int phys_discard(uint64_t hpa, uint64_t size);
/* Bytes of RAM actually backed right now (for "must not touch more than" checks). */
uint64_t phys_resident_bytes(void);
/* End of the run of pages from seam-view va that are all backed (*resident) or all not. */
const void *phys_seam_resident_run(const void *va, bool *resident);
/* Called (with the page's HPA) when a host write poisons a hidden page; set by the module. */
void phys_set_poison_notifier(void (*fn)(uint64_t hpa));

/*
 * A snapshot of physical memory: every allocated page's contents and the hidden set (not
 * allowed while a page is poisoned: -EBUSY). phys_snapshot_restore() brings contents,
 * residency (a page never written since is a hole again) and the hidden set back to it, at a
 * quiescent point (nothing else touches memory meanwhile). 0 or -errno.
 */
struct phys_snapshot;
int phys_snapshot_take(struct phys_snapshot **out);
int phys_snapshot_restore(struct phys_snapshot *s);
void phys_snapshot_free(struct phys_snapshot *s);
uint64_t phys_snapshot_bytes(const struct phys_snapshot *s); /* RAM held, bytes */
/*
 * A restore looks at the pages touched since the snapshot was taken or last restored (its
 * touch log, below) and at the pages watched with phys_snapshot_watch(): pages written
 * without a phys_*_va() call while the log runs (mapped writable in a TD window, or kept by
 * pointer across calls, as a vCPU's TDVPS is). Without a log (out of memory, overflow) it
 * compares every page. phys_snapshot_differences() compares every page with the snapshot
 * without changing anything (residency, contents, hidden and poisoned sets): how many differ.
 */
int phys_snapshot_watch(struct phys_snapshot *s, uint64_t hpa);
uint64_t phys_snapshot_differences(const struct phys_snapshot *s, char *buf, size_t len);

/*
 * Touch logs (snapshots, incremental checkers; nothing else pays for them): while one is
 * open, every page whose address phys_seam_va()/phys_host_va() hand out, and every page
 * phys_hide/unhide/discard and phys_touch() name, goes into it once until its next reset. A
 * pointer from phys_*_va() covers its own page: code that writes further gets a pointer per
 * page or calls phys_touch(). Adding is lock-free (LP threads, signal handlers); reading and
 * resetting happen at quiescent points. A log that fills up says so (overflowed): its reader
 * must then look at everything.
 */
struct phys_touch_log;
struct phys_touch_log *phys_touch_log_open(void);
void phys_touch_log_close(struct phys_touch_log *l);
/* The pages touched since the last reset, in the order of first touch; *overflowed. */
size_t phys_touch_log_pages(const struct phys_touch_log *l, const uint64_t **pages,
			    bool *overflowed);
void phys_touch_log_reset(struct phys_touch_log *l);
/* A paused log records nothing (a checker reading memory, which it does not change). */
void phys_touch_log_pause(struct phys_touch_log *l, bool paused);
void phys_touch(uint64_t hpa, uint64_t size);

/* ------------------------------------------------------------------------------------------
 * TD address windows. A TD sees private GPA g at base + g and shared GPA g at base + W + g,
 * W = TDXSIM_WINDOW_SIZE (tdxsim/boot.h). The base is 2W-aligned, so guest code finds it from its own RIP.
 * Pages appear when mapped (the memfd at an HPA) and disappear when unmapped.
 */

#define TD_WINDOW_MAX 128 /* windows at once; td_window_create fails with ENOSPC beyond */

struct td_window;
struct td_window *td_window_create(unsigned int gpaw);
void td_window_destroy(struct td_window *w);
uintptr_t td_window_base(const struct td_window *w);
uint64_t td_window_shared_bit(const struct td_window *w); /* 1 << (GPAW - 1) */
/* prot: PROT_READ | PROT_WRITE | PROT_EXEC. gpa without the shared bit. */
int td_window_map(struct td_window *w, uint64_t gpa, bool shared, uint64_t hpa, int prot);
int td_window_unmap(struct td_window *w, uint64_t gpa, bool shared);
/*
 * The page at @src (page-aligned, in a MAP_SHARED mapping of this process) mapped at @gpa,
 * readable and writable: memory the embedder supplies (vmm/map_gpa.c). -EOPNOTSUPP on a
 * backend that cannot (cpu_backend.h), -EINVAL for a private mapping, -EFAULT for none.
 */
int td_window_map_alias(struct td_window *w, uint64_t gpa, bool shared, void *src);
bool td_window_is_mapped(const struct td_window *w, uint64_t gpa, bool shared);
/*
 * Mapping for a TD being built (TDH.MEM.PAGE.ADD): td_window_map_deferred() maps as
 * td_window_map() does, but the native backend gathers a run of pages contiguous in GPA and
 * HPA (up to the end of their 2 MiB of GPA) and maps it with one mmap: when the run ends or
 * breaks, at td_window_flush() (TDH.MR.FINALIZE: before guest code can run), at any other
 * change or listing of the window's mappings, and when host code touches a page of the run.
 */
int td_window_map_deferred(struct td_window *w, uint64_t gpa, bool shared, uint64_t hpa, int prot);
int td_window_flush(struct td_window *w);
/*
 * The shared EPT's suppress-#VE bit over [gpa, gpa + size) of the shared half (the shared bit
 * in gpa ignored; page-aligned): set, an EPT violation there is a TD exit to the VMM; clear
 * (a new window's state everywhere), a #VE in the guest (cpu_backend.h).
 */
int td_window_set_suppress_ve(struct td_window *w, uint64_t gpa, uint64_t size, bool suppress);
bool td_window_suppress_ve(const struct td_window *w, uint64_t gpa);
/*
 * Snapshots of a window's mappings (module/snapshot.c): td_window_mappings() lists them (read
 * from /proc/self/maps: slow, for a snapshot's take), td_window_changes() counts the maps
 * and unmaps so far, td_window_mappings_set() makes the mappings exactly the list's.
 */
struct td_window_page {
	uint64_t gpa, hpa;
	bool shared;
	int prot;
};
int td_window_mappings(const struct td_window *w, struct td_window_page **out, size_t *nr);
uint64_t td_window_changes(const struct td_window *w);
int td_window_mappings_set(struct td_window *w, const struct td_window_page *pages, size_t nr);
void *td_window_va(const struct td_window *w, uint64_t gpa, bool shared);
/* Which window an address is in: its GPA (shared bit set for the shared half). */
struct td_window *td_window_lookup(uintptr_t addr, uint64_t *gpa);

/* ------------------------------------------------------------------------------------------
 * CPU state, traps and the world switch
 */

/* General registers in x86 encoding order, so decoded register numbers index gpr[]. */
enum {
	REG_RAX_ = 0,
	REG_RCX_,
	REG_RDX_,
	REG_RBX_,
	REG_RSP_,
	REG_RBP_,
	REG_RSI_,
	REG_RDI_,
	REG_R8_,
	REG_R9_,
	REG_R10_,
	REG_R11_,
	REG_R12_,
	REG_R13_,
	REG_R14_,
	REG_R15_,
};

struct cpu_regs {
	uint64_t gpr[16];
	uint64_t rip;
	uint64_t rflags;
};

#define X86_EFLAGS_CF 0x0001
#define X86_EFLAGS_PF 0x0004
#define X86_EFLAGS_AF 0x0010
#define X86_EFLAGS_ZF 0x0040
#define X86_EFLAGS_SF 0x0080
#define X86_EFLAGS_TF 0x0100
#define X86_EFLAGS_IF 0x0200
#define X86_EFLAGS_DF 0x0400
#define X86_EFLAGS_OF 0x0800
#define X86_EFLAGS_RF 0x10000
#define X86_EFLAGS_ARITH                                                                           \
	(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | X86_EFLAGS_ZF | X86_EFLAGS_SF |           \
	 X86_EFLAGS_OF)

/* Virtual CPU state the machine keeps for a vCPU (lives wherever its owner puts it). */
struct guest_cpu {
	struct cpu_regs regs;
	uint64_t idt_base; /* guest linear address of the IDT (set by LIDT) */
	uint16_t idt_limit;
	uint64_t gdt_base;
	uint16_t gdt_limit;
	bool vif;	 /* virtual RFLAGS.IF (CLI/STI, interrupt gates, IRETQ) */
	bool sti_shadow; /* STI set vif: interrupts wait until the next instruction is done */
	/*
	 * Control registers as the guest set them. CR0 and CR4 work as under VMX: the bits set in
	 * cr0_mask/cr4_mask (the guest/host masks, set by the module) read as in cr0_shadow/
	 * cr4_shadow, and a MOV that would change one of them is an EXIT_REASON_CR_ACCESS exit
	 * for the module; the other bits are the guest's, written with the CPU's own checks
	 * (switch.c).
	 */
	uint64_t cr0, cr2, cr3, cr4;
	uint64_t cr0_mask, cr0_shadow, cr4_mask, cr4_shadow;
	uint64_t xcr0; /* what XSETBV set (XGETBV runs natively and reads the host's XCR0) */
	/* DR0-DR3 in dr[0..3], DR6 in dr[6], DR7 in dr[7] (MOV DR); dr[4], dr[5] unused */
	uint64_t dr[8];
	/* A single-step #DB (DR6.BS) owed to the guest when it next runs (after a TD exit). */
	bool pending_step;
	uint64_t gs_base, kernel_gs_base;
	struct td_window *window;
	/*
	 * The vCPU's extended state (x87, SSE, AVX, AVX-512) while it is not running: 64-byte
	 * aligned, platform_xstate_size() bytes, standard XSAVE format, set up with
	 * xstate_reset(). Its owner provides it before the first lp_world_enter().
	 */
	void *xstate;
	/* The CPU backend's own state for the vCPU (cpu_backend.h vcpu_init); NULL natively. */
	void *backend;
};

/*
 * The CPU-backend interface (cpu_backend.h): what a backend reports when guest code stops
 * (struct vm_exit), the module's hooks that receive it (platform_set_hooks), and what a
 * backend does for the module (struct cpu_backend_ops). The functions below are the native
 * backend's.
 */
#include "cpu_backend.h"

/* World switch on the current LP: save ctx as this LP's host context and load the guest's
 * registers into ctx; or save ctx into the guest and load the host context back. The
 * extended state follows the registers: whoever resumes ctx also loads the state of the
 * world it now holds (platform/xstate.c). */
void lp_world_enter(struct cpu_regs *ctx, struct guest_cpu *g);
void lp_world_exit(struct cpu_regs *ctx);

/*
 * Deliver an exception or interrupt to the guest as the CPU does: read the gate from the
 * guest IDT, push SS, RSP, RFLAGS, CS, RIP (and the error code) on the guest stack, jump to
 * the handler; an interrupt gate clears the virtual IF. 0, or -EFAULT when the IDT or stack
 * cannot take it (the caller escalates to #DF, then triple fault).
 *
 * A frame whose RFLAGS has IF set carries SS = GUEST_IRET_SS: a native IRETQ at CPL3 cannot
 * set IF, so that selector makes it fault (#GP), and the virtual CPU completes the IRETQ,
 * restoring the virtual IF from the frame.
 */
#define GUEST_IRET_SS 0
int guest_deliver(struct cpu_regs *ctx, struct guest_cpu *g, uint8_t vector, bool has_error,
		  uint64_t error_code);

/*
 * Debug exceptions as the CPU reports them in DR6 [SDM vol. 3B 18.2.3]: DR6 reads with
 * bits 4-11 and 17-31 set and bit 12 clear; BD, BS, BT and RTM (active low) change.
 */
#define DR6_BD	     (1ULL << 13)
#define DR6_BS	     (1ULL << 14)
#define DR6_FIXED_1  0xFFFE0FF0ULL
#define DR6_VOLATILE 0x0001E00FULL
#define DR6_RESET    0xFFFF0FF0ULL
#define DR7_GD	     (1ULL << 13)
#define DR7_FIXED_1  0x400ULL
#define DR7_VOLATILE 0xFFFF2BFFULL
#define DR7_RESET    0x400ULL
/*
 * An instruction the module or the virtual CPU completed for the guest while RFLAGS.TF was
 * set: the single-step trap the CPU would take after it, #DB with DR6.BS set, RIP at the
 * next instruction [SDM vol. 3B 18.3.1.4]. Escalates like any exception.
 */
void guest_single_step(struct cpu_regs *ctx, struct guest_cpu *g);
/* The same, without the escalation: deliver an exception, then #DF, then the module's
 * triple-fault stop. */
void guest_raise(struct cpu_regs *ctx, struct guest_cpu *g, uint8_t vector, uint64_t error_code);

/* Ask the current LP's guest to exit as soon as possible (an IPI), from any thread. */
int lp_kick(unsigned int lp);
/*
 * Send interrupt `vector` to an LP (an IPI), from any thread: the vector is latched in the
 * LP and its guest, if one runs, stops with an EXIT_REASON_EXTERNAL_INTERRUPT exit whose
 * intr_info is valid (a timer tick or lp_kick has none).
 * The module takes a latched vector with lp_ipi_take(); this is how a posted-interrupt
 * notification (include/tdx/pi.h) reaches a running TD without a TD exit.
 */
int lp_send_ipi(unsigned int lp, uint8_t vector);
/* On an LP: was `vector` sent to it? Clears it. */
bool lp_ipi_take(uint8_t vector);
/* On an LP: the highest vector latched, or -1. */
int lp_ipi_highest(void);
/* On an LP: is any vector but `except` latched? (except -1: any vector at all) */
bool lp_ipi_pending(int except);

/* ------------------------------------------------------------------------------------------
 * The gate: SEAMCALL and TDCALL through a function pointer, with the semantics of the
 * instruction. Load the registers as for the instruction and execute
 *     call *tdxsim_gate_ptr(%rip)        (FF 15 disp32: exactly this 6-byte form)
 * in its place. NULL when the machine is booted without the gate.
 */
extern void (*tdxsim_gate_ptr)(void);
#define TDXSIM_GATE_CALL_LEN 6

/*
 * Exception fixups for host code (as the kernel's extable): an #UD or #GP at an address in
 * [start, end) resumes at `fixup` with RAX = the trap number. Assembly emits entries with
 * TDXSIM_EXTABLE(start, end, fixup) from <platform/extable.h>.
 */
struct extable_entry {
	uintptr_t start, end, fixup;
};
const struct extable_entry *extable_find(uintptr_t rip);

/*
 * Extended state (platform/xstate.c). The world switch saves and restores these components
 * of the host's XCR0, for host and guest alike: x87, SSE, AVX and the three AVX-512 ones.
 */
#define XFEATURE_X87	  (1ULL << 0)
#define XFEATURE_SSE	  (1ULL << 1)
#define XFEATURE_YMM	  (1ULL << 2)
#define XFEATURE_OPMASK	  (1ULL << 5)
#define XFEATURE_ZMM_H256 (1ULL << 6)
#define XFEATURE_HI16_ZMM (1ULL << 7)
#define XSTATE_SWITCHED                                                                            \
	(XFEATURE_X87 | XFEATURE_SSE | XFEATURE_YMM | XFEATURE_OPMASK | XFEATURE_ZMM_H256 |        \
	 XFEATURE_HI16_ZMM)
#define XSTATE_MAX_SIZE 4096 /* what a vCPU's area may need at most: one TDVPS page */
/* The components switched (XCR0 & XSTATE_SWITCHED), valid once the machine is booted. */
uint64_t platform_xstate_features(void);
/* Bytes of a save area, from CPUID leaf 0xD (a multiple of 64, at most XSTATE_MAX_SIZE). */
size_t platform_xstate_size(void);
/* The architectural reset state: every component initial, MXCSR = 0x1F80. */
void xstate_reset(void *area);

/* CPUID as executed natively on the host (with faulting turned off around it). */
void host_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4]);
/*
 * Rewrite CPUID instructions in [va, va+len) of guest code to the trapping form, 0F A2 to
 * 0F CPUID_REWRITTEN_BYTE (only where the machine is in CPUID_TRAP_REWRITE mode); returns
 * how many were rewritten (0 in faulting mode). A rewritten CPUID is known by its address,
 * so @va must be where the guest executes the code: mapped pages of one TD window, writable
 * there; anything else is -EFAULT in either mode. -ENOSPC when the platform can record no
 * more addresses (a CPUID may then be left native: do not run the code). A TD's code must be
 * measured before it is rewritten. Destroying the window forgets its addresses.
 *
 * The form is SYSRET (0F 07), which faults with #GP at CPL3 like CLTS but is nothing a
 * guest executes for itself: in rewrite mode, guest code reaching a 0F 07 the platform did
 * not rewrite stops its TD (EXIT_REASON_MCE_DURING_VMENTRY) with "tdxsim: CPUID rewritten where the
 * platform has no record of it ..." on stderr, instead of the CPUID silently not happening.
 */
#define CPUID_REWRITTEN_BYTE 0x07
int cpuid_rewrite_code(void *va, size_t len);

/* Counters, for statistics and benchmarks. */
struct platform_stats {
	uint64_t traps, gate_calls, exits, deliveries, async_exits;
};
void platform_get_stats(struct platform_stats *st);

#endif
