// SPDX-License-Identifier: MIT
/*
 * Extended state (x87, SSE, AVX, AVX-512) across the world switch.
 *
 * Guest and host code run on the same CPU registers, so the world that is not running keeps
 * its extended state in its home: a 64-byte aligned area in the standard (non-compacted)
 * XSAVE format, the LP's own for the host (lp->xstate_host) and the vCPU's for a guest
 * (guest_cpu.xstate; the module keeps it in a TDVPS page, as the TDX module does). lp->xstate
 * names the home of the world whose context is current; lp_world_enter/exit only repoint it.
 * Each path moves state as its context comes and goes:
 *
 *   gate  XSAVEOPT (XSAVE where the CPU lacks it) into lp->xstate on entry, then a clean FPU
 *         for the dispatcher (FNINIT unless the x87 state already is as FNINIT leaves it,
 *         MXCSR 0x1F80, VZEROUPPER); XRSTOR from lp->xstate on resume, which is the new
 *         world's home when the dispatch switched worlds. A call that stays in its world
 *         needs both as well: the dispatcher's code (libc, SHA-384) uses vector registers.
 *   trap  the kernel saved the interrupted context's state in the signal frame and sigreturn
 *         loads it; when the dispatch switched worlds, the frame's state goes to the old
 *         world's home and the new world's home into the frame (xstate_frame_switch).
 *
 * The host's TDH.VP.ENTER is the exception, as in TDX, where the module keeps no VMM
 * extended state [ABI §1.1]: the TD exit (lp_world_exit) makes the host's home the initial
 * configuration (xstate_init_config), so the host's resume loads zeros, MXCSR 0x1F80 and an
 * empty x87 stack, not the TD's values and not its own; and the gate does not save the
 * host's state when RAX names TDH.VP.ENTER (any version), making the home that
 * configuration at once (a VP.ENTER that enters no TD returns with it too), as the trap
 * path makes its signal frame (xstate_not_kept). The host's C stub (host/seamcall.S) keeps
 * MXCSR and the x87 control word, which the SysV ABI makes callee-saved; the vector
 * registers are caller-saved. Measured: the host's save and its live image's load were
 * about 0.2 of a TDVMCALL round trip (docs/PERFORMANCE.md).
 *
 * XSAVEOPT may skip a component that is unchanged since the last XRSTOR from the same
 * address, which is only right if nothing wrote the area in between. Between the gate's
 * XRSTOR of a home and its next XSAVEOPT into it only that world's code runs; the homes
 * are written elsewhere only by a signal handler (xstate_frame_switch) or while the world
 * is not current (xstate_reset), and the kernel has run XRSTOR for the handler (or for
 * another thread) in between, which ends the optimization. Measured: the gated SEAMCALL
 * costs about 25% less with XSAVEOPT than with XSAVE (docs/PERFORMANCE.md).
 *
 * Both worlds switch every component of the host's XCR0 this file knows (XSTATE_SWITCHED),
 * whatever the TD's XFAM: native execution cannot make an instruction of a component outside
 * XFAM #UD as TDX does, and dropping that state would turn a guest bug into wrong numbers.
 * PKRU stays the host thread's, and AMX tile state is not switched (the process never asks
 * the kernel for AMX permission, so tile instructions fault).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "internal.h"
#include "tdx/leaves.h"

#define XSAVE_LEGACY_SWITCHED 416 /* FCW .. XMM15: what the components 0 and 1 hold */
#define XSAVE_SW_RESERVED     464 /* the kernel's struct _fpx_sw_bytes in a signal frame */
#define XSAVE_HDR	      512 /* XSTATE_BV, then XCOMP_BV */
#define XSAVE_MXCSR	      24
#define FP_XSTATE_MAGIC1      0x46505853U
#define MXCSR_RESET	      0x1F80

static uint64_t xfeatures;
static size_t xsize;
static bool xsaveopt, xinuse;
static struct {
	uint32_t offset, size;
} comp[8];

static uint64_t xgetbv0(void)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return lo | (uint64_t)hi << 32;
}

int xstate_init(void)
{
	uint32_t r[4];

	host_cpuid(1, 0, r);
	if (!(r[2] & (1U << 26)) || !(r[2] & (1U << 27))) {
		fprintf(stderr, "tdxsim: XSAVE is not enabled on this CPU (CPUID.1:ECX XSAVE, "
				"OSXSAVE): guest extended state cannot be switched\n");
		return -ENOTSUP;
	}
	xfeatures = xgetbv0() & XSTATE_SWITCHED;
	if ((xfeatures & (XFEATURE_X87 | XFEATURE_SSE)) != (XFEATURE_X87 | XFEATURE_SSE)) {
		fprintf(stderr, "tdxsim: XCR0 %#llx lacks x87 or SSE state\n",
			(unsigned long long)xgetbv0());
		return -ENOTSUP;
	}
	xsize = XSAVE_HDR + 64;
	for (unsigned int i = 2; i < 8; i++) {
		if (!(xfeatures & (1ULL << i)))
			continue;
		/* CPUID.(0xD, i): EAX = size, EBX = offset in the standard format. */
		host_cpuid(0xd, i, r);
		if (!r[0] || r[1] < XSAVE_HDR + 64) {
			fprintf(stderr, "tdxsim: CPUID.(0xD,%u) gives size %u offset %u\n", i, r[0],
				r[1]);
			return -ENOTSUP;
		}
		comp[i].size = r[0];
		comp[i].offset = r[1];
		if (r[1] + r[0] > xsize)
			xsize = r[1] + r[0];
	}
	host_cpuid(0xd, 1, r);
	xsaveopt = r[0] & 1;
	xinuse = r[0] & 4;
	/* CPUID.(0xD, 0).EBX: the standard-format size for all of XCR0, a superset of ours. */
	host_cpuid(0xd, 0, r);
	xsize = (xsize + 63) & ~(size_t)63;
	if (xsize > ((r[1] + 63) & ~63U)) {
		fprintf(stderr, "tdxsim: XSAVE area of %zu bytes exceeds CPUID.(0xD,0).EBX %u\n",
			xsize, r[1]);
		return -ENOTSUP;
	}
	if (xsize > XSTATE_MAX_SIZE) {
		fprintf(stderr, "tdxsim: XSAVE area of %zu bytes exceeds %d\n", xsize,
			XSTATE_MAX_SIZE);
		return -ENOTSUP;
	}
	return 0;
}

bool xstate_has_xsaveopt(void)
{
	return xsaveopt;
}

bool xstate_has_xinuse(void)
{
	return xinuse;
}

/* gate.S tests RAX bits 15:0 for zero: TDH.VP.ENTER's leaf, any version. */
_Static_assert(TDX_LEAF_MASK == 0xFFFF && TDH_VP_ENTER == 0, "gate.S: TDH.VP.ENTER's RAX");

bool xstate_not_kept(uint64_t rax)
{
	return tdx_leaf_of(rax) == TDH_VP_ENTER;
}

uint64_t platform_xstate_features(void)
{
	return xfeatures;
}

size_t platform_xstate_size(void)
{
	return xsize;
}

void xstate_reset(void *area)
{
	uint32_t mxcsr = MXCSR_RESET;

	memset(area, 0, xsize);
	memcpy((uint8_t *)area + XSAVE_MXCSR, &mxcsr, sizeof(mxcsr));
}

void xstate_init_config(void *area)
{
	uint32_t mxcsr = MXCSR_RESET;
	uint64_t none = 0;

	memcpy((uint8_t *)area + XSAVE_HDR, &none, sizeof(none));
	memcpy((uint8_t *)area + XSAVE_MXCSR, &mxcsr, sizeof(mxcsr));
}

void *xstate_alloc(void)
{
	void *a = aligned_alloc(64, xsize);

	if (a)
		xstate_reset(a);
	return a;
}

/* Copy the switched components and their XSTATE_BV bits; leave anything else of dst. */
static void xstate_copy(uint8_t *dst, const uint8_t *src)
{
	uint64_t dbv, sbv;

	memcpy(dst, src, XSAVE_LEGACY_SWITCHED);
	for (unsigned int i = 2; i < 8; i++)
		if (xfeatures & (1ULL << i))
			memcpy(dst + comp[i].offset, src + comp[i].offset, comp[i].size);
	memcpy(&dbv, dst + XSAVE_HDR, sizeof(dbv));
	memcpy(&sbv, src + XSAVE_HDR, sizeof(sbv));
	dbv = (dbv & ~xfeatures) | (sbv & xfeatures);
	memcpy(dst + XSAVE_HDR, &dbv, sizeof(dbv));
}

static void frame_fatal(const char *msg)
{
	static const char pre[] = "tdxsim: ";

	if (write(STDERR_FILENO, pre, sizeof(pre) - 1) < 0 ||
	    write(STDERR_FILENO, msg, strlen(msg)) < 0)
		abort();
	abort();
}

/*
 * The signal frame's XSAVE image (the kernel's user format: FXSAVE area whose software bytes
 * carry FP_XSTATE_MAGIC1 and the features present, then the header and the components).
 */
static uint8_t *frame_xstate(ucontext_t *uc)
{
	uint8_t *fp = (uint8_t *)uc->uc_mcontext.fpregs;
	uint32_t magic, size;
	uint64_t features;

	if (!fp)
		frame_fatal("signal frame without FPU state\n");
	memcpy(&magic, fp + XSAVE_SW_RESERVED, 4);
	memcpy(&features, fp + XSAVE_SW_RESERVED + 8, 8);
	memcpy(&size, fp + XSAVE_SW_RESERVED + 16, 4);
	if (magic != FP_XSTATE_MAGIC1 || (features & xfeatures) != xfeatures || size < xsize)
		frame_fatal("the signal frame's FPU state is not an XSAVE image of every "
			    "switched component\n");
	return fp;
}

void xstate_frame_load(ucontext_t *uc, const void *home)
{
	xstate_copy(frame_xstate(uc), home);
}

void xstate_frame_switch(ucontext_t *uc, void *old_home, const void *new_home)
{
	uint8_t *fp = frame_xstate(uc);

	xstate_copy(old_home, fp);
	xstate_copy(fp, new_home);
}
