// SPDX-License-Identifier: MIT
/*
 * fuzz_guest_ve - the guest's #VE handlers (guest/lib/ve.c with io.c, mmio.c, tdx.c,
 * insn_decode.c, built for the host by guest_ve_host.c) against a malicious VMM and a
 * misbehaving TDX module.
 *
 * Here __tdcall is the module: TDG.VP.VEINFO.GET and TDG.VP.INFO answer from the input, and
 * TDG.VP.VMCALL is the VMM, whose R10 (status), R11 (value) and every other register the
 * guest exposes come from the input too. The input also gives the #VE frame (GPRs, RFLAGS) and
 * the bytes at RIP. The fatal path (ReportFatalError) longjmps back here.
 *
 * Input: mode (1 byte), exit reason selector (1, raw u64 after it when >= 240), exit
 * qualification, GLA, GPA (u64 each), instruction length (1), 16 GPRs and RFLAGS (u64 each),
 * instruction byte count (1) and bytes, then the VMM's answers: per TDVMCALL a status
 * selector (1) and R11 (u64). Missing bytes read as 0.
 *
 * Checked after each #VE (abort with a message; libFuzzer keeps the input):
 *  - the handler returns only for an exit reason it handles (port I/O only in the early one),
 *    after every TDVMCALL it made succeeded (an IN that fails reads all ones), with RIP
 *    advanced by the VE instruction length (1..15), or for MMIO by the length Zydis decodes;
 *  - the TDVMCALLs are the ones the exit asks for (sub-function, size, direction, port, MSR,
 *    GPA with the shared bit, value), and no other register than the exit's outputs changed,
 *    with the value the VMM gave, cut to the size x86 writes;
 *  - a well-formed exit that the VMM serves with success is not fatal;
 *  - no crash, no sanitizer report, no read past the instruction bytes (they end the image).
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

#include <Zydis/Zydis.h>

#include "guest_ve_host.h"
#include "tdx/status.h"
#include "tdx/vmx.h"
#include "tdxguest/insn.h"
#include "tdxguest/mem.h"
#include "tdxguest/ve.h"

/* ---- what the guest links against: the image, the exception stubs ---------------------- */

/* The image ends right after the instruction bytes, so the decoder may read only those. */
#define IMAGE_SIZE 64
char fuzz_image[IMAGE_SIZE];
__asm__(".globl __image_start\n.set __image_start, fuzz_image\n"
	".globl __image_end\n.set __image_end, fuzz_image + 64\n");
_Static_assert(IMAGE_SIZE == 64, "the .set above");
const char tdx_exc_stubs[16 * 32];

/* cpu.c (CPL0 set-up: GDT, CR4, XCR0) is not linked: tdx_guest_start() never runs here. */
void tdx_cpu_init(void)
{
	fprintf(stderr, "fuzz_guest_ve: tdx_cpu_init called\n");
	abort();
}

/* smp.c is not linked: the harness delivers only #VE, never an external interrupt. */
void tdx_handle_irq(struct pt_regs *regs)
{
	(void)regs;
	fprintf(stderr, "fuzz_guest_ve: an external interrupt reached tdx_exception\n");
	abort();
}

/* ---- the input ------------------------------------------------------------------------- */

struct input {
	const uint8_t *p;
	size_t n;
};

static uint8_t get_u8(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint64_t get_u64(struct input *in)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)get_u8(in) << (8 * i);
	return v;
}

/* ---- the fake module and VMM ----------------------------------------------------------- */

#define MAX_CALLS	64
#define MODE_EARLY	0x01 /* the early handler (port I/O only) */
#define MODE_RIP_OUT	0x02 /* RIP outside the image: the decoder may read 15 bytes */
#define MODE_GPAW_48	0x04 /* TDG.VP.INFO says GPAW 48 (else 52) */
#define MODE_GPAW_BAD	0x08 /* ... an invalid GPAW */
#define MODE_VEINFO_ERR 0x10 /* TDG.VP.VEINFO.GET fails */
#define MODE_SHARED	0x20 /* set the shared bit in the GPA */
#define MODE_GLA_GPA	0x40 /* GLA = GPA (same page offset) */
#define MODE_ACCEPT	0x80 /* tdx_accept_on_ve: a #VE on a private GPA accepts the page */

struct call {
	struct tdx_module_args in, out;
};

static struct {
	struct input *in;
	uint8_t mode;
	struct tdx_ve ve;
	int veinfo_reads;
	struct call calls[MAX_CALLS];
	int ncalls;
	int accepts; /* TDG.MEM.PAGE.ACCEPT calls */
	u64 accept_rcx, accept_status;
	jmp_buf fatal;
	bool fatal_armed;
} fz;

static void die(const char *why)
{
	fprintf(stderr, "fuzz_guest_ve: %s (exit reason %#lx, qual %#lx, len %u, %d TDVMCALLs)\n",
		why, (unsigned long)fz.ve.exit_reason, (unsigned long)fz.ve.exit_qual,
		fz.ve.instr_len, fz.ncalls);
	abort();
}

static uint64_t vmm_status(uint8_t sel)
{
	if (sel < 160)
		return TDVMCALL_STATUS_SUCCESS;
	if (sel < 192)
		return TDVMCALL_STATUS_RETRY;
	if (sel < 250)
		return TDVMCALL_STATUS_INVALID_OPERAND;
	return get_u64(fz.in);
}

u64 __tdcall(u64 fn, struct tdx_module_args *args)
{
	switch (fn) {
	case TDG_VP_VEINFO_GET:
		/* Valid once per #VE, as on TDX. */
		if (fz.veinfo_reads++ || (fz.mode & MODE_VEINFO_ERR))
			return 0xC000000000000B04ULL; /* some error status */
		args->rcx = fz.ve.exit_reason;
		args->rdx = fz.ve.exit_qual;
		args->r8 = fz.ve.gla;
		args->r9 = fz.ve.gpa;
		args->r10 = fz.ve.instr_len | (u64)fz.ve.instr_info << 32;
		return 0;
	case TDG_VP_INFO:
		memset(args, 0, sizeof(*args));
		args->rcx = fz.mode & MODE_GPAW_BAD ? 47 : fz.mode & MODE_GPAW_48 ? 48 : 52;
		return 0;
	case TDG_MEM_PAGE_ACCEPT: {
		/* The module's answer: success, already accepted (success too), or any status. */
		uint8_t sel = get_u8(fz.in);

		fz.accepts++;
		fz.accept_rcx = args->rcx;
		fz.accept_status = sel < 128   ? 0
				   : sel < 192 ? TDX_PAGE_ALREADY_ACCEPTED | (sel & 3)
					       : get_u64(fz.in);
		return fz.accept_status;
	}
	case TDG_VP_VMCALL:
		break;
	default:
		die("TDCALL of an unexpected leaf");
	}

	if (args->rcx != TDVMCALL_EXPOSE_REGS_MASK || args->r10 != TDX_HYPERCALL_STANDARD)
		die("TDVMCALL with an unexpected RCX or R10");
	if (args->r11 == TDVMCALL_REPORT_FATAL_ERROR) {
		if (!fz.fatal_armed)
			die("ReportFatalError outside a #VE");
		longjmp(fz.fatal, 1);
	}
	if (fz.ncalls == MAX_CALLS)
		die("too many TDVMCALLs for one #VE");
	struct call *c = &fz.calls[fz.ncalls++];
	c->in = *args;
	/* The VMM writes every register the guest exposed. */
	args->r10 = vmm_status(get_u8(fz.in));
	args->r11 = get_u64(fz.in);
	args->rdx = args->rbx = args->rsi = args->rdi = 0xbad0bad0bad0bad0ULL;
	args->r8 = args->r9 = args->r12 = args->r13 = args->r14 = args->r15 = ~args->r11;
	c->out = *args;
	return 0;
}

/* ---- checking -------------------------------------------------------------------------- */

static uint64_t mask_bytes(unsigned int n)
{
	return n >= 8 ? ~0ULL : (1ULL << (8 * n)) - 1;
}

/* Only the registers in `may` (bit per GPR) changed. */
static void check_untouched(const struct pt_regs *before, const struct pt_regs *after,
			    unsigned int may)
{
	for (int i = 0; i < 16; i++)
		if (!(may & (1u << i)) && before->gpr[i] != after->gpr[i])
			die("a register the exit does not write changed");
	if (before->rflags != after->rflags || before->cs != after->cs ||
	    before->rsp != after->rsp || before->ss != after->ss)
		die("the frame changed");
}

static const struct call *expect_call(int i, u64 subfn)
{
	if (i >= fz.ncalls)
		die("a TDVMCALL is missing");
	if (fz.calls[i].in.r11 != subfn)
		die("TDVMCALL of the wrong sub-function");
	return &fz.calls[i];
}

/* Each call succeeded (an IN may fail: it reads all ones). */
static bool all_succeeded(bool in_may_fail)
{
	for (int i = 0; i < fz.ncalls; i++)
		if (fz.calls[i].out.r10 && !(in_may_fail && fz.calls[i].in.r13 == TDVMCALL_IO_READ))
			return false;
	return true;
}

static bool len_ok(void)
{
	return fz.ve.instr_len >= 1 && fz.ve.instr_len <= INSN_MAX_LEN;
}

static void check_io(const struct pt_regs *b, const struct pt_regs *a, bool fatal)
{
	u64 q = fz.ve.exit_qual;
	unsigned int size = tdx_io_qual_size(q);
	bool in = tdx_io_qual_is_in(q);
	bool string = tdx_io_qual_is_string(q), rep = tdx_io_qual_is_rep(q);
	u64 count = string ? (rep ? b->gpr[INSN_RCX] : 1) : 1;

	if (size != 1 && size != 2 && size != 4) {
		if (!fatal || fz.ncalls)
			die("I/O of an invalid size not refused before any TDVMCALL");
		return;
	}
	if (fatal) {
		if (len_ok() && all_succeeded(true) && (u64)fz.ncalls == count)
			die("well-formed port I/O served with success ended fatally");
		return;
	}
	if ((u64)fz.ncalls != count)
		die("port I/O: not one TDVMCALL per element");
	for (int i = 0; i < fz.ncalls; i++) {
		const struct call *c = expect_call(i, TDVMCALL_INSTRUCTION_IO);

		if (c->in.r12 != size || c->in.r13 != (in ? TDVMCALL_IO_READ : TDVMCALL_IO_WRITE) ||
		    c->in.r14 != tdx_io_qual_port(q) || (in && c->in.r15) ||
		    (c->in.r15 & ~mask_bytes(size)))
			die("port I/O: TDVMCALL arguments differ from the exit qualification");
	}
	if (!all_succeeded(true))
		die("port I/O: returned after a failed OUT");
	if (!string) {
		check_untouched(b, a, 1u << INSN_RAX);
		if (!in) {
			if (a->gpr[INSN_RAX] != b->gpr[INSN_RAX] ||
			    fz.calls[0].in.r15 != (b->gpr[INSN_RAX] & mask_bytes(size)))
				die("OUT: wrong value");
			return;
		}
		u64 v = (fz.calls[0].out.r10 ? ~0ULL : fz.calls[0].out.r11) & mask_bytes(size);
		u64 want = size == 4 ? v : (b->gpr[INSN_RAX] & ~mask_bytes(size)) | v;
		if (a->gpr[INSN_RAX] != want)
			die("IN: RAX is not the value read merged as x86 does");
		return;
	}
	int reg = in ? INSN_RDI : INSN_RSI;
	int64_t step = (b->rflags & 0x400) ? -(int64_t)size : (int64_t)size;
	check_untouched(b, a, 1u << reg | (rep ? 1u << INSN_RCX : 0));
	if (a->gpr[reg] != b->gpr[reg] + count * (u64)step || (rep && a->gpr[INSN_RCX] != 0))
		die("string I/O: RSI/RDI/RCX not advanced as the CPU does");
}

/* The Zydis view of the instruction at RIP. */
static ZydisDecoder zd;

static void check_mmio(const struct pt_regs *b, const struct pt_regs *a, bool fatal,
		       const uint8_t *ip, size_t avail)
{
	ZydisDecodedInstruction zi;
	ZydisDecodedOperand zo[ZYDIS_MAX_OPERAND_COUNT];
	const ZydisDecodedOperand *mem = NULL, *reg = NULL;
	struct insn_mmio insn;
	unsigned int gpaw = fz.mode & MODE_GPAW_48 ? 48 : 52;
	u64 shared = 1ULL << (gpaw - 1);
	bool ours = insn_decode_mmio(ip, avail, &insn) == INSN_OK;
	bool zok = ZYAN_SUCCESS(ZydisDecoderDecodeFull(&zd, ip, avail, &zi, zo));

	if (fatal) {
		if (!(fz.mode & MODE_GPAW_BAD) && (fz.ve.gpa & shared) && ours &&
		    !insn_mmio_crosses_page(tdx_mmio_ea(&insn, b), insn.size) &&
		    !insn_mmio_crosses_page(fz.ve.gpa, insn.size) && insn.reg != INSN_RSP &&
		    fz.ncalls == 1 && all_succeeded(false))
			die("well-formed MMIO served with success ended fatally");
		return;
	}
	if (fz.mode & MODE_GPAW_BAD)
		die("MMIO handled with an invalid GPA width");
	if (!(fz.ve.gpa & shared))
		die("MMIO handled for a private GPA");
	if (!ours || !zok)
		die("MMIO handled for an instruction one of the decoders refuses");
	if (a->rip - b->rip != zi.length)
		die("MMIO: RIP not advanced by the instruction's length");
	for (int i = 0; i < zi.operand_count_visible; i++) {
		if (zo[i].type == ZYDIS_OPERAND_TYPE_MEMORY)
			mem = &zo[i];
		if (zo[i].type == ZYDIS_OPERAND_TYPE_REGISTER)
			reg = &zo[i];
	}
	if (!mem)
		die("MMIO handled for an instruction without a memory operand");
	bool write = mem->actions & ZYDIS_OPERAND_ACTION_WRITE;
	unsigned int size = mem->size / 8;
	const struct call *c = expect_call(0, TDVMCALL_VE_REQUEST_MMIO);
	if (fz.ncalls != 1 || !all_succeeded(false))
		die("MMIO: not exactly one successful RequestMMIO");
	if (c->in.r12 != size || c->in.r13 != (write ? TDVMCALL_IO_WRITE : TDVMCALL_IO_READ) ||
	    c->in.r14 != fz.ve.gpa || (!write && c->in.r15))
		die("MMIO: RequestMMIO arguments differ from the instruction");
	/* The operand's address (not the #VE's GLA, the faulting page's start for a split). */
	if (insn_mmio_crosses_page(fz.ve.gpa, size) ||
	    insn_mmio_crosses_page(tdx_mmio_ea(&insn, b), size))
		die("MMIO: handled an access that crosses a page");
	if (write) {
		check_untouched(b, a, 0);
		if (c->in.r15 & ~mask_bytes(size))
			die("MMIO write: value wider than the access");
		return;
	}
	if (!reg)
		die("MMIO read without a destination register");
	/* Destination: Zydis register, its width, zero/sign extension; 32-bit zero-extends. */
	ZydisRegister r = reg->reg.value;
	unsigned int width = ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, r) / 8;
	bool high = r >= ZYDIS_REGISTER_AH && r <= ZYDIS_REGISTER_BH;
	int n = high ? (int)(r - ZYDIS_REGISTER_AH)
		     : (int)(ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r) -
			     ZYDIS_REGISTER_RAX);
	u64 v = c->out.r11 & mask_bytes(size), old = b->gpr[n], want;

	if (n < 0 || n > 15 || n == INSN_RSP)
		die("MMIO read into an unexpected register");
	if (zi.mnemonic == ZYDIS_MNEMONIC_MOVSX && (v >> (8 * size - 1)) & 1)
		v |= ~mask_bytes(size);
	v &= mask_bytes(width);
	if (high)
		want = (old & ~0xff00ULL) | v << 8;
	else if (width >= 4)
		want = v;
	else
		want = (old & ~mask_bytes(width)) | v;
	check_untouched(b, a, 1u << n);
	if (a->gpr[n] != want)
		die("MMIO read: destination register has the wrong value");
}

/* The exits served by one TDVMCALL: HLT, RDMSR, WRMSR, CPUID of the hypervisor range. */
static void check_simple(const struct pt_regs *b, const struct pt_regs *a, bool fatal, u64 subfn,
			 unsigned int may)
{
	if (fatal) {
		if (len_ok() && fz.ncalls == 1 && all_succeeded(false))
			die("a well-formed exit served with success ended fatally");
		return;
	}
	const struct call *c = expect_call(0, subfn);
	if (fz.ncalls != 1 || !all_succeeded(false))
		die("not exactly one successful TDVMCALL");
	check_untouched(b, a, may);
	switch (subfn) {
	case TDVMCALL_INSTRUCTION_HLT:
		if (c->in.r12 != !(b->rflags & 0x200))
			die("HLT: R12 is not 'interrupts blocked'");
		break;
	case TDVMCALL_INSTRUCTION_RDMSR:
		if (c->in.r12 != (u32)b->gpr[INSN_RCX] || a->gpr[INSN_RAX] != (u32)c->out.r11 ||
		    a->gpr[INSN_RDX] != c->out.r11 >> 32)
			die("RDMSR: wrong MSR or result");
		break;
	case TDVMCALL_INSTRUCTION_WRMSR:
		if (c->in.r12 != (u32)b->gpr[INSN_RCX] ||
		    c->in.r13 != ((b->gpr[INSN_RDX] << 32 | (u32)b->gpr[INSN_RAX])))
			die("WRMSR: wrong MSR or value");
		break;
	case TDVMCALL_INSTRUCTION_CPUID:
		if (c->in.r12 != (u32)b->gpr[INSN_RAX] || c->in.r13 != (u32)b->gpr[INSN_RCX] ||
		    a->gpr[INSN_RAX] != (u32)c->out.r12 || a->gpr[INSN_RBX] != (u32)c->out.r13 ||
		    a->gpr[INSN_RCX] != (u32)c->out.r14 || a->gpr[INSN_RDX] != (u32)c->out.r15)
			die("CPUID: wrong leaf or result");
		break;
	}
}

/*
 * A private GPA: a pending page. Without tdx_accept_on_ve fatal at once; with it, exactly one
 * 4K TDG.MEM.PAGE.ACCEPT of the GPA's page, no TDVMCALL, and back to the same instruction
 * (RIP unchanged, nothing else touched) when the module said success or already accepted.
 */
static void check_pending(const struct pt_regs *b, const struct pt_regs *a, bool fatal)
{
	bool ok =
		!fz.accept_status || tdx_status_code(fz.accept_status) == TDX_PAGE_ALREADY_ACCEPTED;

	if (fz.ncalls)
		die("pending page: a TDVMCALL was made");
	if (!(fz.mode & MODE_ACCEPT)) {
		if (!fatal || fz.accepts)
			die("pending page without tdx_accept_on_ve: not fatal at once");
		return;
	}
	if (fz.accepts != 1 || fz.accept_rcx != ((fz.ve.gpa & ~0xFFFULL) | TDX_PS_4K))
		die("pending page: not one 4K ACCEPT of the faulting page");
	if (fatal != !ok)
		die("pending page: fatal does not follow the ACCEPT status");
	if (!fatal) {
		check_untouched(b, a, 0);
		if (a->rip != b->rip)
			die("pending page: RIP moved (the access must be re-executed)");
	}
}

static void check(const struct pt_regs *b, const struct pt_regs *a, bool fatal, const uint8_t *ip,
		  size_t avail)
{
	u32 reason = (u32)fz.ve.exit_reason;
	bool early = fz.mode & MODE_EARLY;
	const unsigned int abcd = 1u << INSN_RAX | 1u << INSN_RBX | 1u << INSN_RCX | 1u << INSN_RDX;

	if (fz.veinfo_reads != 1)
		die("VEINFO.GET not read exactly once");
	if (fz.mode & MODE_VEINFO_ERR) {
		if (!fatal || fz.ncalls)
			die("VEINFO.GET failed and the handler went on");
		return;
	}
	bool handled = reason == EXIT_REASON_IO_INSTRUCTION ||
		       (!early && (reason == EXIT_REASON_HLT || reason == EXIT_REASON_MSR_READ ||
				   reason == EXIT_REASON_MSR_WRITE || reason == EXIT_REASON_CPUID ||
				   reason == EXIT_REASON_EPT_VIOLATION));
	if (!handled) {
		if (!fatal || fz.ncalls)
			die("an exit the handler does not know was not fatal at once");
		return;
	}
	if (!fatal && reason != EXIT_REASON_EPT_VIOLATION) {
		if (!len_ok())
			die("handled with an invalid VE instruction length");
		if (a->rip - b->rip != fz.ve.instr_len)
			die("RIP not advanced by the VE instruction length");
	}
	if (fatal && !len_ok() && reason != EXIT_REASON_EPT_VIOLATION)
		return; /* refused for the length: any TDVMCALL before is fine */
	switch (reason) {
	case EXIT_REASON_IO_INSTRUCTION:
		check_io(b, a, fatal);
		break;
	case EXIT_REASON_EPT_VIOLATION:
		if (!(fz.mode & MODE_GPAW_BAD) &&
		    !(fz.ve.gpa & 1ULL << ((fz.mode & MODE_GPAW_48 ? 48 : 52) - 1)))
			check_pending(b, a, fatal);
		else
			check_mmio(b, a, fatal, ip, avail);
		break;
	case EXIT_REASON_HLT:
		check_simple(b, a, fatal, TDVMCALL_INSTRUCTION_HLT, 0);
		break;
	case EXIT_REASON_MSR_READ:
		check_simple(b, a, fatal, TDVMCALL_INSTRUCTION_RDMSR,
			     1u << INSN_RAX | 1u << INSN_RDX);
		break;
	case EXIT_REASON_MSR_WRITE:
		check_simple(b, a, fatal, TDVMCALL_INSTRUCTION_WRMSR, 0);
		break;
	case EXIT_REASON_CPUID: {
		u32 leaf = (u32)b->gpr[INSN_RAX];
		if (leaf >= 0x40000000 && leaf <= 0x4FFFFFFF) {
			check_simple(b, a, fatal, TDVMCALL_INSTRUCTION_CPUID, abcd);
			break;
		}
		if (fatal || fz.ncalls)
			die("CPUID outside the hypervisor range: not answered with zeros");
		check_untouched(b, a, abcd);
		if (a->gpr[INSN_RAX] | a->gpr[INSN_RBX] | a->gpr[INSN_RCX] | a->gpr[INSN_RDX])
			die("CPUID outside the hypervisor range: not zeros");
		break;
	}
	}
}

/* ---- the fuzzer ------------------------------------------------------------------------ */

static const u32 reasons[] = {
	EXIT_REASON_HLT,   EXIT_REASON_MSR_READ,       EXIT_REASON_MSR_WRITE,
	EXIT_REASON_CPUID, EXIT_REASON_IO_INSTRUCTION, EXIT_REASON_EPT_VIOLATION,
};
#define NREASONS (sizeof(reasons) / sizeof(reasons[0]))

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return ZYAN_SUCCESS(ZydisDecoderInit(&zd, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64))
		       ? 0
		       : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};
	static uint8_t strbuf[512]; /* +-32 around the middle, then up to 31 x 4 bytes */
	struct pt_regs regs, before;
	uint8_t *ip, *outside = NULL;
	uint8_t sel, n;
	volatile bool fatal = false;
	size_t avail;

	memset(&fz, 0, sizeof(fz));
	fz.in = &in;
	guest_ve_reset();

	fz.mode = get_u8(&in);
	tdx_accept_on_ve = fz.mode & MODE_ACCEPT;
	sel = get_u8(&in);
	fz.ve.exit_reason = sel < 240 ? reasons[sel % NREASONS] : get_u64(&in);
	fz.ve.exit_qual = get_u64(&in);
	fz.ve.gla = get_u64(&in);
	fz.ve.gpa = get_u64(&in);
	fz.ve.instr_len = get_u8(&in);
	if (fz.mode & MODE_SHARED)
		fz.ve.gpa |= 1ULL << ((fz.mode & MODE_GPAW_48 ? 48 : 52) - 1);
	if (fz.mode & MODE_GLA_GPA)
		fz.ve.gla = fz.ve.gpa;

	memset(&regs, 0, sizeof(regs));
	for (int i = 0; i < 16; i++)
		regs.gpr[i] = get_u64(&in);
	regs.rflags = get_u64(&in);
	regs.vector = X86_TRAP_VE;
	regs.rsp = regs.gpr[INSN_RSP]; /* as tdx_exception() sets it */
	/* String I/O touches guest memory at RSI/RDI: keep it in a buffer, RCX small. */
	if ((u32)fz.ve.exit_reason == EXIT_REASON_IO_INSTRUCTION &&
	    tdx_io_qual_is_string(fz.ve.exit_qual)) {
		regs.gpr[INSN_RSI] = (uintptr_t)strbuf + 256 + (int8_t)regs.gpr[INSN_RSI] / 4;
		regs.gpr[INSN_RDI] = (uintptr_t)strbuf + 256 + (int8_t)regs.gpr[INSN_RDI] / 4;
		regs.gpr[INSN_RCX] &= 31;
	}

	/* The instruction (1-15 bytes): at the end of the image, or in a 15-byte heap buffer. */
	n = 1 + get_u8(&in) % INSN_MAX_LEN;
	if (fz.mode & MODE_RIP_OUT) {
		outside = calloc(1, INSN_MAX_LEN);
		if (!outside)
			abort();
		ip = outside;
		avail = INSN_MAX_LEN;
	} else {
		memset(fuzz_image, 0, sizeof(fuzz_image));
		ip = (uint8_t *)fuzz_image + IMAGE_SIZE - n;
		avail = n;
	}
	for (unsigned int i = 0; i < n; i++)
		ip[i] = get_u8(&in);
	regs.rip = (uintptr_t)ip;
	before = regs;

	fz.fatal_armed = true;
	if (setjmp(fz.fatal) == 0) {
		if (fz.mode & MODE_EARLY)
			tdx_early_handle_ve(&regs);
		else
			handle_ve(&regs);
	} else {
		fatal = true;
	}
	fz.fatal_armed = false;
	check(&before, &regs, fatal, ip, avail);
	free(outside);
	return 0;
}
