/* SPDX-License-Identifier: MIT */
/*
 * The system backend's machine: one stock qemu-system-x86_64 (TCG) whose RAM is the
 * machine's physical memory and whose firmware is the SEAM shim (shim/), one QEMU vCPU per
 * LP. This is the process and mailbox layer (docs/SYSTEM.md): start and supervise QEMU, and
 * send one LP a request through its mailbox and block until the shim answers.
 *
 * Boot the platform first (platform_boot): the shim is written into physical memory below
 * 1 MiB, which the host's page allocator never hands out.
 *
 * QEMU dies with the tdxsim process whatever ends it: the child has PR_SET_PDEATHSIG =
 * SIGKILL, which Linux sends when the *thread* that forked exits, so call system_start()
 * from a thread that lives as long as the machine (the main thread); system_stop() and an
 * atexit handler kill and reap it on the ordinary paths. QEMU runs in its own process group,
 * so a Ctrl-C at the terminal reaches tdxsim alone, which decides.
 */
#ifndef TDXSIM_PLATFORM_SYSTEM_SYSTEM_H
#define TDXSIM_PLATFORM_SYSTEM_SYSTEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "shim/shim_abi.h"

struct system_vm;

struct system_opts {
	unsigned int nr_lps;	      /* 1..SYSTEM_MAX_LPS QEMU vCPUs */
	const char *qemu;	      /* NULL: $TDXSIM_QEMU, else qemu-system-x86_64 in PATH */
	unsigned int boot_timeout_ms; /* 0: 30 s */
};

/*
 * LPs the backend can run: one ISA UART each, and QEMU's pc machine takes at most 4 of them
 * ("Max. supported number of ISA serial ports is 4"), though the shim has room for
 * SHIM_MAX_LPS.
 */
#define SYSTEM_MAX_LPS 4U

/* Below this HPA QEMU's address is the HPA; above it, 2 GiB higher (the PC's 32-bit hole). */
#define SYSTEM_LOWMEM (2ULL << 30)

/* QEMU's guest-physical address of a machine HPA, and back. */
static inline uint64_t system_gpa(uint64_t hpa)
{
	return hpa < SYSTEM_LOWMEM ? hpa : hpa + (4ULL << 30) - SYSTEM_LOWMEM;
}

static inline uint64_t system_hpa(uint64_t qemu_gpa)
{
	return qemu_gpa < SYSTEM_LOWMEM ? qemu_gpa : qemu_gpa - (4ULL << 30) + SYSTEM_LOWMEM;
}

/*
 * The backend's own pages (VMCBs, IOPMs, MSRPMs, nested page tables, XSAVE areas) come from
 * a pool past the top of the machine's RAM: system_start() grows the memfd by this much and
 * QEMU's RAM covers it, so the machine's allocator never sees these pages.
 */
#define SYSTEM_POOL_SIZE (64ULL << 20)

/*
 * Start QEMU with the shim and wait until every LP is ready. 0, or a negative errno with a
 * message in err: -ENOENT no QEMU binary, -ECHILD QEMU exited (its stderr quoted),
 * -ETIMEDOUT the shim did not come up, -EIO the shim faulted.
 */
int system_start(const struct system_opts *o, struct system_vm **out, char *err, size_t len);
/* Kill QEMU, reap it, free everything. NULL is fine. */
void system_stop(struct system_vm *vm);
pid_t system_qemu_pid(const struct system_vm *vm);
unsigned int system_nr_lps(const struct system_vm *vm);
/* An LP's mailbox (the host's view of it): fill the request, then system_call(). */
struct shim_mailbox *system_mailbox(struct system_vm *vm, unsigned int lp);
/*
 * Send the LP its request and block until the shim answers. 0; -EPIPE when QEMU is gone,
 * -EIO when the shim faulted (err says where).
 */
int system_call(struct system_vm *vm, unsigned int lp, char *err, size_t len);
/*
 * How long the shim and the host poll the mailbox before blocking (capped at 1 ms; 0: block
 * at once); system_start() sets them from $TDXSIM_SYSTEM_SPIN_US or the defaults (system.c).
 */
void system_set_spin(struct system_vm *vm, uint64_t shim_ns, uint64_t host_ns);
void system_spin(const struct system_vm *vm, uint64_t *shim_ns, uint64_t *host_ns);
/* Make a guest running on the LP exit (an INTR exit). */
int system_kick(struct system_vm *vm, unsigned int lp);
/* How many kicks the LP has had (system_vcpu_set_kick_base). */
uint32_t system_kicks(struct system_vm *vm, unsigned int lp);
/* A zeroed 4 KiB page of the pool (its HPA; 0 when the pool is exhausted), and back. */
uint64_t system_page_alloc(struct system_vm *vm);
/* n physically contiguous zeroed pages (freed one by one). */
uint64_t system_pages_alloc_contig(struct system_vm *vm, unsigned int n);
void system_page_free(struct system_vm *vm, uint64_t hpa);
/* The tdxsim process's view of a pool page or of the machine's RAM. */
void *system_page_va(struct system_vm *vm, uint64_t hpa);

/* What QEMU and the shim wrote on stderr and the log port so far (NUL-terminated, static). */
const char *system_log(struct system_vm *vm);

/*
 * The system CPU backend (platform/system/backend.c): start QEMU with one vCPU per LP of the
 * booted machine (at most SYSTEM_MAX_LPS) and make cpu_backend_system the machine's backend,
 * before any TD exists. From the main thread (PDEATHSIG, above). qemu: NULL for $TDXSIM_QEMU
 * or PATH. 0 or -errno with a sentence in err (-E2BIG: too many LPs).
 */
int system_backend_start(const char *qemu, char *err, size_t len);
/* Back to the native backend and QEMU stopped; after every TD is gone. */
void system_backend_stop(void);
/* The QEMU machine the backend runs on (NULL when not started). */
struct system_vm *system_backend_vm(void);
/*
 * CPUID of the CPU guest code executes on under this backend, for the module's `host` bits
 * (module/vm_exits/td_cpuid.c): the host's, without CPUID.1:ECX.CX16 (bit 13). QEMU 7.2's
 * TCG leaves wrong flags after CMPXCHG16B, which crashes a Linux kernel's SLUB fast path
 * (docs/LINUX-BOOT.md); QEMU runs with cx16=off, and the TD is told so. Nor PCID
 * (CPUID.1:ECX bit 17) and INVPCID (CPUID.7.0:EBX bit 10): QEMU 7.2's TCG implements
 * neither (CR4.PCIDE is reserved, INVPCID raises #UD), whatever `-cpu` asks.
 * Nor AVX-512, AMX, CET and PKU, which TCG lacks or QEMU runs without (pku=off): no TD
 * here has them in CPUID or XFAM.
 * Nor XSAVEC and XSAVES (CPUID.0xD.1:EAX bits 1 and 3), which TCG lacks too: a Linux
 * kernel's compacted XRSTORS was #UD.
 */
void system_host_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

#endif
