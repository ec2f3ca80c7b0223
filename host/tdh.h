/* SPDX-License-Identifier: MIT */
/*
 * The SEAMCALL wrappers the host exports to a VMM: one function per leaf, named after it,
 * in the shape of Linux's arch/x86/virt/vmx/tdx/tdx.c exports to KVM [ABI §11.5]. The VMM
 * passes what the leaf is about (the TD, a vCPU, a GPA, a page's physical address) and gets
 * the status back, and the outputs it may need through pointers; it never fills the
 * register struct, except for TDH.VP.ENTER, whose registers are the guest's.
 *
 * Every wrapper goes through seamcall(): interrupts off around the one call, repeated while
 * the module has no entropy (exactly TDX_RND_NO_ENTROPY, as Linux's sc_retry). Nothing else
 * is retried here: OPERAND_BUSY, TLB_TRACKING_NOT_DONE, PREVIOUS_TLB_EPOCH_BUSY and
 * INTERRUPTED_RESUMABLE mean the caller has something to do first (kick vCPUs, resume a
 * CACHE.WB), as KVM does them. TDH.VP.ENTER is not retried at all (Linux's tdh_vp_enter).
 *
 * All run on the calling LP, which must be in VMX operation: a VMM runs a whole TD build
 * on one LP, as KVM's ioctl runs on one CPU, and only moves to another LP where the leaf is
 * per-LP or per-package (KEY.CONFIG, CACHE.WB, a vCPU's VP.FLUSH, VP.WR).
 *
 * Physical addresses are plain uint64_t (Linux passes struct page).
 */
#ifndef TDXSIM_HOST_TDH_H
#define TDXSIM_HOST_TDH_H

#include <stdbool.h>
#include <stdint.h>

#include <tdx/args.h>

struct tdx_td;

/*
 * tdxsim's debugging hook, with no counterpart in Linux: called after each SEAMCALL a
 * wrapper made for this TD (TDH.VP.ENTER excepted) with the leaf, the input registers and
 * the status, on the LP that made it. A VMM's trace file is written from here.
 */
typedef void (*tdx_td_trace_fn)(void *arg, uint64_t leaf, const struct tdx_module_args *in,
				uint64_t status);

/* A TD as the host knows it (Linux's struct tdx_td). */
struct tdx_td {
	uint64_t tdr_pa;
	tdx_td_trace_fn trace; /* NULL: none */
	void *trace_arg;
};

/* A vCPU (Linux's struct tdx_vp). tdh_vp_create() sets td. */
struct tdx_vp {
	uint64_t tdvpr_pa;
	struct tdx_td *td;
};

/* The gate or the SEAMCALL opcode for every SEAMCALL of this host (default: the gate when
 * the machine has one). A host setting: the VMM does not choose. */
void tdx_seamcall_set_gate(bool on);
bool tdx_seamcall_gate(void);

/* TD */
uint64_t tdh_mng_create(struct tdx_td *td, uint16_t hkid);
uint64_t tdh_mng_key_config(struct tdx_td *td);
uint64_t tdh_mng_addcx(struct tdx_td *td, uint64_t tdcs_pa);
/* @td_params_pa: a 1024-byte aligned TD_PARAMS; *ext_err: RCX, what was wrong with it. */
uint64_t tdh_mng_init(struct tdx_td *td, uint64_t td_params_pa, uint64_t *ext_err);
uint64_t tdh_mng_rd(struct tdx_td *td, uint64_t field, uint64_t *data);
uint64_t tdh_mng_vpflushdone(struct tdx_td *td);
uint64_t tdh_mng_key_freeid(struct tdx_td *td);

/* Memory. @level: 0 = 4K, 1 = 2M; *ext_err1/2: RCX/RDX (the Secure EPT entry and level
 * on an EPT error, or what the leaf outputs there on success). */
uint64_t tdh_mem_sept_add(struct tdx_td *td, uint64_t gpa, int level, uint64_t sept_pa,
			  uint64_t *ext_err1, uint64_t *ext_err2);
uint64_t tdh_mem_page_add(struct tdx_td *td, uint64_t gpa, uint64_t hpa, uint64_t source,
			  uint64_t *ext_err1, uint64_t *ext_err2);
uint64_t tdh_mem_page_aug(struct tdx_td *td, uint64_t gpa, int level, uint64_t hpa,
			  uint64_t *ext_err1, uint64_t *ext_err2);
uint64_t tdh_mem_range_block(struct tdx_td *td, uint64_t gpa, int level, uint64_t *ext_err1,
			     uint64_t *ext_err2);
uint64_t tdh_mem_track(struct tdx_td *td);
/* On success *ext_err1 is the removed page's HPA. */
uint64_t tdh_mem_page_remove(struct tdx_td *td, uint64_t gpa, int level, uint64_t *ext_err1,
			     uint64_t *ext_err2);
/* Split the 2M leaf at @gpa into 512 4K leaves held by the new Secure EPT page @sept_pa. */
uint64_t tdh_mem_page_demote(struct tdx_td *td, uint64_t gpa, int level, uint64_t sept_pa,
			     uint64_t *ext_err1, uint64_t *ext_err2);

/* Measurement */
uint64_t tdh_mr_extend(struct tdx_td *td, uint64_t gpa, uint64_t *ext_err1, uint64_t *ext_err2);
uint64_t tdh_mr_finalize(struct tdx_td *td);

/* vCPU */
uint64_t tdh_vp_create(struct tdx_td *td, struct tdx_vp *vp);
uint64_t tdh_vp_addcx(struct tdx_vp *vp, uint64_t tdcx_pa);
/* Version 1 of the leaf: the x2APIC ID in R8; @initial_rcx is the vCPU's RCX at reset. */
uint64_t tdh_vp_init(struct tdx_vp *vp, uint64_t initial_rcx, uint32_t x2apicid);
uint64_t tdh_vp_flush(struct tdx_vp *vp);
uint64_t tdh_vp_rd(struct tdx_vp *vp, uint64_t field, uint64_t *data);
uint64_t tdh_vp_wr(struct tdx_vp *vp, uint64_t field, uint64_t data, uint64_t mask);
/*
 * Enter the vCPU. @args: the registers a TDVMCALL exit asked for on the way in; the exit's
 * registers on the way out (RCX is set here). Interrupts off around it; no retry, no trace.
 */
uint64_t tdh_vp_enter(struct tdx_vp *vp, struct tdx_module_args *args);

/* Physical memory (no TD: the page or the package says what). */
/* One pass of the package's cache write-back; @resume after INTERRUPTED_RESUMABLE. */
uint64_t tdh_phymem_cache_wb(bool resume);
/* On success: *tdx_pt = the page's former PAMT type, *tdx_owner its TDR, *tdx_size level. */
uint64_t tdh_phymem_page_reclaim(uint64_t hpa, uint64_t *tdx_pt, uint64_t *tdx_owner,
				 uint64_t *tdx_size);

#endif
