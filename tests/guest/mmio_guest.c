// SPDX-License-Identifier: MIT
/*
 * MMIO on the real module. On the test's recorder page (GTD_MMIO_GPA) and on the PCI test
 * device's BAR0 scratch: readb..readq/writeb..writeq on the #VE path and on the direct
 * TDVMCALL path, then every MOV form the #VE handler decodes (gtd_mmio_forms[]: 88/89,
 * 8A/8B, C6/C7, 0F B6/B7, 0F BE/BF with 66 and REX) through #VE, then the moffs forms
 * A0-A3 at every size (gtd_mmio_moffs[], built at run time). The guest checks every
 * value a load left in its register (merging, zero and sign extension) and reads the test
 * device's scratch back after the stores; the test checks the recorder's access list.
 * Prints "mmio: ok" and exits with 0, or with the failing check's number.
 */
#include "tdxguest/insn.h"
#include "tdxguest/tdxguest.h"

#include "guest_td.h"

static int failed;

static void check(int id, u64 got, u64 want)
{
	if (got != want && !failed) {
		tdx_printf("mmio: check %d: got %lx want %lx\n", id, (unsigned long)got,
			   (unsigned long)want);
		failed = id;
	}
}

static u64 pat(unsigned int off, unsigned int size)
{
	return gtd_mmio_value(off, size);
}

static void accessors(u8 *base, int id)
{
	for (unsigned int i = 0; i < GTD_NR_MMIO_ACCESSORS; i++) {
		const struct gtd_mmio_acc *a = &gtd_mmio_accessors[i];
		void *p = base + a->off;

		if (a->write) {
			switch (a->size) {
			case 1:
				writeb((u8)a->value, p);
				break;
			case 2:
				writew((u16)a->value, p);
				break;
			case 4:
				writel((u32)a->value, p);
				break;
			default:
				writeq(a->value, p);
				break;
			}
			continue;
		}
		u64 v = a->size == 1   ? readb(p)
			: a->size == 2 ? readw(p)
			: a->size == 4 ? readl(p)
				       : readq(p);
		check(id + (int)i, v, pat(a->off, a->size));
	}
}

#define STORE(insn, reg, val)                                                                      \
	__asm__ volatile("movabsq $" #val ", %%" reg "\n\t" insn : : "D"(p) : reg, "memory")
#define STORE_IMM(insn) __asm__ volatile(insn : : "D"(p) : "memory")
#define LOAD(insn, reg, init)                                                                      \
	({                                                                                         \
		u64 _v;                                                                            \
		__asm__ volatile("movabsq $" #init ", %%" reg "\n\t" insn "\n\tmovq %%" reg ", %0" \
				 : "=r"(_v)                                                        \
				 : "D"(p)                                                          \
				 : reg, "memory");                                                 \
		_v;                                                                                \
	})
#define INIT 0x1111111111111111

/* gtd_mmio_forms[] in order; p is the base (recorder page or the test device's scratch). */
static void forms(u8 *p, int id)
{
	STORE("movb %%cl, 0x10(%0)", "rcx", 0xA1);
	STORE("movb %%r9b, 0x11(%0)", "r9", 0xB2);
	STORE("movb %%ah, 0x12(%0)", "rax", 0xC300);
	STORE("movw %%dx, 0x14(%0)", "rdx", 0x1234);
	STORE("movl %%edx, 0x18(%0)", "rdx", 0x89ABCDEF);
	STORE("movq %%rdx, 0x20(%0)", "rdx", 0x0123456789ABCDEF);
	STORE("movl %%r10d, 0x28(%0)", "r10", 0x13572468);
	STORE("movw %%r11w, 0x2C(%0)", "r11", 0x9ABC);
	STORE_IMM("movb $0x7F, 0x30(%0)");
	STORE_IMM("movw $0x8001, 0x32(%0)");
	STORE_IMM("movl $0xCAFEBABE, 0x34(%0)");
	STORE_IMM("movq $-2, 0x38(%0)");

	const u64 I = INIT;
	check(id + 0, LOAD("movb 0x40(%1), %%cl", "rcx", 0x1111111111111111),
	      (I & ~0xFFULL) | pat(0x40, 1));
	check(id + 1, LOAD("movb 0x41(%1), %%ah", "rax", 0x1111111111111111),
	      (I & ~0xFF00ULL) | pat(0x41, 1) << 8);
	check(id + 2, LOAD("movb 0x42(%1), %%r11b", "r11", 0x1111111111111111),
	      (I & ~0xFFULL) | pat(0x42, 1));
	check(id + 3, LOAD("movw 0x44(%1), %%dx", "rdx", 0x1111111111111111),
	      (I & ~0xFFFFULL) | pat(0x44, 2));
	check(id + 4, LOAD("movl 0x48(%1), %%edx", "rdx", 0x1111111111111111), pat(0x48, 4));
	check(id + 5, LOAD("movq 0x50(%1), %%r8", "r8", 0x1111111111111111), pat(0x50, 8));
	check(id + 6, LOAD("movzbl 0x58(%1), %%ecx", "rcx", 0x1111111111111111), pat(0x58, 1));
	check(id + 7, LOAD("movzbq 0x59(%1), %%rcx", "rcx", 0x1111111111111111), pat(0x59, 1));
	check(id + 8, LOAD("movzbw 0x5A(%1), %%dx", "rdx", 0x1111111111111111),
	      (I & ~0xFFFFULL) | pat(0x5A, 1));
	check(id + 9, LOAD("movzwl 0x5C(%1), %%eax", "rax", 0x1111111111111111), pat(0x5C, 2));
	check(id + 10, LOAD("movzwq 0x5E(%1), %%rax", "rax", 0x1111111111111111), pat(0x5E, 2));
	check(id + 11, LOAD("movsbl 0x60(%1), %%ecx", "rcx", 0x1111111111111111),
	      (u32)(int32_t)(int8_t)pat(0x60, 1));
	check(id + 12, LOAD("movsbq 0x64(%1), %%rcx", "rcx", 0x1111111111111111),
	      (u64)(int64_t)(int8_t)pat(0x64, 1));
	check(id + 13, LOAD("movsbw 0x65(%1), %%dx", "rdx", 0x1111111111111111),
	      (I & ~0xFFFFULL) | (u16)(int16_t)(int8_t)pat(0x65, 1));
	check(id + 14, LOAD("movswl 0x62(%1), %%ecx", "rcx", 0x1111111111111111),
	      (u32)(int32_t)(int16_t)pat(0x62, 2));
	check(id + 15, LOAD("movswq 0x6C(%1), %%r9", "r9", 0x1111111111111111),
	      (u64)(int64_t)(int16_t)pat(0x6C, 2));
}

/*
 * The moffs forms A0-A3 take the absolute address as an imm64, and that address (the TD
 * window's base + the shared GPA) is known only at run time, so no image can link one. The
 * guest writes each into a private buffer, MOV then RET, and calls it: private pages are
 * mapped executable (module/memory/sept.c, TDX has no per-page permissions for private memory) and
 * the #VE handler decodes the instruction at RIP wherever it is. Every other byte of the
 * buffer is INT3, so a RIP advanced past the RET traps instead of returning.
 */
static u8 moffs_code[32] __attribute__((aligned(16)));

/* Encodings of gtd_mmio_moffs[]: prefixes (66, 67, REX.W, GS), then the opcode. */
static const struct {
	u8 prefix[3], nprefix, opcode;
} moffs_enc[] = {
	{{0}, 0, 0xA2},		 {{0x66}, 1, 0xA3},
	{{0}, 0, 0xA3},		 {{0x48}, 1, 0xA3},
	{{0}, 0, 0xA0},		 {{0x66}, 1, 0xA1},
	{{0}, 0, 0xA1},		 {{0x48}, 1, 0xA1},
	{{0x65, 0x67}, 2, 0xA2}, {{0x65, 0x66, 0x67}, 3, 0xA3},
	{{0x65, 0x67}, 2, 0xA3}, {{0x65, 0x67, 0x48}, 3, 0xA3},
	{{0x65, 0x67}, 2, 0xA0}, {{0x65, 0x66, 0x67}, 3, 0xA1},
	{{0x65, 0x67}, 2, 0xA1}, {{0x65, 0x67, 0x48}, 3, 0xA1},
};
_Static_assert(sizeof(moffs_enc) / sizeof(moffs_enc[0]) == GTD_NR_MMIO_MOFFS, "moffs_enc");

/* Write form i with its offset (8 bytes, or 4 after 67) and RET; the MOV's length. */
static unsigned int moffs_write(unsigned int i, u64 moffs)
{
	unsigned int n = 0, osz = 8;

	memset(moffs_code, 0xCC, sizeof(moffs_code));
	for (unsigned int k = 0; k < moffs_enc[i].nprefix; k++) {
		moffs_code[n++] = moffs_enc[i].prefix[k];
		if (moffs_enc[i].prefix[k] == 0x67)
			osz = 4;
	}
	moffs_code[n++] = moffs_enc[i].opcode;
	memcpy(&moffs_code[n], &moffs, osz);
	n += osz;
	moffs_code[n] = 0xC3; /* RET */
	return n;
}

static u64 moffs_call(u64 rax)
{
	__asm__ volatile("call *%1" : "+a"(rax) : "r"(moffs_code) : "memory", "cc");
	return rax;
}

static u64 rdgsbase(void)
{
	u64 v;

	__asm__ volatile("rdgsbase %0" : "=r"(v));
	return v;
}

static void wrgsbase(u64 v)
{
	__asm__ volatile("wrgsbase %0" : : "r"(v) : "memory");
}

/*
 * gtd_mmio_moffs[] in order, the first n: one #VE each, loads checked like forms(), the
 * length too. The moffs32 forms address p + off as GS:off, GS's base set to p meanwhile.
 */
static void moffs(u8 *p, unsigned int n, int id)
{
	u64 gs = n > GTD_NR_MMIO_MOFFS - GTD_NR_MMIO_MOFFS32 ? rdgsbase() : 0;

	for (unsigned int i = 0; i < n; i++) {
		const struct gtd_mmio_acc *a = &gtd_mmio_moffs[i];
		bool addr32 = i >= GTD_NR_MMIO_MOFFS - GTD_NR_MMIO_MOFFS32;
		u64 keep = a->size >= 4 ? 0 : ~0ULL << (8 * a->size);
		unsigned int len = moffs_write(i, addr32 ? a->off : (u64)(uintptr_t)(p + a->off));
		struct insn_mmio insn;
		u64 ves = tdx_ve_count, decodes = tdx_mmio_decodes, v;

		/* The decoder's length is the RIP advance that lands on the RET. */
		check(id + 4 * (int)i, insn_decode_mmio(moffs_code, len, &insn), INSN_OK);
		check(id + 4 * (int)i + 1, insn.len, len);
		if (addr32)
			wrgsbase((u64)(uintptr_t)p);
		v = moffs_call(a->write ? a->value : INIT);
		if (addr32)
			wrgsbase(gs);
		check(id + 4 * (int)i + 2, tdx_ve_count - ves, 1);
		/* New bytes at the RIP of the last form: decoded, not the last one's decode. */
		check(1000 + id + (int)i, tdx_mmio_decodes - decodes, 1);
		check(id + 4 * (int)i + 3, v,
		      a->write ? a->value : (INIT & keep) | pat(a->off, a->size));
	}
}

/* One readl at one RIP, wherever it is called from. */
static __attribute__((noinline)) u32 readl_once(const void *p)
{
	return readl(p);
}

/* The stores of a sequence ran against p: each value must be there. */
static void readback(u8 *p, const struct gtd_mmio_acc *seq, unsigned int n, int id)
{
	for (unsigned int i = 0; i < n; i++) {
		const struct gtd_mmio_acc *a = &seq[i];
		u64 m = a->size == 8 ? ~0ULL : (1ULL << (8 * a->size)) - 1;

		if (a->write)
			check(id + (int)i, readq(p + a->off) & m, a->value);
	}
}

int main(void)
{
	u64 shared = tdx_shared_mask();
	u8 *rec = __va(GTD_MMIO_GPA | shared);
	u8 *bar = __va(GTD_TESTDEV_GPA | shared);
	u8 *scratch = bar + GTD_SCRATCH;
	unsigned int nmoffs = tdx_boot_regs[1] & GTD_MMIO_ADDR32
				      ? GTD_NR_MMIO_MOFFS
				      : GTD_NR_MMIO_MOFFS - GTD_NR_MMIO_MOFFS32;
	u64 ves;

	/* Recorder: the accessors on both paths, then the decoder forms through #VE. */
	tdx_mmio_path = TDX_MMIO_VE;
	ves = tdx_ve_count;
	accessors(rec, 100);
	check(1, tdx_ve_count - ves, GTD_NR_MMIO_ACCESSORS);
	tdx_mmio_path = TDX_MMIO_TDVMCALL;
	ves = tdx_ve_count;
	accessors(rec + 0x800, 200);
	check(2, tdx_ve_count - ves, 0);
	ves = tdx_ve_count;
	forms(rec, 300);
	check(3, tdx_ve_count - ves, GTD_NR_MMIO_FORMS);
	moffs(rec, nmoffs, 700);

	/* Test device: MAGIC at each size on both paths, scratch filled with the pattern. */
	for (int path = 0; path < 2; path++) {
		tdx_mmio_path = path ? TDX_MMIO_TDVMCALL : TDX_MMIO_VE;
		check(10 + path, readq(bar), 0x44544D4953584454ULL);
		check(12 + path, readl(bar + 4), 0x44544D49);
		check(14 + path, readw(bar + 2), 0x5358);
		check(16 + path, readb(bar + 7), 0x44);
		check(18 + path, readq(bar + 8), 1); /* VERSION */
	}
	for (unsigned int off = 0; off < 0x80; off += 8)
		writeq(pat(off, 8), scratch + off); /* direct path still */
	tdx_mmio_path = TDX_MMIO_VE;
	accessors(scratch, 400);
	forms(scratch, 500);
	moffs(scratch, nmoffs, 800);
	/* The #VE handler decodes an instruction once: eight #VEs at one RIP (the SDK's readl,
	 * which ran before), one decode at most. */
	ves = tdx_ve_count;
	u64 decodes = tdx_mmio_decodes;

	for (int i = 0; i < 8; i++)
		check(19, readl_once(bar + 8), 1);
	check(20, tdx_ve_count - ves, 8);
	check(21, tdx_mmio_decodes - decodes <= 1, 1);
	/* The stores of the sequences, read back through the direct path. */
	tdx_mmio_path = TDX_MMIO_TDVMCALL;
	readback(scratch, gtd_mmio_forms, GTD_NR_MMIO_FORMS, 600);
	readback(scratch, gtd_mmio_moffs, nmoffs, 900);
	tdx_printf("mmio: %s\n", failed ? "FAILED" : "ok");
	return failed;
}
