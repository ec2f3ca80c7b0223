/* SPDX-License-Identifier: MIT */
/*
 * The software TDX module: public API.
 *
 * The module is "loaded" into a booted machine by installing its SEAMCALL hook
 * (platform_set_hooks). From then on host code reaches it only by SEAMCALL, as on TDX. This
 * header is for the program that assembles a machine (tools, tests, fuzzers): load/unload,
 * the module-version setting, fault injection and the PAMT dump and checker; and for the
 * host that builds a TD, its TD window (which has no SEAMCALL: it is tdxsim's own).
 */
#ifndef TDXSIM_MODULE_H
#define TDXSIM_MODULE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tdx/args.h"	/* struct tdx_module_args */
#include "tdx/leaves.h" /* the leaf names */

/*
 * Which module revision to behave as, where revisions differ.
 *
 * TDX_MODULE_LATEST (the default): TDH.SYS.LP.INIT is accepted after the module is
 *   configured and ready, so CPUs can come online later [ABI §7, §11.3]; TDH.SYS.CONFIG then
 *   requires LP.INIT on the calling LP only; MAX_VCPUS_PER_TD is answered.
 * TDX_MODULE_1_5_01: the rules of the 1.5.01 source: LP.INIT only in SYSINIT_DONE, and
 *   SYS.CONFIG only once every LP of the platform has done LP.INIT.
 */
enum tdx_module_version {
	TDX_MODULE_LATEST = 0,
	TDX_MODULE_1_5_01 = 1,
};

struct tdx_module_params {
	enum tdx_module_version version;
	/*
	 * Fault-injection rules in the command-line syntax (tdx_module_inject_parse), or NULL.
	 * When NULL, the environment variable TDXSIM_INJECT is used if set.
	 */
	const char *inject;
	/* Override of the TDX_FEATURES0 metadata field; 0 = the default (NO_RBP_MOD). */
	uint64_t tdx_features0;
	/* MAX_VCPUS_PER_TD metadata field (LATEST only); 0 = the default (1024). */
	uint16_t max_vcpus_per_td;
	/* The platform CPU's family/model/stepping, CPUID(1).EAX; 0 = the machine's `cpu_fms`
	 * (0 there: Sapphire Rapids, 0x806F8). */
	uint32_t cpu_fms;
	/*
	 * The module's view of the host CPU's CPUID (features guest code executes natively,
	 * XSAVE sizes); NULL = the CPU's own. Tests inject an Intel or an AMD host here.
	 */
	void (*host_cpuid)(uint32_t leaf, uint32_t subleaf, uint32_t out[4]);
};

/*
 * Load the module into the booted machine: reset all module state, read the machine
 * configuration (LPs, packages, CMRs, KeyIDs) and install the SEAMCALL hook.
 * params may be NULL (all defaults). 0, -ENODEV (no machine booted) or -EINVAL (bad
 * injection spec).
 */
int tdx_module_load(const struct tdx_module_params *params);
/* Remove the hook and forget all state. */
void tdx_module_unload(void);

/*
 * The TD window (platform.h) of the TD whose TDR is at tdr_pa, for the host that built the
 * TD: TDH.MNG.INIT creates it, and the host maps the shared half there (tdxsim's stand-in
 * for the shared EPT a VMM builds on TDX) and rewrites guest CPUIDs in it. NULL until
 * MNG.INIT, and for a TDR this module does not hold (reclaimed, or of a module since
 * unloaded): tdx_module_unload() destroys the windows of TDs whose TDR was never reclaimed.
 */
struct td_window;
struct td_window *tdx_module_td_window(uint64_t tdr_pa);

/* ------------------------------------------------------------------------------------------
 * Fault injection: make the Nth call of a SEAMCALL leaf return a given status instead of
 * running, so that host error paths can be tested. The call is counted once it passes the
 * dispatcher's own checks (leaf decoding, system-state gating); the leaf's default output
 * registers are written and no module state changes, which is what the module does for
 * the failures worth injecting (RND_NO_ENTROPY, KEY_GENERATION_FAILED, SYS_BUSY,
 * OPERAND_BUSY): they all happen before the leaf commits anything.
 */

#define TDX_INJECT_MAX_RULES 16
#define TDX_INJECT_EVERY     0 /* nth_call value: every call from now on */

/* nth_call counts from 1, from the moment the rule is added. 0 or -ENOSPC / -EINVAL. */
int tdx_module_inject(unsigned int leaf, unsigned int nth_call, uint64_t status);
/* Remove all rules. */
void tdx_module_inject_clear(void);
/* How many calls of a leaf an injection rule replaced so far. */
unsigned int tdx_module_injected(unsigned int leaf);
/*
 * Parse and add rules: "LEAF:N=STATUS[,LEAF:N=STATUS...]". LEAF is a leaf name as Intel
 * spells it ("TDH.SYS.KEY.CONFIG") or a number; N is the call number (1 = the next call,
 * "*" = every call); STATUS is a number ("0x8000080000000000") or a status name with or
 * without the TDX_ prefix ("KEY_GENERATION_FAILED"). 0, or -EINVAL with a message in err.
 */
int tdx_module_inject_parse(const char *spec, char *err, size_t errlen);

/* Leaf number for an Intel leaf name ("TDH.SYS.INIT"), or -1 (names: tdx/leaves.h). */
int tdx_seamcall_leaf_by_name(const char *name);

/* ------------------------------------------------------------------------------------------
 * Tracing the guest side: a debugging facility of tdxsim, NOT part of Intel's ABI (the real
 * module tells the host nothing about TDCALLs it serves or #VEs it injects without a TD
 * exit). `tdxsim run --trace` uses it to log what a TD does between its TD exits.
 *
 * Both hooks run on the LP running the vCPU, in the middle of its guest event, for every TD
 * on the machine: a tracer compares tdr_pa with its own TD. They must not SEAMCALL or touch
 * the TD; they may block briefly (a lock, a write), which stalls only that vCPU.
 *
 * tdcall: every TDCALL of a guest, valid or not, after the leaf ran. leaf_rax is the guest's
 *   RAX (leaf | version << 16); in/out are RCX..R15, RBX, RDI, RSI before and after; status
 *   is the completion status the guest finds in RAX. A leaf that left the TD (TDG.VP.VMCALL
 *   that became a TD exit) has out = NULL and status 0: its results are the host's, given
 *   at the next TDH.VP.ENTER.
 * ve: a #VE raised in the guest, with the VE info it reads by TDG.VP.VEINFO.GET (exit
 *   reason, qualification, GLA, GPA, instruction length) and where it happens (struct
 *   tdx_trace_ve_where, read through the guest's own paging). Not called when a still-valid
 *   VE info turns it into #DF.
 */
struct tdx_trace_ve_where {
	uint64_t rip;	     /* the guest's RIP: the instruction the #VE is for */
	uint64_t handler;    /* the target of the guest IDT's gate for vector 20; 0: unreadable */
	uint64_t handler_19; /* ... and of vector 19's (0: unreadable) */
	uint8_t insn[15];    /* the bytes at rip ... */
	unsigned int insn_bytes; /* ... as many as could be read */
};

struct tdx_trace_hooks {
	void (*tdcall)(void *opaque, uint64_t tdr_pa, unsigned int vcpu, unsigned int lp,
		       uint64_t leaf_rax, const struct tdx_module_args *in,
		       const struct tdx_module_args *out, uint64_t status);
	void (*ve)(void *opaque, uint64_t tdr_pa, unsigned int vcpu, unsigned int lp,
		   uint32_t reason, uint64_t qual, uint64_t gla, uint64_t gpa, uint32_t len,
		   const struct tdx_trace_ve_where *where);
};

/*
 * Install the hooks (either may be NULL), or remove them with hooks = NULL. One tracer at
 * a time: 0, or -EBUSY when another tracer's hooks are installed. Removing waits for the
 * vCPUs still inside a hook, so opaque may be freed once it returns. Off, the cost is one
 * load and a branch per TDCALL and #VE. tdx_module_unload removes them.
 */
int tdx_module_set_trace(const struct tdx_trace_hooks *hooks, void *opaque);

/*
 * The guest RIP of the vCPU whose TDVPR page is at @tdvpr_pa, as the module saved it at the
 * vCPU's last TD exit (before its first entry: the reset vector). A debugging facility of
 * tdxsim like the trace hooks, NOT part of Intel's ABI (TDH.VP.RD gives the RIP only for a
 * DEBUG TD): `tdxsim run` names where a stopped vCPU was. Call it while the vCPU is outside
 * the TD. 0; -EBUSY while a SEAMCALL holds the vCPU; -EINVAL when @tdvpr_pa is no vCPU.
 */
int tdx_module_vp_rip(uint64_t tdvpr_pa, uint64_t *rip);

/* ------------------------------------------------------------------------------------------
 * PAMT inspection, for tests and fuzzers. Call at quiescent points (no SEAMCALL in flight).
 */

/* Print the TDMRs, their PAMTs, the initialisation progress and the page types in runs. */
void tdx_pamt_dump(FILE *out);
/*
 * Check the PAMT invariants: valid page types, reserved areas RSVD and nothing else RSVD,
 * free entries all-zero, no lock held, a 1G/2M leaf has only free entries below it.
 * Returns 0, or the number of violations with one message per line in buf (truncated to
 * buflen; buf may be NULL).
 */
int tdx_pamt_check(char *buf, size_t buflen);
/*
 * Check every TD against the PAMT (module/memory/sept_check.c): control pages and child counts,
 * the vCPUs, each Secure EPT entry's state, HPA, page type, owner and size, no HPA referenced
 * twice, every EPT/REG page of a TD referenced, the TD window mapping exactly the reachable
 * MAPPED leaves, TD pages hidden from the host. Same return convention as tdx_pamt_check.
 */
int tdx_sept_check(char *buf, size_t buflen);
/*
 * The same checks, incrementally (fuzzers run them after every call): between
 * tdx_checks_incremental_start() and _stop(), tdx_pamt_check_changed() checks the entries of
 * the PAMT pages touched (phys_touch_log) since its previous call, each with its parents and
 * children, which is all a change can break when the rest passed before; it keeps the set of
 * PAMT pages that hold entries other than free and (4K) RSVD, which tdx_sept_check_changed()
 * visits instead of walking the PAMT. Start runs the full checks once; 0 or -errno (-EBUSY:
 * they failed, the messages in buf).
 */
int tdx_checks_incremental_start(char *buf, size_t buflen);
void tdx_checks_incremental_stop(void);
int tdx_pamt_check_changed(char *buf, size_t buflen);
int tdx_sept_check_changed(char *buf, size_t buflen);

/*
 * The MRTD as the module computes it [ABI §9], for a VMM that predicts a TD's measurement
 * without building it (`tdxsim measure`): the hashing TDH.MNG.INIT starts, TDH.MEM.PAGE.ADD
 * (its block for @gpa) and TDH.MR.EXTEND (its block and the 256 bytes at @gpa) continue and
 * TDH.MR.FINALIZE ends, done by the same code as the leaves. start: NULL when out of
 * memory; finalize writes the 48 bytes and frees the context.
 */
struct tdx_mrtd;
struct tdx_mrtd *tdx_mrtd_start(void);
void tdx_mrtd_page_add(struct tdx_mrtd *m, uint64_t gpa);
void tdx_mrtd_extend(struct tdx_mrtd *m, uint64_t gpa, const uint8_t chunk[256]);
void tdx_mrtd_finalize(struct tdx_mrtd *m, uint8_t mrtd[48]);

/*
 * Snapshots (module/snapshot.c; tests and fuzzers, not Intel's): the module's state, every
 * package's CACHE.WB progress, the machine's physical memory (phys_snapshot_take) and the TD
 * windows with their mappings, at a quiescent point. A restore puts all of it back in place
 * (the same window objects, which a snapshot keeps alive past their TD's teardown) and
 * destroys the TD windows created since: the next SEAMCALL or guest access cannot tell the
 * state from the one it was taken from. -ESTALE once the module was unloaded. 0 or -errno.
 */
struct tdx_module_snapshot;
int tdx_module_snapshot_take(struct tdx_module_snapshot **out);
int tdx_module_snapshot_restore(struct tdx_module_snapshot *s);
void tdx_module_snapshot_free(struct tdx_module_snapshot *s);
uint64_t tdx_module_snapshot_bytes(const struct tdx_module_snapshot *s); /* memory held */
/*
 * A restore looks only at what changed since the snapshot was taken or last restored: the
 * pages touched (phys_touch_log), the TD control pages and writable window pages it had, the
 * windows mapped or unmapped since. tdx_module_snapshot_differences() compares everything
 * instead (module state, every RAM page's residency and contents, hidden and poisoned sets,
 * each window's mappings) without changing anything: how many differ, the first ones
 * described in buf. After a restore it is 0 (FUZZ_VERIFY_RESTORE=1 in the fuzzers).
 */
uint64_t tdx_module_snapshot_differences(const struct tdx_module_snapshot *s, char *buf,
					 size_t len);

#endif
