/* SPDX-License-Identifier: MIT */
/*
 * TD control structures and the Secure EPT, as the software module keeps them.
 *
 * Every structure lives in the host pages the host handed over, read and written through the
 * SEAM view, as on TDX where they are encrypted with the TD's or the module's key [M
 * td_control_structures.h, tdx_tdvps.h]:
 *
 *   TDR   (TDH.MNG.CREATE)  struct tdr: lifecycle, HKID, the TDCX page list, child count
 *   TDCX 0 (TDH.MNG.ADDCX)  struct tdcs: TD_PARAMS, op_state, measurement, epochs
 *   TDCX 1                  the Secure EPT root (PML4 or PML5 page)
 *   TDCX 2..5               reserved (MSR bitmaps etc. on a real module)
 *   TDVPR (TDH.VP.CREATE)   struct tdvps: vCPU state, registers, VE info, association
 *   TDVPR's TDCX pages      TDCX 2 (TDVPS page 3): the vCPU's XSAVE area, where the TDX
 *                           module keeps the guest's extended state; the others reserved
 *                           (the TD VMCS, VAPIC page, ... on a real module)
 *
 * The host sees all of these pages as zeros (they are hidden in its direct map) and poisons
 * them if it writes them. The layout is tdxsim's own; only the page counts and the sizes the
 * module reports in its metadata are architectural.
 */
#ifndef TDXSIM_MODULE_TD_H
#define TDXSIM_MODULE_TD_H

#include <openssl/sha.h>

#include "module.h"
#include "tdx/vmx.h"

#define MAX_TDCS_PAGES	  (TDCS_BASE_SIZE / _4K) /* 6 */
#define TDCS_SEPT_ROOT	  1			 /* TDCX index of the SEPT root */
#define TDVPS_XSTATE_TDCX 2    /* TDVPR's TDCX index of the XSAVE area (TDVPS page 3) */
#define MAX_VCPUS_PER_TD  1024 /* what MAX_VCPUS_PER_TD reports */
#define SEPT_ENTRIES	  512

/* The TDR [M tdr_t]: first of a TD's pages to exist and last to go. */
struct tdr {
	uint8_t lifecycle_state; /* TD_HKID_ASSIGNED .. TD_TEARDOWN */
	uint8_t op_state;	 /* OP_STATE_*; in the TDCS on a real module, here before it */
	bool fatal;		 /* TD_FATAL: no more TD entries */
	bool md_corrupted;	 /* the host wrote one of its control pages (poison) */
	bool init;		 /* TDH.MNG.INIT done */
	uint16_t hkid;
	uint32_t pkg_config_bitmap; /* packages where MNG.KEY.CONFIG ran */
	uint32_t num_tdcx;
	uint64_t tdcx_pa[MAX_TDCS_PAGES];
	uint64_t chldcnt; /* pages owned by this TD other than the TDR */
	uint64_t td_uuid[4];
	/* The TD window, moved here by MNG.KEY.FREEID: TDCS pages may be reclaimed before the
	 * TDR, whose reclaim destroys it (tdh_phymem_page_reclaim.c). */
	struct td_window *window;
};

/* One CPUID leaf as configured for the TD. */
struct td_cpuid {
	uint32_t leaf, subleaf; /* subleaf CPUID_SUBLEAF_NA when it has none */
	uint32_t val[4];	/* EAX, EBX, ECX, EDX */
};

/* The TDCS, in TDCX page 0 [M tdcs_t]. */
struct tdcs {
	/* Fixed by TDH.MNG.INIT */
	uint64_t attributes, xfam, config_flags, eptp_controls;
	uint64_t tsc_frequency; /* in 25 MHz units */
	uint64_t ia32_arch_capabilities_config;
	uint16_t max_vcpus;
	uint8_t msr_config_ctls, num_l2_vms;
	unsigned int gpaw;	 /* 48 or 52 */
	unsigned int ept_levels; /* 4 or 5 */
	uint64_t shared_bit;	 /* 1 << (gpaw - 1) */
	uint8_t mrconfigid[48], mrowner[48], mrownerconfig[48];
	unsigned int num_cpuid;
	struct td_cpuid cpuid[NUM_CPUID_CONFIG];

	/* Mutable TD-scope controls (TDH.MNG.WR, TDG.VM.WR) */
	uint64_t td_ctls, notify_enables, topology_enum_configured;

	/* Measurement [ABI §9] */
	SHA512_CTX mrtd_ctx;
	uint8_t mrtd[48];
	uint8_t rtmr[TDX_NUM_RTMRS][48];
	struct sharex_lock rtmr_lock;

	/* vCPUs */
	uint32_t num_vcpus;
	uint32_t num_assoc_vcpus; /* vCPUs associated with an LP (VP.FLUSH clears) */

	/* TLB tracking [M td_epoch; ABI §1.1 MEM.TRACK] */
	uint64_t td_epoch;
	uint32_t refcount[2]; /* vCPUs running in epoch (td_epoch & 1) and the previous one */

	/* Locks, every one taken with a try [M tdcs locks] */
	struct sharex_lock op_state_lock;
	struct try_mutex sept_lock;

	/* tdxsim: the address window guest code runs in (private half = the Secure EPT). */
	struct td_window *window;
};
_Static_assert(sizeof(struct tdcs) <= _4K, "TDCS fits its first page");

/* The vCPU's own MSRs (td_msr.c): at most this many non-zero ones. */
#define TDVPS_MSR_STORE 160

struct td_msr_kv {
	uint32_t msr, used;
	uint64_t val;
};

/* What a TD exit left pending for the next TDH.VP.ENTER. */
enum vp_pending {
	VP_RESUME_NONE = 0,
	VP_RESUME_TDVMCALL, /* copy the exposed GPRs from the host, RAX = 0 */
};

/*
 * The vCPU's virtual local APIC, as APICv keeps it in the virtual-APIC page and the guest
 * interrupt status (RVI/SVI) [SDM vol. 3C 30.1-30.2], and the posted-interrupt controls the
 * VMM writes into the TD VMCS [M td_vmcs_fields_lookup.c]. td_apic.c runs it.
 */
struct td_vapic {
	uint64_t irr[4]; /* vIRR: requested, one bit per vector */
	uint64_t isr[4]; /* vISR: in service */
	uint8_t tpr;	 /* VTPR (x2APIC MSR 0x808) */
	uint16_t pi_nv;	 /* POSTED_INTR_NV, POSTED_INTR_NV_INIT until written */
	uint64_t pid_pa; /* POSTED_INTR_DESC_ADDR, POSTED_INTR_DESC_ADDR_INIT until written */
};

/* The TDVPS, in the TDVPR page [M tdvps_t]. */
struct tdvps {
	uint8_t state; /* VCPU_UNINITIALIZED .. VCPU_DISABLED */
	bool launched;
	uint8_t pending; /* enum vp_pending */
	bool running;
	uint32_t vcpu_index;
	uint32_t x2apic_id;
	int32_t assoc_lp; /* LP the vCPU is associated with, -1 none */
	uint32_t num_tdcx;
	uint64_t tdcx_pa[MAX_TDVPS_PAGES - 1]; /* TDVPR not included */
	uint64_t tdr_pa;
	uint64_t tdvpr_pa;
	uint64_t vmcall_mask; /* RCX of the TDG.VP.VMCALL being served */
	uint32_t tdcall_len;  /* length of the TDCALL being served (opcode 4, gate 6) */
	uint64_t epoch;	      /* TD epoch at the last entry */
	uint64_t cpuidve;     /* TDG.VP.CPUIDVE.SET flags */
	struct ve_info ve_info;
	struct guest_cpu cpu;
	struct td_msr_kv msr_store[TDVPS_MSR_STORE]; /* the vCPU's own MSRs (td_msr.c) */
	uint64_t efer;
	struct td_vapic apic;
};
_Static_assert(sizeof(struct tdvps) <= _4K, "TDVPS fits the TDVPR page");

/* ------------------------------------------------------------------------------------------
 * Secure EPT. An entry is 8 bytes: bits 51:12 the HPA (of the next table or the page), bits
 * 2:0 the TDX state below. Entries of level L live in a SEPT page whose entries each map
 * 4K << 9L bytes; the root (in TDCX 1) holds level 3 (4-level) or 4 (5-level) entries.
 */
enum sept_state {
	SEPT_FREE = 0,
	SEPT_TABLE = 1,		  /* non-leaf: points to a SEPT page */
	SEPT_MAPPED = 2,	  /* leaf, the TD can use it */
	SEPT_PENDING = 3,	  /* leaf added by PAGE.AUG, not yet accepted */
	SEPT_BLOCKED = 4,	  /* leaf, RANGE.BLOCK'ed */
	SEPT_PENDING_BLOCKED = 5, /* pending leaf, blocked */
	SEPT_TABLE_BLOCKED = 6,	  /* non-leaf, blocked (before SEPT.REMOVE) */
};

#define SEPT_STATE_MASK 0x7ULL
#define SEPT_HPA_MASK	0x000FFFFFFFFFF000ULL

static inline unsigned int sept_state(uint64_t e)
{
	return (unsigned int)(e & SEPT_STATE_MASK);
}

static inline uint64_t sept_hpa(uint64_t e)
{
	return e & SEPT_HPA_MASK;
}

static inline bool sept_is_leaf(uint64_t e)
{
	unsigned int s = sept_state(e);

	return s == SEPT_MAPPED || s == SEPT_PENDING || s == SEPT_BLOCKED ||
	       s == SEPT_PENDING_BLOCKED;
}

/* Allowed OP_STATEs and SEPT states per leaf, the SEPT state predicates (states.c) */
#include "states.h"

/* Result of a walk: the entry reached, its level, and where it lives. */
struct sept_walk {
	uint64_t *entry; /* NULL when the walk stopped above the wanted level */
	unsigned int level;
	uint64_t value; /* the entry where the walk stopped */
};

/*
 * Walk from the root towards `level` for gpa. Stops early at a free or leaf entry; then
 * walk->entry points to that entry and walk->level is its level.
 */
void sept_walk(const struct tdr *tdr, uint64_t gpa, unsigned int level, struct sept_walk *w);
/* The leaf mapping gpa, if any (NULL otherwise); its level in *level. */
uint64_t *sept_find_leaf(const struct tdr *tdr, uint64_t gpa, unsigned int *level);
/* The architectural SEPT entry and level info a leaf reports in RCX/RDX [M]. */
uint64_t sept_arch_entry(uint64_t e, unsigned int level);
uint64_t sept_arch_level_info(uint64_t e, unsigned int level);
/* The module's TD windows (td_window.c): created at MNG.INIT, destroyed at the TDR's
 * reclaim, and at unload for every TD whose TDR was never reclaimed. */
struct td_window *module_window_create(unsigned int gpaw);
void module_window_destroy(struct td_window *w);
void module_windows_destroy_all(void);
/* The TD windows the module holds, into out[TD_WINDOW_MAX]; how many (snapshot.c). */
unsigned int module_windows_get(struct td_window **out);
/* The module holds exactly list[0..n): the others are destroyed unless a snapshot pins them. */
void module_windows_set(struct td_window *const *list, unsigned int n);
/* A snapshot holds w (snapshot.c): it is not destroyed with its TD. */
bool module_snapshot_pinned(const struct td_window *w);
/* The module is unloaded: its windows go, whatever snapshots hold. */
void module_snapshot_unpin_all(void);
/* Make the TD window match a leaf: map MAPPED pages, unmap anything else. */
void sept_sync_window(struct tdcs *tdcs, uint64_t gpa, unsigned int level, uint64_t e);

/* ------------------------------------------------------------------------------------------
 * Shared checks and helpers of the TD leaves (td.c)
 */

static inline struct tdr *tdr_of(uint64_t tdr_pa)
{
	return phys_seam_va(tdr_pa);
}

static inline struct tdcs *tdcs_of(const struct tdr *tdr)
{
	return tdr->num_tdcx ? phys_seam_va(tdr->tdcx_pa[0]) : NULL;
}

static inline uint64_t *sept_root(const struct tdr *tdr)
{
	return phys_seam_va(tdr->tdcx_pa[TDCS_SEPT_ROOT]);
}

static inline struct tdvps *tdvps_of(uint64_t tdvpr_pa)
{
	return phys_seam_va(tdvpr_pa);
}

/* PAMT entry locks (the 16-bit lock of the entry), shared or exclusive. */
bool pamt_lock(struct pamt_entry *e, bool exclusive);
void pamt_unlock(struct pamt_entry *e, bool exclusive);

/* A page operand the leaf holds locked until it calls page_put(). */
struct page_ref {
	uint64_t pa;
	struct pamt_entry *pamt;
	bool exclusive;
};

/*
 * A 4 KiB page operand in a TDMR, HKID bits 0 [M check_and_lock_explicit_4k_private_hpa]:
 *  - misaligned / beyond MAX_PA / HKID set / outside TDMRs: OPERAND_INVALID | operand
 *  - entry locked: OPERAND_BUSY | operand
 *  - page type not `pt` (or owner not `owner` when owner != 0): PAGE_METADATA_INCORRECT |
 *    operand.
 * Locks the PAMT entry; page_put() releases it.
 */
uint64_t page_get(uint64_t pa, unsigned int pt, uint64_t owner, bool exclusive,
		  unsigned int operand, struct page_ref *ref);
void page_put(struct page_ref *ref);
/* Set a locked page's PAMT type and owner; a TD page is hidden from the host. */
void page_assign(struct page_ref *ref, unsigned int pt, uint64_t owner);
void page_assign_copy(struct page_ref *ref, unsigned int pt, uint64_t owner, const void *src);

/*
 * The TDR operand: page type TDR (else PAGE_METADATA_INCORRECT | operand), locked shared
 * or exclusive (else OPERAND_BUSY | operand). The TD's state is td_state_check()'s.
 */
uint64_t tdr_get(uint64_t tdr_pa, unsigned int operand, bool exclusive, struct page_ref *ref,
		 struct tdr **tdr);
/* The TDVPR operand: type TDVPR, locked exclusive, its TD's TDR locked shared. */
struct vp_ref {
	struct page_ref tdvpr, tdr;
	struct tdvps *vp;
	struct tdr *td;
	struct tdcs *tdcs;
};
uint64_t tdvpr_get(uint64_t tdvpr_pa, unsigned int operand, struct vp_ref *ref);
void tdvpr_put(struct vp_ref *ref);

/* The GPA|level operand [ABI §10]: reserved bits, level range, alignment. */
uint64_t gpa_level_check(const struct tdcs *tdcs, uint64_t word, unsigned int max_level,
			 unsigned int operand, uint64_t *gpa, unsigned int *level);

/* Bytes and hashes for the measurement (td_measure.c). */
void mrtd_extend_block(struct tdcs *tdcs, const char *tag, uint64_t gpa, const void *data,
		       size_t len);

/* Random numbers for UUIDs and keys (no locks: module code may run in a signal handler). */
uint64_t module_random64(void);

/* Module-wide secrets: the report MAC key, chosen at load (td_report.c). */
void td_report_key_init(void);

/* ------------------------------------------------------------------------------------------
 * Running TDs: TD exits, #VE, the TDCALL dispatcher (td_exit.c, tdcall.c)
 */

/* The CPU backend's vm_exit hook: every exit of guest code on this LP arrives here. */
void td_vm_exit(struct cpu_regs *ctx, const struct vm_exit *exit);
/*
 * The handlers of the dispatcher's table (td_exit.c), one per basic exit reason, named after
 * it, each in module/vm_exits/ (the file named after the reason, or the one named).
 */
typedef void (*vm_exit_fn)(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit);
void vmexit_exception_nmi(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit);
void vmexit_external_interrupt(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit);
void vmexit_triple_fault(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit);
void vmexit_mce_during_vmentry(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit);
void vmexit_io_instruction(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit);
void vmexit_ept_violation(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit);
/* instructions.c */
void vmexit_hlt(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit);
void vmexit_invd(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit);
void vmexit_wbinvd(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit);
void vmexit_mwait(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit);
void vmexit_monitor(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit);
void vmexit_vmcall(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit);
void vmexit_pconfig(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit);
void vmexit_ud(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit);
/* td_cpuid.c, td_msr.c, td_cr.c, tdcall/tdcall.c */
void vmexit_cpuid(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit);
void vmexit_msr_read(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit);
void vmexit_msr_write(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit);
void vmexit_cr_access(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit);
void vmexit_xsetbv(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit);
void vmexit_tdcall(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit);

/* The vCPU running on this LP, or NULL. */
struct tdvps *td_current_vp(void);

/* Leave the TD: save the vCPU, load the host's registers with the exit's. */
void td_exit_async(struct cpu_regs *ctx, uint64_t status, uint64_t qual, uint64_t ext_qual,
		   uint64_t gpa, uint64_t intr_info);
void td_exit_vmcall(struct cpu_regs *ctx, struct tdvps *vp);
/* Raise #VE with the given VE info, or #DF when VE info is still valid [ABI §5]. */
void td_inject_ve(struct cpu_regs *ctx, struct tdvps *vp, uint32_t reason, uint64_t qual,
		  uint64_t gla, uint64_t gpa, uint32_t insn_len, uint32_t insn_info);
/* Deliver an exception to the guest IDT, escalating to #DF and a triple-fault exit. */
void td_inject_exception(struct cpu_regs *ctx, struct tdvps *vp, uint8_t vector, bool has_error,
			 uint64_t error_code);
/* A machine check in the TD: the TD is fatal, a non-recoverable exit with #MC info. */
void td_fatal_machine_check(struct cpu_regs *ctx, struct tdvps *vp, uint64_t gpa);

/* CPUID and MSR virtualization (td_cpuid.c, td_msr.c) */
void td_msr_init(struct tdvps *vp);
/* td_cr.c: CR0/CR4 masks, shadows and initial values, DR6/DR7, XCR0 (TDH.VP.INIT). */
void td_cr_init(struct tdvps *vp, const struct tdcs *tdcs);

/*
 * The MSR table (td_msr.c): per row, what a read and a write do, when the row's condition
 * on the TD holds; where it does not, #GP. MSRs in no row are #VE.
 */
enum msr_action { MSR_VE, MSR_GP, MSR_NATIVE, MSR_VALUE, MSR_APIC };
enum msr_cond {
	MSR_ALWAYS = 0,
	MSR_IF_PERFMON,	     /* ATTRIBUTES.PERFMON */
	MSR_IF_PERF_METRICS, /* PERFMON and the CPU's PERF_CAPABILITIES.PERF_METRICS */
	MSR_IF_PKS,	     /* ATTRIBUTES.PKS */
	MSR_IF_PT,	     /* XFAM[8] */
	MSR_IF_CET,	     /* XFAM[11] or XFAM[12] */
	MSR_IF_ULI,	     /* XFAM[14] */
	MSR_IF_LBR,	     /* XFAM[15] */
	MSR_IF_XFD,	     /* CPUID(0xD,1).EAX[4] */
	MSR_IF_TSX,	     /* CPUID(7,0).EBX[4] (HLE) */
	MSR_IF_WAITPKG,	     /* CPUID(7,0).ECX[5] */
	MSR_IF_DCA,	     /* CPUID(1).ECX[18] */
	MSR_IF_TSC_DEADLINE, /* CPUID(1).ECX[24] */
	MSR_IF_TME,	     /* CPUID(7,0).ECX[13] */
	MSR_IF_MKTME,	     /* CPUID(7,0).EDX[18] (PCONFIG) */
	/* Only while #VE reduction is in force (TD_CTLS.REDUCE_VE, LATEST): the feature's bit of
	 * the TD's reduced CPUID; otherwise always true (1.5.01 has no such condition). */
	MSR_IF_RV_EST,	/* CPUID(1).ECX[7] */
	MSR_IF_RV_MCA,	/* CPUID(1).EDX[14] */
	MSR_IF_RV_MTRR, /* CPUID(1).EDX[12] */
};
struct td_msr_row {
	uint32_t first, last;
	uint8_t rd, wr;		  /* enum msr_action */
	uint8_t rd_cond, wr_cond; /* enum msr_cond */
	const char *name;
};
extern const struct td_msr_row td_msr_rows[];
extern const unsigned int td_msr_nr_rows;
const struct td_msr_row *td_msr_row(uint32_t msr);
bool td_msr_cond(const struct tdvps *vp, uint8_t cond);
/* The value of one of the vCPU's own (native) MSRs: what it last wrote, 0 at first. */
uint64_t td_msr_native_value(const struct tdvps *vp, uint32_t msr);
/* What RDMSR (write false) or WRMSR of msr does in this vCPU, before value checks. */
enum msr_action td_msr_action(const struct tdvps *vp, uint32_t msr, bool write);
/* The virtual APIC and posted interrupts (td_apic.c). */
void td_vapic_reset(struct tdvps *vp);
/* Take posted interrupts and deliver the highest one the guest can take now. */
void td_vapic_deliver(struct cpu_regs *ctx, struct tdvps *vp);
uint8_t td_vapic_ppr(const struct tdvps *vp);
bool td_vapic_intr_pending(const struct tdvps *vp);
void td_vapic_eoi(struct tdvps *vp);
void td_vapic_self_ipi(struct tdvps *vp, uint8_t vector);
/* An external-interrupt exit: true when it was the posted-interrupt notification only. */
bool td_vapic_notified(struct tdvps *vp, const struct vm_exit *exit);
/* The platform's intr_window hook. */
void td_intr_window(struct cpu_regs *ctx);
/* TD_PARAMS CPUID_CONFIG handling at MNG.INIT: 0 or the status (RCX = leaf | sub << 32). */
uint64_t td_cpuid_config(struct tdcs *tdcs, const struct td_params *p, uint64_t *ext);

/*
 * The TD CPU model (td_cpuid.c): one row per CPUID leaf/sub-leaf the module knows. `ve`: the
 * leaf is a #VE. Otherwise each register is (native & ~zero) | fixed1, the CPUID_CONFIG
 * index `config` (-1 none) overriding its configurable bits, where native is `model`, with
 * the bits of `host` also ANDed with the host's CPUID (features guest code executes).
 */
struct td_cpuid_row {
	uint32_t leaf, sub; /* sub CPUID_SUBLEAF_NA: every sub-leaf */
	bool ve;
	int8_t config;
	uint32_t fixed1[4], zero[4], model[4], host[4]; /* EAX, EBX, ECX, EDX */
	const char *what;
	/* #VE reduction (LATEST module only; docs/TD-CPU.md): a `ve` row is answered with
	 * `rvalue` once TD_CTLS has a bit of `rctls`; `rclear` bits read 0 once it has REDUCE_VE. */
	uint64_t rctls;
	uint32_t rvalue[4], rclear[4];
};
extern const struct td_cpuid_row td_cpuid_rows[];
extern const unsigned int td_cpuid_nr_rows;
const struct td_cpuid_row *td_cpuid_row(uint32_t leaf, uint32_t sub);
/* The TD's CPUID as TDH.MNG.INIT fixed it (no per-vCPU dynamic bits); false: a #VE. The
 * module's feature flags (TSX, XFD, WAITPKG, ...) come from this. */
bool td_cpuid_td_value(const struct tdcs *tdcs, uint32_t leaf, uint32_t sub, uint32_t out[4]);
/* The CPUID the vCPU sees for leaf/sub; false: a #VE (CPUIDVE.SET not considered). */
bool td_cpuid_value(const struct tdvps *vp, uint32_t leaf, uint32_t sub, uint32_t out[4]);
/* The TD_CTLS bits of #VE reduction in force (VIRT_CPUID2, REDUCE_VE); 0 under 1.5.01. */
uint64_t td_ctls_reduced(const struct tdcs *tdcs);

/* The TDCALL dispatcher (tdcall.c) and its leaves, one file each. */
typedef uint64_t (*tdcall_fn)(struct cpu_regs *ctx, struct tdvps *vp, struct tdcs *tdcs,
			      unsigned int version);
/* A leaf's status when it left the TD (the context is the host's now): RAX is not written. */
#define TDCALL_EXITED (~0ULL)
/* TDH.VP.ENTER's status when it entered the TD (the context is the guest's): RAX is not
 * written; the TD exit writes it. */
#define SEAMCALL_ENTERED (~0ULL)

/* Trace hooks (trace.c, tdx_module_set_trace): tdxsim's debugging facility, not Intel's. */
struct td_trace {
	const struct tdx_trace_hooks *hooks; /* NULL = off */
	void *opaque;
	unsigned int users; /* callers inside a hook, so that removal can wait for them */
};
extern struct td_trace td_trace;

static inline bool td_trace_on(void)
{
	return __atomic_load_n(&td_trace.hooks, __ATOMIC_ACQUIRE) != NULL;
}
void td_trace_args(struct tdx_module_args *a, const uint64_t *gpr);
/* out NULL: the leaf left the TD. Call only when td_trace_on(). */
void td_trace_tdcall_slow(uint64_t tdr_pa, unsigned int vcpu, uint64_t rax,
			  const struct tdx_module_args *in, const struct tdx_module_args *out,
			  uint64_t status);
void td_trace_ve_slow(const struct cpu_regs *ctx, struct tdvps *vp, const struct ve_info *ve);

uint64_t tdg_vp_vmcall(struct cpu_regs *ctx, struct tdvps *vp, struct tdcs *tdcs,
		       unsigned int version);
uint64_t tdg_vp_info(struct cpu_regs *ctx, struct tdvps *vp, struct tdcs *tdcs,
		     unsigned int version);
uint64_t tdg_mr_rtmr_extend(struct cpu_regs *ctx, struct tdvps *vp, struct tdcs *tdcs,
			    unsigned int version);
uint64_t tdg_vp_veinfo_get(struct cpu_regs *ctx, struct tdvps *vp, struct tdcs *tdcs,
			   unsigned int version);
uint64_t tdg_mr_report(struct cpu_regs *ctx, struct tdvps *vp, struct tdcs *tdcs,
		       unsigned int version);
uint64_t tdg_vp_cpuidve_set(struct cpu_regs *ctx, struct tdvps *vp, struct tdcs *tdcs,
			    unsigned int version);
uint64_t tdg_mem_page_accept(struct cpu_regs *ctx, struct tdvps *vp, struct tdcs *tdcs,
			     unsigned int version);
uint64_t tdg_vm_rd(struct cpu_regs *ctx, struct tdvps *vp, struct tdcs *tdcs, unsigned int version);
uint64_t tdg_vm_wr(struct cpu_regs *ctx, struct tdvps *vp, struct tdcs *tdcs, unsigned int version);
uint64_t tdg_sys_rd(struct cpu_regs *ctx, struct tdvps *vp, struct tdcs *tdcs,
		    unsigned int version);
uint64_t tdg_sys_rdall(struct cpu_regs *ctx, struct tdvps *vp, struct tdcs *tdcs,
		       unsigned int version);
uint64_t tdg_mr_verifyreport(struct cpu_regs *ctx, struct tdvps *vp, struct tdcs *tdcs,
			     unsigned int version);

/* PHYMEM.CACHE.WB's per-package progress, cleared at module load. */
void tdh_phymem_cache_wb_reset(void);
size_t tdh_phymem_cache_wb_state_size(void);
void tdh_phymem_cache_wb_state_save(void *buf);
void tdh_phymem_cache_wb_state_load(const void *buf);

/* Poison notifier: a host write hit a TD page (td_exit.c). */
void td_poison_notify(uint64_t hpa);

/* The vCPU's TD, found through its TDVPS (valid while it runs). */
struct tdr *vp_tdr(const struct tdvps *vp);
struct tdcs *vp_tdcs(const struct tdvps *vp);

/* Host leaves (one file each) */
uint64_t tdh_mng_create_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_mng_key_config_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_mng_addcx_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_mng_init_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_vp_create_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_vp_addcx_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_vp_init_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_vp_enter_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_mem_sept_add_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_mem_page_add_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_mr_extend_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_mr_finalize_leaf(uint64_t *regs, unsigned int version, unsigned int lp);

/* ------------------------------------------------------------------------------------------
 * Memory management and teardown (td_mem.c and one file per leaf)
 */

/* The SEPT entry details in RCX/RDX [M set_arch_septe_details_in_vmm_regs]. */
void sept_details(uint64_t *regs, uint64_t e, unsigned int level);
/* The GPA|level operand of a SEPT leaf: levels [min, max], private GPA (OPERAND_INVALID|RCX). */
uint64_t sept_gpa_check(const struct tdcs *tdcs, uint64_t word, unsigned int min_level,
			unsigned int max_level, uint64_t *gpa, unsigned int *level);
/* BEPOCH tracked: the TLB epoch it was blocked in has ended everywhere [M is_tlb_tracked]. */
bool tlb_tracked(const struct tdcs *tdcs, uint64_t bepoch);
/* The PAMT entry of the page a leaf maps (at the leaf's level) or of a SEPT page (4K). */
struct pamt_entry *sept_target_pamt(uint64_t e, unsigned int level);
/* Hide (TD page, zeroed) or unhide (back to the host, zeroed) `size` bytes from hpa. */
void pages_hide(uint64_t hpa, uint64_t size);
void pages_unhide(uint64_t hpa, uint64_t size);
/*
 * A free 4K page or 2M range for PAGE.AUG [M check_and_lock_free_range_hpa]: aligned,
 * PAMT type NDA at its level, and for 2M every 4K entry free. Locks what it checked.
 */
struct range_ref {
	uint64_t pa;
	unsigned int level;
	struct pamt_entry *pamt;
};
uint64_t free_range_get(uint64_t pa, unsigned int level, unsigned int operand,
			struct range_ref *ref);
void free_range_put(struct range_ref *ref);
/* The leaf PAMT entry covering a page, walking 1G, 2M, 4K [M pamt_walk]; NULL outside. */
struct pamt_entry *pamt_leaf(uint64_t pa, unsigned int *level);
/* Map (or unmap) every MAPPED leaf below a SEPT table in the TD window, not crossing
 * blocked tables: what blocking and unblocking a non-leaf entry changes. */
void sept_sync_subtree(struct tdcs *tdcs, uint64_t table_hpa, unsigned int level, uint64_t gpa,
		       bool map);
/*
 * The common start of the SEPT leaves [M lock_sept_check_and_walk_private_gpa and the leaves
 * that call it]: RCX/RDX cleared; the TDR (shared, operand RDX); the TD state
 * (td_state_check: the leaf's OP_STATE row); for need_debug a debug TD (else OPERAND_INVALID|RDX); RCX = GPA |
 * level in [min, max] (max -1: the EPT root's level); the SEPT lock (OPERAND_BUSY|
 * SEPT_TREE); the walk to the level (EPT_WALK_FAILED|RCX with the entry details). On success
 * op->w is the entry; sept_op_end() releases what was taken, in every case.
 */
struct sept_op {
	struct page_ref tdr_ref;
	struct tdr *tdr;
	struct tdcs *tdcs;
	uint64_t gpa;
	unsigned int level;
	struct sept_walk w;
	bool locked;
};
uint64_t sept_op_begin(uint64_t *regs, uint64_t tdr_pa, unsigned int leaf, unsigned int min_level,
		       int max_level, bool need_debug, struct sept_op *op);
void sept_op_end(struct sept_op *op);
/*
 * TDH.MEM.RD / TDH.MEM.WR of a debug TD [M tdh_mem_rd_wr.c]: RCX = GPA (8-byte aligned,
 * private), RDX = TDR, R8 = the value to write; out R8 = the 8 bytes before the write.
 */
uint64_t mem_rd_wr(uint64_t *regs, bool write);
/*
 * PAGE.REMOVE and SEPT.REMOVE: take the removed page's PAMT entry (OPERAND_BUSY|RCX); once
 * the TD has run, the entry must be blocked (GPA_RANGE_NOT_BLOCKED|RCX with details) and the
 * block tracked (TLB_TRACKING_NOT_DONE|RCX). *target is the locked entry (NULL if not).
 */
uint64_t removal_check(uint64_t *regs, const struct sept_op *op, enum pamt_level pamt_level,
		       bool blocked, struct pamt_entry **target);
/* Free the entry, give the page(s) back to the host as NDA, RCX = the page. */
void removal_commit(uint64_t *regs, struct sept_op *op, struct pamt_entry *target, uint64_t size);
/* Test hook: the number of next TDH.PHYMEM.CACHE.WB sub-blocks that see an interrupt. */
extern unsigned int cache_wb_test_interrupts;

uint64_t tdh_mem_page_aug_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_mem_range_block_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_mem_range_unblock_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_mem_track_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_mem_page_remove_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_mem_sept_remove_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_mem_sept_rd_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_mem_rd_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_mem_page_demote_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_mem_page_promote_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_mem_wr_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_phymem_page_reclaim_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_phymem_page_rdmd_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_phymem_cache_wb_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_phymem_page_wbinvd_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_vp_flush_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_mng_vpflushdone_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_mng_key_freeid_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_mng_key_reclaimid_leaf(uint64_t *regs, unsigned int version, unsigned int lp);

/* ------------------------------------------------------------------------------------------
 * TD- and VP-scope metadata (metadata_td.c) and their leaves
 */
enum md_access { MD_HOST_RD, MD_HOST_WR, MD_GUEST_RD, MD_GUEST_WR };

/* The structures a field may live in; debug = the TD's ATTRIBUTES.DEBUG (host masks). */
struct md_ctx {
	struct tdr *tdr;
	struct tdcs *tdcs;
	struct tdvps *vp; /* VP context only */
	bool debug;
};

/* A field ID usable for one element: reserved bits, last element/field 0. */
bool md_field_id_single_ok(uint64_t id);
/* One element of ctx_code (MD_CTX_TD or MD_CTX_VP); context and element size ignored. */
uint64_t md_td_read(unsigned int ctx_code, uint64_t id, enum md_access acc, const struct md_ctx *c,
		    uint64_t *value);
uint64_t md_td_write(unsigned int ctx_code, uint64_t id, enum md_access acc, const struct md_ctx *c,
		     uint64_t value, uint64_t req_mask, uint64_t *old);
/* The next element the accessor can read (write), or MD_FIELD_ID_NA; null = the first. */
uint64_t md_td_next(unsigned int ctx_code, uint64_t id, enum md_access acc, const struct md_ctx *c);
/*
 * The common register flow of the RD/WR leaves: RDX = field ID, R8 = value, R9 = mask in;
 * R8 = value (old value for WR), RDX = next element ID when `next` (RD version 1, TDG.VP.RD).
 */
uint64_t md_td_rdwr_regs(unsigned int ctx_code, uint64_t *regs, enum md_access acc,
			 const struct md_ctx *c, bool next);

/* The leaves' common flows (metadata_td.c): operands, TD state, defaults on failure. */
uint64_t md_tdh_mng_rdwr(uint64_t *regs, unsigned int version, bool write);
uint64_t md_tdh_vp_rdwr(uint64_t *regs, unsigned int version, unsigned int lp, bool write);
uint64_t md_tdg_rdwr(struct cpu_regs *ctx, struct tdvps *vp, struct tdcs *tdcs,
		     unsigned int ctx_code, bool write, bool next);

uint64_t tdh_mng_rd_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_mng_wr_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_vp_rd_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdh_vp_wr_leaf(uint64_t *regs, unsigned int version, unsigned int lp);
uint64_t tdg_vp_rd(struct cpu_regs *ctx, struct tdvps *vp, struct tdcs *tdcs, unsigned int version);
uint64_t tdg_vp_wr(struct cpu_regs *ctx, struct tdvps *vp, struct tdcs *tdcs, unsigned int version);

/* ------------------------------------------------------------------------------------------
 * Guest buffers named by TDCALL operands (td_gpa.c), and reports (td_attest.c)
 */

/* The module's view of len bytes at a private GPA in a MAPPED page (no page crossing). */
void *td_gpa_va(const struct tdcs *tdcs, const struct tdr *tdr, uint64_t gpa, size_t len,
		bool write);
/*
 * As the module walks a guest-side GPA [M check_walk_and_map_guest_side_gpa]: TDX_SUCCESS
 * and *va; TDX_OPERAND_INVALID (the caller adds the operand) for a GPA beyond GPAW or shared
 * when private_only; TDCALL_EXITED when the access became an EPT-violation TD exit or a #VE
 * (RIP is back on the TDCALL, which runs again after the host or the guest fixed the page).
 */
uint64_t td_gpa_map(struct cpu_regs *ctx, struct tdvps *vp, struct tdcs *tdcs, uint64_t gpa,
		    size_t len, bool write, bool private_only, void **va);
/* Move RIP back onto the TDCALL being served, so that it runs again (tdcall.c). */
void tdcall_reexecute(struct cpu_regs *ctx, const struct tdvps *vp);

/* MRSEAM of tdxsim's module identity; TDINFO, TEE_TCB_INFO and the MAC (td_attest.c). */
void td_report_mrseam(uint8_t out[48]);
/* Fill everything of a TDREPORT but REPORTDATA and the MAC; 0 or OPERAND_BUSY|RTMR. */
uint64_t td_report_build(struct tdcs *tdcs, struct tdreport *r);
/* HMAC-SHA-384 of REPORTMACSTRUCT[0..224) keyed by tdxm.report_key, first 32 bytes. */
void td_report_mac(const struct reportmac *rm, uint8_t mac[TDX_MAC_SIZE]);

#endif
