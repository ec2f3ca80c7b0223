// SPDX-License-Identifier: MIT
/*
 * IDT, exception dispatch and the #VE handlers (ABI §5).
 *
 * Each handler returns the number of bytes RIP advances (the VE instruction length, the
 * decoded length for MMIO, 0 to re-execute after accepting a pending page), or a negative
 * value after which the guest stops with ReportFatalError: nothing is ever silently skipped.
 */
#include "tdx/vmx.h"
#include "tdxguest/console.h"
#include "tdxguest/insn.h"
#include "tdxguest/io.h"
#include "tdxguest/mem.h"
#include "tdxguest/mmio.h"
#include "tdxguest/smp.h"
#include "tdxguest/ve.h"

#define NR_VECTORS 256 /* 0-31 exceptions, 32-255 external interrupts (tdxguest/smp.h) */
#define EFLAGS_IF  0x200
#define EFLAGS_DF  0x400

extern const char tdx_exc_stubs[];
extern const char __image_start[], __image_end[];

u64 tdx_ve_count;

static u8 idt[NR_VECTORS * 16] __attribute__((aligned(16)));
static struct {
	u16 limit;
	u64 base;
} __attribute__((packed)) idtr;
static void (*ve_handler)(struct pt_regs *regs);
static tdx_trap_handler_t trap_handlers[FIRST_EXTERNAL_VECTOR];
static bool in_fatal;

/*
 * The fatal end of the exception path: ReportFatalError with "<what> rip 0x<RIP>", numbers
 * as everywhere in the SDK's messages (hex with 0x, vectors and exit reasons in decimal).
 * A fault while reporting parks the CPU instead of recursing; the VMM stops the TD on the
 * report the first one makes, and a CPU parked here is kicked out then.
 */
static __attribute__((noreturn, format(printf, 2, 3))) void ve_fatal(const struct pt_regs *regs,
								     const char *fmt, ...)
{
	char what[TDVMCALL_REPORT_FATAL_ERROR_MSG_SIZE + 1];
	va_list ap;

	if (__atomic_exchange_n(&in_fatal, true, __ATOMIC_SEQ_CST))
		for (;;)
			__asm__ volatile("pause");
	va_start(ap, fmt);
	tdx_vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	tdx_panic(0, "%s rip 0x%lx", what, (unsigned long)regs->rip);
}

/*
 * An exception the guest has no handler for: "#PF err 0x4 cr2 0x1000 rip 0x7f000010014e"
 * (error code when the vector has one, CR2 for #PF). At most 64 bytes, the
 * ReportFatalError message; the VMM names the vector, decodes the error code and the RIP
 * (docs/GUEST.md "Fatal errors").
 */
static __attribute__((noreturn)) void exception_fatal(const struct pt_regs *regs)
{
	const struct x86_exception_desc *d = x86_exception((unsigned int)regs->vector);
	char what[40];
	int n;

	if (d->mnemonic)
		n = tdx_snprintf(what, sizeof(what), "%s", d->mnemonic);
	else
		n = tdx_snprintf(what, sizeof(what), "vector %u", (unsigned int)regs->vector);
	if (d->error_code)
		n += tdx_snprintf(what + n, sizeof(what) - (size_t)n, " err 0x%lx",
				  (unsigned long)(regs->error_code & 0xFFFFFFFF));
	if (regs->vector == X86_TRAP_PF) {
		u64 cr2;

		__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
		tdx_snprintf(what + n, sizeof(what) - (size_t)n, " cr2 0x%lx", (unsigned long)cr2);
	}
	ve_fatal(regs, "%s", what);
}

void tdx_idt_init(void)
{
	u16 cs;

	__asm__ volatile("movw %%cs, %0" : "=r"(cs));
	for (unsigned int v = 0; v < NR_VECTORS; v++) {
		u64 h = (uintptr_t)tdx_exc_stubs + 16 * v;
		u64 d[2];

		/* 64-bit interrupt gate: offset 15:0 / 31:16 / 63:32, selector, P=1, type 0xE. */
		d[0] = (h & 0xFFFF) | ((u64)cs << 16) | (0x8EULL << 40) |
		       ((h & 0xFFFF0000ULL) << 32);
		d[1] = h >> 32;
		memcpy(idt + 16 * v, d, sizeof(d));
	}
	ve_handler = tdx_early_handle_ve;
	idtr.limit = sizeof(idt) - 1;
	idtr.base = (uintptr_t)idt;
	tdx_idt_load();
}

/* Every CPU loads the one IDT (an AP when it starts, tdxguest/smp.h). */
void tdx_idt_load(void)
{
	__asm__ volatile("lidt %0" : : "m"(idtr) : "memory");
}

void tdx_ve_init(void)
{
	ve_handler = handle_ve;
}

int tdx_trap_register(unsigned int vector, tdx_trap_handler_t fn)
{
	if (vector >= FIRST_EXTERNAL_VECTOR)
		return -TDX_EINVAL;
	__atomic_store_n(&trap_handlers[vector], fn, __ATOMIC_RELEASE);
	return 0;
}

void tdx_exception(struct pt_regs *regs)
{
	tdx_trap_handler_t fn;

	regs->gpr[INSN_RSP] = regs->rsp;
	if (regs->vector >= FIRST_EXTERNAL_VECTOR) {
		tdx_handle_irq(regs);
		return;
	}
	fn = __atomic_load_n(&trap_handlers[regs->vector], __ATOMIC_ACQUIRE);
	if (fn) {
		if (regs->vector == X86_TRAP_VE)
			__atomic_fetch_add(&tdx_ve_count, 1, __ATOMIC_RELAXED);
		fn(regs);
		return;
	}
	if (regs->vector == X86_TRAP_VE) {
		__atomic_fetch_add(&tdx_ve_count, 1, __ATOMIC_RELAXED); /* from any CPU */
		ve_handler(regs);
		return;
	}
	exception_fatal(regs);
}

void tdx_get_ve_info(struct tdx_ve *ve)
{
	struct tdx_module_args args = {0};
	u64 ret = __tdcall(TDG_VP_VEINFO_GET, &args);

	if (ret)
		tdx_panic(0, "TDG.VP.VEINFO.GET failed: 0x%lx", (unsigned long)ret);
	ve->exit_reason = args.rcx;
	ve->exit_qual = args.rdx;
	ve->gla = args.r8;
	ve->gpa = args.r9;
	ve->instr_len = (u32)args.r10;
	ve->instr_info = (u32)(args.r10 >> 32);
}

/* The VE instruction length, trusted for HLT, MSR, CPUID and I/O only. */
static int ve_len(const struct tdx_ve *ve)
{
	return ve->instr_len >= 1 && ve->instr_len <= INSN_MAX_LEN ? (int)ve->instr_len : -1;
}

/* Port I/O, string forms element by element (updating RSI/RDI/RCX as the CPU would). */
static int handle_io(struct pt_regs *regs, const struct tdx_ve *ve)
{
	u64 q = ve->exit_qual;
	unsigned int size = tdx_io_qual_size(q);
	bool in = tdx_io_qual_is_in(q);
	u16 port = (u16)((q & EXIT_QUAL_IO_PORT_MASK) >> EXIT_QUAL_IO_PORT_SHIFT);
	u32 v;

	if (size != 1 && size != 2 && size != 4)
		return -1;
	if (!tdx_io_qual_is_string(q)) {
		v = (u32)regs->gpr[INSN_RAX];
		if (tdx_io_hypercall(size, !in, port, &v) && !in)
			return -1;
		if (in)
			regs->gpr[INSN_RAX] = tdx_io_merge(regs->gpr[INSN_RAX], size, v);
		return ve_len(ve);
	}

	bool rep = q & EXIT_QUAL_IO_REP;
	u64 count = rep ? regs->gpr[INSN_RCX] : 1;
	int64_t step = (regs->rflags & EFLAGS_DF) ? -(int64_t)size : (int64_t)size;
	int reg = in ? INSN_RDI : INSN_RSI;

	while (count) {
		u8 *p = (u8 *)(uintptr_t)regs->gpr[reg];

		if (in) {
			tdx_io_hypercall(size, false, port, &v);
			memcpy(p, &v, size);
		} else {
			v = 0;
			memcpy(&v, p, size);
			if (tdx_io_hypercall(size, true, port, &v))
				return -1;
		}
		regs->gpr[reg] += (u64)step;
		count--;
		if (rep)
			regs->gpr[INSN_RCX] = count;
	}
	return ve_len(ve);
}

static int handle_hlt(struct pt_regs *regs, const struct tdx_ve *ve)
{
	bool blocked = !(regs->rflags & EFLAGS_IF);

	if (tdvmcall(TDVMCALL_INSTRUCTION_HLT, blocked, 0, 0, 0, NULL))
		return -1;
	return ve_len(ve);
}

static int handle_rdmsr(struct pt_regs *regs, const struct tdx_ve *ve)
{
	u64 val;

	if (tdvmcall(TDVMCALL_INSTRUCTION_RDMSR, (u32)regs->gpr[INSN_RCX], 0, 0, 0, &val))
		return -1;
	regs->gpr[INSN_RAX] = (u32)val;
	regs->gpr[INSN_RDX] = val >> 32;
	return ve_len(ve);
}

static int handle_wrmsr(struct pt_regs *regs, const struct tdx_ve *ve)
{
	u64 val = (regs->gpr[INSN_RDX] << 32) | (u32)regs->gpr[INSN_RAX];

	if (tdvmcall(TDVMCALL_INSTRUCTION_WRMSR, (u32)regs->gpr[INSN_RCX], val, 0, 0, NULL))
		return -1;
	return ve_len(ve);
}

/* CPUID that reached #VE: the hypervisor range goes to the VMM, everything else reads 0. */
static int handle_cpuid(struct pt_regs *regs, const struct tdx_ve *ve)
{
	u32 leaf = (u32)regs->gpr[INSN_RAX];
	struct tdx_module_args args = {
		.r10 = TDX_HYPERCALL_STANDARD,
		.r11 = TDVMCALL_INSTRUCTION_CPUID,
		.r12 = leaf,
		.r13 = (u32)regs->gpr[INSN_RCX],
	};

	if (leaf < 0x40000000 || leaf > 0x4FFFFFFF) {
		regs->gpr[INSN_RAX] = regs->gpr[INSN_RBX] = 0;
		regs->gpr[INSN_RCX] = regs->gpr[INSN_RDX] = 0;
		return ve_len(ve);
	}
	if (__tdx_hypercall(&args))
		return -1;
	regs->gpr[INSN_RAX] = (u32)args.r12;
	regs->gpr[INSN_RBX] = (u32)args.r13;
	regs->gpr[INSN_RCX] = (u32)args.r14;
	regs->gpr[INSN_RDX] = (u32)args.r15;
	return ve_len(ve);
}

u64 tdx_mmio_ea(const struct insn_mmio *insn, const struct pt_regs *regs)
{
	u64 ea = insn_mmio_addr(insn, regs->gpr, regs->rip), base = 0;

	/* In 64-bit mode only FS and GS have a base; a program that uses them set it. */
	if (insn->mem.seg == INSN_SEG_FS)
		__asm__ volatile("rdfsbase %0" : "=r"(base));
	else if (insn->mem.seg == INSN_SEG_GS)
		__asm__ volatile("rdgsbase %0" : "=r"(base));
	return ea + base;
}

/*
 * Decoded MMIO instructions by RIP: a driver's accessors are a few instructions run again
 * and again, so each is decoded once. An entry holds the instruction's bytes and is used
 * only while the bytes at RIP are still those (code rewritten or remapped in between is
 * decoded again), so nothing needs to drop it. vCPUs share the table: each entry is a
 * sequence lock, odd while written; a reader that sees it change, and a writer that finds
 * it taken, decode as without it.
 */
#define MMIO_CACHE_SIZE 16 /* a power of 2 */

struct mmio_cache_entry {
	u32 seq;
	u64 rip;
	u8 bytes[INSN_MAX_LEN];
	struct insn_mmio insn;
};

static struct mmio_cache_entry mmio_cache[MMIO_CACHE_SIZE];
u64 tdx_mmio_decodes; /* instructions decoded, cache misses (tests, benchmarks) */

static struct mmio_cache_entry *mmio_cache_slot(u64 rip)
{
	return &mmio_cache[(rip ^ (rip >> 6)) & (MMIO_CACHE_SIZE - 1)];
}

static bool same_bytes(const u8 *a, const u8 *b, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

static bool mmio_cache_get(u64 rip, struct insn_mmio *insn)
{
	struct mmio_cache_entry *e = mmio_cache_slot(rip);
	u32 seq = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
	u8 bytes[INSN_MAX_LEN];
	u64 r;

	if (seq & 1)
		return false;
	r = e->rip;
	memcpy(insn, &e->insn, sizeof(*insn));
	memcpy(bytes, e->bytes, sizeof(bytes));
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&e->seq, __ATOMIC_RELAXED) != seq || !seq || r != rip)
		return false;
	return same_bytes(bytes, (const u8 *)(uintptr_t)rip, insn->len);
}

static void mmio_cache_put(u64 rip, const struct insn_mmio *insn)
{
	struct mmio_cache_entry *e = mmio_cache_slot(rip);
	u32 seq = __atomic_load_n(&e->seq, __ATOMIC_RELAXED);

	if ((seq & 1) || !__atomic_compare_exchange_n(&e->seq, &seq, seq + 1, false,
						      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	e->rip = rip;
	memcpy(e->bytes, (const u8 *)(uintptr_t)rip, insn->len);
	memcpy(&e->insn, insn, sizeof(*insn));
	__atomic_store_n(&e->seq, seq + 2, __ATOMIC_RELEASE);
}

/* MMIO: decode the faulting MOV (once per RIP), forward it as #VE.RequestMMIO (shared GPAs
 * only). */
static int handle_mmio(struct pt_regs *regs, const struct tdx_ve *ve)
{
	const u8 *ip = (const u8 *)(uintptr_t)regs->rip;
	size_t avail = INSN_MAX_LEN;
	struct insn_mmio insn;
	enum insn_err err;
	u64 val, ea;

	if (!mmio_cache_get(regs->rip, &insn)) {
		if (regs->rip >= (uintptr_t)__image_start && regs->rip < (uintptr_t)__image_end &&
		    (uintptr_t)__image_end - regs->rip < avail)
			avail = (uintptr_t)__image_end - regs->rip;
		err = insn_decode_mmio(ip, avail, &insn);
		if (err != INSN_OK)
			ve_fatal(regs, "MMIO decode: %s", insn_strerror(err));
		__atomic_fetch_add(&tdx_mmio_decodes, 1, __ATOMIC_RELAXED);
		mmio_cache_put(regs->rip, &insn);
	}
	/*
	 * The decoded operand, not the #VE's GLA: for an access that starts in a mapped page
	 * and runs into the MMIO page, the GLA is the start of the MMIO page (where the access
	 * faulted), and emulating there would read or write the wrong bytes.
	 */
	ea = tdx_mmio_ea(&insn, regs);
	if (insn_mmio_crosses_page(ea, insn.size))
		ve_fatal(regs, "MMIO %u bytes at 0x%lx cross a page", insn.size, (unsigned long)ea);
	if (insn_mmio_crosses_page(ve->gpa, insn.size))
		ve_fatal(regs, "MMIO crosses a page at GPA 0x%lx", (unsigned long)ve->gpa);
	switch (insn.kind) {
	case INSN_MMIO_WRITE:
	case INSN_MMIO_WRITE_IMM:
		val = insn_mmio_store_value(&insn, regs->gpr);
		if (tdx_mmio_hypercall(insn.size, true, ve->gpa, &val))
			ve_fatal(regs, "MMIO write failed at GPA 0x%lx", (unsigned long)ve->gpa);
		break;
	default:
		if (insn.reg == INSN_RSP)
			ve_fatal(regs, "MMIO read into RSP at GPA 0x%lx", (unsigned long)ve->gpa);
		if (tdx_mmio_hypercall(insn.size, false, ve->gpa, &val))
			ve_fatal(regs, "MMIO read failed at GPA 0x%lx", (unsigned long)ve->gpa);
		insn_mmio_load(&insn, regs->gpr, val);
		break;
	}
	return insn.len;
}

/*
 * A private GPA raises #VE only for a PENDING page, in a TD without SEPT_VE_DISABLE (ABI
 * §5): the VMM added a page the guest never accepted. The Linux guest panics; with
 * tdx_accept_on_ve the page is accepted and the access re-executed (RIP += 0).
 */
static int handle_pending_page(struct pt_regs *regs, const struct tdx_ve *ve)
{
	u64 s;

	if (!tdx_accept_on_ve)
		ve_fatal(regs, "#VE EPT violation on private GPA 0x%lx", (unsigned long)ve->gpa);
	s = tdx_accept_page(ve->gpa & ~(TDX_PAGE_SIZE - 1), TDX_PS_4K);
	if (s && tdx_status_code(s) != TDX_PAGE_ALREADY_ACCEPTED)
		ve_fatal(regs, "#VE ACCEPT failed: 0x%lx", (unsigned long)s);
	__atomic_fetch_add(&tdx_ve_accept_count, 1, __ATOMIC_RELAXED);
	return 0;
}

/* EPT violation: MMIO on a shared GPA, a pending page on a private one. */
static int handle_ept_violation(struct pt_regs *regs, const struct tdx_ve *ve)
{
	if (ve->gpa & tdx_shared_mask())
		return handle_mmio(regs, ve);
	return handle_pending_page(regs, ve);
}

struct ve_handler_entry {
	u32 exit_reason;
	int (*fn)(struct pt_regs *regs, const struct tdx_ve *ve);
};

static const struct ve_handler_entry ve_table[] = {
	{EXIT_REASON_HLT, handle_hlt},		 {EXIT_REASON_MSR_READ, handle_rdmsr},
	{EXIT_REASON_MSR_WRITE, handle_wrmsr},	 {EXIT_REASON_CPUID, handle_cpuid},
	{EXIT_REASON_IO_INSTRUCTION, handle_io}, {EXIT_REASON_EPT_VIOLATION, handle_ept_violation},
};

static void dispatch(struct pt_regs *regs, const struct tdx_ve *ve,
		     const struct ve_handler_entry *table, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (table[i].exit_reason != (u32)ve->exit_reason)
			continue;
		int len = table[i].fn(regs, ve);
		if (len < 0)
			ve_fatal(regs, "#VE not handled, exit reason %u", (u32)ve->exit_reason);
		regs->rip += (u64)len;
		return;
	}
	ve_fatal(regs, "#VE unexpected exit reason %u", (u32)ve->exit_reason);
}

void handle_ve(struct pt_regs *regs)
{
	struct tdx_ve ve;

	tdx_get_ve_info(&ve);
	dispatch(regs, &ve, ve_table, sizeof(ve_table) / sizeof(ve_table[0]));
}

/* Before the runtime is up: port I/O only, everything else is fatal. */
void tdx_early_handle_ve(struct pt_regs *regs)
{
	static const struct ve_handler_entry early_table[] = {
		{EXIT_REASON_IO_INSTRUCTION, handle_io},
	};
	struct tdx_ve ve;

	tdx_get_ve_info(&ve);
	dispatch(regs, &ve, early_table, 1);
}
