// SPDX-License-Identifier: MIT
/*
 * Extended state across the world switch, with the stub module of tests/support: the guest
 * and the host each load their own values into every vector register the machine switches
 * (XMM0-15; YMM0-15 where the host has AVX; ZMM0-31 and k1-k7 where it has AVX-512), MXCSR,
 * the x87 control word and ST0, and each checks them byte for byte: the guest finds its
 * own after every exit and entry (a trapped TDCALL, a gated TDCALL, a HLT, an EPT
 * violation, an asynchronous exit (a kick), entered each time through the gate or through
 * the SEAMCALL opcode), the host finds the initial configuration after each (every
 * register zero, MXCSR 0x1F80, FCW 0x37F, an empty x87 stack: the TDX module keeps no VMM
 * extended state across TDH.VP.ENTER), also when the VP.ENTER enters no TD. Then timer
 * exits (5 kHz) at random points of a loop of gated TDCALLs completed in place, the gate's
 * resume sequence included: the guest checks XMM0-14 and MXCSR after every call, the host
 * its whole image after every exit. Then the calls that do not switch worlds (a guest's
 * TDCALL completed in the module, a host's SEAMCALL that enters no TD): whatever x87 and SSE
 * state the caller leaves (unmasked exceptions, another rounding mode, a value on the x87
 * stack, or the defaults), the dispatcher runs with the defaults, the caller gets its own
 * state back, and its arithmetic flags, DF and AC come back as they were.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "host/seamcall.h"
#include "platform/platform.h"
#include "tests/support/stub_module.h"

/* The register image both sides load and store (offsets used by the assembly below). */
struct xs_regs {
	uint8_t z[32][64]; /* 0: ZMM0-31 (XMM/YMM use the low 16/32 bytes of 0-15) */
	uint64_t k[8];	   /* 2048: k0-k7 (k0 is not loaded) */
	uint32_t mxcsr;	   /* 2112 */
	uint16_t fcw;	   /* 2116 */
	uint16_t pad;
	double st0; /* 2120 */
	float sum;  /* 2128: 1.0f + 2^-30 computed under the guest's MXCSR */
	uint32_t pad2;
	uint64_t rflags; /* 2136: RFLAGS after an in-place call */
} __attribute__((aligned(64)));
_Static_assert(offsetof(struct xs_regs, k) == 2048, "asm: k");
_Static_assert(offsetof(struct xs_regs, mxcsr) == 2112, "asm: mxcsr");
_Static_assert(offsetof(struct xs_regs, st0) == 2120, "asm: st0");
_Static_assert(offsetof(struct xs_regs, sum) == 2128, "asm: sum");
_Static_assert(offsetof(struct xs_regs, rflags) == 2136, "asm: rflags");

/*
 * Load / store macros: %r8 = image in, %r9 = image out, %r10 = level (0 SSE, 1 AVX,
 * 2 AVX-512). The x87 control word, MXCSR and ST0 always.
 */
#define XS_LOAD                                                                                    \
	"	ldmxcsr 2112(%r8)\n"                                                                     \
	"	fninit\n"                                                                                \
	"	fldcw 2116(%r8)\n"                                                                       \
	"	fldl 2120(%r8)\n" XS_LOAD_VECTOR

/* The vector registers alone (the x87 state left as it is). */
#define XS_LOAD_VECTOR                                                                             \
	"	cmpq $2, %r10\n"                                                                         \
	"	je 13f\n"                                                                                \
	"	cmpq $1, %r10\n"                                                                         \
	"	je 12f\n"                                                                                \
	"	.irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"                                          \
	"	movdqu 64*\\i(%r8), %xmm\\i\n"                                                           \
	"	.endr\n"                                                                                 \
	"	jmp 14f\n"                                                                               \
	"12:\n"                                                                                    \
	"	.irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"                                          \
	"	vmovdqu 64*\\i(%r8), %ymm\\i\n"                                                          \
	"	.endr\n"                                                                                 \
	"	jmp 14f\n"                                                                               \
	"13:\n"                                                                                    \
	"	.irp "                                                                                   \
	"i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,"    \
	"31\n"                                                                                     \
	"	vmovdqu64 64*\\i(%r8), %zmm\\i\n"                                                        \
	"	.endr\n"                                                                                 \
	"	.irp i,1,2,3,4,5,6,7\n"                                                                  \
	"	kmovq 2048+8*\\i(%r8), %k\\i\n"                                                          \
	"	.endr\n"                                                                                 \
	"14:\n"

#define XS_STORE                                                                                   \
	"	stmxcsr 2112(%r9)\n"                                                                     \
	"	fnstcw 2116(%r9)\n"                                                                      \
	"	fstpl 2120(%r9)\n"                                                                       \
	"	cmpq $2, %r10\n"                                                                         \
	"	je 16f\n"                                                                                \
	"	cmpq $1, %r10\n"                                                                         \
	"	je 15f\n"                                                                                \
	"	.irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"                                          \
	"	movdqu %xmm\\i, 64*\\i(%r9)\n"                                                           \
	"	.endr\n"                                                                                 \
	"	jmp 17f\n"                                                                               \
	"15:\n"                                                                                    \
	"	.irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"                                          \
	"	vmovdqu %ymm\\i, 64*\\i(%r9)\n"                                                          \
	"	.endr\n"                                                                                 \
	"	jmp 17f\n"                                                                               \
	"16:\n"                                                                                    \
	"	.irp "                                                                                   \
	"i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,"    \
	"31\n"                                                                                     \
	"	vmovdqu64 %zmm\\i, 64*\\i(%r9)\n"                                                        \
	"	.endr\n"                                                                                 \
	"	.irp i,1,2,3,4,5,6,7\n"                                                                  \
	"	kmovq %k\\i, 2048+8*\\i(%r9)\n"                                                          \
	"	.endr\n"                                                                                 \
	"17:\n"

/*
 * An in-place call (the gate at TARGET, LEAF the instruction loading RAX) with RFLAGS = %r12
 * around it, stored at %r9 + 2136 after it. %r13 = 0: ST0 goes to the image's slot first and
 * comes back after, so the x87 stack is empty across the call; else it stays loaded.
 */
#define XS_CALL(target, leaf)                                                                      \
	"	testq %r13, %r13\n"                                                                      \
	"	jnz 18f\n"                                                                               \
	"	fstpl 2120(%r9)\n"                                                                       \
	"18:	" leaf "\n"                                                                        \
	"	pushq %r12\n"                                                                            \
	"	popfq\n"                                                                                 \
	"	call " target "\n"                                                                 \
	"	pushfq\n"                                                                                \
	"	popq 2136(%r9)\n"                                                                        \
	"	pushq $2\n"                                                                              \
	"	popfq\n"                                                                                 \
	"	testq %r13, %r13\n"                                                                      \
	"	jnz 19f\n"                                                                               \
	"	fldl 2120(%r9)\n"                                                                        \
	"19:\n"

__asm__(".pushsection .text\n"
	/*
	 * Guest: r8 = its image, r9 = where to store it, r10 = level, r11 = shared MMIO
	 * address. Loads, exits five ways (the last a spin until xs_go is set), stores,
	 * computes 1.0f + 2^-30 under its MXCSR, exits with TDCALL.
	 */
	".globl blob_xs, blob_xs_end, blob_xs_gate, blob_xs_go\n"
	"blob_xs:\n" XS_LOAD "	.byte 0x66, 0x0f, 0x01, 0xcc\n" /* TDCALL: trap path */
	"	call *blob_xs_gate(%rip)\n"			/* TDCALL: the gate */
	"	hlt\n"
	"	movq (%r11), %rax\n" /* EPT violation: shared, never mapped */
	"1:	pause\n"
	"	cmpq $0, blob_xs_go(%rip)\n"
	"	je 1b\n" XS_STORE "	movss blob_xs_one(%rip), %xmm0\n"
	"	addss blob_xs_tiny(%rip), %xmm0\n"
	"	movss %xmm0, 2128(%r9)\n"
	"	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	jmp .\n"
	"	.balign 8\n"
	"blob_xs_gate: .quad 0\n"
	"blob_xs_go: .quad 0\n"
	"blob_xs_one: .float 1.0\n"
	"blob_xs_tiny: .long 0x30800000\n" /* 2^-30 */
	"blob_xs_end:\n"

	/*
	 * Guest for asynchronous exits: r8 = its image, r9 = where to note a mismatch, r12 =
	 * rounds. Loads XMM0-14 and MXCSR, then in each round makes a gated TDCALL that the stub
	 * completes in place (RAX = 0) and compares XMM0-14 (XMM15 is the scratch) and MXCSR
	 * with the image. A timer signal that lands anywhere, the gate's resume sequence
	 * included, is a TD exit. Ends with a TDCALL that exits (RAX = 2); a mismatch notes
	 * the rounds left and exits the same way.
	 */
	".globl blob_xa, blob_xa_end, blob_xa_gate\n"
	"blob_xa:\n"
	"	ldmxcsr 2112(%r8)\n"
	"	.irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14\n"
	"	movdqu 64*\\i(%r8), %xmm\\i\n"
	"	.endr\n"
	"1:	xorl %eax, %eax\n"
	"	call *blob_xa_gate(%rip)\n"
	"	.irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14\n"
	"	movdqa %xmm\\i, %xmm15\n"
	"	pcmpeqb 64*\\i(%r8), %xmm15\n"
	"	pmovmskb %xmm15, %eax\n"
	"	cmpl $0xffff, %eax\n"
	"	jne 2f\n"
	"	.endr\n"
	"	subq $8, %rsp\n"
	"	stmxcsr (%rsp)\n"
	"	movl (%rsp), %eax\n"
	"	addq $8, %rsp\n"
	"	cmpl 2112(%r8), %eax\n"
	"	jne 2f\n"
	"	decq %r12\n"
	"	jnz 1b\n"
	"	jmp 3f\n"
	"2:	movq %r12, (%r9)\n"
	"3:	movl $2, %eax\n"
	"	call *blob_xa_gate(%rip)\n"
	"	jmp .\n"
	"	.balign 8\n"
	"blob_xa_gate: .quad 0\n"
	"blob_xa_end:\n"

	/*
	 * Guest that stores what it finds at its first instruction: r9 = where, r10 = level.
	 * Then a TDCALL that exits.
	 */
	".globl blob_z, blob_z_end\n"
	"blob_z:\n" XS_STORE "	.byte 0x66, 0x0f, 0x01, 0xcc\n"
	"	jmp .\n"
	"blob_z_end:\n"

	/*
	 * Host: uint64_t xs_host_enter_vector(const struct xs_regs *in, uint64_t level,
	 * uint64_t gate, const void *init, uint64_t features). Puts the switched components
	 * into their initial configuration (XRSTOR from init, an area with XSTATE_BV 0), so
	 * that only what it loads next is in use: the vector registers of its image at its
	 * level (no x87 state). VP.ENTERs, returns the exit's RAX.
	 */
	".globl xs_host_enter_vector\n"
	"xs_host_enter_vector:\n"
	"	movl %r8d, %eax\n"
	"	movq %r8, %r9\n"
	"	shrq $32, %r9\n"
	"	movq %rdx, %r11\n"
	"	movq %r9, %rdx\n"
	"	movq %rsi, %r10\n"
	"	movq %rdi, %r8\n"
	"	xrstor64 (%rcx)\n" XS_LOAD_VECTOR "	xorl %eax, %eax\n"
	"	testq %r11, %r11\n"
	"	jz 2f\n"
	"	call *tdxsim_gate_ptr(%rip)\n"
	"	jmp 3f\n"
	"2:	.byte 0x66, 0x0f, 0x01, 0xcf\n" /* SEAMCALL */
	"3:	cmpq $0, %r10\n"
	"	je 4f\n"
	"	vzeroupper\n"
	"4:	ret\n"

	/*
	 * Host: uint64_t xs_host_enter(const struct xs_regs *in, struct xs_regs *out,
	 * uint64_t level, uint64_t gate, uint64_t rax). Loads its image, makes the SEAMCALL of
	 * RAX (VP.ENTER: 0) by the gate or the SEAMCALL opcode, stores its image after the
	 * exit, puts the ABI's MXCSR and x87 state back; returns the exit's RAX (the exit
	 * reason).
	 */
	".globl xs_host_enter\n"
	"xs_host_enter:\n"
	"	movq %r8, %rax\n"
	"	movq %rdi, %r8\n"
	"	movq %rsi, %r9\n"
	"	movq %rdx, %r10\n"
	"	movq %rcx, %r11\n" XS_LOAD "	testq %r11, %r11\n"
	"	jz 2f\n"
	"	call *tdxsim_gate_ptr(%rip)\n"
	"	jmp 3f\n"
	"2:	.byte 0x66, 0x0f, 0x01, 0xcf\n" /* SEAMCALL */
	"3:\n" XS_STORE "	ldmxcsr xs_mxcsr_default(%rip)\n"
	"	fninit\n"
	"	cmpq $0, %r10\n"
	"	je 4f\n"
	"	vzeroupper\n"
	"4:	ret\n"

	/*
	 * Guest for in-place calls: r8 = its image, r9 = where to store it, r10 = level, r12 and
	 * r13 as for XS_CALL. One gated TDCALL the module completes (RAX = 0), the image
	 * stored, then a TDCALL that exits.
	 */
	".globl blob_ip, blob_ip_end, blob_ip_gate\n"
	"	.balign 16\n" /* the gate slot stays aligned in the copy: AC is set in one case */
	"blob_ip:\n" XS_LOAD XS_CALL("*blob_ip_gate(%rip)", "xorl %eax, %eax") XS_STORE
	"	movl $2, %eax\n"
	"	call *blob_ip_gate(%rip)\n"
	"	jmp .\n"
	"	.balign 8\n"
	"blob_ip_gate: .quad 0\n"
	"blob_ip_end:\n"

	/*
	 * Host: void xs_host_call(const struct xs_regs *in, struct xs_regs *out, uint64_t level,
	 * uint64_t rflags, uint64_t st0_kept). Loads its image, makes a gated SEAMCALL of leaf 1
	 * (it enters no TD) by XS_CALL, stores its image, puts the ABI's MXCSR and x87 state
	 * back.
	 */
	".globl xs_host_call\n"
	"xs_host_call:\n"
	"	pushq %r12\n"
	"	movq %rdi, %r8\n"
	"	movq %rsi, %r9\n"
	"	movq %rdx, %r10\n"
	"	movq %rcx, %r12\n"
	"	pushq %r13\n"
	"	movq %r8, %r13\n"
	"	movq %rdi, %r8\n" XS_LOAD XS_CALL("*tdxsim_gate_ptr(%rip)", "movl $1, %eax")
		XS_STORE "	ldmxcsr xs_mxcsr_default(%rip)\n"
			 "	fninit\n"
			 "	cmpq $0, %r10\n"
			 "	je 4f\n"
			 "	vzeroupper\n"
			 "4:	popq %r13\n"
			 "	popq %r12\n"
			 "	ret\n"
			 "	.balign 4\n"
			 "xs_mxcsr_default: .long 0x1f80\n"
			 ".popsection\n");

extern const char blob_xs[], blob_xs_end[], blob_xs_gate[], blob_xs_go[];
extern const char blob_xa[], blob_xa_end[], blob_xa_gate[];
extern const char blob_ip[], blob_ip_end[], blob_ip_gate[];
extern const char blob_z[], blob_z_end[];
void xs_host_call(const struct xs_regs *in, struct xs_regs *out, uint64_t level, uint64_t rflags,
		  uint64_t st0_kept);
uint64_t xs_host_enter(const struct xs_regs *in, struct xs_regs *out, uint64_t level, uint64_t gate,
		       uint64_t rax);
uint64_t xs_host_enter_vector(const struct xs_regs *in, uint64_t level, uint64_t gate,
			      const void *init, uint64_t features);

static int xs_level(void)
{
	uint64_t f = platform_xstate_features();

	if ((f & (XFEATURE_OPMASK | XFEATURE_ZMM_H256 | XFEATURE_HI16_ZMM)) ==
	    (XFEATURE_OPMASK | XFEATURE_ZMM_H256 | XFEATURE_HI16_ZMM))
		return 2;
	return (f & XFEATURE_YMM) ? 1 : 0;
}

static void xs_fill(struct xs_regs *r, uint8_t seed, uint32_t mxcsr, uint16_t fcw, double st0)
{
	memset(r, 0, sizeof(*r));
	for (int i = 0; i < 32; i++)
		for (int b = 0; b < 64; b++)
			r->z[i][b] = (uint8_t)(seed + i * 67 + b * 13);
	for (int i = 1; i < 8; i++)
		r->k[i] = 0x0101010101010101ULL * (uint64_t)(seed ^ i);
	r->mxcsr = mxcsr;
	r->fcw = fcw;
	r->st0 = st0;
}

/*
 * What XS_STORE finds in the initial configuration: every register zero, MXCSR 0x1F80, FCW
 * 0x37F, and from the empty x87 stack the masked underflow's QNaN, the double indefinite.
 */
static void xs_init_config(struct xs_regs *r)
{
	const uint64_t indefinite = 0xFFF8000000000000ULL;

	memset(r, 0, sizeof(*r));
	r->mxcsr = 0x1F80;
	r->fcw = 0x037F;
	memcpy(&r->st0, &indefinite, sizeof(r->st0));
}

/* Compare what the level loads: 16 x 16, 16 x 32, or 32 x 64 bytes and k1-k7. */
static void xs_expect(const struct xs_regs *want, const struct xs_regs *got, int level,
		      const char *who, int step)
{
	int nregs = level == 2 ? 32 : 16, bytes = level == 2 ? 64 : level == 1 ? 32 : 16;

	for (int i = 0; i < nregs; i++)
		if (memcmp(want->z[i], got->z[i], (size_t)bytes))
			fail_msg("%s, step %d: vector register %d differs (byte 0: %#x, want %#x)",
				 who, step, i, got->z[i][0], want->z[i][0]);
	if (level == 2)
		for (int i = 1; i < 8; i++)
			if (want->k[i] != got->k[i])
				fail_msg("%s, step %d: k%d = %#llx, want %#llx", who, step, i,
					 (unsigned long long)got->k[i],
					 (unsigned long long)want->k[i]);
	if (want->mxcsr != got->mxcsr)
		fail_msg("%s, step %d: MXCSR %#x, want %#x", who, step, got->mxcsr, want->mxcsr);
	if (want->fcw != got->fcw)
		fail_msg("%s, step %d: x87 control word %#x, want %#x", who, step, got->fcw,
			 want->fcw);
	if (memcmp(&want->st0, &got->st0, sizeof(double)))
		fail_msg("%s, step %d: ST0 %a, want %a", who, step, got->st0, want->st0);
}

/* The same comparison, silent (for the LP's side of a test). */
static bool xs_same(const struct xs_regs *want, const struct xs_regs *got, int level)
{
	int nregs = level == 2 ? 32 : 16, bytes = level == 2 ? 64 : level == 1 ? 32 : 16;

	for (int i = 0; i < nregs; i++)
		if (memcmp(want->z[i], got->z[i], (size_t)bytes))
			return false;
	if (level == 2 && memcmp(&want->k[1], &got->k[1], 7 * sizeof(uint64_t)))
		return false;
	return want->mxcsr == got->mxcsr && want->fcw == got->fcw &&
	       !memcmp(&want->st0, &got->st0, sizeof(double));
}

struct xs_run {
	bool gate; /* the host enters by the gate (else the SEAMCALL opcode) */
	int level;
	uint64_t kinds[6];
	struct xs_regs host_in, host_out[6];
};

/*
 * The guest's image and where it stores it: host memory, which guest code reaches natively
 * (a TD window is a convention of the address space, not a boundary).
 */
static struct xs_guest {
	struct xs_regs in, out;
} xs_guest;

static long kick_later(void *arg)
{
	struct timespec ts = {0, 20 * 1000 * 1000};

	(void)arg;
	nanosleep(&ts, NULL);
	return lp_kick(0);
}

static long run_xs(void *arg)
{
	struct xs_run *x = arg;
	uint8_t *code = stub_load_blob(blob_xs, blob_xs_end);
	uint64_t gate = (uint64_t)(uintptr_t)tdxsim_gate_ptr;
	struct xs_guest *g = &xs_guest;
	struct lp_work w;
	long ret = 0;

	memcpy(code + (blob_xs_gate - blob_xs), &gate, sizeof(gate));
	xs_fill(&g->in, 0x5A, 0x5F80 /* round up */, 0x0B7F /* round up */, 1.0 / 3.0);
	memset(&g->out, 0, sizeof(g->out));
	stub_guest_start(code);
	stub_guest_cpu.regs.gpr[REG_R8_] = (uint64_t)(uintptr_t)&g->in;
	stub_guest_cpu.regs.gpr[REG_R9_] = (uint64_t)(uintptr_t)&g->out;
	stub_guest_cpu.regs.gpr[REG_R10_] = (uint64_t)x->level;
	stub_guest_cpu.regs.gpr[REG_R11_] =
		(uint64_t)(uintptr_t)td_window_va(stub_win, STUB_GPA_MMIO, true);
	if (lp_vmxon())
		return -1;
	for (int i = 0; i < 6; i++) {
		if (i == 4 && lp_queue_work(1, &w, kick_later, NULL)) {
			ret = -1;
			break;
		}
		if (i == 5)
			memset(code + (blob_xs_go - blob_xs), 1, 1);
		x->kinds[i] = xs_host_enter(&x->host_in, &x->host_out[i], (uint64_t)x->level,
					    x->gate ? gate : 0, 0);
		if (i == 4 && lp_work_wait(&w))
			ret = -1;
	}
	lp_vmxoff();
	return ret;
}

static void xstate_both_ways(bool gate)
{
	static struct xs_run x;
	static const uint64_t want_kinds[6] = {EXIT_REASON_TDCALL,
					       EXIT_REASON_TDCALL,
					       EXIT_REASON_HLT,
					       EXIT_REASON_EPT_VIOLATION,
					       EXIT_REASON_EXTERNAL_INTERRUPT,
					       EXIT_REASON_TDCALL};
	static const char *const levels[] = {"SSE", "AVX", "AVX-512"};
	const struct xs_guest *g;
	struct xs_regs init;
	uint32_t sum;

	platform_claim_signals();
	memset(&x, 0, sizeof(x));
	x.gate = gate;
	x.level = xs_level();
	if (x.level < 2)
		print_message("[ SKIPPED  ] %s on this host: the %s part is not tested (XCR0 "
			      "%#llx has no %s state)\n",
			      levels[x.level], x.level ? "AVX-512" : "AVX and AVX-512",
			      (unsigned long long)platform_xstate_features(),
			      x.level ? "AVX-512" : "AVX");
	xs_fill(&x.host_in, 0xA5, 0x7F80 /* toward zero */, 0x077F /* down */, -2.0 / 7.0);
	xs_init_config(&init);
	assert_int_equal(lp_run_on(0, run_xs, &x), 0);
	for (int i = 0; i < 6; i++) {
		if (x.kinds[i] != want_kinds[i])
			fail_msg("exit %d: kind %llu, want %llu", i, (unsigned long long)x.kinds[i],
				 (unsigned long long)want_kinds[i]);
		xs_expect(&init, &x.host_out[i], x.level, "host", i);
	}
	g = &xs_guest;
	xs_expect(&g->in, &g->out, x.level, "guest", 5);
	/* 1.0f + 2^-30 rounded up by the guest's MXCSR: the next float after 1.0. */
	memcpy(&sum, &g->out.sum, sizeof(sum));
	assert_int_equal(sum, 0x3F800001);
}

static void test_xstate_host_enters_by_gate(void **state)
{
	(void)state;
	xstate_both_ways(true);
}

static void test_xstate_host_enters_by_seamcall_opcode(void **state)
{
	(void)state;
	xstate_both_ways(false);
}

/*
 * Timer exits at random points of a guest that makes in-place gated TDCALLs in a loop:
 * some land in the guest's own code, some in the gate, some in its resume sequence (where
 * the handler takes the context and the extended state from memory). Neither side's
 * registers may change, wherever they land.
 */
#define XA_ROUNDS 400000

struct xa_run {
	bool gate;
	int level;
	uint64_t bad; /* the guest's rounds left at a mismatch, or 0 */
	unsigned int intr_exits, other_exits;
	uint64_t last_kind;
	struct xs_regs host_in, host_out, host_init, host_bad;
	int host_bad_step;
};

static long run_xa(void *arg)
{
	struct xa_run *x = arg;
	uint8_t *code = stub_load_blob(blob_xa, blob_xa_end);
	uint64_t gate = (uint64_t)(uintptr_t)tdxsim_gate_ptr;
	static struct xs_regs in;

	memcpy(code + (blob_xa_gate - blob_xa), &gate, sizeof(gate));
	xs_fill(&in, 0x3C, 0x3F80 /* round down */, 0x037F, 0.0);
	stub_guest_start(code);
	stub_guest_cpu.regs.gpr[REG_R8_] = (uint64_t)(uintptr_t)&in;
	stub_guest_cpu.regs.gpr[REG_R9_] = (uint64_t)(uintptr_t)&x->bad;
	stub_guest_cpu.regs.gpr[REG_R12_] = XA_ROUNDS;
	x->host_bad_step = -1;
	if (lp_vmxon())
		return -1;
	for (int i = 0; i < 100000; i++) {
		x->last_kind = xs_host_enter(&x->host_in, &x->host_out, (uint64_t)x->level,
					     x->gate ? gate : 0, 0);
		if (x->host_bad_step < 0 && !xs_same(&x->host_init, &x->host_out, x->level)) {
			x->host_bad_step = i;
			x->host_bad = x->host_out;
		}
		if (x->last_kind != EXIT_REASON_EXTERNAL_INTERRUPT)
			break;
		x->intr_exits++;
	}
	lp_vmxoff();
	return 0;
}

static void async_exits(bool gate)
{
	static struct xa_run x;

	platform_claim_signals();
	stub_shutdown();
	assert_int_equal(stub_boot(5000, true), 0);
	stub_policy = STUB_TDCALL_IN_PLACE;
	memset(&x, 0, sizeof(x));
	x.gate = gate;
	x.level = xs_level();
	xs_fill(&x.host_in, 0xC3, 0x7F80, 0x077F, -2.0 / 7.0);
	xs_init_config(&x.host_init);
	assert_int_equal(lp_run_on(0, run_xa, &x), 0);
	print_message("[          ] %u timer exits in %d gated TDCALLs\n", x.intr_exits, XA_ROUNDS);
	assert_int_equal(x.last_kind, EXIT_REASON_TDCALL);
	assert_int_equal(x.bad, 0);
	if (x.host_bad_step >= 0)
		xs_expect(&x.host_init, &x.host_bad, x.level, "host", x.host_bad_step);
}

static void test_xstate_async_exits_gate(void **state)
{
	(void)state;
	async_exits(true);
}

static void test_xstate_async_exits_seamcall_opcode(void **state)
{
	(void)state;
	async_exits(false);
}

/*
 * Calls that do not switch worlds. The dispatcher (the hooks below) notes the x87 and SSE
 * state it runs with and computes 1/3 in double and in long double: under the caller's
 * unmasked precision exception either would be a SIGFPE in the machine's own code.
 */
struct fpu_seen {
	uint32_t mxcsr;
	uint16_t fcw, fsw, ftw;
	double third;
	long double third_x87;
};

static struct fpu_seen seen;
static volatile double one = 1.0, three = 3.0;

static void note_fpu(void)
{
	uint16_t env[14];

	__asm__ volatile("stmxcsr %0" : "=m"(seen.mxcsr));
	__asm__ volatile("fnstenv %0\n\tfldenv %0" : "=m"(env));
	seen.fcw = env[0];
	seen.fsw = env[2];
	seen.ftw = env[4];
	seen.third = one / three;
	seen.third_x87 = (long double)one / (long double)three;
}

static bool note_tdcall(struct cpu_regs *ctx, const struct vm_exit *exit)
{
	if (exit->reason == EXIT_REASON_TDCALL && ctx->gpr[REG_RAX_] == 0)
		note_fpu();
	return false; /* the stub goes on: RAX = 0 completes in place, anything else exits */
}

static void note_seamcall(struct cpu_regs *ctx, unsigned int len)
{
	note_fpu();
	ctx->rip += len;
	ctx->gpr[REG_RAX_] = 0;
}

static void expect_clean(const char *who, int step)
{
	if (seen.mxcsr != 0x1F80 || seen.fcw != 0x37F || seen.fsw != 0 || seen.ftw != 0xFFFF)
		fail_msg("%s, step %d: the dispatcher ran with MXCSR %#x FCW %#x FSW %#x FTW %#x",
			 who, step, seen.mxcsr, seen.fcw, seen.fsw, seen.ftw);
	assert_true(seen.third == one / three);
	assert_true(seen.third_x87 == (long double)one / (long double)three);
}

/* The caller's MXCSR, x87 control word, a value left on its x87 stack, RFLAGS at the call. */
static const struct {
	uint32_t mxcsr;
	uint16_t fcw;
	bool st_pushed; /* ST0 stays loaded across the call (else the stack is empty) */
	uint64_t rflags;
} in_place[] = {
	{0x1F80, 0x037F, false, 0x202},			  /* the defaults, the stack empty */
	{0x4000, 0x0B40, true, 0x202 | X86_EFLAGS_ARITH}, /* all unmasked, round up */
	{0x1F80, 0x037F, true, 0x202 | X86_EFLAGS_OF},	  /* the defaults, the stack not empty */
	{0x7F80, 0x0F7F, false, 0x202 | X86_EFLAGS_CF | X86_EFLAGS_ZF | X86_EFLAGS_DF},
	{0x1FA0, 0x037F, false, 0x202 | X86_EFLAGS_SF | X86_EFLAGS_PF | X86_EFLAGS_AF},
	{0x1F80, 0x027F, true, 0x202 | 0x40000 /* AC */ | X86_EFLAGS_OF | X86_EFLAGS_CF},
};

#define NR_IN_PLACE (sizeof(in_place) / sizeof(in_place[0]))

struct ip_run {
	int level;
	unsigned int c;
	uint64_t kind;
	struct xs_regs host_in, host_out;
};

static long run_ip(void *arg)
{
	struct ip_run *x = arg;
	uint8_t *code = stub_load_blob(blob_ip, blob_ip_end);
	uint64_t gate = (uint64_t)(uintptr_t)tdxsim_gate_ptr;

	memcpy(code + (blob_ip_gate - blob_ip), &gate, sizeof(gate));
	stub_guest_start(code);
	stub_guest_cpu.regs.gpr[REG_R8_] = (uint64_t)(uintptr_t)&xs_guest.in;
	stub_guest_cpu.regs.gpr[REG_R9_] = (uint64_t)(uintptr_t)&xs_guest.out;
	stub_guest_cpu.regs.gpr[REG_R10_] = (uint64_t)x->level;
	stub_guest_cpu.regs.gpr[REG_R12_] = in_place[x->c].rflags;
	stub_guest_cpu.regs.gpr[REG_R13_] = in_place[x->c].st_pushed;
	if (lp_vmxon())
		return -1;
	x->kind = xs_host_enter(&x->host_in, &x->host_out, (uint64_t)x->level, gate, 0);
	lp_vmxoff();
	return 0;
}

/* A guest's TDCALL completed in the module: no world switch. */
static void test_xstate_guest_tdcall_in_place(void **state)
{
	static struct ip_run x;
	struct xs_regs init;

	(void)state;
	xs_init_config(&init);
	platform_claim_signals();
	stub_policy = STUB_TDCALL_IN_PLACE;
	stub_guest_hook = note_tdcall;
	for (unsigned int c = 0; c < NR_IN_PLACE; c++) {
		memset(&x, 0, sizeof(x));
		memset(&seen, 0, sizeof(seen));
		x.level = xs_level();
		x.c = c;
		xs_fill(&x.host_in, 0xB4, 0x7F80, 0x077F, -2.0 / 7.0);
		xs_fill(&xs_guest.in, (uint8_t)(0x11 * c + 3), in_place[c].mxcsr, in_place[c].fcw,
			5.0 / 9.0);
		memset(&xs_guest.out, 0, sizeof(xs_guest.out));
		assert_int_equal(lp_run_on(0, run_ip, &x), 0);
		assert_int_equal(x.kind, EXIT_REASON_TDCALL);
		expect_clean("the guest's TDCALL", (int)c);
		xs_expect(&xs_guest.in, &xs_guest.out, x.level, "guest", (int)c);
		assert_int_equal(xs_guest.out.rflags, in_place[c].rflags);
		xs_expect(&init, &x.host_out, x.level, "host", (int)c);
	}
}

struct hc_run {
	int level;
	unsigned int c;
	struct xs_regs in, out;
};

static long run_hc(void *arg)
{
	struct hc_run *x = arg;

	if (lp_vmxon())
		return -1;
	xs_host_call(&x->in, &x->out, (uint64_t)x->level, in_place[x->c].rflags,
		     in_place[x->c].st_pushed);
	lp_vmxoff();
	return 0;
}

/* A host's SEAMCALL that enters no TD: no world switch. */
static void test_xstate_host_seamcall_in_place(void **state)
{
	static const struct platform_hooks hooks = {.seamcall = note_seamcall};
	static struct hc_run x;

	(void)state;
	platform_set_hooks(&hooks);
	for (unsigned int c = 0; c < NR_IN_PLACE; c++) {
		memset(&x, 0, sizeof(x));
		memset(&seen, 0, sizeof(seen));
		x.level = xs_level();
		x.c = c;
		xs_fill(&x.in, (uint8_t)(0x23 * c + 7), in_place[c].mxcsr, in_place[c].fcw,
			-7.0 / 3.0);
		assert_int_equal(lp_run_on(0, run_hc, &x), 0);
		expect_clean("the host's SEAMCALL", (int)c);
		xs_expect(&x.in, &x.out, x.level, "host", (int)c);
		assert_int_equal(x.out.rflags, in_place[c].rflags);
	}
}

/*
 * A TDH.VP.ENTER that enters no TD (the module refuses it: here a hook that answers every
 * SEAMCALL with a status): the host's extended state comes back in the initial
 * configuration as after a TD exit, by either path and for any version of the leaf.
 */
#define REFUSED 0xC000010000000000ULL /* a status only this hook gives */

static void refuse_seamcall(struct cpu_regs *ctx, unsigned int len)
{
	ctx->rip += len;
	ctx->gpr[REG_RAX_] = REFUSED;
}

struct re_run {
	int level;
	bool gate;
	uint64_t rax, status, stub_status;
	struct xs_regs in, out;
	uint32_t stub_mxcsr;
	uint16_t stub_fcw;
};

static long run_re(void *arg)
{
	struct re_run *x = arg;
	struct tdx_module_args args = {0};
	uint32_t mxcsr = 0x5F80, saved_mxcsr; /* round up, all masked */
	uint16_t fcw = 0x0B7F, saved_fcw;

	if (lp_vmxon())
		return -1;
	x->status = xs_host_enter(&x->in, &x->out, (uint64_t)x->level,
				  x->gate ? (uint64_t)(uintptr_t)tdxsim_gate_ptr : 0, x->rax);
	/* The host's C stub keeps what the SysV ABI makes callee-saved: MXCSR and FCW. */
	__asm__ volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(saved_mxcsr), "=m"(saved_fcw));
	__asm__ volatile("ldmxcsr %0\n\tfldcw %1" : : "m"(mxcsr), "m"(fcw));
	x->stub_status = x->gate ? __seamcall_gate(x->rax, &args) : __seamcall_insn(x->rax, &args);
	__asm__ volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(x->stub_mxcsr), "=m"(x->stub_fcw));
	__asm__ volatile("ldmxcsr %0\n\tfldcw %1" : : "m"(saved_mxcsr), "m"(saved_fcw));
	lp_vmxoff();
	return 0;
}

static void test_xstate_vp_enter_refused(void **state)
{
	static const struct platform_hooks hooks = {.seamcall = refuse_seamcall};
	static const uint64_t leaves[] = {0 /* TDH.VP.ENTER */, 0x10000 /* version 1 */,
					  0x20000 /* version 2 */};
	static struct re_run x;
	struct xs_regs init;

	(void)state;
	platform_claim_signals();
	platform_set_hooks(&hooks);
	xs_init_config(&init);
	for (int gate = 0; gate < 2; gate++) {
		for (unsigned int l = 0; l < sizeof(leaves) / sizeof(leaves[0]); l++) {
			memset(&x, 0, sizeof(x));
			x.level = xs_level();
			x.gate = gate;
			x.rax = leaves[l];
			xs_fill(&x.in, (uint8_t)(0x31 + l), 0x5F80, 0x0B7F, 3.0 / 7.0);
			assert_int_equal(lp_run_on(0, run_re, &x), 0);
			assert_int_equal(x.status, REFUSED);
			assert_int_equal(x.stub_status, REFUSED);
			assert_int_equal(x.stub_mxcsr, 0x5F80);
			assert_int_equal(x.stub_fcw, 0x0B7F);
			xs_expect(&init, &x.out, x.level, gate ? "host, gate" : "host, opcode",
				  (int)l);
		}
	}
}

/*
 * A guest whose home is in the initial configuration (XSTATE_BV 0) gets exactly that at
 * its first instruction, whatever the host left in the registers at its VP.ENTER (XMM,
 * YMM, or all of AVX-512 with k1-k7; with or without x87 state in use, which decides
 * whether the gate's resume runs XRSTOR or VZEROALL): every register zero, FCW 0x37F, an
 * empty x87 stack, and the MXCSR of its home (0x1F80, or 0x3F80 written there), as XRSTOR
 * gives.
 */
struct z_run {
	int level, host_level;
	bool gate, host_x87;
	uint64_t kind;
	struct xs_regs host_in, host_out, guest_out;
};

static long run_z(void *arg)
{
	struct z_run *x = arg;
	uint8_t *code = stub_load_blob(blob_z, blob_z_end);
	uint64_t gate = x->gate ? (uint64_t)(uintptr_t)tdxsim_gate_ptr : 0;
	static uint8_t init[XSTATE_MAX_SIZE] __attribute__((aligned(64)));

	xstate_reset(init);
	stub_guest_start(code);
	stub_guest_cpu.regs.gpr[REG_R9_] = (uint64_t)(uintptr_t)&x->guest_out;
	stub_guest_cpu.regs.gpr[REG_R10_] = (uint64_t)x->level;
	if (lp_vmxon())
		return -1;
	if (x->host_x87)
		x->kind =
			xs_host_enter(&x->host_in, &x->host_out, (uint64_t)x->host_level, gate, 0);
	else
		x->kind = xs_host_enter_vector(&x->host_in, (uint64_t)x->host_level, gate, init,
					       platform_xstate_features());
	lp_vmxoff();
	return 0;
}

static void test_xstate_guest_starts_initial(void **state)
{
	static struct z_run x;
	struct xs_regs want;

	(void)state;
	platform_claim_signals();
	/* Each step: the path, the home's MXCSR, x87 in the host or not, the host's level. */
	for (int step = 0; step < 8 * (xs_level() + 1); step++) {
		uint32_t mxcsr = (step & 2) ? 0x3F80 : 0x1F80;

		memset(&x, 0, sizeof(x));
		x.level = xs_level();
		x.gate = step & 1;
		x.host_x87 = step & 4;
		x.host_level = step >> 3;
		xs_fill(&x.host_in, (uint8_t)(0x61 + step), 0x7F80, 0x077F, 1.0 / 9.0);
		xstate_reset(stub_guest_cpu.xstate);
		memcpy((uint8_t *)stub_guest_cpu.xstate + 24, &mxcsr, sizeof(mxcsr));
		assert_int_equal(lp_run_on(0, run_z, &x), 0);
		assert_int_equal(x.kind, EXIT_REASON_TDCALL);
		xs_init_config(&want);
		want.mxcsr = mxcsr;
		xs_expect(&want, &x.guest_out, x.level, x.gate ? "guest, gate" : "guest, opcode",
			  step);
	}
}

/* The area's size and reset image: MXCSR 0x1F80, nothing else in use. */
static void test_xstate_area(void **state)
{
	uint64_t f = platform_xstate_features();
	uint8_t area[XSTATE_MAX_SIZE] __attribute__((aligned(64)));
	uint32_t mxcsr, r[4];
	uint64_t bv;

	(void)state;
	assert_int_equal(f & (XFEATURE_X87 | XFEATURE_SSE), XFEATURE_X87 | XFEATURE_SSE);
	assert_int_equal(f & ~XSTATE_SWITCHED, 0);
	assert_int_equal(platform_xstate_size() % 64, 0);
	assert_true(platform_xstate_size() <= XSTATE_MAX_SIZE);
	/* The highest component switched ends inside the area (CPUID.(0xD, i): size, offset). */
	for (unsigned int i = 2; i < 8; i++) {
		if (!(f & (1ULL << i)))
			continue;
		host_cpuid(0xd, i, r);
		assert_true(r[1] + r[0] <= platform_xstate_size());
	}
	if (!(f & XFEATURE_YMM))
		assert_int_equal(platform_xstate_size(), 576);
	memset(area, 0xFF, sizeof(area));
	xstate_reset(area);
	memcpy(&mxcsr, area + 24, 4);
	memcpy(&bv, area + 512, 8);
	assert_int_equal(mxcsr, 0x1F80);
	assert_int_equal(bv, 0);
	assert_int_equal(area[0], 0);
	assert_int_equal(area[platform_xstate_size() - 1], 0);
	if (platform_xstate_size() < sizeof(area))
		assert_int_equal(area[platform_xstate_size()], 0xFF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_xstate_area, stub_setup, stub_teardown),
		cmocka_unit_test_setup_teardown(test_xstate_host_enters_by_gate, stub_setup,
						stub_teardown),
		cmocka_unit_test_setup_teardown(test_xstate_host_enters_by_seamcall_opcode,
						stub_setup, stub_teardown),
		cmocka_unit_test_setup_teardown(test_xstate_async_exits_gate, stub_setup,
						stub_teardown),
		cmocka_unit_test_setup_teardown(test_xstate_async_exits_seamcall_opcode, stub_setup,
						stub_teardown),
		cmocka_unit_test_setup_teardown(test_xstate_guest_tdcall_in_place, stub_setup,
						stub_teardown),
		cmocka_unit_test_setup_teardown(test_xstate_host_seamcall_in_place, stub_setup,
						stub_teardown),
		cmocka_unit_test_setup_teardown(test_xstate_vp_enter_refused, stub_setup,
						stub_teardown),
		cmocka_unit_test_setup_teardown(test_xstate_guest_starts_initial, stub_setup,
						stub_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
