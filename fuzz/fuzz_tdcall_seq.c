// SPDX-License-Identifier: MIT
/*
 * fuzz_tdcall_seq - sequences of TDCALLs from a malicious guest against the software TDX
 * module, on machine "2s" after TDX is enabled (once per process).
 *
 * Each input runs in a TD built with tests/module/td_harness.c (the first input byte picks
 * one of four TD configurations; each is built once, and a module snapshot of it, restored
 * before every input, gives the input exactly the state the build gave): one vCPU; guest code at the reset vector; a control page; two
 * private buffer pages; a PENDING 4K page and a PENDING 2 MiB page (PAGE.AUG after
 * MR.FINALIZE, not accepted); a shared page mapped by the "VMM". The guest is a loop
 * (tdcall_guest below): load all GPRs but RSP from the control page, execute TDCALL, store
 * all GPRs back, and report with TDG.VP.VMCALL (nothing exposed). An exception (it has an
 * IDT for vectors 0..31) is recorded and reported the same way. The fuzzer writes each
 * call's registers into the control page through the module's view and enters the vCPU.
 *
 * Input, after the configuration byte, a sequence of up to 32 calls: a leaf byte (every TDG
 * leaf the module implements, one it does not, or a raw RAX with raw registers), a version
 * byte (versions 0..3, reserved RAX bits), a seed for the registers the leaf does not read,
 * one operand byte per register the leaf reads (RCX, RDX, R8, R9: VMCALL masks, buffer
 * GPAs at chosen offsets in private, pending, absent, shared-mapped, shared-unmapped and
 * beyond-GPAW pages, GPA|level words, metadata field IDs of each context, values, or raw
 * u64s), and a byte for the host: how often it declines to fix an EPT violation.
 *
 * The host answers TD exits as a VMM would: a TDG.VP.VMCALL with the values of its choice in
 * every register; an EPT violation with TDH.MEM.SEPT.ADD + TDH.MEM.PAGE.AUG at the level the
 * exit asks for (after declining 0..2 times, re-entering unchanged); when it cannot fix the
 * violation (a page is there already) it stops running the vCPU and the input ends.
 *
 * Oracles, after EVERY call: the status is one the leaf may return (an allow-list per leaf;
 * single vCPU, so never BUSY); every register the leaf does not write keeps the guest's
 * value; TDG.VP.INFO's outputs are exact; TDG.VP.VMCALL exposes exactly the GPRs named in
 * RCX (the others zero at the exit) and brings back exactly those (RAX 0, RCX the mask); a
 * #VE only from a leaf that reads a guest buffer, with VEINFO.GET then returning it once and
 * a second #VE before that becoming #DF; an EPT-violation exit only from those leaves and
 * ACCEPT, for a GPA the call named; tdx_pamt_check() and tdx_sept_check() report nothing.
 * At the end the TD is torn down in KVM's order and the PAMT must be clean
 * (fuzz_teardown.c); the next input starts from its snapshot, so inputs are independent. Any violation aborts with the call trace;
 * FUZZ_TRACE=1 prints the trace of a replayed input.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fuzz_input.h"
#include "fuzz_teardown.h"
#include "td.h"
#include "td_harness.h"
#include "tdx/vmx.h"

/* ---- the TD's memory ----------------------------------------------------------------------- */

#define CODE_GPA      0xFFFFF000ULL /* reset vector page */
#define CTRL_GPA      0xFFFFE000ULL /* registers in/out, IDT, stack */
#define BUF_A	      0xFFFFD000ULL /* private, accepted */
#define BUF_B	      0xFFFFC000ULL /* private, accepted, 48 bytes of pattern */
#define PEND_4K	      0xFFFFB000ULL /* AUGed, not accepted */
#define ABSENT_4K     0xFFFF9000ULL /* free entry in an existing 4K table */
#define PEND_2M	      0xFFC00000ULL /* AUGed 2 MiB, not accepted */
#define ABSENT_2M     0xFFA00000ULL /* free 2M entry */
#define NO_TABLE      0x1000ULL	    /* no Secure EPT table below the root */
#define SHARED_BIT    (1ULL << 47)  /* GPAW 48 in every configuration */
#define SHARED_MAPPED (SHARED_BIT | 0x2000ULL)
#define SHARED_HOLE   (SHARED_BIT | 0x3000ULL)
#define SHARED_HPA    0x1022000ULL /* host scratch page, outside the PAMTs */

/* Control page layout: GPRs in x86 order (RSP slot unused). */
#define C_IN	 0x000
#define C_OUT	 0x080
#define C_DONE	 0x100 /* the TDCALL completed */
#define C_VECTOR 0x108 /* an exception: vector + 1 */

extern const uint8_t tdcall_guest[], tdcall_guest_end[];
/* clang-format off */
__asm__(".pushsection .rodata\n"
	".p2align 4\n"
	".globl tdcall_guest, tdcall_guest_end\n"
	"tdcall_guest:\n"
	"	leaq tdcall_guest(%rip), %rsp\n"	/* stack: the top of the control page */
	"	leaq tdcall_guest-0x1000(%rip), %rdi\n"
	"	leaq ex_stubs(%rip), %rax\n"
	"	xorl %esi, %esi\n"
	/* IDT at +0x200: 32 interrupt gates, gate i -> ex_stubs + 16 * i */
	"1:	movq %rax, %rdx\n"
	"	andl $0xffff, %edx\n"
	"	movq %rax, %rcx\n"
	"	shrq $16, %rcx\n"
	"	andl $0xffff, %ecx\n"
	"	shlq $48, %rcx\n"
	"	orq %rcx, %rdx\n"
	"	movabsq $0x00008e0000330000, %rcx\n"
	"	orq %rcx, %rdx\n"
	"	movq %rdx, 0x200(%rdi,%rsi)\n"
	"	movq %rax, %rcx\n"
	"	shrq $32, %rcx\n"
	"	movq %rcx, 0x208(%rdi,%rsi)\n"
	"	addq $16, %rax\n"
	"	addq $16, %rsi\n"
	"	cmpq $0x200, %rsi\n"
	"	jb 1b\n"
	"	movw $0x1ff, 0x400(%rdi)\n"
	"	leaq 0x200(%rdi), %rax\n"
	"	movq %rax, 0x402(%rdi)\n"
	"	lidt 0x400(%rdi)\n"
	"	jmp tg_report\n"			/* ready */
	"tg_next:\n"
	"	leaq tdcall_guest(%rip), %rsp\n"
	"	movq -0x1000+0x00(%rsp), %rax\n"
	"	movq -0x1000+0x08(%rsp), %rcx\n"
	"	movq -0x1000+0x10(%rsp), %rdx\n"
	"	movq -0x1000+0x18(%rsp), %rbx\n"
	"	movq -0x1000+0x28(%rsp), %rbp\n"
	"	movq -0x1000+0x30(%rsp), %rsi\n"
	"	movq -0x1000+0x38(%rsp), %rdi\n"
	"	movq -0x1000+0x40(%rsp), %r8\n"
	"	movq -0x1000+0x48(%rsp), %r9\n"
	"	movq -0x1000+0x50(%rsp), %r10\n"
	"	movq -0x1000+0x58(%rsp), %r11\n"
	"	movq -0x1000+0x60(%rsp), %r12\n"
	"	movq -0x1000+0x68(%rsp), %r13\n"
	"	movq -0x1000+0x70(%rsp), %r14\n"
	"	movq -0x1000+0x78(%rsp), %r15\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	movq %rax, -0x1000+0x80(%rsp)\n"
	"	movq %rcx, -0x1000+0x88(%rsp)\n"
	"	movq %rdx, -0x1000+0x90(%rsp)\n"
	"	movq %rbx, -0x1000+0x98(%rsp)\n"
	"	movq %rbp, -0x1000+0xa8(%rsp)\n"
	"	movq %rsi, -0x1000+0xb0(%rsp)\n"
	"	movq %rdi, -0x1000+0xb8(%rsp)\n"
	"	movq %r8, -0x1000+0xc0(%rsp)\n"
	"	movq %r9, -0x1000+0xc8(%rsp)\n"
	"	movq %r10, -0x1000+0xd0(%rsp)\n"
	"	movq %r11, -0x1000+0xd8(%rsp)\n"
	"	movq %r12, -0x1000+0xe0(%rsp)\n"
	"	movq %r13, -0x1000+0xe8(%rsp)\n"
	"	movq %r14, -0x1000+0xf0(%rsp)\n"
	"	movq %r15, -0x1000+0xf8(%rsp)\n"
	"	movq $1, -0x1000+0x100(%rsp)\n"
	"tg_report:\n"					/* TDG.VP.VMCALL, nothing exposed */
	"	leaq tdcall_guest(%rip), %rsp\n"
	"	xorl %eax, %eax\n"
	"	xorl %ecx, %ecx\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	jmp tg_next\n"
	/* exceptions: record the vector, report */
	"	.p2align 4\n"
	"ex_stubs:\n"
	"	.set vec, 0\n"
	"	.rept 32\n"
	"	.p2align 4\n"
	"	pushq $vec\n"
	"	jmp ex_common\n"
	"	.set vec, vec + 1\n"
	"	.endr\n"
	"ex_common:\n"
	"	popq %rax\n"
	"	leaq tdcall_guest(%rip), %rsp\n"
	"	incq %rax\n"
	"	movq %rax, -0x1000+0x108(%rsp)\n"
	"	jmp tg_report\n"
	"tdcall_guest_end:\n"
	".popsection\n");
/* clang-format on */

/* The four TD configurations (input byte 0). */
static const struct {
	uint64_t attributes, config_flags;
} configs[] = {
	{0, 0},
	{TDX_TD_ATTR_SEPT_VE_DISABLE, 0},
	{TDX_TD_ATTR_DEBUG, 0},
	{0, TDX_CONFIG_FLAGS_FLEXIBLE_PENDING_VE},
};
#define NR_CONFIGS (sizeof(configs) / sizeof(configs[0]))

/* ---- operands ---------------------------------------------------------------------------- */

enum kind {
	K_FILL,	  /* the step's seed value for this register */
	K_MASK,	  /* TDG.VP.VMCALL GPR/XMM mask */
	K_BUF,	  /* a buffer GPA at an offset */
	K_ACCEPT, /* GPA | level */
	K_FIELD,  /* metadata field ID */
	K_VALUE,
	K_SMALL, /* 0..7 */
	K_VMIDX, /* VM index / reserved RCX: mostly 0 */
};

static const uint64_t masks[] = {
	0xFFCC,		  /* Linux */
	0xFC00,		  /* R10..R15 */
	0,		  /* nothing */
	1ULL << 2,	  /* RDX */
	0xFF00,		  /* R8..R15 */
	0xFFCC | 0x10000, /* and XMM0 */
	1ULL << 0,	  /* RAX: forbidden */
	1ULL << 1,	  /* RCX: forbidden */
	1ULL << 4,	  /* RSP: forbidden */
	1ULL << 5,	  /* RBP: forbidden with NO_RBP_MOD */
	1ULL << 32,	  /* reserved */
	0xFFFF,		  /* everything */
};

static const uint64_t buf_pages[] = {
	BUF_A,		 BUF_B,		PEND_4K,       ABSENT_4K,   PEND_2M + 0x3000, ABSENT_2M,
	NO_TABLE,	 0x40000000ULL, SHARED_MAPPED, SHARED_HOLE, 1ULL << 49, /* beyond GPAW */
	0x1000000000ULL, /* 64 GiB: outside the TD window */
};
static const uint64_t buf_offsets[] = {0,     0x40, 0x100, 0x400, 0xC00,
				       0xFC0, 0x8,  0x20,  0xFF0, 0x800};

static const uint64_t accept_gpas[] = {
	PEND_4K,	 ABSENT_4K, BUF_A,	CODE_GPA,
	PEND_2M,	 ABSENT_2M, 0xFFE00000, SHARED_BIT | PEND_4K,
	1ULL << 49,	 NO_TABLE,  0x40000000, PEND_2M + 0x5000, /* 4K inside a pending 2M */
	0x1000000000ULL,
};

static const uint64_t fields[] = {
	/* TD scope */
	TDCS_NOTIFY_ENABLES,
	0x9110000300000010ULL,
	TDCS_TD_CTLS,
	TDCS_CONFIG_FLAGS,
	TDCS_TOPOLOGY_ENUM_CONFIGURED,
	0x8010000300000020ULL, /* TD_UUID (host only) */
	0x1110000300000000ULL, /* ATTRIBUTES */
	0x1110000300000003ULL, /* GPAW */
	0x9010000200000001ULL, /* NUM_VCPUS */
	0x1310000300000000ULL, /* MRTD */
	0x1310000300000040ULL, /* RTMR */
	0x8110000100000001ULL, /* HKID (host only) */
	/* VP scope */
	0xA020000200000002ULL, /* VCPU_INDEX */
	0xA020000000000007ULL, /* CPUID_SUPERVISOR_VE */
	0xA020000000000008ULL, /* CPUID_USER_VE */
	0x1020000300000000ULL, /* RAX (DEBUG host only) */
	0x0220000200000000ULL, /* VE info */
	0x002400030000681EULL, /* guest RIP */
	/* global */
	MD_FIELD_ID_NUM_CPUID_CONFIG,
	MD_FIELD_ID_MAJOR_VERSION,
	MD_FIELD_ID_TDX_FEATURES0,
	/* null, nonsense */
	0,
	MD_FIELD_ID_NA,
	0x8000000000000000ULL,
};

static const uint64_t values[] = {0, 1, ~0ULL, 2, 3, 1ULL << 63, 0xFF, TD_CTLS_LOCK | 1};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Never let a raw operand name the code or control page: a TDREPORT there ends the guest. */
static uint64_t spare_control_pages(uint64_t v)
{
	uint64_t page = v & ~SHARED_BIT & ~0xFFFULL;

	return page == CODE_GPA || page == CTRL_GPA ? v ^ 0x8000 : v;
}

static uint64_t operand(struct fuzz_input *in, enum kind k, uint64_t fill)
{
	uint8_t b;

	if (k == K_FILL)
		return fill;
	b = in_u8(in);
	if (b == 0xFF)
		return spare_control_pages(in_u64(in));
	switch (k) {
	case K_MASK:
		if (b < 0xC0)
			return masks[b % N(masks)];
		/* any 16 GPR bits from the input, XMM bits, a reserved bit */
		return (uint64_t)in_u8(in) | (uint64_t)in_u8(in) << 8 |
		       (b & 1 ? (uint64_t)in_u8(in) << 16 : 0) |
		       (b & 2 ? 1ULL << (32 + (b >> 2) % 32) : 0);
	case K_BUF:
		return buf_pages[b % N(buf_pages)] +
		       buf_offsets[(b / N(buf_pages)) % N(buf_offsets)];
	case K_ACCEPT: {
		unsigned int level = b & 3;
		uint64_t gpa = accept_gpas[(b >> 2) % N(accept_gpas)];

		return (gpa & ~(tdx_ps_bytes(level) - 1)) | level | (b >= 0xF0 ? 8 : 0);
	}
	case K_FIELD:
		return fields[b % N(fields)];
	case K_VALUE:
		return values[b % N(values)];
	case K_SMALL:
		return b & 7;
	case K_VMIDX:
		return b < 0xF0 ? 0 : b & 0xF;
	default:
		return fill;
	}
}

/* ---- the leaves and what each may return ---------------------------------------------------- */

#define GPR(r)	(1U << (r))
#define OI(op)	(TDX_OPERAND_INVALID + TDX_OPERAND_ID_##op)
#define MD_ANY	(~0ULL) /* marker: the metadata statuses of md_rd / md_wr below */
#define MAX_OK	8
#define LEAF_NI 0xFFFF /* "a leaf the module does not implement" */
#define MAY_VE	1      /* reads a guest buffer: a #VE (pending or shared hole) */
#define MAY_EPT 2      /* an EPT-violation exit (absent, or pending without #VE) */
#define BUF	(MAY_VE | MAY_EPT)

struct leaf_desc {
	uint16_t leaf;
	enum kind op[4];     /* RCX, RDX, R8, R9 */
	uint32_t out;	     /* GPRs the leaf writes (besides RAX) */
	uint8_t may;	     /* MAY_VE, MAY_EPT */
	uint64_t ok[MAX_OK]; /* statuses besides SUCCESS */
};

/* Metadata leaves [module README; metadata_td.c md_td_rdwr_regs]. */
static const uint64_t md_rd_ok[] = {TDX_METADATA_FIELD_ID_INCORRECT,
				    TDX_METADATA_FIELD_NOT_READABLE,
				    TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT};
static const uint64_t md_wr_ok[] = {TDX_METADATA_FIELD_ID_INCORRECT,
				    TDX_METADATA_FIELD_NOT_WRITABLE,
				    TDX_METADATA_FIELD_VALUE_NOT_VALID};

/* clang-format off */
static const struct leaf_desc leaves[] = {
	{TDG_VP_VMCALL,	      {K_MASK}, 0, 0, {OI(RCX)}},
	{TDG_VP_INFO,	      {K_FILL}, GPR(REG_RCX_) | GPR(REG_RDX_) | GPR(REG_R8_) | GPR(REG_R9_) |
			      GPR(REG_R10_) | GPR(REG_R11_), 0, {0}},
	{TDG_MR_RTMR_EXTEND,  {K_BUF, K_SMALL}, 0, BUF, {OI(RCX), OI(RDX)}},
	{TDG_VP_VEINFO_GET,   {K_FILL}, GPR(REG_RCX_) | GPR(REG_RDX_) | GPR(REG_R8_) | GPR(REG_R9_) |
			      GPR(REG_R10_), 0, {TDX_NO_VALID_VE_INFO}},
	{TDG_MR_REPORT,	      {K_BUF, K_BUF, K_SMALL}, 0, BUF, {OI(RCX), OI(RDX), OI(R8)}},
	{TDG_VP_CPUIDVE_SET,  {K_SMALL}, 0, 0, {OI(RCX)}},
	{TDG_MEM_PAGE_ACCEPT, {K_ACCEPT}, 0, MAY_EPT,
	 {OI(RCX), TDX_PAGE_ALREADY_ACCEPTED, TDX_PAGE_ALREADY_ACCEPTED + 1,
	  TDX_PAGE_SIZE_MISMATCH, TDX_PAGE_SIZE_MISMATCH + 1}},
	{TDG_VM_RD,	      {K_VMIDX, K_FIELD}, GPR(REG_RDX_) | GPR(REG_R8_), 0, {OI(RCX), MD_ANY}},
	{TDG_VM_WR,	      {K_VMIDX, K_FIELD, K_VALUE, K_VALUE}, GPR(REG_R8_), 0,
	 {OI(RCX), MD_ANY}},
	{TDG_VP_RD,	      {K_VMIDX, K_FIELD}, GPR(REG_RDX_) | GPR(REG_R8_), 0, {OI(RCX), MD_ANY}},
	{TDG_VP_WR,	      {K_VMIDX, K_FIELD, K_VALUE, K_VALUE}, GPR(REG_R8_), 0,
	 {OI(RCX), MD_ANY}},
	{TDG_SYS_RD,	      {K_FILL, K_FIELD}, GPR(REG_RDX_) | GPR(REG_R8_), 0, {MD_ANY}},
	{TDG_MR_VERIFYREPORT, {K_BUF}, 0, BUF,
	 {OI(RCX), TDX_INVALID_CPUSVN, TDX_INVALID_REPORTMACSTRUCT}},
	/* added after the seed corpus was made: last but LEAF_NI, so the leaves above keep their selectors */
	{TDG_SYS_RDALL,	      {K_FILL, K_BUF, K_FIELD}, GPR(REG_R8_), BUF, {OI(RDX), MD_ANY}},
	{LEAF_NI,	      {K_BUF, K_VALUE, K_VALUE, K_VALUE}, 0, 0, {0}},
};
/* clang-format on */

/* Leaves of the ABI the module does not implement: OPERAND_INVALID|RAX like an unknown one. */
/* clang-format off */
static const uint16_t not_implemented[] = {
	TDG_SERVTD_RD,
	TDG_SERVTD_WR,
	TDG_MEM_PAGE_ATTR_RD,
	TDG_MEM_PAGE_ATTR_WR,
	TDG_VP_ENTER,
	TDG_VP_INVEPT,
	TDG_VP_INVVPID,
	13,
	0xFFFF,
};
/* clang-format on */

/* The leaf of a (possibly raw) RAX, or NULL when the dispatcher must reject it. */
static const struct leaf_desc *leaf_of(uint64_t rax)
{
	static const uint8_t max_version[] = {[TDG_VM_RD] = 1};
	unsigned int leaf = tdx_leaf_of(rax);

	if (tdx_leaf_reserved_set(rax))
		return NULL;
	for (size_t i = 0; i < N(leaves) - 1; i++)
		if (leaves[i].leaf == leaf)
			return tdx_leaf_version(rax) <=
					       (leaf < N(max_version) ? max_version[leaf] : 0)
				       ? &leaves[i]
				       : NULL;
	return NULL;
}

static bool in_list(const uint64_t *l, size_t n, uint64_t s)
{
	for (size_t i = 0; i < n; i++)
		if (l[i] == s)
			return true;
	return false;
}

static bool status_allowed(const struct leaf_desc *d, uint64_t s)
{
	bool write;

	if (!d)
		return s == OI(RAX);
	write = d->leaf == TDG_VM_WR || d->leaf == TDG_VP_WR;
	if (s == TDX_SUCCESS)
		return true;
	for (unsigned int i = 0; i < MAX_OK && d->ok[i]; i++) {
		if (d->ok[i] == s)
			return true;
		if (d->ok[i] == MD_ANY &&
		    (write ? in_list(md_wr_ok, N(md_wr_ok), s) : in_list(md_rd_ok, N(md_rd_ok), s)))
			return true;
	}
	return false;
}

/* ---- the trace of the current input, printed with a finding ------------------------------ */

#define MAX_STEPS 32
#define MAX_EXITS 8

struct step_rec {
	uint64_t in[16], out[16];
	uint64_t exits[MAX_EXITS][2]; /* VP.ENTER status, GPA/mask */
	unsigned int nr_exits;
	uint64_t vector; /* exception vector + 1, or 0 */
	bool done;
};

static struct step_rec trace[MAX_STEPS];
static unsigned int nr_trace;
static unsigned int config;

static const char *reg_name[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
				   "r8",  "r9",	 "r10", "r11", "r12", "r13", "r14", "r15"};

static void print_trace(void)
{
	fprintf(stderr, "TD configuration %u\n", config);
	for (unsigned int i = 0; i < nr_trace; i++) {
		const struct step_rec *c = &trace[i];
		const char *name = tdx_tdcall_leaf_name(tdx_leaf_of(c->in[REG_RAX_]));

		fprintf(stderr, "  #%u %s (rax 0x%llx) rcx 0x%llx rdx 0x%llx r8 0x%llx r9 0x%llx",
			i, name ? name : "?", (unsigned long long)c->in[REG_RAX_],
			(unsigned long long)c->in[REG_RCX_], (unsigned long long)c->in[REG_RDX_],
			(unsigned long long)c->in[REG_R8_], (unsigned long long)c->in[REG_R9_]);
		for (unsigned int e = 0; e < c->nr_exits; e++)
			fprintf(stderr, " [exit 0x%llx 0x%llx]", (unsigned long long)c->exits[e][0],
				(unsigned long long)c->exits[e][1]);
		if (c->vector)
			fprintf(stderr, " -> vector %llu\n", (unsigned long long)c->vector - 1);
		else if (c->done)
			fprintf(stderr, " -> 0x%016llx\n", (unsigned long long)c->out[REG_RAX_]);
		else
			fprintf(stderr, " -> (host stopped)\n");
	}
}

static void __attribute__((noreturn)) finding(const char *what, const char *detail)
{
	fprintf(stderr, "tdcall_seq: %s\n%s\ncalls:\n", what, detail ? detail : "");
	print_trace();
	abort();
}

static void __attribute__((format(printf, 1, 2), noreturn)) findingf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	finding(buf, NULL);
}

static void check_invariants(void)
{
	static char buf[8192];
	const char *what = fuzz_invariants_broken(buf, sizeof(buf));

	if (what)
		finding(what, buf);
}

/* ---- the TD, built once per configuration (a snapshot each) --------------------------------- */

static struct test_td td;
static uint8_t code[4096], zeros[4096], pattern[4096];
static uint64_t *ctrl;	      /* the control page through the module's view */
static bool check_every_call; /* FUZZ_CHECK_ALL=1: the checkers after every call */
static bool verify_restore;   /* FUZZ_VERIFY_RESTORE=1: each restore compared in full */
static bool ve_pending;	      /* the guest took a #VE whose info it has not read */
static uint64_t ve_gpa[2];    /* its call's buffer operands (RCX, RDX) */

static uint64_t enter(struct tdx_module_args *a)
{
	a->rcx = td.tdvpr[0];
	return call_on(PATH_GATE, 0, TDH_VP_ENTER, a);
}

/* SEPT.ADD the tables down to `level` (1: for a 2M leaf, 0: for a 4K leaf) at gpa. */
static uint64_t sept_map(uint64_t gpa, unsigned int level)
{
	for (unsigned int l = 3; l > level; l--) {
		struct tdx_module_args a = {.rcx = (gpa & ~(tdx_ps_bytes(l) - 1)) | l,
					    .rdx = td.tdr,
					    .r8 = td_page_alloc()};
		uint64_t s = td_call(TDH_MEM_SEPT_ADD, &a);

		if (s && tdx_status_code(s) != TDX_EPT_ENTRY_STATE_INCORRECT)
			return s;
	}
	return 0;
}

static uint64_t page_aug(uint64_t gpa, unsigned int level)
{
	struct tdx_module_args a = {.rcx = (gpa & ~(tdx_ps_bytes(level) - 1)) | level,
				    .rdx = td.tdr,
				    .r8 = level ? td_page_alloc_2m() : td_page_alloc()};
	uint64_t s = sept_map(gpa, level);

	return s ? s : td_call(TDH_MEM_PAGE_AUG, &a);
}

static void build_td(unsigned int cfg)
{
	struct tdx_module_args a = {0};
	struct td_params p;
	uint64_t ctrl_hpa, s;

	td_page_alloc_reset();
	td_params_default(&p);
	p.attributes = configs[cfg].attributes;
	p.config_flags |= configs[cfg].config_flags;
	s = td_create(&td, TD_HKID);
	if (!s)
		s = td_init(&td, &p);
	if (!s)
		s = td_add_vcpu(&td);
	if (!s)
		s = td_sept_map(&td, CODE_GPA);
	if (!s)
		s = td_page_add(&td, CTRL_GPA, zeros, false);
	ctrl_hpa = td.last_page;
	if (!s)
		s = td_page_add(&td, BUF_A, zeros, false);
	if (!s)
		s = td_page_add(&td, BUF_B, pattern, false);
	if (!s)
		s = td_page_add(&td, CODE_GPA, code, false);
	if (!s)
		s = td_finalize(&td);
	if (!s)
		s = page_aug(PEND_4K, 0);
	if (!s)
		s = page_aug(PEND_2M, 1);
	if (s)
		findingf("building the TD: 0x%016llx", (unsigned long long)s);
	if (td_window_map(td.window, SHARED_MAPPED & ~SHARED_BIT, true, SHARED_HPA,
			  PROT_READ | PROT_WRITE))
		finding("mapping the shared page", NULL);
	ctrl = phys_seam_va(ctrl_hpa);
	ve_pending = false;
	/* First entry: the guest sets up its IDT and reports ready. */
	s = enter(&a);
	if (s != EXIT_REASON_TDCALL || a.rcx != 0)
		findingf("first entry: 0x%016llx", (unsigned long long)s);
}

/*
 * The state each input starts from, one per configuration: the machine after bring-up and
 * build_td() (module/snapshot.c), and what the fuzzer knows of the TD.
 */
static struct {
	struct tdx_module_snapshot *snap;
	struct test_td td;
	uint64_t *ctrl;
	struct td_page_alloc_state alloc;
} built[NR_CONFIGS];

static long build_all(void *arg)
{
	struct tdx_module_snapshot *fresh;

	(void)arg;
	if (tdx_module_snapshot_take(&fresh) < 0)
		finding("snapshot of the fresh machine failed", NULL);
	for (unsigned int k = 0; k < NR_CONFIGS; k++) {
		if (tdx_module_snapshot_restore(fresh) < 0)
			finding("snapshot restore failed", NULL);
		config = k;
		build_td(k);
		built[k].td = td;
		built[k].ctrl = ctrl;
		built[k].alloc = td_page_alloc_save();
		if (tdx_module_snapshot_take(&built[k].snap) < 0)
			finding("snapshot of a built TD failed", NULL);
	}
	tdx_module_snapshot_free(fresh);
	fuzz_checks_start();
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct machine_config cfg;

	(void)argc;
	(void)argv;
	machine_2s(&cfg);
	if (harness_boot(&cfg) < 0 || bring_up(TDX_MODULE_LATEST, S_TDMR, 0) < 0) {
		fprintf(stderr, "tdcall_seq: machine bring-up failed\n");
		exit(1);
	}
	/* Guest code runs on the LP threads; libFuzzer's handlers came first. */
	platform_claim_signals();
	td_code_page(code, tdcall_guest, tdcall_guest_end);
	check_every_call = getenv("FUZZ_CHECK_ALL") != NULL;
	verify_restore = getenv("FUZZ_VERIFY_RESTORE") != NULL;
	for (unsigned int i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 7 + 1);
	/* On LP 0, where the inputs run (build_td() enters the TD). */
	lp_run_on(0, build_all, NULL);
	return 0;
}

/* ---- one call -------------------------------------------------------------------------------- */

/* tdx_module_args <-> GPR numbers */
static uint64_t *arg_reg(struct tdx_module_args *a, unsigned int r)
{
	switch (r) {
	case REG_RCX_:
		return &a->rcx;
	case REG_RDX_:
		return &a->rdx;
	case REG_RBX_:
		return &a->rbx;
	case REG_RSI_:
		return &a->rsi;
	case REG_RDI_:
		return &a->rdi;
	case REG_R8_ ... REG_R15_:
		return &a->r8 + (r - REG_R8_);
	default:
		return NULL;
	}
}

static bool names_page(const struct step_rec *c, uint64_t gpa)
{
	for (unsigned int r = REG_RCX_; r <= REG_RDX_; r++)
		if (((c->in[r] & ~SHARED_BIT) & ~0xFFFULL) == (gpa & ~0xFFFULL) ||
		    ((c->in[r] & ~SHARED_BIT) & ~(_2M - 1)) == (gpa & ~(_2M - 1)))
			return true;
	return false;
}

/* A TDG.VP.VMCALL exit: exactly the GPRs of the mask, the others zero; then the host's reply. */
static void vmcall_exit(struct step_rec *c, struct tdx_module_args *a, const uint64_t *host)
{
	uint64_t mask = c->in[REG_RCX_];

	if (tdx_leaf_of(c->in[REG_RAX_]) != TDG_VP_VMCALL || a->rcx != mask)
		findingf("VMCALL exit with RCX 0x%llx for mask 0x%llx", (unsigned long long)a->rcx,
			 (unsigned long long)mask);
	for (unsigned int r = REG_RDX_; r <= REG_R15_; r++) {
		uint64_t *v = arg_reg(a, r);
		uint64_t want = mask & GPR(r) ? c->in[r] : 0;

		if (v && *v != want)
			findingf("VMCALL exit: %s = 0x%llx, want 0x%llx (mask 0x%llx)", reg_name[r],
				 (unsigned long long)*v, (unsigned long long)want,
				 (unsigned long long)mask);
	}
	for (unsigned int r = REG_RDX_; r <= REG_R15_; r++)
		if (arg_reg(a, r))
			*arg_reg(a, r) = host[r];
}

/* An EPT violation: fix it with SEPT.ADD + PAGE.AUG, after declining `declines` times. */
static bool ept_exit(struct step_rec *c, const struct tdx_module_args *a, unsigned int *declines)
{
	const struct leaf_desc *d = leaf_of(c->in[REG_RAX_]);
	uint64_t gpa = a->r8, eeq = a->rdx;
	unsigned int level = (eeq & 0xF) == 1 ? (eeq >> 32) & 7 : 0;

	if (!d || !(d->may & MAY_EPT) || !names_page(c, gpa))
		findingf("EPT violation at 0x%llx from this call", (unsigned long long)gpa);
	if (*declines) {
		(*declines)--;
		return true;
	}
	return page_aug(gpa, level) == TDX_SUCCESS;
}

/* Run the call in the guest; false when the host stops running it. */
static bool run(struct step_rec *c, const uint64_t *host, unsigned int declines)
{
	struct tdx_module_args a = {0};

	memcpy(&ctrl[C_IN / 8], c->in, sizeof(c->in));
	ctrl[C_DONE / 8] = ctrl[C_VECTOR / 8] = 0;
	for (;;) {
		uint64_t s = enter(&a);

		if (c->nr_exits == MAX_EXITS)
			finding("no progress after the host's answers", NULL);
		c->exits[c->nr_exits][0] = s;
		c->exits[c->nr_exits++][1] = s == EXIT_REASON_TDCALL ? a.rcx : a.r8;
		if (s == EXIT_REASON_TDCALL && (ctrl[C_DONE / 8] || ctrl[C_VECTOR / 8])) {
			c->nr_exits--; /* the report, not the call's */
			break;
		}
		if (s == EXIT_REASON_TDCALL)
			vmcall_exit(c, &a, host);
		else if (s == EXIT_REASON_EPT_VIOLATION) {
			if (!ept_exit(c, &a, &declines)) {
				check_invariants();
				return false;
			}
			a = (struct tdx_module_args){0};
		} else if (s != EXIT_REASON_EXTERNAL_INTERRUPT)
			findingf("TDH.VP.ENTER: 0x%016llx", (unsigned long long)s);
	}
	c->done = ctrl[C_DONE / 8];
	c->vector = ctrl[C_VECTOR / 8];
	memcpy(c->out, &ctrl[C_OUT / 8], sizeof(c->out));
	/* The PAMT and the Secure EPT change only through the host's SEAMCALLs and ACCEPT. */
	if (check_every_call || c->nr_exits || tdx_leaf_of(c->in[REG_RAX_]) == TDG_MEM_PAGE_ACCEPT)
		check_invariants();
	return true;
}

/* An exception instead of completion: only #VE/#DF, only for a guest buffer. */
static void check_exception(const struct step_rec *c, const struct leaf_desc *d)
{
	uint64_t vector = c->vector - 1;

	if (!d || !(d->may & MAY_VE) || (vector != X86_TRAP_VE && vector != X86_TRAP_DF))
		findingf("exception %llu", (unsigned long long)vector);
	if ((vector == X86_TRAP_DF) != ve_pending)
		findingf("exception %llu with VE info %s", (unsigned long long)vector,
			 ve_pending ? "valid" : "free");
	if (vector == X86_TRAP_VE) {
		ve_pending = true;
		ve_gpa[0] = c->in[REG_RCX_];
		ve_gpa[1] = c->in[REG_RDX_];
	}
}

/* The registers after a completed call. */
static void check_outputs(const struct step_rec *c, const struct leaf_desc *d, const uint64_t *host)
{
	uint64_t s = c->out[REG_RAX_];
	uint32_t out = d ? d->out : 0;

	if (!status_allowed(d, s))
		findingf("status 0x%016llx not allowed", (unsigned long long)s);
	if (d && d->leaf == TDG_VP_VMCALL && s == TDX_SUCCESS) {
		out = (uint32_t)c->in[REG_RCX_] & 0xFFFF;
		for (unsigned int r = REG_RDX_; r <= REG_R15_; r++)
			if ((out & GPR(r)) && c->out[r] != host[r])
				findingf("VMCALL: %s = 0x%llx, the host gave 0x%llx", reg_name[r],
					 (unsigned long long)c->out[r],
					 (unsigned long long)host[r]);
		if (c->out[REG_RCX_] != c->in[REG_RCX_])
			finding("VMCALL: RCX is not the mask", NULL);
		out |= GPR(REG_RCX_);
	}
	for (unsigned int r = REG_RCX_; r <= REG_R15_; r++)
		if (r != REG_RSP_ && !(out & GPR(r)) && c->out[r] != c->in[r])
			findingf("%s changed: 0x%llx -> 0x%llx", reg_name[r],
				 (unsigned long long)c->in[r], (unsigned long long)c->out[r]);
	if (!d)
		return;
	if (d->leaf == TDG_VP_INFO &&
	    (c->out[REG_RCX_] != 48 || c->out[REG_RDX_] != configs[config].attributes ||
	     c->out[REG_R8_] != (1 | 8ULL << 32) || c->out[REG_R9_] != 0 ||
	     c->out[REG_R10_] != TDG_VP_INFO_SYS_RD_AVAILABLE || c->out[REG_R11_] != 0))
		finding("TDG.VP.INFO outputs", NULL);
	if (d->leaf == TDG_VP_VEINFO_GET) {
		if ((s == TDX_SUCCESS) != ve_pending)
			findingf("VEINFO.GET 0x%llx with VE info %s", (unsigned long long)s,
				 ve_pending ? "valid" : "free");
		/* An EPT violation on a buffer: read or write, no GLA, no instruction. */
		if (s == TDX_SUCCESS &&
		    (c->out[REG_RCX_] != EXIT_REASON_EPT_VIOLATION ||
		     (c->out[REG_RDX_] != 1 && c->out[REG_RDX_] != 2) || c->out[REG_R8_] ||
		     c->out[REG_R10_] ||
		     (c->out[REG_R9_] != ve_gpa[0] && c->out[REG_R9_] != ve_gpa[1])))
			findingf("VEINFO.GET: reason 0x%llx qual 0x%llx GPA 0x%llx",
				 (unsigned long long)c->out[REG_RCX_],
				 (unsigned long long)c->out[REG_RDX_],
				 (unsigned long long)c->out[REG_R9_]);
		ve_pending = false;
	}
}

/* Decode one call from the input, run it, check it; false when the host stopped. */
static bool one_call(struct fuzz_input *in)
{
	struct step_rec *c = &trace[nr_trace++];
	uint8_t sel = in_u8(in), ver = in_u8(in), seed = in_u8(in);
	const struct leaf_desc *d;
	uint64_t host[16];
	unsigned int declines;

	memset(c, 0, sizeof(*c));
	for (unsigned int r = 0; r < 16; r++) {
		c->in[r] = 0x5EED000000000000ULL | (uint64_t)seed << 16 | r;
		host[r] = 0x4057000000000000ULL | (uint64_t)seed << 16 | r;
	}
	if (sel >= 0xF0) {
		/* A raw RAX and raw registers. */
		c->in[REG_RAX_] = in_u64(in);
		for (unsigned int r = REG_RCX_; r <= REG_R9_; r++)
			c->in[r] = spare_control_pages(in_u64(in));
		c->in[REG_RSP_] = 0;
	} else {
		const struct leaf_desc *ld = &leaves[sel % N(leaves)];
		static const unsigned int regs[4] = {REG_RCX_, REG_RDX_, REG_R8_, REG_R9_};
		uint16_t leaf = ld->leaf;

		if (leaf == LEAF_NI)
			leaf = not_implemented[(sel / N(leaves)) % N(not_implemented)];
		c->in[REG_RAX_] = tdx_leaf_word(leaf, ver & 0x80 ? ver & 3 : 0) |
				  (ver == 0xFF ? 1ULL << (24 + seed % 40) : 0);
		for (unsigned int i = 0; i < 4; i++)
			c->in[regs[i]] = operand(in, ld->op[i], c->in[regs[i]]);
	}
	declines = in_u8(in) % 3;
	d = leaf_of(c->in[REG_RAX_]);
	if (!run(c, host, declines))
		return false;
	if (c->vector)
		check_exception(c, d);
	else
		check_outputs(c, d, host);
	return true;
}

/* One input, on LP 0's thread: its SEAMCALLs there (all but a few) run without a thread switch. */
static long run_input(void *arg)
{
	struct fuzz_input *in = arg;
	static char buf[8192];
	const char *what;

	nr_trace = 0;
	config = in_u8(in) % NR_CONFIGS;
	/* Exactly the state build_td(config) gives: module, memory, window, allocator. */
	if (tdx_module_snapshot_restore(built[config].snap) < 0)
		finding("snapshot restore failed", NULL);
	/* FUZZ_VERIFY_RESTORE=1: the restore, which looks only at what the previous input
	 * touched, against a comparison of everything. */
	if (verify_restore) {
		static char diff[4096];

		if (tdx_module_snapshot_differences(built[config].snap, diff, sizeof(diff)))
			finding("restored state differs from the snapshot", diff);
	}
	td = built[config].td;
	ctrl = built[config].ctrl;
	td_page_alloc_load(built[config].alloc);
	ve_pending = false;
	while (in->n && nr_trace < MAX_STEPS && one_call(in))
		;
	check_invariants();
	if (getenv("FUZZ_TRACE"))
		print_trace();
	what = fuzz_teardown_all(buf, sizeof(buf));
	if (what)
		finding(what, buf);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = {data, size};

	lp_run_on(0, run_input, &in);
	return 0;
}
