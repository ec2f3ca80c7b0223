// SPDX-License-Identifier: MIT
/*
 * The vCPU run loop: one LP per vCPU, TDH.VP.ENTER until the TD stops, each TD exit
 * dispatched - TDVMCALL to tdvmcall_handle(), EPT violation to a lazy PAGE.AUG, external
 * interrupt back into the guest, triple fault and non-recoverable exits to a clean stop.
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <tdx/ghci.h>
#include <tdx/leaves.h>
#include <tdx/status.h>
#include <tdx/td.h>
#include <tdx/vmx.h>

#include "host/page_alloc.h"
#include "module/tdx_module.h"
#include "vmm_internal.h"

/*
 * Record the TD's first stop - reason, status, message, vCPU, code, GPA - in one step under
 * td->lock, and ask every vCPU to stop. Later stops only ask again: the first one stays
 * whole however many vCPUs stop at once. true when this call's stop was the first.
 */
static bool td_stop_record(struct vmm_td *td, enum vmm_stop_reason reason, int exit_status,
			   unsigned int vcpu, uint64_t code, uint64_t gpa, const char *message)
{
	bool first;

	pthread_mutex_lock(&td->lock);
	first = td->result.reason == VMM_STOP_NONE;
	if (first) {
		td->result.reason = reason;
		td->result.exit_status = exit_status;
		td->result.vcpu = vcpu;
		td->result.code = code;
		td->result.gpa = gpa;
		snprintf(td->result.message, sizeof(td->result.message), "%s",
			 message ? message : "");
	}
	atomic_store(&td->stop, true);
	pthread_cond_broadcast(&td->wake);
	pthread_mutex_unlock(&td->lock);
	return first;
}

void vmm_td_stop(struct vmm_td *td, enum vmm_stop_reason reason, int exit_status,
		 const char *message)
{
	unsigned int vcpu = 0;

	/* From a vCPU's thread: that vCPU (its LP is the current one). */
	if (lp_current() >= 0) {
		for (unsigned int v = 0; v < td->nr_vcpus; v++) {
			if (td->vcpus[v].lp == (unsigned int)lp_current())
				vcpu = v;
		}
	}
	td_stop_record(td, reason, exit_status, vcpu, 0, 0, message);
	/* vCPUs spinning in guest code (tdxsim_vcpu_run has no waiter that kicks them). */
	for (unsigned int v = 0; v < td->nr_vcpus; v++) {
		if (atomic_load(&td->vcpus[v].in_guest))
			lp_kick(td->vcpus[v].lp);
	}
}

#define stopf vmm_vcpu_stopf

void vmm_vcpu_stopf(struct vmm_vcpu *vc, enum vmm_stop_reason reason, uint64_t code, uint64_t gpa,
		    const char *fmt, ...)
{
	char msg[sizeof(vc->td->result.message)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	td_stop_record(vc->td, reason, 1, vc->index, code, gpa, msg);
}

/* ------------------------------------------------------------------------------------------
 * TDVMCALL ops
 */

static void *op_shared_va(void *opaque, uint64_t gpa, uint64_t len)
{
	struct vmm_vcpu *vc = opaque;
	struct vmm_td *td = vc->td;
	uint64_t g = gpa & ~td->shared_bit;

	if (!(gpa & td->shared_bit) || !len || g + len < g || g + len > td->cfg.memory_size)
		return NULL;
	return vmm_shared_span(td, g, len);
}

static int op_shared_rw(void *opaque, uint64_t gpa, void *buf, uint64_t len, bool write)
{
	struct vmm_vcpu *vc = opaque;
	struct vmm_td *td = vc->td;
	uint64_t g = gpa & ~td->shared_bit;

	if (!(gpa & td->shared_bit) || g + len < g || g + len > td->cfg.memory_size)
		return -EFAULT;
	return vmm_shared_rw(td, g, buf, len, write);
}

/*
 * ReportFatalError: the guest's message made readable (vmm_fatal_describe: the SDK's
 * exception reports by name, error code and RIP with symbol); R12 when the guest gave one.
 */
static void op_fatal_error(void *opaque, const struct tdvmcall_fatal_error *e)
{
	struct vmm_vcpu *vc = opaque;
	char msg[sizeof(vc->td->result.message)], code[24] = "";

	vmm_fatal_describe(vc->td, e->message, msg, sizeof(msg));
	if (e->error_code)
		snprintf(code, sizeof(code), " 0x%llx", (unsigned long long)e->error_code);
	stopf(vc, VMM_STOP_FATAL_ERROR, e->error_code, e->gpa, "vCPU %u: guest fatal error%s: %s",
	      vc->index, code, msg);
}

int vmm_vcpu_rip(const struct vmm_vcpu *vc, uint64_t *rip)
{
	return tdx_module_vp_rip(vc->vp.tdvpr_pa, rip);
}

#define rip_words vmm_vcpu_rip_words

void vmm_vcpu_rip_words(struct vmm_vcpu *vc, char *buf, size_t len)
{
	uint64_t rip;

	if (vmm_vcpu_rip(vc, &rip))
		snprintf(buf, len, "unknown");
	else
		vmm_rip_describe(vc->td, rip, buf, len);
}

static const struct tdvmcall_ops vmm_ops = {
	.shared_va = op_shared_va,
	.shared_rw = op_shared_rw,
	.hlt = vmm_apic_hlt,
	.map_gpa = vmm_map_gpa,
	.fatal_error = op_fatal_error,
	.wrmsr_x2apic = vmm_apic_wrmsr,
	.rdmsr_x2apic = vmm_apic_rdmsr,
	.event_notify = vmm_apic_event_notify,
};

int vmm_vcpus_init(struct vmm_td *td)
{
	unsigned int lp = 0;

	for (unsigned int v = 0; v < td->nr_vcpus; v++) {
		struct vmm_vcpu *vc = &td->vcpus[v];

		while (lp < platform_nr_lps() && !lp_is_online(lp))
			lp++;
		if (lp >= platform_nr_lps())
			return -ENOSPC;
		vc->td = td;
		vc->index = v;
		vc->lp = lp++;
		vc->st.lp = vc->lp;
		vc->apic.pid->ndst = vc->lp; /* where notifications go (lp_send_ipi) */
		if (vmm_apic_vcpu_setup(td, vc))
			return -EIO;
		tdvmcall_vcpu_init(&vc->tv, &td->tvtd, v, &vmm_ops, vc);
		vc->tv.exit = &vc->exit;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------
 * The loop
 */

static const char *exit_name(uint64_t reason)
{
	const char *name = vmm_exit_reason_name((unsigned int)reason);

	return name ? name : "unnamed";
}

static enum vmm_tdvmcall_kind tdvmcall_kind(const struct tdx_module_args *a)
{
	if (a->r10)
		return VMM_TDVMCALL_OTHER;
	switch (a->r11) {
	case TDVMCALL_INSTRUCTION_CPUID:
		return VMM_TDVMCALL_CPUID;
	case TDVMCALL_INSTRUCTION_HLT:
		return VMM_TDVMCALL_HLT;
	case TDVMCALL_INSTRUCTION_IO:
		return VMM_TDVMCALL_IO;
	case TDVMCALL_INSTRUCTION_RDMSR:
		return VMM_TDVMCALL_RDMSR;
	case TDVMCALL_INSTRUCTION_WRMSR:
		return VMM_TDVMCALL_WRMSR;
	case TDVMCALL_VE_REQUEST_MMIO:
		return VMM_TDVMCALL_MMIO;
	case TDVMCALL_MAP_GPA:
		return VMM_TDVMCALL_MAP_GPA;
	case TDVMCALL_GET_QUOTE:
		return VMM_TDVMCALL_GET_QUOTE;
	case TDVMCALL_REPORT_FATAL_ERROR:
		return VMM_TDVMCALL_REPORT_FATAL;
	default:
		return VMM_TDVMCALL_OTHER;
	}
}

/*
 * PAGE.AUG statuses that mean another vCPU got there first (its 4K or 2M leaf is in the
 * entry, or above it) or is at it right now (it holds the Secure EPT entry: OPERAND_BUSY,
 * which KVM also retries): the guest re-executes and finds the page, or exits again.
 */
static bool aug_raced(uint64_t s)
{
	uint64_t code = tdx_status_code(s);

	return code == TDX_EPT_ENTRY_STATE_INCORRECT || code == TDX_EPT_WALK_FAILED ||
	       code == TDX_OPERAND_BUSY;
}

/*
 * The 2M range of an ACCEPT that asked for 2M: the module puts the requested level in the
 * extended exit qualification (type ACCEPT) so that the host can map the GPA at that level,
 * as KVM does with it [M tdg_mem_page_accept.c / td_other_exits.c; L KVM TDX huge pages,
 * tdx_check_accept_level]. Taken when the range is wholly inside the TD's memory and the
 * host has a free 2M-aligned run; otherwise 4K as for any other violation, and the guest's
 * ACCEPT, run again, gets PAGE_SIZE_MISMATCH and falls back to 4K (as Linux's
 * try_accept_one does). true: handled (added, or raced), enter again.
 */
static bool aug_2m(struct vmm_vcpu *vc, const struct tdx_module_args *a, uint64_t *status)
{
	struct vmm_td *td = vc->td;
	uint64_t base = a->r8 & ~(tdx_ps_bytes(TDX_PS_2M) - 1), s;

	if (tdx_eeq_accept_level(a->rdx) != TDX_PS_2M ||
	    base + tdx_ps_bytes(TDX_PS_2M) > td->cfg.memory_size)
		return false;
	s = vmm_aug_page(td, base, TDX_PS_2M);
	*status = s;
	if (!s) {
		vc->st.aug_pages++;
		vc->st.aug_2m++;
		return true;
	}
	return aug_raced(s);
}

/*
 * The no-progress watch (VMM_NO_PROGRESS_LIMIT, tdxsim/vmm.h): an EPT violation after which
 * nothing was added. true when it is the same as the ones before it - GPA, qualification,
 * extended qualification, guest RIP, and no PAGE.AUG or MapGPA anywhere in the TD since
 * (@gen) - for the limit-th time in a row.
 */
static bool no_progress(struct vmm_vcpu *vc, const struct tdx_module_args *a, uint64_t gen)
{
	struct vmm_repeat *r = &vc->repeat;
	uint64_t rip = 0;

	vmm_vcpu_rip(vc, &rip);
	if (r->count && r->gpa == a->r8 && r->qual == a->rcx && r->eeq == a->rdx && r->rip == rip &&
	    r->mem_gen == gen) {
		r->count++;
		sched_yield(); /* let the vCPU that may be about to make it right run */
	} else {
		*r = (struct vmm_repeat){
			.gpa = a->r8, .qual = a->rcx, .eeq = a->rdx, .rip = rip, .mem_gen = gen};
		r->count = 1;
	}
	return r->count >= VMM_NO_PROGRESS_LIMIT;
}

/* EPT violation TD exit: a private GPA with nothing behind it. true: enter again. */
static bool ept_violation(struct vmm_vcpu *vc, const struct tdx_module_args *a)
{
	struct vmm_td *td = vc->td;
	uint64_t gpa = a->r8 & PAGE_MASK, gen = atomic_load(&td->mem_gen), s = 0;
	enum vmm_stop_reason hole;
	char where[192], what[96];

	if (a->r8 & td->shared_bit) {
		rip_words(vc, where, sizeof(where));
		stopf(vc, VMM_STOP_EPT_VIOLATION, 0, a->r8,
		      "vCPU %u: EPT violation on shared GPA 0x%llx (%s) at RIP %s", vc->index,
		      (unsigned long long)a->r8, vmm_ept_access(a->rcx), where);
		return false;
	}
	hole = vmm_image_hole(td, a->r8, vmm_ept_access(a->rcx), what, sizeof(what));
	if (hole != VMM_STOP_NONE) { /* never AUGed: a stack's guard page, or another hole */
		rip_words(vc, where, sizeof(where));
		stopf(vc, hole, 0, a->r8, "vCPU %u: %s; RIP %s", vc->index, what, where);
		return false;
	}
	if (gpa >= td->cfg.memory_size) {
		rip_words(vc, where, sizeof(where));
		stopf(vc, VMM_STOP_EPT_VIOLATION, 0, a->r8,
		      "vCPU %u: %s of GPA 0x%llx outside the TD's %llu MiB of memory at RIP %s",
		      vc->index, vmm_ept_access(a->rcx), (unsigned long long)a->r8,
		      (unsigned long long)(td->cfg.memory_size >> 20), where);
		return false;
	}
	if (!aug_2m(vc, a, &s)) {
		s = vmm_aug_page(td, gpa, TDX_PS_4K);
		if (s && !aug_raced(s)) {
			rip_words(vc, where, sizeof(where));
			stopf(vc, VMM_STOP_VMM_ERROR, s, a->r8,
			      "vCPU %u: TDH.MEM.PAGE.AUG of GPA 0x%llx failed: status 0x%016llx, "
			      "RIP %s",
			      vc->index, (unsigned long long)gpa, (unsigned long long)s, where);
			return false;
		}
		vc->st.aug_pages += !s;
	}
	if (!s || atomic_load(&td->mem_gen) != gen) {
		vc->repeat.count = 0; /* added (here or by another vCPU): the guest accepts */
		return true;
	}
	/* The page was there already: another vCPU's that the guest now finds, or one it
	 * cannot use. */
	if (!no_progress(vc, a, gen))
		return true;
	rip_words(vc, where, sizeof(where));
	stopf(vc, VMM_STOP_NO_PROGRESS, s, a->r8,
	      "vCPU %u: no progress: %u EPT violations in a row at GPA 0x%llx (%s), RIP %s; "
	      "PAGE.AUG finds the page there (0x%016llx): %s",
	      vc->index, vc->repeat.count, (unsigned long long)a->r8, vmm_ept_access(a->rcx), where,
	      (unsigned long long)s,
	      td->cfg.attributes & VMM_ATTR_SEPT_VE_DISABLE
		      ? "a page the guest never accepted (SEPT_VE_DISABLE: no #VE tells it)"
		      : "a page the guest cannot use");
	return false;
}

static void trace_exit(struct vmm_vcpu *vc, uint64_t status, const struct tdx_module_args *a,
		       uint64_t ns)
{
	const char *name = vmm_exit_reason_name(status & 0xFFFF);

	vmm_trace(vc->td,
		  "\"lp\":%u,\"vcpu\":%u,\"exit\":\"%s\",\"status\":\"0x%llx\",\"guest_ns\":%llu,"
		  "\"rcx\":\"0x%llx\",\"rdx\":\"0x%llx\",\"r8\":\"0x%llx\",\"r9\":\"0x%llx\","
		  "\"r10\":\"0x%llx\",\"r11\":\"0x%llx\",\"r12\":\"0x%llx\",\"r13\":\"0x%llx\","
		  "\"r14\":\"0x%llx\",\"r15\":\"0x%llx\"",
		  vc->lp, vc->index, name ? name : "other", (unsigned long long)status,
		  (unsigned long long)ns, (unsigned long long)a->rcx, (unsigned long long)a->rdx,
		  (unsigned long long)a->r8, (unsigned long long)a->r9, (unsigned long long)a->r10,
		  (unsigned long long)a->r11, (unsigned long long)a->r12,
		  (unsigned long long)a->r13, (unsigned long long)a->r14,
		  (unsigned long long)a->r15);
}

/* ------------------------------------------------------------------------------------------
 * What the module does inside the TD between TD exits: its trace hooks (tdx_module.h), a
 * tdxsim debugging facility, not something a VMM on real TDX could see.
 */

/* RCX..RSI of a TDCALL as a JSON object. */
static void args_json(char *buf, size_t len, const struct tdx_module_args *a)
{
	snprintf(buf, len,
		 "{\"rcx\":\"0x%llx\",\"rdx\":\"0x%llx\",\"r8\":\"0x%llx\",\"r9\":\"0x%llx\","
		 "\"r10\":\"0x%llx\",\"r11\":\"0x%llx\",\"r12\":\"0x%llx\",\"r13\":\"0x%llx\","
		 "\"r14\":\"0x%llx\",\"r15\":\"0x%llx\",\"rbx\":\"0x%llx\",\"rdi\":\"0x%llx\","
		 "\"rsi\":\"0x%llx\"}",
		 (unsigned long long)a->rcx, (unsigned long long)a->rdx, (unsigned long long)a->r8,
		 (unsigned long long)a->r9, (unsigned long long)a->r10, (unsigned long long)a->r11,
		 (unsigned long long)a->r12, (unsigned long long)a->r13, (unsigned long long)a->r14,
		 (unsigned long long)a->r15, (unsigned long long)a->rbx, (unsigned long long)a->rdi,
		 (unsigned long long)a->rsi);
}

/* A TDCALL; TDG.VP.VMCALL that left the TD has no out/status: its TD exit line follows. */
static void trace_tdcall(void *opaque, uint64_t tdr_pa, unsigned int vcpu, unsigned int lp,
			 uint64_t rax, const struct tdx_module_args *in,
			 const struct tdx_module_args *out, uint64_t status)
{
	struct vmm_td *td = opaque;
	const char *name = tdx_tdcall_leaf_name(tdx_leaf_of(rax));
	char ins[320], outs[320] = "";

	if (tdr_pa != td->htd.tdr_pa || vcpu >= td->nr_vcpus)
		return;
	if (td->paths_on && out && !status && tdx_leaf_of(rax) == TDG_VP_VEINFO_GET)
		vmm_paths_veinfo_get(&td->vcpus[vcpu]);
	if (!td->cfg.trace_file)
		return;
	args_json(ins, sizeof(ins), in);
	if (!out) {
		vmm_trace(td,
			  "\"lp\":%u,\"vcpu\":%u,\"tdcall\":\"%s\",\"rax\":\"0x%llx\",\"exited\":"
			  "true,"
			  "\"in\":%s",
			  lp, vcpu, name ? name : "?", (unsigned long long)rax, ins);
		return;
	}
	args_json(outs, sizeof(outs), out);
	vmm_trace(
		td,
		"\"lp\":%u,\"vcpu\":%u,\"tdcall\":\"%s\",\"rax\":\"0x%llx\",\"status\":\"0x%llx\","
		"\"in\":%s,\"out\":%s",
		lp, vcpu, name ? name : "?", (unsigned long long)rax, (unsigned long long)status,
		ins, outs);
}

/* A #VE with the VE info the guest will read. */
static void trace_ve(void *opaque, uint64_t tdr_pa, unsigned int vcpu, unsigned int lp,
		     uint32_t reason, uint64_t qual, uint64_t gla, uint64_t gpa, uint32_t len,
		     const struct tdx_trace_ve_where *where)
{
	struct vmm_td *td = opaque;
	const char *name = vmm_exit_reason_name(reason);

	if (tdr_pa != td->htd.tdr_pa || vcpu >= td->nr_vcpus)
		return;
	if (td->paths_on)
		vmm_paths_ve(&td->vcpus[vcpu], reason, qual, gpa, where);
	if (!td->cfg.trace_file)
		return;
	vmm_trace(td,
		  "\"lp\":%u,\"vcpu\":%u,\"ve\":\"%s\",\"reason\":%u,\"qual\":\"0x%llx\","
		  "\"gla\":\"0x%llx\",\"gpa\":\"0x%llx\",\"len\":%u",
		  lp, vcpu, name ? name : "other", reason, (unsigned long long)qual,
		  (unsigned long long)gla, (unsigned long long)gpa, len);
}

static const struct tdx_trace_hooks trace_hooks = {.tdcall = trace_tdcall, .ve = trace_ve};

/* The end of a run: why the TD stopped, as vmm_td_result() says it. */
static void trace_stop(struct vmm_td *td)
{
	const struct vmm_td_result *r = vmm_td_result(td);
	char msg[2 * sizeof(r->message)];
	size_t n = 0;

	for (const char *c = r->message; *c && n + 7 < sizeof(msg); c++) {
		if (*c == '"' || *c == '\\') {
			msg[n++] = '\\';
			msg[n++] = *c;
		} else if ((unsigned char)*c < 0x20) {
			n += (size_t)snprintf(msg + n, sizeof(msg) - n, "\\u%04x", *c);
		} else {
			msg[n++] = *c;
		}
	}
	msg[n] = 0;
	vmm_trace(td, "\"stop\":\"%s\",\"vcpu\":%u,\"exit_status\":%d,\"message\":\"%s\"",
		  vmm_stop_reason_name(r->reason), r->vcpu, r->exit_status, msg);
}

enum vcpu_step {
	STEP_AGAIN, /* enter again */
	STEP_EXIT,  /* an exit for the embedder is in vc->exit */
	STEP_END,   /* the vCPU stops (the TD's stop is recorded) */
};

/* A TDG.VP.VMCALL: the embedder's exit (STEP_EXIT) or handled (tdvmcall.c). */
static enum vcpu_step tdcall_exit(struct vmm_vcpu *vc, uint64_t status, struct tdx_module_args *a)
{
	char where[192];
	int ret;

	vc->st.tdvmcalls[tdvmcall_kind(a)]++;
	if (vc->td->paths_on)
		vmm_paths_tdvmcall(vc, a);
	ret = tdvmcall_handle(&vc->tv, status, a);
	if (ret < 0) { /* a TDCALL exit that is no TDG.VP.VMCALL: the module's bug */
		rip_words(vc, where, sizeof(where));
		stopf(vc, VMM_STOP_VMM_ERROR, status, 0,
		      "vCPU %u: TDCALL exit that is no TDG.VP.VMCALL, status 0x%016llx, RIP %s",
		      vc->index, (unsigned long long)status, where);
	}
	return ret == TDVMCALL_RESUME ? STEP_AGAIN : ret == TDVMCALL_EXIT ? STEP_EXIT : STEP_END;
}

/* A non-recoverable TD exit: the TD stops (a triple fault named as such). */
static void non_recoverable(struct vmm_vcpu *vc, uint64_t status, const struct tdx_module_args *a)
{
	uint64_t reason = status & 0xFFFF;
	char where[192];

	rip_words(vc, where, sizeof(where));
	if (reason == EXIT_REASON_TRIPLE_FAULT)
		stopf(vc, VMM_STOP_TRIPLE_FAULT, status, 0,
		      "vCPU %u: triple fault at RIP %s (status 0x%016llx)", vc->index, where,
		      (unsigned long long)status);
	else
		stopf(vc, VMM_STOP_NON_RECOVERABLE, status, a->r8,
		      "vCPU %u: non-recoverable TD exit, reason %llu (%s), status 0x%016llx, GPA "
		      "0x%llx, interruption info 0x%llx, RIP %s",
		      vc->index, (unsigned long long)reason, exit_name(reason),
		      (unsigned long long)status, (unsigned long long)a->r8,
		      (unsigned long long)a->r9, where);
}

/*
 * The VMM's own handling of a TD exit that is no TDVMCALL (docs/VMM.md): an external
 * interrupt enters again, an EPT violation AUGs a private page (ept_violation), anything
 * non-recoverable or unexpected stops the TD. @a becomes the next entry's registers.
 */
static enum vcpu_step td_exit_default(struct vmm_vcpu *vc, uint64_t status,
				      struct tdx_module_args *a)
{
	uint64_t reason = status & 0xFFFF;
	enum vcpu_step step = STEP_END;
	char where[192];

	if (status & TDX_NON_RECOVERABLE) {
		non_recoverable(vc, status, a);
		return STEP_END;
	}
	switch (reason) {
	case EXIT_REASON_EXTERNAL_INTERRUPT:
		step = STEP_AGAIN;
		break;
	case EXIT_REASON_EPT_VIOLATION:
		step = ept_violation(vc, a) ? STEP_AGAIN : STEP_END;
		break;
	default:
		rip_words(vc, where, sizeof(where));
		stopf(vc, VMM_STOP_VMM_ERROR, status, 0,
		      "vCPU %u: unexpected TD exit, reason %llu (%s), status 0x%016llx, RIP %s",
		      vc->index, (unsigned long long)reason, exit_name(reason),
		      (unsigned long long)status, where);
		break;
	}
	*a = (struct tdx_module_args){0};
	return step;
}

/* The embedder's exit reason for a TD exit that is no TDVMCALL; TDXSIM_EXIT_NONE: none. */
static uint32_t td_exit_reason(uint64_t status)
{
	uint64_t reason = status & 0xFFFF;

	if (status & TDX_NON_RECOVERABLE)
		return reason == EXIT_REASON_TRIPLE_FAULT ? TDXSIM_EXIT_TRIPLE_FAULT
							  : TDXSIM_EXIT_NON_RECOVERABLE;
	if (reason == EXIT_REASON_EPT_VIOLATION)
		return TDXSIM_EXIT_EPT_VIOLATION;
	if (reason == EXIT_REASON_EXTERNAL_INTERRUPT)
		return TDXSIM_EXIT_EXTERNAL_INTERRUPT;
	return TDXSIM_EXIT_NONE;
}

/* A TD exit below the TDVMCALL level the embedder asked for: true with vc->exit filled. */
static bool td_exit_wanted(struct vmm_vcpu *vc, uint64_t status, const struct tdx_module_args *a)
{
	uint32_t r = td_exit_reason(status);
	struct tdxsim_exit *ex = &vc->exit;

	if (r == TDXSIM_EXIT_NONE ||
	    !(__atomic_load_n(&vc->td->tvtd.exit_mask, __ATOMIC_RELAXED) & TDXSIM_EXIT_BIT(r)))
		return false;
	memset(ex, 0, sizeof(*ex));
	ex->reason = r;
	ex->vcpu = vc->index;
	ex->vp_enter_status = status;
	ex->regs = *a;
	if (r == TDXSIM_EXIT_EPT_VIOLATION) {
		ex->ept.gpa = a->r8;
		ex->ept.qual = a->rcx;
		ex->ept.ext_qual = a->rdx;
		ex->ept.shared = a->r8 & vc->td->shared_bit;
	} else if (r != TDXSIM_EXIT_EXTERNAL_INTERRUPT) {
		ex->fatal_exit.gpa = a->r8;
		ex->fatal_exit.intr_info = a->r9;
	}
	return true;
}

/* One TDH.VP.ENTER with vc->args and its TD exit handled. */
static enum vcpu_step vcpu_enter(struct vmm_vcpu *vc)
{
	struct vmm_td *td = vc->td;
	struct tdx_module_args *a = &vc->args;
	enum vcpu_step step;
	uint64_t t0, t1, status, reason;
	char where[192];

	atomic_store(&vc->in_guest, true);
	t0 = vmm_now_ns();
	status = tdh_vp_enter(&vc->vp, a);
	t1 = vmm_now_ns();
	atomic_store(&vc->in_guest, false);
	vc->st.entries++;
	vc->st.ns_in_guest += t1 - t0;
	reason = status & 0xFFFF;
	if (td->cfg.trace_file)
		trace_exit(vc, status, a, t1 - t0);

	if ((status & TDX_ERROR) && !(status & TDX_NON_RECOVERABLE)) {
		/* VP.ENTER itself failed (not a TD exit) */
		rip_words(vc, where, sizeof(where));
		stopf(vc, VMM_STOP_VMM_ERROR, status, 0,
		      "vCPU %u: TDH.VP.ENTER failed: status 0x%016llx, RIP %s", vc->index,
		      (unsigned long long)status, where);
		return STEP_END;
	}
	vc->last = (struct vmm_last_exit){
		.status = status, .qual = a->rcx, .gpa = a->r8, .tdvmcall = tdvmcall_kind(a)};
	if (reason < VMM_EXIT_REASONS)
		vc->st.exits[reason]++;
	else
		vc->st.exits_other++;
	if (reason != EXIT_REASON_EPT_VIOLATION && reason != EXIT_REASON_EXTERNAL_INTERRUPT)
		vc->repeat.count = 0; /* kicks neither count nor reset the watch */
	if (reason == EXIT_REASON_TDCALL && !(status & TDX_NON_RECOVERABLE))
		step = tdcall_exit(vc, status, a);
	else if (td_exit_wanted(vc, status, a))
		step = STEP_EXIT;
	else
		step = td_exit_default(vc, status, a);
	if (step == STEP_EXIT)
		vc->exit_pending = true;
	vc->st.ns_in_vmm += vmm_now_ns() - t1;
	return step;
}

/* The embedder's answer to the pending exit (tdxsim_exit) into vc->args. */
static enum vcpu_step vcpu_complete(struct vmm_vcpu *vc)
{
	uint64_t status = vc->exit.vp_enter_status;
	int ret;

	vc->exit_pending = false;
	if (vc->exit.reason > TDXSIM_EXIT_STOPPED) {
		/* Below the TDVMCALL level: vc->args still holds the exit's registers. */
		if (vc->exit.use_default || (status & TDX_NON_RECOVERABLE))
			return td_exit_default(vc, status, &vc->args);
		vc->args = (struct tdx_module_args){0};
		return STEP_AGAIN;
	}
	ret = tdvmcall_complete(&vc->tv, &vc->args);
	if (ret == TDVMCALL_RESUME)
		return STEP_AGAIN;
	return STEP_END; /* ReportFatalError's default handling stopped the TD */
}

/*
 * The vCPU's next step: the pending exit completed, or (unless the TD is stopping, and
 * @first is not set) the wait of an MP state set HALTED, then one entry.
 */
static enum vcpu_step vcpu_step(struct vmm_vcpu *vc, bool first)
{
	struct vmm_td *td = vc->td;

	if (vc->exit_pending)
		return vcpu_complete(vc);
	if (!first && atomic_load(&td->stop))
		return STEP_END;
	if (atomic_exchange(&vc->mp_halted, false)) {
		vmm_apic_hlt(vc, false);
		if (atomic_load(&td->stop))
			return STEP_END;
	}
	return vcpu_enter(vc);
}

long vmm_vcpu_loop(void *arg)
{
	struct vmm_vcpu *vc = arg;
	struct vmm_td *td = vc->td;
	bool first = true;

	/*
	 * Start together: every vCPU enters at least once in a run (APs park in the reset
	 * page), even when another stops the TD meanwhile.
	 */
	pthread_mutex_lock(&td->lock);
	td->started++;
	pthread_cond_broadcast(&td->wake);
	while (td->started < td->nr_vcpus)
		pthread_cond_wait(&td->wake, &td->lock);
	pthread_mutex_unlock(&td->lock);
	for (;;) {
		enum vcpu_step step = vcpu_step(vc, first);

		first = false;
		if (step == STEP_END)
			break;
		if (step == STEP_EXIT) {
			/* The embedder's, on this thread; without a handler the default. */
			if (td->exit_fn)
				td->exit_fn(td->exit_opaque, td, &vc->exit);
			else
				vc->exit.use_default = true;
		}
	}
	pthread_mutex_lock(&td->lock);
	atomic_store(&vc->done, true);
	pthread_cond_broadcast(&td->wake);
	pthread_mutex_unlock(&td->lock);
	return 0;
}

/* Kick every vCPU in the guest, so that it sees the TD's stop. */
static void kick_in_guest(struct vmm_td *td)
{
	for (unsigned int v = 0; v < td->nr_vcpus; v++) {
		if (atomic_load(&td->vcpus[v].in_guest))
			lp_kick(td->vcpus[v].lp);
	}
}

/* tdxsim_vcpu_run() on the vCPU's LP: steps until an exit for the embedder or the stop. */
static long vcpu_run_fn(void *arg)
{
	struct vmm_vcpu *vc = arg;
	struct vmm_td *td = vc->td;

	for (;;) {
		enum vcpu_step step = vcpu_step(vc, false);

		if (step == STEP_EXIT)
			return 0;
		if (step == STEP_END)
			break;
	}
	kick_in_guest(td); /* the others' threads see the stop at their next exit */
	memset(&vc->exit, 0, sizeof(vc->exit));
	vc->exit.reason = TDXSIM_EXIT_STOPPED;
	vc->exit.vcpu = vc->index;
	vc->exit.stopped.reason = vmm_td_result(td)->reason;
	return 0;
}

int tdxsim_vcpu_run(struct vmm_td *td, unsigned int vcpu)
{
	struct vmm_vcpu *vc;
	long ret;

	if (!td || vcpu >= td->nr_vcpus)
		return -EINVAL;
	vc = &td->vcpus[vcpu];
	pthread_mutex_lock(&td->lock);
	if (td->running || vc->stepping) {
		pthread_mutex_unlock(&td->lock);
		return -EBUSY;
	}
	vc->stepping = true;
	pthread_mutex_unlock(&td->lock);
	ret = lp_run_on(vc->lp, vcpu_run_fn, vc);
	pthread_mutex_lock(&td->lock);
	vc->stepping = false;
	pthread_mutex_unlock(&td->lock);
	return ret < 0 ? (int)ret : 0;
}

int vmm_td_run(struct vmm_td *td)
{
	struct platform_stats ps;
	uint64_t t0 = vmm_now_ns();
	bool traced;
	int ret = 0;

	pthread_mutex_lock(&td->lock);
	for (unsigned int v = 0; v < td->nr_vcpus; v++) {
		if (td->vcpus[v].stepping) {
			pthread_mutex_unlock(&td->lock);
			return -EBUSY;
		}
	}
	if (td->running) {
		pthread_mutex_unlock(&td->lock);
		return -EBUSY;
	}
	/* A TD that stopped stays stopped (tdxsim_td_resume): nothing is entered. */
	if (atomic_load(&td->stop)) {
		pthread_mutex_unlock(&td->lock);
		return 0;
	}
	td->running = true;
	td->started = 0;
	for (unsigned int v = 0; v < td->nr_vcpus; v++)
		atomic_store(&td->vcpus[v].done, false);
	pthread_mutex_unlock(&td->lock);

	/* One tracer at a time (the hooks are the module's): another TD's trace keeps them. */
	traced =
		(td->cfg.trace_file || td->cfg.io_paths) && !tdx_module_set_trace(&trace_hooks, td);
	td->paths_on = traced && td->cfg.io_paths;
	if (td->cfg.trace_file && !traced)
		vmm_trace(td, "\"trace\":\"no TDCALL or #VE lines: another TD's trace is on\"");
	platform_get_stats(&ps);
	td->ve_before = ps.deliveries;
	for (unsigned int v = 0; v < td->nr_vcpus; v++) {
		td->vcpus[v].work = (struct lp_work){0};
		ret = lp_queue_work(td->vcpus[v].lp, &td->vcpus[v].work, vmm_vcpu_loop,
				    &td->vcpus[v]);
		if (ret) {
			vmm_td_stop(td, VMM_STOP_VMM_ERROR, 1, "cannot start a vCPU thread");
			pthread_mutex_lock(&td->lock);
			for (unsigned int w = v; w < td->nr_vcpus; w++) {
				atomic_store(&td->vcpus[w].done, true);
				td->started++; /* release the barrier */
			}
			pthread_cond_broadcast(&td->wake);
			pthread_mutex_unlock(&td->lock);
			break;
		}
	}
	/* Wait for every vCPU; once stopping, kick the ones still in the guest. */
	pthread_mutex_lock(&td->lock);
	for (;;) {
		unsigned int running = 0;
		struct timespec ts;

		for (unsigned int v = 0; v < td->nr_vcpus; v++) {
			if (atomic_load(&td->vcpus[v].done))
				continue;
			running++;
			if (atomic_load(&td->stop) && atomic_load(&td->vcpus[v].in_guest))
				lp_kick(td->vcpus[v].lp);
		}
		if (!running)
			break;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 5 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&td->wake, &td->lock, &ts);
	}
	pthread_mutex_unlock(&td->lock);
	for (unsigned int v = 0; v < td->nr_vcpus; v++) {
		if (td->vcpus[v].work.fn)
			lp_work_wait(&td->vcpus[v].work);
	}
	platform_get_stats(&ps);
	td->ve_after = ps.deliveries;
	if (traced)
		tdx_module_set_trace(NULL, NULL);
	if (td->cfg.trace_file && td->paths_on)
		vmm_paths_trace(td);
	if (td->cfg.trace_file)
		trace_stop(td);
	vmm_trace_flush(td);
	td->run_ns = vmm_now_ns() - t0;
	pthread_mutex_lock(&td->lock);
	td->running = false;
	pthread_mutex_unlock(&td->lock);
	return ret;
}
