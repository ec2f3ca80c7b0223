// SPDX-License-Identifier: MIT
/*
 * vmm/tdvmcall.c - TDG.VP.VMCALL sub-functions, one function each, dispatched by R11.
 *
 * Register conventions are GHCI's (ABI §3). Where the GHCI leaves a choice, this follows
 * KVM (Linux arch/x86/kvm/vmx/tdx.c, "[KVM]" below) and QEMU (target/i386/kvm/tdx.c,
 * "[QEMU]"); the deviations are listed in docs/VMM.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tdx/apic.h>
#include <tdx/vmx.h>

#include "vmm/tdvmcall.h"

#define PAGE_SIZE_4K 4096ULL

struct tdvmcall_call {
	struct tdvmcall_vcpu *v;
	const struct tdx_module_args *in; /* the guest's exposed registers, others zero */
	struct tdx_module_args *out;	  /* registers for the next VP.ENTER */
	uint64_t exit_rax;		  /* VP.ENTER's status */
	enum tdvmcall_result result;
};

static uint64_t size_mask(unsigned size)
{
	return size >= 8 ? UINT64_MAX : (1ULL << (8 * size)) - 1;
}

static bool gpa_is_shared(const struct tdvmcall_td *td, uint64_t gpa)
{
	return gpa & tdvmcall_shared_bit(td);
}

/* Bits at or above GPAW are not a GPA of this TD. */
static bool gpa_in_width(const struct tdvmcall_td *td, uint64_t gpa)
{
	return td->gpaw >= 64 || (gpa >> td->gpaw) == 0;
}

/*
 * The embedder asked to see exits of @reason (tdxsim_td_set_exits) and this call, its
 * arguments checked, becomes one: its common part filled in, the call left for
 * tdvmcall_complete(). NULL: the VMM handles it. The handlers return before they write
 * any output register when it is an exit.
 */
static struct tdxsim_exit *want_exit(struct tdvmcall_call *c, uint32_t reason)
{
	struct tdvmcall_vcpu *v = c->v;
	struct tdxsim_exit *e = v->exit;

	if (!e || v->no_exits ||
	    !(__atomic_load_n(&v->td->exit_mask, __ATOMIC_RELAXED) & TDXSIM_EXIT_BIT(reason)))
		return NULL;
	memset(e, 0, sizeof(*e));
	e->reason = reason;
	e->vcpu = v->index;
	e->vp_enter_status = c->exit_rax;
	e->regs = *c->in;
	e->ghci_status = TDVMCALL_STATUS_SUCCESS;
	c->result = TDVMCALL_EXIT;
	return e;
}

/* ---- Instruction.CPUID (R11 = 10) ---- */

static void cpuid_hypervisor(const struct tdvmcall_td *td, uint32_t leaf, uint32_t out[4])
{
	/* 0x40000000: max leaf and signature in EBX, ECX, EDX, as KVM's "KVMKVMKVM\0\0\0". */
	if (leaf == TDXSIM_CPUID_LEAF_BASE) {
		out[0] = TDXSIM_CPUID_LEAF_MAX;
		memcpy(&out[1], td->cpuid_signature ? td->cpuid_signature : TDXSIM_CPUID_SIGNATURE,
		       12);
	}
	/* 0x40000001 (features) and the rest of the range: zeros, nothing paravirtual. */
}

static uint64_t tdvmcall_cpuid(struct tdvmcall_call *c)
{
	uint32_t leaf = (uint32_t)c->in->r12, subleaf = (uint32_t)c->in->r13;
	uint32_t out[4] = {0};
	const struct tdvmcall_ops *ops = c->v->ops;
	struct tdxsim_exit *e;

	if (leaf >= TDXSIM_CPUID_LEAF_BASE && leaf <= TDXSIM_CPUID_HV_RANGE_END)
		cpuid_hypervisor(c->v->td, leaf, out);
	else if (!ops->cpuid || !ops->cpuid(c->v->opaque, leaf, subleaf, out))
		memset(out, 0, sizeof(out)); /* as KVM for a leaf without an entry */
	e = want_exit(c, TDXSIM_EXIT_CPUID);
	if (e) { /* preset to the VMM's answer */
		e->cpuid.leaf = leaf;
		e->cpuid.subleaf = subleaf;
		e->cpuid.eax = out[0];
		e->cpuid.ebx = out[1];
		e->cpuid.ecx = out[2];
		e->cpuid.edx = out[3];
		return 0;
	}
	c->out->r12 = out[0];
	c->out->r13 = out[1];
	c->out->r14 = out[2];
	c->out->r15 = out[3];
	return TDVMCALL_STATUS_SUCCESS;
}

/* ---- Instruction.HLT (R11 = 12) ---- */

static uint64_t tdvmcall_hlt(struct tdvmcall_call *c)
{
	struct tdxsim_exit *e = want_exit(c, TDXSIM_EXIT_HLT);

	if (e) {
		e->hlt.irq_blocked = c->in->r12 != 0;
		return 0;
	}
	/* R12: the guest's "interrupts blocked" (Linux: irqs_disabled()). */
	if (c->v->ops->hlt)
		c->v->ops->hlt(c->v->opaque, c->in->r12 != 0);
	return TDVMCALL_STATUS_SUCCESS;
}

/* ---- Instruction.IO (R11 = 30) ---- */

static uint64_t tdvmcall_io(struct tdvmcall_call *c)
{
	uint64_t size = c->in->r12, dir = c->in->r13, port = c->in->r14;
	uint8_t data[8] = {0};
	struct tdxsim_exit *e;

	/* [KVM tdx_emulate_io]: sizes 1, 2, 4 only. Direction and port are checked too. */
	if ((size != 1 && size != 2 && size != 4) || dir > TDVMCALL_IO_WRITE || port > 0xFFFF)
		return TDVMCALL_STATUS_INVALID_OPERAND;
	e = want_exit(c, TDXSIM_EXIT_IO);
	if (e) {
		e->io.port = (uint16_t)port;
		e->io.size = (uint8_t)size;
		e->io.write = dir == TDVMCALL_IO_WRITE;
		e->io.data =
			(uint32_t)(size_mask((unsigned)size) & (e->io.write ? c->in->r15 : ~0ULL));
		return 0;
	}
	if (dir == TDVMCALL_IO_WRITE) {
		bus_data_set(data, (unsigned)size, c->in->r15);
		vmm_bus_pio(c->v->td->bus, (uint16_t)port, data, (unsigned)size, true);
		return TDVMCALL_STATUS_SUCCESS;
	}
	vmm_bus_pio(c->v->td->bus, (uint16_t)port, data, (unsigned)size, false);
	c->out->r11 = bus_data_get(data, (unsigned)size) & size_mask((unsigned)size);
	return TDVMCALL_STATUS_SUCCESS;
}

/* ---- #VE.RequestMMIO (R11 = 48) ---- */

static uint64_t tdvmcall_mmio(struct tdvmcall_call *c)
{
	const struct tdvmcall_td *td = c->v->td;
	uint64_t size = c->in->r12, dir = c->in->r13, gpa = c->in->r14;
	uint8_t data[8] = {0};
	struct tdxsim_exit *e;

	/* [KVM tdx_emulate_mmio]: sizes 1, 2, 4, 8; direction 0 or 1; within one page. */
	if ((size != 1 && size != 2 && size != 4 && size != 8) || dir > TDVMCALL_IO_WRITE)
		return TDVMCALL_STATUS_INVALID_OPERAND;
	/* MMIO lives in shared memory: a private GPA is the guest's bug (KVM strips the bit). */
	if (!gpa_is_shared(td, gpa) || !gpa_in_width(td, gpa))
		return TDVMCALL_STATUS_INVALID_OPERAND;
	if (((gpa + size - 1) ^ gpa) & ~(PAGE_SIZE_4K - 1))
		return TDVMCALL_STATUS_INVALID_OPERAND;
	gpa &= ~tdvmcall_shared_bit(td);
	e = want_exit(c, TDXSIM_EXIT_MMIO);
	if (e) {
		e->mmio.gpa = gpa;
		e->mmio.size = (uint8_t)size;
		e->mmio.write = dir == TDVMCALL_IO_WRITE;
		e->mmio.data = size_mask((unsigned)size) & (e->mmio.write ? c->in->r15 : ~0ULL);
		return 0;
	}
	if (dir == TDVMCALL_IO_WRITE) {
		bus_data_set(data, (unsigned)size, c->in->r15);
		vmm_bus_mmio(td->bus, gpa, data, (unsigned)size, true);
		return TDVMCALL_STATUS_SUCCESS;
	}
	vmm_bus_mmio(td->bus, gpa, data, (unsigned)size, false);
	c->out->r11 = bus_data_get(data, (unsigned)size);
	return TDVMCALL_STATUS_SUCCESS;
}

/* ---- Instruction.RDMSR (R11 = 31) / Instruction.WRMSR (R11 = 32) ---- */

/*
 * Denied or unknown MSRs: INVALID_OPERAND, which the guest turns into #GP [KVM]. The filter
 * decides first, for reads and writes alike, the x2APIC range included; an allowed access
 * is the embedder's exit when it asked for one.
 */
static uint64_t tdvmcall_rdmsr(struct tdvmcall_call *c)
{
	const struct msr_filter *f = c->v->td->msr_filter;
	struct tdxsim_exit *e;
	uint64_t value = 0;

	if (c->in->r12 > UINT32_MAX || (f && !msr_filter_allowed(f, (uint32_t)c->in->r12, false)))
		return TDVMCALL_STATUS_INVALID_OPERAND;
	e = want_exit(c, TDXSIM_EXIT_RDMSR);
	if (e) {
		msr_store_get(&c->v->msrs, (uint32_t)c->in->r12, &value);
		e->msr.index = (uint32_t)c->in->r12;
		e->msr.data = value;
		return 0;
	}
	if (!(c->v->ops->rdmsr_x2apic && c->in->r12 >= X2APIC_MSR_FIRST &&
	      c->in->r12 <= X2APIC_MSR_END &&
	      c->v->ops->rdmsr_x2apic(c->v->opaque, (uint32_t)c->in->r12, &value)) &&
	    msr_store_get(&c->v->msrs, (uint32_t)c->in->r12, &value))
		return TDVMCALL_STATUS_INVALID_OPERAND;
	c->out->r11 = value;
	return TDVMCALL_STATUS_SUCCESS;
}

static uint64_t tdvmcall_wrmsr(struct tdvmcall_call *c)
{
	const struct msr_filter *f = c->v->td->msr_filter;
	struct tdxsim_exit *e;

	if (c->in->r12 > UINT32_MAX || (f && !msr_filter_allowed(f, (uint32_t)c->in->r12, true)))
		return TDVMCALL_STATUS_INVALID_OPERAND;
	e = want_exit(c, TDXSIM_EXIT_WRMSR);
	if (e) {
		e->msr.index = (uint32_t)c->in->r12;
		e->msr.data = c->in->r13;
		return 0;
	}
	if (c->v->ops->wrmsr_x2apic && c->in->r12 >= X2APIC_MSR_FIRST &&
	    c->in->r12 <= X2APIC_MSR_END)
		return c->v->ops->wrmsr_x2apic(c->v->opaque, (uint32_t)c->in->r12, c->in->r13);
	/* Writes update known MSRs only; the embedder adds new ones (tdxsim_vcpu_set_msr). */
	if (msr_store_get(&c->v->msrs, (uint32_t)c->in->r12, &(uint64_t){0}))
		return TDVMCALL_STATUS_INVALID_OPERAND;
	msr_store_set(&c->v->msrs, (uint32_t)c->in->r12, c->in->r13);
	return TDVMCALL_STATUS_SUCCESS;
}

/* ---- GetTdVmCallInfo (R11 = 0x10000) ---- */

static uint64_t tdvmcall_get_td_vm_call_info(struct tdvmcall_call *c)
{
	uint64_t leaf = c->in->r12;

	/*
	 * Leaf 0: all zeros (GHCI 1.0). Leaf 1: R11 = the optional sub-functions supported,
	 * of which we have SetupEventNotifyInterrupt; GetQuote is not listed, as KVM
	 * stopped listing it to follow the GHCI 1.5 draft [KVM init_kvm_tdx_caps].
	 */
	struct tdxsim_exit *e;

	if (leaf > 1)
		return TDVMCALL_STATUS_INVALID_OPERAND;
	e = want_exit(c, TDXSIM_EXIT_GET_TD_VM_CALL_INFO);
	if (e) {
		e->info.leaf = leaf;
		e->info.r11 = leaf == 1 ? TDVMCALLINFO_SETUP_EVENT_NOTIFY_INTERRUPT : 0;
		return 0;
	}
	c->out->r11 = leaf == 1 ? TDVMCALLINFO_SETUP_EVENT_NOTIFY_INTERRUPT : 0;
	c->out->r12 = 0;
	c->out->r13 = 0;
	c->out->r14 = 0;
	return TDVMCALL_STATUS_SUCCESS;
}

/* ---- MapGPA (R11 = 0x10001) ---- */

/*
 * [KVM tdx_map_gpa]: a range that is empty, wraps, leaves the GPA width or straddles the
 * shared bit is INVALID_OPERAND; then misalignment is ALIGN_ERROR. On any error R11 = the
 * start GPA, so the guest knows nothing was converted.
 */
static uint64_t tdvmcall_map_gpa(struct tdvmcall_call *c)
{
	const struct tdvmcall_td *td = c->v->td;
	uint64_t gpa = c->in->r12, size = c->in->r13, last = gpa + size - 1;
	uint64_t status, resume = gpa;
	struct tdxsim_exit *e;

	if (size == 0 || last < gpa || !gpa_in_width(td, last) ||
	    gpa_is_shared(td, gpa) != gpa_is_shared(td, last))
		status = TDVMCALL_STATUS_INVALID_OPERAND;
	else if ((gpa | size) & (PAGE_SIZE_4K - 1))
		status = TDVMCALL_STATUS_ALIGN_ERROR;
	else if ((e = want_exit(c, TDXSIM_EXIT_MAP_GPA))) {
		e->map_gpa.gpa = gpa;
		e->map_gpa.size = size;
		e->map_gpa.to_shared = gpa_is_shared(td, gpa);
		e->map_gpa.resume_gpa = gpa;
		return 0;
	} else if (!c->v->ops->map_gpa)
		return TDVMCALL_STATUS_SUCCESS;
	else
		status = c->v->ops->map_gpa(c->v->opaque, gpa, size, &resume);

	if (status == TDVMCALL_STATUS_SUCCESS)
		return status;
	c->out->r11 = resume;
	return status;
}

/* ---- GetQuote (R11 = 0x10002) ---- */

/* Write the status last: the guest polls it, so data and length must be there first. */
static void get_quote_finish(uint8_t *buf, uint64_t status, uint32_t out_len)
{
	memcpy(buf + 20, &out_len, 4);
	__atomic_store_n((uint64_t *)(buf + 8), status, __ATOMIC_RELEASE);
}

/*
 * The quote is made at once, so the buffer is complete when the guest resumes; the GHCI
 * lets it be asynchronous (status GET_QUOTE_IN_FLIGHT meanwhile), which a guest polling
 * the status handles either way.
 */
static void get_quote_generate(struct tdvmcall_call *c, uint8_t *buf, uint64_t size)
{
	uint8_t report[QUOTE_TDREPORT_LEN], *quote;
	size_t quote_len;
	uint32_t in_len;
	long len;

	memcpy(&in_len, buf + 16, 4);
	if (!c->v->td->quoter) {
		get_quote_finish(buf, GET_QUOTE_SERVICE_UNAVAILABLE, 0);
		return;
	}
	if (in_len != QUOTE_TDREPORT_LEN) {
		get_quote_finish(buf, GET_QUOTE_ERROR, 0);
		return;
	}
	/*
	 * Shared memory can change under us: the report is read once, and the quote is made
	 * in private memory and copied out whole, so what is signed is what is returned.
	 */
	memcpy(report, buf + GET_QUOTE_HDR_LEN, sizeof(report));
	quote_len = quote_signer_quote_len(c->v->td->quoter);
	if (quote_len > size - GET_QUOTE_HDR_LEN) {
		get_quote_finish(buf, GET_QUOTE_ERROR, 0);
		return;
	}
	quote = malloc(quote_len);
	len = quote ? quote_generate(c->v->td->quoter, report, quote, quote_len) : -ENOMEM;
	if (len < 0) {
		get_quote_finish(buf, GET_QUOTE_ERROR, 0);
	} else {
		memcpy(buf + GET_QUOTE_HDR_LEN, quote, (size_t)len);
		get_quote_finish(buf, GET_QUOTE_SUCCESS, (uint32_t)len);
	}
	free(quote);
}

static uint64_t tdvmcall_get_quote(struct tdvmcall_call *c)
{
	const struct tdvmcall_td *td = c->v->td;
	uint64_t gpa = c->in->r12, size = c->in->r13, version;
	uint32_t in_len;
	uint8_t *buf, *bounce = NULL;
	struct tdxsim_exit *e;

	/* [KVM tdx_get_quote; QEMU tdx_handle_get_quote] */
	if (size == 0 || !gpa_is_shared(td, gpa) || !gpa_in_width(td, gpa + size - 1) ||
	    gpa + size < gpa)
		return TDVMCALL_STATUS_INVALID_OPERAND;
	if ((gpa | size) & (PAGE_SIZE_4K - 1))
		return TDVMCALL_STATUS_ALIGN_ERROR;
	buf = c->v->ops->shared_va ? c->v->ops->shared_va(c->v->opaque, gpa, size) : NULL;
	if (!buf && c->v->ops->shared_rw) {
		/* Mapped, but not one span of this process: work on a copy, written back. */
		bounce = malloc(size);
		if (bounce && c->v->ops->shared_rw(c->v->opaque, gpa, bounce, size, false)) {
			free(bounce);
			bounce = NULL;
		}
		buf = bounce;
	}
	if (!buf)
		return TDVMCALL_STATUS_INVALID_OPERAND;
	/* [QEMU]: the header's version must be 1 and in_len must fit the buffer. */
	memcpy(&version, buf, 8);
	memcpy(&in_len, buf + 16, 4);
	if (version != GET_QUOTE_STRUCTURE_VERSION || in_len > size - GET_QUOTE_HDR_LEN) {
		free(bounce);
		return TDVMCALL_STATUS_INVALID_OPERAND;
	}
	e = want_exit(c, TDXSIM_EXIT_GET_QUOTE);
	if (e) {
		free(bounce);
		e->get_quote.gpa = gpa;
		e->get_quote.size = size;
		return 0;
	}
	get_quote_generate(c, buf, size);
	if (bounce) {
		c->v->ops->shared_rw(c->v->opaque, gpa, bounce, size, true);
		free(bounce);
	}
	/* The quote is ready before the guest resumes: notify now [GHCI 3.3 GetQuote]. */
	if (td->notify_vector && c->v->ops->event_notify)
		c->v->ops->event_notify(c->v->opaque, td->notify_vcpu, td->notify_vector);
	return TDVMCALL_STATUS_SUCCESS;
}

/* ---- ReportFatalError (R11 = 0x10003) ---- */

/*
 * The message is packed in R14, R15, RBX, RDI, RSI, R8, R9, RDX, in that order [GHCI];
 * like KVM's tdx_report_fatal_error, only the registers the guest exposed are taken.
 */
static unsigned int fatal_error_message(const struct tdx_module_args *in, char *msg,
					uint64_t data[8])
{
	static const struct {
		uint64_t mask;
		size_t off;
	} regs[] = {
		{TDX_R14, offsetof(struct tdx_module_args, r14)},
		{TDX_R15, offsetof(struct tdx_module_args, r15)},
		{TDX_RBX, offsetof(struct tdx_module_args, rbx)},
		{TDX_RDI, offsetof(struct tdx_module_args, rdi)},
		{TDX_RSI, offsetof(struct tdx_module_args, rsi)},
		{TDX_R8, offsetof(struct tdx_module_args, r8)},
		{TDX_R9, offsetof(struct tdx_module_args, r9)},
		{TDX_RDX, offsetof(struct tdx_module_args, rdx)},
	};
	size_t n = 0;

	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		if (!(in->rcx & regs[i].mask))
			continue;
		memcpy(&data[n], (const uint8_t *)in + regs[i].off, 8);
		memcpy(msg + 8 * n++, (const uint8_t *)in + regs[i].off, 8);
	}
	msg[TDVMCALL_REPORT_FATAL_ERROR_MSG_SIZE] = '\0';
	return (unsigned int)n;
}

static uint64_t tdvmcall_report_fatal_error(struct tdvmcall_call *c)
{
	struct tdvmcall_fatal_error err = {0};
	uint64_t data[8] = {0};
	unsigned int ndata;
	struct tdxsim_exit *e;

	/* The guest is dying: no argument is rejected [KVM]. R12 bit 63 = R13 valid [QEMU]. */
	err.error_code = c->in->r12;
	err.gpa_valid = (c->in->r12 & TDVMCALL_FATAL_ERROR_GPA_VALID) != 0;
	err.gpa = err.gpa_valid ? c->in->r13 : 0;
	ndata = fatal_error_message(c->in, err.message, data);
	e = want_exit(c, TDXSIM_EXIT_FATAL_ERROR);
	if (e) { /* the embedder decides: the TD goes on unless it stops it */
		e->fatal.sub_function = c->in->r11;
		e->fatal.error_code = err.error_code;
		e->fatal.gpa_valid = err.gpa_valid;
		e->fatal.gpa = err.gpa;
		e->fatal.ndata = ndata;
		memcpy(e->fatal.data, data, sizeof(data));
		memcpy(e->fatal.message, err.message, sizeof(e->fatal.message));
		return 0;
	}
	if (c->v->ops->fatal_error)
		c->v->ops->fatal_error(c->v->opaque, &err);
	else
		fprintf(stderr, "tdxsim: TD fatal error 0x%llx: %s\n",
			(unsigned long long)err.error_code, err.message);
	c->result = TDVMCALL_STOP;
	return TDVMCALL_STATUS_SUCCESS;
}

/* ---- SetupEventNotifyInterrupt (R11 = 0x10004) ---- */

static uint64_t tdvmcall_setup_event_notify_interrupt(struct tdvmcall_call *c)
{
	uint64_t vector = c->in->r12;

	struct tdxsim_exit *e;

	if (vector < TDVMCALL_EVENT_NOTIFY_VECTOR_MIN || vector > TDVMCALL_EVENT_NOTIFY_VECTOR_MAX)
		return TDVMCALL_STATUS_INVALID_OPERAND;
	e = want_exit(c, TDXSIM_EXIT_SETUP_EVENT_NOTIFY);
	if (e) {
		e->notify.vector = (uint8_t)vector;
		return 0;
	}
	/* Remembered with the vCPU that asked: that is where it is injected [QEMU tdx.c]. */
	c->v->td->notify_vcpu = c->v->index;
	c->v->td->notify_vector = (uint8_t)vector;
	return TDVMCALL_STATUS_SUCCESS;
}

/* ---- dispatch ---- */

static const struct {
	uint64_t subfn;
	uint64_t (*fn)(struct tdvmcall_call *c);
} tdvmcall_table[] = {
	{TDVMCALL_INSTRUCTION_CPUID, tdvmcall_cpuid},
	{TDVMCALL_INSTRUCTION_HLT, tdvmcall_hlt},
	{TDVMCALL_INSTRUCTION_IO, tdvmcall_io},
	{TDVMCALL_INSTRUCTION_RDMSR, tdvmcall_rdmsr},
	{TDVMCALL_INSTRUCTION_WRMSR, tdvmcall_wrmsr},
	{TDVMCALL_VE_REQUEST_MMIO, tdvmcall_mmio},
	{TDVMCALL_GET_TD_VM_CALL_INFO, tdvmcall_get_td_vm_call_info},
	{TDVMCALL_MAP_GPA, tdvmcall_map_gpa},
	{TDVMCALL_GET_QUOTE, tdvmcall_get_quote},
	{TDVMCALL_REPORT_FATAL_ERROR, tdvmcall_report_fatal_error},
	{TDVMCALL_SETUP_EVENT_NOTIFY_INTERRUPT, tdvmcall_setup_event_notify_interrupt},
};

/* What the VMM may read: the GPRs the guest selected in RCX; the module zeroes the rest. */
static void tdvmcall_exposed(const struct tdx_module_args *args, struct tdx_module_args *in)
{
	uint64_t m = args->rcx;

	memset(in, 0, sizeof(*in));
	in->rcx = m;
#define EXPOSE(reg, bit)                                                                           \
	do {                                                                                       \
		if (m & (bit))                                                                     \
			in->reg = args->reg;                                                       \
	} while (0)
	EXPOSE(rdx, TDX_RDX);
	EXPOSE(rbx, TDX_RBX);
	EXPOSE(rsi, TDX_RSI);
	EXPOSE(rdi, TDX_RDI);
	EXPOSE(r8, TDX_R8);
	EXPOSE(r9, TDX_R9);
	EXPOSE(r10, TDX_R10);
	EXPOSE(r11, TDX_R11);
	EXPOSE(r12, TDX_R12);
	EXPOSE(r13, TDX_R13);
	EXPOSE(r14, TDX_R14);
	EXPOSE(r15, TDX_R15);
#undef EXPOSE
}

int tdvmcall_handle(struct tdvmcall_vcpu *v, uint64_t exit_rax, struct tdx_module_args *args)
{
	struct tdx_module_args in;
	struct tdvmcall_call c = {
		.v = v, .in = &in, .out = args, .exit_rax = exit_rax, .result = TDVMCALL_RESUME};
	struct tdxsim_exit *e;
	uint64_t status;

	if ((exit_rax & EXIT_REASON_BASIC_MASK) != EXIT_REASON_TDCALL || (exit_rax >> 32))
		return -EINVAL;
	tdvmcall_exposed(args, &in);
	if (v->exit && !v->no_exits)
		v->exit_args = *args;

	/*
	 * R10 != 0 is vendor-specific [GHCI]; KVM takes it as a KVM hypercall number and
	 * answers unknown ones with -KVM_ENOSYS [KVM tdx_emulate_vmcall]. tdxsim has none.
	 */
	if (in.r10 != TDX_HYPERCALL_STANDARD) {
		status = (uint64_t)-KVM_ENOSYS;
		goto other;
	}
	for (size_t i = 0; i < sizeof(tdvmcall_table) / sizeof(tdvmcall_table[0]); i++) {
		if (tdvmcall_table[i].subfn == in.r11) {
			status = tdvmcall_table[i].fn(&c);
			if (c.result != TDVMCALL_EXIT)
				args->r10 = status;
			return (int)c.result;
		}
	}
	/* Unknown sub-function: the newer GHCI status, as KVM returns [KVM handle_tdvmcall]. */
	status = TDVMCALL_STATUS_SUBFUNC_UNSUPPORTED;
other:
	e = want_exit(&c, TDXSIM_EXIT_TDVMCALL_OTHER);
	if (e) {
		e->other.r10 = in.r10;
		e->other.r11 = in.r11;
		e->ghci_status = status;
		return (int)c.result;
	}
	args->r10 = status;
	return TDVMCALL_RESUME;
}

int tdvmcall_complete(struct tdvmcall_vcpu *v, struct tdx_module_args *args)
{
	struct tdxsim_exit *e = v->exit;
	int ret;

	if (e->use_default) {
		*args = v->exit_args;
		v->no_exits = true;
		ret = tdvmcall_handle(v, e->vp_enter_status, args);
		v->no_exits = false;
		return ret;
	}
	switch (e->reason) {
	case TDXSIM_EXIT_IO:
		if (!e->io.write)
			args->r11 = e->io.data & size_mask(e->io.size);
		break;
	case TDXSIM_EXIT_MMIO:
		if (!e->mmio.write)
			args->r11 = e->mmio.data & size_mask(e->mmio.size);
		break;
	case TDXSIM_EXIT_RDMSR:
		args->r11 = e->msr.data;
		break;
	case TDXSIM_EXIT_CPUID:
		args->r12 = e->cpuid.eax;
		args->r13 = e->cpuid.ebx;
		args->r14 = e->cpuid.ecx;
		args->r15 = e->cpuid.edx;
		break;
	case TDXSIM_EXIT_MAP_GPA:
		if (e->ghci_status != TDVMCALL_STATUS_SUCCESS)
			args->r11 = e->ghci_status == TDVMCALL_STATUS_RETRY ? e->map_gpa.resume_gpa
									    : e->map_gpa.gpa;
		break;
	case TDXSIM_EXIT_GET_TD_VM_CALL_INFO:
		args->r11 = e->info.r11;
		args->r12 = e->info.r12;
		args->r13 = e->info.r13;
		args->r14 = e->info.r14;
		break;
	case TDXSIM_EXIT_TDVMCALL_OTHER:
		*args = e->regs;
		break;
	default:
		break;
	}
	args->r10 = e->ghci_status;
	return TDVMCALL_RESUME;
}

void tdvmcall_vcpu_init(struct tdvmcall_vcpu *v, struct tdvmcall_td *td, uint32_t vcpu_index,
			const struct tdvmcall_ops *ops, void *opaque)
{
	static const struct tdvmcall_ops no_ops;

	memset(v, 0, sizeof(*v));
	v->td = td;
	v->ops = ops ? ops : &no_ops;
	v->opaque = opaque;
	v->index = vcpu_index;
	msr_store_init(&v->msrs, vcpu_index);
}
