// SPDX-License-Identifier: MIT
/*
 * Making CPUID in guest code trap.
 *
 * CPUID is unprivileged: on real TDX it exits because the CPU is in a TD, but user-space
 * code here executes it natively. Where the host kernel offers CPUID faulting
 * (arch_prctl(ARCH_SET_CPUID, 0), Intel's MSR_MISC_FEATURES_ENABLES bit 0 and AMD's
 * equivalent), each LP thread turns it on and CPUID raises #GP like any privileged
 * instruction. Elsewhere, guest code pages are rewritten after measurement, in the TD's
 * window: each CPUID (0F A2) becomes 0F 07, and the address is recorded so that the trap
 * there is taken for the CPUID it replaced. Measurement is unaffected because it happened
 * before; a guest that reads its own code bytes sees the rewrite. The addresses are
 * forgotten when the window is destroyed.
 *
 * Why 0F 07: the replacement must be two bytes and fault at CPL3 with #GP (a #UD costs
 * several times more where a hypervisor intercepts it), and it must be an instruction no
 * guest executes for itself, so that one the platform has no record of is known to be a
 * rewrite gone wrong, not guest code. 0F 07 is SYSRET to a 32-bit user mode: #GP outside
 * CPL0 on Intel and AMD alike, and meaningless in a tdxsim guest, which has no user mode to
 * return to. (CLTS, the earlier choice, is a guest kernel's own instruction: an unrecorded
 * one ran as CLTS and the CPUID silently disappeared.) trap.c stops the TD on an unrecorded
 * 0F 07 in rewrite mode.
 */
#include <asm/prctl.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <Zydis/Zydis.h>

#include "decode.h"
#include "internal.h"

static bool use_faulting;
static bool host_has_faulting;

/* Addresses of rewritten CPUIDs: an open-addressing set, written under a lock, read from
 * signal handlers without one (slots are only ever filled, atomically). */
#define REWRITE_SLOTS 65536
static _Atomic uint64_t rewritten[REWRITE_SLOTS];
static pthread_mutex_t rewrite_lock = PTHREAD_MUTEX_INITIALIZER;

static long arch_prctl(int code, unsigned long arg)
{
	return syscall(SYS_arch_prctl, code, arg);
}

static bool probe_faulting(void)
{
	long on = arch_prctl(ARCH_GET_CPUID, 0);

	if (on < 0 || arch_prctl(ARCH_SET_CPUID, 0))
		return false;
	arch_prctl(ARCH_SET_CPUID, 1);
	return true;
}

int cpuid_init(enum cpuid_trap_mode mode)
{
	host_has_faulting = probe_faulting();
	switch (mode) {
	case CPUID_TRAP_FAULTING:
		if (!host_has_faulting) {
			fprintf(stderr, "tdxsim: cpuid = faulting, but this host has no CPUID "
					"faulting (arch_prctl(ARCH_SET_CPUID) fails)\n");
			return -ENODEV;
		}
		use_faulting = true;
		break;
	case CPUID_TRAP_REWRITE:
		use_faulting = false;
		break;
	default:
		use_faulting = host_has_faulting;
	}
	return 0;
}

bool cpuid_faulting_active(void)
{
	return use_faulting;
}

/*
 * Faulting is a thread's (arch_prctl): an LP thread's, not the LP's, since a thread that
 * borrows an LP (lp_run_as) runs host code as that LP without it.
 */
static __thread bool faulting_here;

int cpuid_lp_init(struct lp *lp)
{
	(void)lp;
	if (!use_faulting)
		return 0;
	if (arch_prctl(ARCH_SET_CPUID, 0))
		return -errno;
	faulting_here = true;
	return 0;
}

void cpuid_lp_fini(struct lp *lp)
{
	(void)lp;
	if (faulting_here)
		arch_prctl(ARCH_SET_CPUID, 1);
	faulting_here = false;
}

void host_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	bool faulting = faulting_here;

	if (faulting)
		arch_prctl(ARCH_SET_CPUID, 1);
	__asm__ volatile("cpuid"
			 : "=a"(out[0]), "=b"(out[1]), "=c"(out[2]), "=d"(out[3])
			 : "a"(leaf), "c"(subleaf));
	if (faulting)
		arch_prctl(ARCH_SET_CPUID, 0);
}

static size_t slot_of(uint64_t addr)
{
	return (size_t)((addr * 0x9E3779B97F4A7C15ULL) >> 48) & (REWRITE_SLOTS - 1);
}

/*
 * A forgotten address leaves a tombstone, not a hole: lookups run lock-free from signal
 * handlers and must keep probing past it to the entries behind. Adds reuse tombstones.
 */
#define REWRITE_TOMBSTONE 1ULL /* never the address of an instruction in guest code */

static int rewritten_add(uint64_t addr)
{
	size_t s = slot_of(addr), reuse = REWRITE_SLOTS;

	for (size_t i = 0; i < REWRITE_SLOTS; i++, s = (s + 1) & (REWRITE_SLOTS - 1)) {
		uint64_t cur = atomic_load(&rewritten[s]);

		if (cur == addr)
			return 0;
		if (cur == REWRITE_TOMBSTONE && reuse == REWRITE_SLOTS)
			reuse = s;
		if (!cur) {
			atomic_store(&rewritten[reuse == REWRITE_SLOTS ? s : reuse], addr);
			return 0;
		}
	}
	if (reuse == REWRITE_SLOTS)
		return -ENOSPC;
	atomic_store(&rewritten[reuse], addr);
	return 0;
}

bool cpuid_is_rewritten(uint64_t addr)
{
	size_t s = slot_of(addr);

	for (size_t i = 0; i < REWRITE_SLOTS; i++, s = (s + 1) & (REWRITE_SLOTS - 1)) {
		uint64_t cur = atomic_load(&rewritten[s]);

		if (cur == addr)
			return true;
		if (!cur)
			return false;
	}
	return false;
}

/* Forget rewritten addresses in [va, va+len): the code there is gone (a TD window destroyed). */
void cpuid_forget_code(void *va, size_t len)
{
	uint64_t lo = (uint64_t)(uintptr_t)va, hi = lo + len;

	pthread_mutex_lock(&rewrite_lock);
	for (size_t s = 0; s < REWRITE_SLOTS; s++) {
		uint64_t a = atomic_load(&rewritten[s]);

		if (a >= lo && a < hi)
			atomic_store(&rewritten[s], REWRITE_TOMBSTONE);
	}
	pthread_mutex_unlock(&rewrite_lock);
}

/* [va, va+len) lies in one TD window, every page of it mapped: where a guest executes. */
static bool in_window_code(const uint8_t *va, size_t len)
{
	uintptr_t a = (uintptr_t)va, last = a + len - 1;
	struct td_window *w = td_window_lookup(a, NULL);

	if (!w || last < a || td_window_lookup(last, NULL) != w)
		return false;
	for (uintptr_t pg = a & PAGE_MASK; pg <= last; pg += PAGE_SIZE) {
		if (!window_addr_readable(pg))
			return false;
	}
	return true;
}

/*
 * Linear sweep over guest code: compiler output for x86-64 has no data in .text, so each
 * CPUID found on an instruction boundary is a real one. Undecodable bytes (padding) are
 * skipped one at a time. The range is checked in either mode, so that a caller that
 * rewrites anywhere but in the TD's window fails on every host, not only on those that
 * rewrite.
 */
int cpuid_rewrite_code(void *va, size_t len)
{
	uint8_t *p = va;
	size_t off = 0;
	int n = 0;

	if (!len)
		return 0;
	if (!in_window_code(p, len))
		return -EFAULT;
	if (use_faulting)
		return 0;
	pthread_mutex_lock(&rewrite_lock);
	while (off < len) {
		ZydisDecodedInstruction in;
		ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];

		if (decode_operands(p + off, len - off, &in, ops)) {
			off++;
			continue;
		}
		if (in.mnemonic == ZYDIS_MNEMONIC_CPUID && in.length == 2) {
			if (rewritten_add((uint64_t)(uintptr_t)(p + off))) {
				n = -ENOSPC; /* this CPUID would run natively: refuse the code */
				break;
			}
			p[off + 1] = CPUID_REWRITTEN_BYTE;
			n++;
		}
		off += in.length;
	}
	pthread_mutex_unlock(&rewrite_lock);
	return n;
}
