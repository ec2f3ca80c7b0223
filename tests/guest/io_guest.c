// SPDX-License-Identifier: MIT
/*
 * Port I/O on the real module, all three paths of the guest runtime (docs/GUEST.md): the
 * early #VE handler (re-installed with tdx_idt_init()), the direct TDVMCALL "decompressor"
 * path, and the runtime native instruction + full #VE handler. Each path runs
 * gtd_port_ops[] on port GTD_PORT + 4 * path; the #VE paths then run IN b/w/l into a preloaded
 * RAX, REP INSB and REP OUTSW. The test's recorder checks every access; the guest checks
 * every value read and the registers, prints "io: <path> ok" and exits with 0, or with the
 * failing check's number.
 */
#include "tdxguest/tdxguest.h"

#include "guest_td.h"

static u32 reads; /* port reads so far: the device's k */
static int failed;

static u32 mask(unsigned int size, u32 v)
{
	return size == 4 ? v : v & ((1u << (8 * size)) - 1);
}

static void check(int id, u64 got, u64 want)
{
	if (got != want && !failed) {
		tdx_printf("io: check %d: got %lx want %lx\n", id, (unsigned long)got,
			   (unsigned long)want);
		failed = id;
	}
}

static u32 next_read(unsigned int size)
{
	return mask(size, gtd_port_value(reads++));
}

static void run_ops(u16 port)
{
	for (unsigned int i = 0; i < GTD_NR_PORT_OPS; i++) {
		const struct gtd_port_op *o = &gtd_port_ops[i];
		u32 buf[4] = {0};
		u8 *b = (u8 *)buf;
		u16 *w = (u16 *)buf;

		switch (o->op * 8 + o->size) {
		case GTD_OUT * 8 + 1:
			outb((u8)o->arg, port);
			break;
		case GTD_OUT * 8 + 2:
			outw((u16)o->arg, port);
			break;
		case GTD_OUT * 8 + 4:
			outl(o->arg, port);
			break;
		case GTD_IN * 8 + 1:
			check(100 + i, inb(port), next_read(1));
			break;
		case GTD_IN * 8 + 2:
			check(100 + i, inw(port), next_read(2));
			break;
		case GTD_IN * 8 + 4:
			check(100 + i, inl(port), next_read(4));
			break;
		case GTD_OUTS * 8 + 1:
			for (unsigned int j = 0; j < o->arg; j++)
				b[j] = (u8)gtd_outs_value(1, j);
			outsb(port, b, o->arg);
			break;
		case GTD_OUTS * 8 + 2:
			for (unsigned int j = 0; j < o->arg; j++)
				w[j] = (u16)gtd_outs_value(2, j);
			outsw(port, w, o->arg);
			break;
		case GTD_OUTS * 8 + 4:
			for (unsigned int j = 0; j < o->arg; j++)
				buf[j] = gtd_outs_value(4, j);
			outsl(port, buf, o->arg);
			break;
		case GTD_INS * 8 + 1:
			insb(port, b, o->arg);
			for (unsigned int j = 0; j < o->arg; j++)
				check(200 + i, b[j], next_read(1));
			check(300 + i, b[o->arg], 0);
			break;
		case GTD_INS * 8 + 2:
			insw(port, w, o->arg);
			for (unsigned int j = 0; j < o->arg; j++)
				check(200 + i, w[j], next_read(2));
			check(300 + i, w[o->arg], 0);
			break;
		case GTD_INS * 8 + 4:
			insl(port, buf, o->arg);
			for (unsigned int j = 0; j < o->arg; j++)
				check(200 + i, buf[j], next_read(4));
			check(300 + i, buf[o->arg], 0);
			break;
		}
	}
}

/* Native forms only the #VE paths can run: RAX merging, REP INSB, REP OUTSW. */
static void run_native(u16 port)
{
	u64 rax;
	u8 in[GTD_REP_INSB + 1];
	u16 out[GTD_REP_OUTSW];
	u64 rdi, rsi, rcx;

	rax = GTD_RAX_PRELOAD;
	__asm__ volatile("inb %w1, %%al" : "+a"(rax) : "d"(port));
	check(400, rax, (GTD_RAX_PRELOAD & ~0xFFULL) | next_read(1));
	rax = GTD_RAX_PRELOAD;
	__asm__ volatile("inw %w1, %%ax" : "+a"(rax) : "d"(port));
	check(401, rax, (GTD_RAX_PRELOAD & ~0xFFFFULL) | next_read(2));
	rax = GTD_RAX_PRELOAD;
	__asm__ volatile("inl %w1, %%eax" : "+a"(rax) : "d"(port));
	check(402, rax, next_read(4)); /* 32-bit IN zero-extends */

	memset(in, 0xEE, sizeof(in));
	rdi = (uintptr_t)in;
	rcx = GTD_REP_INSB;
	__asm__ volatile("cld; rep insb" : "+D"(rdi), "+c"(rcx) : "d"(port) : "memory");
	check(410, rcx, 0);
	check(411, rdi, (uintptr_t)in + GTD_REP_INSB);
	for (unsigned int j = 0; j < GTD_REP_INSB; j++)
		check(412, in[j], next_read(1));
	check(413, in[GTD_REP_INSB], 0xEE);

	for (unsigned int j = 0; j < GTD_REP_OUTSW; j++)
		out[j] = (u16)gtd_outs_value(2, j);
	rsi = (uintptr_t)out;
	rcx = GTD_REP_OUTSW;
	__asm__ volatile("cld; rep outsw" : "+S"(rsi), "+c"(rcx) : "d"(port) : "memory");
	check(420, rcx, 0);
	check(421, rsi, (uintptr_t)out + 2 * GTD_REP_OUTSW);
}

int main(void)
{
	static const char *const names[] = {"early", "decompressor", "runtime"};

	for (int path = 0; path < 3; path++) {
		u64 ves = tdx_ve_count;
		u16 port = (u16)(GTD_PORT + 4 * path);

		if (path == GTD_PATH_EARLY)
			tdx_idt_init(); /* #VE back to the early handler: port I/O only */
		tdx_io_path = path == GTD_PATH_DIRECT ? TDX_IO_TDVMCALL : TDX_IO_VE;
		run_ops(port);
		if (path != GTD_PATH_DIRECT)
			run_native(port);
		tdx_io_path = TDX_IO_TDVMCALL; /* the report itself goes the quiet way */
		if (path == GTD_PATH_EARLY)
			tdx_ve_init();
		/* the direct path takes no #VE; the others one per element */
		check(500 + path, tdx_ve_count - ves == 0, path == GTD_PATH_DIRECT);
		tdx_printf("io: %s %s\n", names[path], failed ? "FAILED" : "ok");
	}
	return failed;
}
