// SPDX-License-Identifier: MIT
/*
 * Floating point and SIMD across exits, in a guest built as any program is now: WITHOUT
 * -mgeneral-regs-only. Each loop keeps its values in vector registers (the compiler's
 * choice at -O1 and above) around an exit the loop body makes inline, 1000 times:
 *
 *   MMIO   a MOV load from the recorder page: #VE (EPT violation), handled by the SDK
 *   PORT   an OUT to the port recorder: #VE (I/O instruction)
 *   CALL   TDVMCALL<Instruction.IO> OUT, inline: the gate or the TDCALL instruction
 *   IPI    WRMSR of the x2APIC SELF_IPI: the interrupt is delivered at once, and its handler
 *          computes with doubles itself (the SDK saves the interrupted state around it)
 *
 * and asserts exact values: 1000.0 + 0.5 x 1000 = 1500.0 in a double; {1500, 3000} in an SSE
 * vector of doubles; {1500, 2250, 3750, 5000} in an AVX one and 1250 x (lane + 1) in the
 * eight lanes of an AVX-512 one (boot options GTD_FP_AVX, GTD_FP_AVX512); MXCSR set to
 * round up and the x87 control word to round down, both unchanged after exits of every kind
 * and still rounding that way.
 * GTD_FP_TDCALL_INSN makes every TDCALL the instruction (the trap path).
 * Prints "fp: ok" and exits with 0, or with the failing check's number.
 */
#include "tdx/vmx.h"
#include "tdxguest/tdxguest.h"

#include "guest_td.h"

typedef double v2df __attribute__((vector_size(16)));
typedef double v4df __attribute__((vector_size(32)));
typedef double v8df __attribute__((vector_size(64)));

enum { EXIT_MMIO, EXIT_PORT, EXIT_CALL, EXIT_IPI, NR_EXITS };
static const char *const exit_name[NR_EXITS] = {"MMIO #VE", "port #VE", "TDVMCALL", "interrupt"};

static int failed;
static volatile u32 *mmio;
static bool use_insn;
static volatile u64 irqs;
static volatile double irq_junk;
/* Read through a volatile so that the compiler cannot fold a loop into a constant. */
static volatile double half = 0.5, quarter = 0.25, start = 1000.0;

static void check(int id, bool ok, const char *what, int exit)
{
	if (!ok && !failed) {
		tdx_printf("fp: check %d: %s across %s exits\n", id, what, exit_name[exit]);
		failed = id;
	}
}

static u64 bits(double d)
{
	u64 b;

	memcpy(&b, &d, sizeof(b));
	return b;
}

static void fp_irq(unsigned int vector, struct pt_regs *regs)
{
	(void)vector;
	(void)regs;
	irq_junk = (double)irqs * 3.25 + irq_junk * 0.5; /* vector registers of its own */
	irqs++;
	tdx_apic_eoi();
}

/* TDG.VP.VMCALL<Instruction.IO>: OUT of one byte, R10-R15 exposed. */
static inline __attribute__((always_inline)) void tdvmcall_out(u16 port, u8 val)
{
	register u64 r10 __asm__("r10") = 0;
	register u64 r11 __asm__("r11") = EXIT_REASON_IO_INSTRUCTION;
	register u64 r12 __asm__("r12") = 1;
	register u64 r13 __asm__("r13") = 1;
	register u64 r14 __asm__("r14") = port;
	register u64 r15 __asm__("r15") = val;
	u64 rax = TDG_VP_VMCALL, rcx = 0xFC00;

	if (use_insn)
		__asm__ volatile(".byte 0x66, 0x0f, 0x01, 0xcc"
				 : "+a"(rax), "+c"(rcx), "+r"(r10), "+r"(r11), "+r"(r12), "+r"(r13),
				   "+r"(r14), "+r"(r15)
				 :
				 : "memory");
	else
		__asm__ volatile("call *tdx_gate(%%rip)"
				 : "+a"(rax), "+c"(rcx), "+r"(r10), "+r"(r11), "+r"(r12), "+r"(r13),
				   "+r"(r14), "+r"(r15)
				 :
				 : "memory");
	if (rax || r10)
		tdx_panic(0, "fp: TDVMCALL<Instruction.IO> %lx/%lx", (unsigned long)rax,
			  (unsigned long)r10);
}

/* One exit, made inline: nothing the compiler knows of touches a vector register. */
static inline __attribute__((always_inline)) void exit_once(int kind)
{
	u32 v;

	switch (kind) {
	case EXIT_MMIO:
		__asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(mmio) : "memory");
		break;
	case EXIT_PORT:
		__asm__ volatile("outb %%al, %%dx" : : "a"(0x5A), "d"(GTD_PORT) : "memory");
		break;
	case EXIT_CALL:
		tdvmcall_out(GTD_PORT + 1, 0xA5);
		break;
	default:
		__asm__ volatile("wrmsr" : : "c"(0x83F), "a"(GTD_FP_VECTOR), "d"(0) : "memory");
		break;
	}
}

static void scalar(int kind)
{
	double x = start, step = half;
	u64 before = irqs;

	for (int i = 0; i < GTD_FP_ROUNDS; i++) {
		x += step;
		exit_once(kind);
	}
	check(10 + kind, x == 1500.0, "double 1000 + 0.5 x 1000 != 1500.0", kind);
	if (x != 1500.0)
		tdx_printf("fp: got %lx\n", (unsigned long)bits(x));
	check(20 + kind, kind != EXIT_IPI || irqs - before == GTD_FP_ROUNDS,
	      "interrupt count != 1000", kind);
}

static void sse(int kind)
{
	v2df x = {start, 2 * start}, step = {half, 2 * half};

	for (int i = 0; i < GTD_FP_ROUNDS; i++) {
		x += step;
		exit_once(kind);
	}
	check(30 + kind, x[0] == 1500.0 && x[1] == 3000.0, "SSE {1500, 3000}", kind);
}

__attribute__((target("avx"))) static void avx(int kind)
{
	v4df x = {start, 2 * start, 3 * start, 4 * start};
	v4df step = {half, quarter, half + quarter, 1.0};

	for (int i = 0; i < GTD_FP_ROUNDS; i++) {
		x += step;
		exit_once(kind);
	}
	check(40 + kind, x[0] == 1500.0 && x[1] == 2250.0 && x[2] == 3750.0 && x[3] == 5000.0,
	      "AVX {1500, 2250, 3750, 5000}", kind);
}

__attribute__((target("avx512f"))) static void avx512(int kind)
{
	v8df x, step;
	bool ok = true;

	for (int l = 0; l < 8; l++) {
		x[l] = start * (l + 1);
		step[l] = quarter * (l + 1);
	}
	for (int i = 0; i < GTD_FP_ROUNDS; i++) {
		x += step;
		exit_once(kind);
	}
	for (int l = 0; l < 8; l++)
		ok = ok && x[l] == 1250.0 * (l + 1);
	check(50 + kind, ok, "AVX-512 {1250, 2500, ..., 10000}", kind);
}

/*
 * MXCSR round up, x87 round down: both survive exits and still round so. 1 + 2^-60 in
 * double rounds up to the next double after 1; 1 + 2^-70 in the x87's 64-bit mantissa
 * rounds down to 1, and 1 - 2^-70 down to the largest extended value below 1.
 */
static void control_words(int kind)
{
	const u32 mxcsr_up = 0x5F80;
	const u16 fcw_down = 0x077F;
	u32 mxcsr;
	u16 fcw;
	volatile double one = 1.0, tiny = 0x1p-60;
	volatile long double lone = 1.0L, ltiny = 0x1p-70L;
	long double below;

	__asm__ volatile("ldmxcsr %0" : : "m"(mxcsr_up));
	__asm__ volatile("fldcw %0" : : "m"(fcw_down));
	for (int i = 0; i < 4; i++)
		exit_once(kind);
	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
	__asm__ volatile("fnstcw %0" : "=m"(fcw));
	check(60 + kind, mxcsr == mxcsr_up, "MXCSR 0x5F80 (round up)", kind);
	check(70 + kind, fcw == fcw_down, "x87 control word 0x77F (round down)", kind);
	check(80 + kind, bits(one + tiny) == 0x3FF0000000000001ULL, "SSE rounding up", kind);
	below = lone - ltiny;
	check(90 + kind, below < 1.0L && lone + ltiny == 1.0L, "x87 rounding down", kind);
	mxcsr = 0x1F80;
	fcw = 0x037F;
	__asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
	__asm__ volatile("fldcw %0" : : "m"(fcw));
}

int main(void)
{
	u64 opts = tdx_boot_regs[1];

	use_insn = (opts & GTD_FP_TDCALL_INSN) || !tdx_gate;
	tdx_force_tdcall_insn = use_insn;
	tdx_mmio_path = TDX_MMIO_VE;
	tdx_io_path = TDX_IO_VE;
	mmio = __va(GTD_MMIO_GPA | tdx_shared_mask());
	if (tdx_irq_register(GTD_FP_VECTOR, fp_irq))
		return 1;
	tdx_local_irq_enable();
	for (int k = 0; k < NR_EXITS; k++) {
		scalar(k);
		sse(k);
		if (opts & GTD_FP_AVX)
			avx(k);
		if (opts & GTD_FP_AVX512)
			avx512(k);
		control_words(k);
	}
	tdx_printf("fp: %s%s%s %s\n", failed ? "failed" : "ok", opts & GTD_FP_AVX ? ", AVX" : "",
		   opts & GTD_FP_AVX512 ? ", AVX-512" : "",
		   use_insn ? "(TDCALL instruction)" : "(gate)");
	return failed;
}
