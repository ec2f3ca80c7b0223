// SPDX-License-Identifier: MIT
/*
 * libtdxsim's embedder API (tdxsim/tdxsim.h) through nothing else: the bring-up's errors;
 * guests/api.c stepped exit by exit with tdxsim_vcpu_run(), every exit's fields exact and
 * every answer echoed back by the guest (port I/O, MMIO by #VE, RDMSR/WRMSR with the
 * default handling and the stored ICR, the MSR filter over the x2APIC range both ways,
 * CPUID, HLT and the MP state, an unknown sub-function, ReportFatalError with its payload,
 * resumed, and stopped by default then tdxsim_td_resume()); private memory of a debug TD by
 * GPA, a non-debug TD's refused; the TD capabilities and a raw SEAMCALL; vmm_td_run() with
 * an exit handler; shared memory the embedder supplies (guests/shared.c), by memfd and by
 * mapping, and each bad input refused; the TD exits below the TDVMCALL level
 * (guests/td_exits.c): EPT violations on a private and a shared GPA, an external interrupt,
 * a triple fault.
 *
 * Arguments: api.elf shared.elf td_exits.elf
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <tdx/ghci.h>
#include <tdx/leaves.h>
#include <tdx/status.h>
#include <tdxsim/tdxsim.h>

#define API_PORT 0x510

static const char *guest_elf, *shared_elf, *td_exits_elf;

static struct vmm_td *create_of(const char *elf, uint64_t attributes)
{
	struct vmm_td_config cfg;
	struct vmm_td *td = NULL;
	char err[256] = "";

	vmm_td_config_default(&cfg);
	cfg.attributes = attributes;
	tdxsim_claim_signals();
	assert_int_equal(vmm_td_create(&cfg, elf, &td, err, sizeof(err)), 0);
	return td;
}

static struct vmm_td *create(uint64_t attributes)
{
	return create_of(guest_elf, attributes);
}

/* Run vCPU 0 to its next exit, which must be @reason. */
static struct tdxsim_exit *step(struct vmm_td *td, uint32_t reason)
{
	struct tdxsim_exit *ex = tdxsim_vcpu_exit(td, 0);

	assert_int_equal(tdxsim_vcpu_run(td, 0), 0);
	if (ex->reason != reason)
		fprintf(stderr, "exit %u, wanted %u (stop: %s)\n", ex->reason, reason,
			vmm_td_result(td)->message);
	assert_int_equal(ex->reason, reason);
	assert_int_equal(ex->vcpu, 0);
	return ex;
}

/* The next exit is the guest's port write of @value (4 bytes). */
static void echo(struct vmm_td *td, uint32_t value)
{
	struct tdxsim_exit *ex = step(td, TDXSIM_EXIT_IO);

	assert_int_equal(ex->io.port, API_PORT);
	assert_int_equal(ex->io.size, 4);
	assert_true(ex->io.write);
	assert_int_equal(ex->io.data, value);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/*
 * Makes vCPU 0 runnable after 100 ms, ending the wait of its MP state HALTED, then again
 * once that wait is over (one halt counted) and it halts in TDVMCALL<HLT>.
 */
static void *waker(void *arg)
{
	struct vmm_td *td = arg;
	enum tdxsim_mp_state st;
	struct vmm_vcpu_stats vs;

	usleep(100 * 1000);
	assert_int_equal(tdxsim_vcpu_set_mp_state(td, 0, TDXSIM_MP_RUNNABLE), 0);
	do {
		usleep(1000);
		assert_int_equal(vmm_td_vcpu_stats(td, 0, &vs), 0);
		assert_int_equal(tdxsim_vcpu_get_mp_state(td, 0, &st), 0);
	} while (__atomic_load_n(&vs.halts, __ATOMIC_RELAXED) < 1 || st != TDXSIM_MP_HALTED);
	assert_int_equal(tdxsim_vcpu_set_mp_state(td, 0, TDXSIM_MP_RUNNABLE), 0);
	return NULL;
}

static void test_exits(void **state)
{
	struct vmm_td *td = create(VMM_ATTR_DEBUG);
	struct tdxsim_exit *ex;
	enum tdxsim_mp_state st;
	uint64_t marker_gpa, v, q;
	pthread_t t;
	double t0;

	(void)state;
	assert_int_equal(tdxsim_td_set_exits(td, 1U << 20), -EINVAL);
	assert_int_equal(tdxsim_td_set_exits(td, TDXSIM_EXITS_ALL), 0);
	assert_null(tdxsim_vcpu_exit(td, 1));
	assert_int_equal(tdxsim_vcpu_run(td, 1), -EINVAL);
	/* Before any entry: the MSRs the VMM answers with, a preset. */
	assert_int_equal(tdxsim_vcpu_get_msr(td, 0, 0x1A0, &v), 0);
	assert_int_equal(v, 0x1800);
	assert_int_equal(tdxsim_vcpu_get_msr(td, 0, 0x1234, &v), -ENOENT);
	assert_int_equal(tdxsim_vcpu_get_msr(td, 1, 0x1A0, &v), -EINVAL);
	assert_int_equal(tdxsim_vcpu_set_msr(td, 0, 0x1234, 42), 0);
	assert_int_equal(tdxsim_vcpu_get_msr(td, 0, 0x1234, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(tdxsim_td_msr_filter_add(td, 0x800, 0x100,
						  TDXSIM_MSR_FILTER_READ | TDXSIM_MSR_FILTER_WRITE,
						  TDXSIM_MSR_DENY),
			 0);
	assert_int_equal(
		tdxsim_td_msr_filter_add(td, 0x800, 0, TDXSIM_MSR_FILTER_READ, TDXSIM_MSR_DENY),
		-EINVAL);
	assert_int_equal(tdxsim_td_msr_filter_add(td, 0x800, 1, 4, TDXSIM_MSR_DENY), -EINVAL);
	assert_int_equal(tdxsim_td_msr_filter_reset(td, 2), -EINVAL);

	/* 1: the marker's GPA; its private bytes through TDH.MEM.RD/WR (a debug TD). */
	ex = step(td, TDXSIM_EXIT_IO);
	assert_int_equal(ex->vp_enter_status, 77); /* EXIT_REASON_TDCALL */
	assert_int_equal(ex->regs.r11, TDVMCALL_INSTRUCTION_IO);
	assert_int_equal(ex->regs.r14, API_PORT);
	marker_gpa = ex->io.data;
	assert_int_equal(tdxsim_td_read_gpa(td, marker_gpa, &q, 8), 0);
	assert_int_equal(q, 0x1122334455667788ULL);
	assert_int_equal(tdxsim_td_read_gpa(td, marker_gpa + 3, &v, 2), 0); /* unaligned */
	assert_int_equal(v & 0xFFFF, 0x4455);
	assert_int_equal(tdxsim_td_write_gpa(td, marker_gpa + 1, "\xAA\xBB", 2), 0);
	assert_int_equal(tdxsim_td_read_gpa(td, marker_gpa, &q, 8), 0);
	assert_int_equal(q, 0x1122334455BBAA88ULL);
	/* 2, 3, 4: port I/O, the read answered */
	ex = step(td, TDXSIM_EXIT_IO);
	assert_int_equal(ex->io.port, API_PORT);
	assert_int_equal(ex->io.size, 1);
	assert_true(ex->io.write);
	assert_int_equal(ex->io.data, 0x5A);
	assert_int_equal(ex->ghci_status, 0);
	ex = step(td, TDXSIM_EXIT_IO);
	assert_int_equal(ex->io.size, 4);
	assert_false(ex->io.write);
	assert_int_equal(ex->io.data, 0xFFFFFFFF); /* preset: an unclaimed port */
	ex->io.data = 0xC0FFEE11;
	echo(td, 0xC0FFEE12);
	/* 5, 6: MMIO through the guest's #VE handler */
	ex = step(td, TDXSIM_EXIT_MMIO);
	assert_int_equal(ex->mmio.gpa, 0xFE000000);
	assert_int_equal(ex->mmio.size, 8);
	assert_false(ex->mmio.write);
	assert_int_equal(ex->mmio.data, UINT64_MAX);
	assert_int_equal(ex->regs.r14, 0xFE000000 | tdxsim_td_shared_bit(td));
	ex->mmio.data = 0x0102030405060708ULL;
	ex = step(td, TDXSIM_EXIT_MMIO);
	assert_int_equal(ex->mmio.gpa, 0xFE000008);
	assert_true(ex->mmio.write);
	assert_int_equal(ex->mmio.data, 0x0102030405060709ULL);
	/* 7, 8: RDMSR preset from the store and answered; WRMSR left to the VMM, stored */
	ex = step(td, TDXSIM_EXIT_RDMSR);
	assert_int_equal(ex->msr.index, 0x1A0);
	assert_int_equal(ex->msr.data, 0x1800);
	ex->msr.data = 0xABCD;
	ex = step(td, TDXSIM_EXIT_WRMSR);
	assert_int_equal(ex->msr.index, 0x1A0);
	assert_int_equal(ex->msr.data, 0xABCE);
	ex->use_default = true;
	/* 9, 10: CPUID preset with the VMM's answer, answered otherwise */
	ex = step(td, TDXSIM_EXIT_CPUID);
	assert_int_equal(tdxsim_vcpu_get_msr(td, 0, 0x1A0, &v), 0);
	assert_int_equal(v, 0xABCE);
	assert_int_equal(ex->cpuid.leaf, 0x40000000);
	assert_int_equal(ex->cpuid.eax, 0x40000001);
	assert_memory_equal(&ex->cpuid.ebx, "tdxs", 4);
	ex->cpuid.eax = 0x11;
	ex->cpuid.ebx = 0x22;
	ex->cpuid.ecx = 0x33;
	ex->cpuid.edx = 0x44;
	echo(td, 0xAA);
	/* 11, 12: the filter denies the x2APIC range for writes and reads alike, no exit */
	echo(td, 0x80000000);
	echo(td, 0x80000000);
	assert_int_equal(tdxsim_td_msr_filter_reset(td, TDXSIM_MSR_ALLOW), 0);
	assert_int_equal(tdxsim_vcpu_get_msr(td, 0, 0x830, &v), 0);
	assert_int_equal(v, 0); /* the denied write did not reach it */
	/* 13: an ICR write by default (vector 5: nothing sent), kept without BUSY */
	assert_int_equal(
		tdxsim_td_set_exits(td, TDXSIM_EXITS_ALL & ~TDXSIM_EXIT_BIT(TDXSIM_EXIT_WRMSR)), 0);
	echo(td, 0);
	assert_int_equal(tdxsim_vcpu_get_msr(td, 0, 0x830, &v), 0);
	assert_int_equal(v, 0x5);
	/* 14, 15: RDMSR of the ICR asked for, answered by the VMM from the store */
	ex = step(td, TDXSIM_EXIT_RDMSR);
	assert_int_equal(ex->msr.index, 0x830);
	assert_int_equal(ex->msr.data, 0x5);
	ex->use_default = true;
	echo(td, 0x5);
	/* 16: HLT seen; the MP state HALTED makes the next run wait, 17 halts by default */
	ex = step(td, TDXSIM_EXIT_HLT);
	assert_true(ex->hlt.irq_blocked);
	assert_int_equal(tdxsim_vcpu_get_mp_state(td, 0, &st), 0);
	assert_int_equal(st, TDXSIM_MP_RUNNABLE);
	assert_int_equal(tdxsim_vcpu_set_mp_state(td, 0, 1), -EINVAL);
	assert_int_equal(tdxsim_vcpu_set_mp_state(td, 0, TDXSIM_MP_HALTED), 0);
	assert_int_equal(tdxsim_vcpu_get_mp_state(td, 0, &st), 0);
	assert_int_equal(st, TDXSIM_MP_HALTED);
	assert_int_equal(
		tdxsim_td_set_exits(td, TDXSIM_EXITS_ALL & ~TDXSIM_EXIT_BIT(TDXSIM_EXIT_HLT)), 0);
	assert_int_equal(pthread_create(&t, NULL, waker, td), 0);
	t0 = now();
	/* 18: an unknown sub-function, answered with other registers */
	ex = step(td, TDXSIM_EXIT_TDVMCALL_OTHER);
	assert_true(now() - t0 >= 0.1);
	pthread_join(t, NULL);
	assert_int_equal(ex->other.r10, 0);
	assert_int_equal(ex->other.r11, 0x7777);
	assert_int_equal(ex->regs.r12, 1);
	assert_int_equal(ex->regs.r13, 2);
	assert_int_equal(ex->ghci_status, TDVMCALL_STATUS_SUBFUNC_UNSUPPORTED);
	ex->ghci_status = 0x42;
	ex->regs.r11 = 0x99;
	echo(td, 0x42);
	echo(td, 0x99);
	/* 21: ReportFatalError's whole payload; resumed, the TDVMCALL returns */
	ex = step(td, TDXSIM_EXIT_FATAL_ERROR);
	assert_int_equal(ex->fatal.sub_function, TDVMCALL_REPORT_FATAL_ERROR);
	assert_int_equal(ex->fatal.error_code, (1ULL << 63) | 0x1234);
	assert_true(ex->fatal.gpa_valid);
	assert_int_equal(ex->fatal.gpa, 0x5000);
	assert_int_equal(ex->fatal.ndata, 8);
	assert_int_equal(ex->fatal.data[0], 0x6174616620697061ULL);
	assert_int_equal(ex->fatal.data[1], 0x6c);
	assert_int_equal(ex->fatal.data[2], 0x0807060504030201ULL);
	for (int i = 3; i < 8; i++)
		assert_int_equal(ex->fatal.data[i], 0);
	assert_string_equal(ex->fatal.message, "api fatal");
	assert_int_equal(vmm_td_result(td)->reason, VMM_STOP_NONE);
	echo(td, 0x100);
	/* 23: not asked for: the VMM stops the TD; it stays stopped until resumed */
	assert_int_equal(tdxsim_td_set_exits(td, TDXSIM_EXIT_BIT(TDXSIM_EXIT_IO)), 0);
	ex = step(td, TDXSIM_EXIT_STOPPED);
	assert_int_equal(ex->stopped.reason, VMM_STOP_FATAL_ERROR);
	assert_int_equal(vmm_td_result(td)->code, 0x99);
	step(td, TDXSIM_EXIT_STOPPED);
	assert_int_equal(vmm_td_run(td), 0); /* enters nothing */
	assert_int_equal(vmm_td_result(td)->reason, VMM_STOP_FATAL_ERROR);
	assert_int_equal(tdxsim_td_resume(td), 0);
	assert_int_equal(vmm_td_result(td)->reason, VMM_STOP_NONE);
	assert_int_equal(tdxsim_td_resume(td), -EINVAL); /* not stopped */
	echo(td, 0x200);
	echo(td, 0x55BBAA88); /* 25: the marker as the test wrote it */
	/* 26: the exit status at 0xF4, left to the VMM: a power-off that cannot be resumed */
	ex = step(td, TDXSIM_EXIT_IO);
	assert_int_equal(ex->io.port, 0xF4);
	assert_int_equal(ex->io.data, 7);
	ex->use_default = true;
	ex = step(td, TDXSIM_EXIT_STOPPED);
	assert_int_equal(ex->stopped.reason, VMM_STOP_POWEROFF);
	assert_int_equal(vmm_td_result(td)->exit_status, 7);
	assert_int_equal(tdxsim_td_resume(td), -EINVAL);
	vmm_td_destroy(td);
}

static void test_memory_of_a_non_debug_td(void **state)
{
	struct vmm_td *td = create(VMM_ATTR_SEPT_VE_DISABLE);
	uint64_t sb = tdxsim_td_shared_bit(td), v = 0;

	(void)state;
	assert_int_equal(sb, 1ULL << 47);
	/* The image's first page is private and mapped: only a debug TD may be read. */
	assert_int_equal(tdxsim_td_read_gpa(td, 0x100000, &v, 8), -EPERM);
	assert_int_equal(tdxsim_td_write_gpa(td, 0x100000, &v, 8), -EPERM);
	/* Shared memory nobody mapped; ranges that wrap or leave the GPA width. */
	assert_int_equal(tdxsim_td_read_gpa(td, sb | 0x1000, &v, 8), -EFAULT);
	assert_null(tdxsim_td_shared_va(td, sb | 0x1000, 8));
	assert_null(tdxsim_td_shared_va(td, 0x1000, 8));
	assert_int_equal(tdxsim_td_read_gpa(td, UINT64_MAX - 3, &v, 8), -EINVAL);
	assert_int_equal(tdxsim_td_read_gpa(td, 1ULL << 48, &v, 8), -EINVAL);
	assert_int_equal(tdxsim_td_read_gpa(td, sb - 4, &v, 8), -EINVAL);
	assert_int_equal(tdxsim_td_read_gpa(td, 0x100000, &v, 0), 0);
	vmm_td_destroy(td);
}

#define SHARED_GPA 0x2000000ULL /* guests/shared.c's */
#define MiB	   (1ULL << 20)

/* tdxsim_td_set_shared_backing() refusing @b with @errno and a message starting @msg. */
static void backing_refused(struct vmm_td *td, struct tdxsim_shared_backing b, int errno_,
			    const char *msg)
{
	char err[256] = "";

	assert_int_equal(tdxsim_td_set_shared_backing(td, &b, err, sizeof(err)), errno_);
	if (strncmp(err, msg, strlen(msg)))
		fprintf(stderr, "message: '%s', wanted '%s...'\n", err, msg);
	assert_int_equal(strncmp(err, msg, strlen(msg)), 0);
}

/*
 * guests/shared.c with the two pages at SHARED_GPA backed by the embedder's @mem: the
 * guest's pattern appears there, what the test writes there reaches the guest, and the
 * memory keeps it across a conversion to private and back.
 */
static void run_shared_guest(struct vmm_td *td, volatile uint32_t *mem)
{
	uint32_t v = 0;
	struct tdxsim_exit *ex;

	assert_int_equal(tdxsim_td_set_exits(td, TDXSIM_EXIT_BIT(TDXSIM_EXIT_IO)), 0);
	echo(td, 0); /* 1: MapGPA to shared done */
	assert_int_equal(mem[0], 0);
	echo(td, 1); /* 2: the guest's pattern is in the embedder's memory */
	assert_int_equal(mem[0], 0xC0DE0001);
	assert_int_equal(mem[1024 + 1], 0xC0DE0002);
	assert_int_equal(
		tdxsim_td_read_gpa(td, tdxsim_td_shared_bit(td) | (SHARED_GPA + 4096 + 4), &v, 4),
		0);
	assert_int_equal(v, 0xC0DE0002);
	mem[2] = 0xE0B0D003;
	mem[1024 + 3] = 0xE0B0D004;
	echo(td, 0xE0B0D003); /* 3, 4: the guest read what the embedder wrote */
	echo(td, 0xE0B0D004);
	echo(td, 0); /* 5: back to private, the pages unmapped from the TD */
	assert_null(tdxsim_td_shared_va(td, tdxsim_td_shared_bit(td) | SHARED_GPA, 4));
	assert_int_equal(mem[0], 0xC0DE0001);
	echo(td, 0);	      /* 6: shared again */
	echo(td, 0xC0DE0001); /* 7: the embedder's memory as it was */
	ex = step(td, TDXSIM_EXIT_IO);
	assert_int_equal(ex->io.port, 0xF4);
	ex->use_default = true;
	ex = step(td, TDXSIM_EXIT_STOPPED);
	assert_int_equal(ex->stopped.reason, VMM_STOP_POWEROFF);
	assert_int_equal(vmm_td_result(td)->exit_status, 9);
}

/* Each bad input to tdxsim_td_set_shared_backing() on @td (not run yet), @fd a 3-page memfd. */
static void shared_backing_refusals(struct vmm_td *td, int fd)
{
	uint64_t sb = tdxsim_td_shared_bit(td);
	struct tdxsim_shared_backing ok = {.gpa = SHARED_GPA, .size = 8192, .fd = fd};
	struct tdxsim_shared_backing b;
	char err[256];
	void *priv, *gone;
	int rofd, small, pipefd[2];
	char path[64], want[160];

	assert_int_equal(tdxsim_td_set_shared_backing(NULL, &ok, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "no TD");
	assert_int_equal(tdxsim_td_set_shared_backing(td, NULL, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "no backing");
	b = ok, b.fd = -1;
	backing_refused(td, b, -EINVAL, "neither of fd and addr");
	b = ok, b.addr = &b;
	backing_refused(td, b, -EINVAL, "both of fd and addr");
	b = ok, b.gpa = sb | (SHARED_GPA + 0x100);
	backing_refused(td, b, -EINVAL,
			"gpa 0x800002000100, size 0x2000, offset 0x0: not whole pages");
	b = ok, b.size = 0;
	backing_refused(td, b, -EINVAL, "gpa 0x2000000, size 0x0, offset 0x0: not whole pages");
	b = ok, b.offset = 512;
	backing_refused(td, b, -EINVAL,
			"gpa 0x2000000, size 0x2000, offset 0x200: not whole pages");
	b = ok, b.gpa = 64 * MiB - 4096;
	backing_refused(td, b, -ERANGE,
			"[0x3fff000, 0x4001000) is beyond the TD's memory (0x4000000 bytes)");
	b = ok, b.fd = 1000;
	backing_refused(td, b, -EBADF, "fd 1000: Bad file descriptor");
	assert_int_equal(pipe(pipefd), 0);
	b = ok, b.fd = pipefd[0];
	snprintf(want, sizeof(want), "fd %d: not a regular file or memfd", pipefd[0]);
	backing_refused(td, b, -EINVAL, want);
	close(pipefd[0]);
	close(pipefd[1]);
	b = ok, b.offset = 8192; /* 3 pages: one left */
	snprintf(want, sizeof(want), "fd %d: 12288 bytes, shorter than offset 0x2000 + size 0x2000",
		 fd);
	backing_refused(td, b, -ENXIO, want);
	small = memfd_create("small", 0);
	assert_true(small >= 0);
	assert_int_equal(ftruncate(small, 4096), 0);
	b = ok, b.fd = small;
	snprintf(want, sizeof(want), "fd %d: 4096 bytes, shorter than offset 0x0 + size 0x2000",
		 small);
	backing_refused(td, b, -ENXIO, want);
	close(small);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	rofd = open(path, O_RDONLY);
	assert_true(rofd >= 0);
	b = ok, b.fd = rofd;
	snprintf(want, sizeof(want), "fd %d: not open for reading and writing", rofd);
	backing_refused(td, b, -EACCES, want);
	close(rofd);
	priv = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(priv != MAP_FAILED);
	b = ok, b.fd = -1, b.addr = priv;
	snprintf(want, sizeof(want), "addr %p: not a MAP_SHARED mapping", priv);
	backing_refused(td, b, -EINVAL, want);
	munmap(priv, 8192);
	gone = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(gone != MAP_FAILED);
	munmap(gone, 8192);
	b = ok, b.fd = -1, b.addr = gone;
	snprintf(want, sizeof(want), "addr %p: 0x2000 bytes not mapped whole (one mapping)", gone);
	backing_refused(td, b, -EFAULT, want);
	b = ok, b.fd = -1, b.addr = (char *)priv + 100;
	snprintf(want, sizeof(want), "gpa 0x2000000, size 0x2000, addr %p: not whole pages",
		 b.addr);
	backing_refused(td, b, -EINVAL, want);
	/* One range, then one that overlaps it. */
	assert_int_equal(tdxsim_td_set_shared_backing(td, &ok, err, sizeof(err)), 0);
	b = ok, b.gpa = sb | (SHARED_GPA + 4096);
	backing_refused(td, b, -EEXIST, "[0x2001000, 0x2003000) overlaps a range backed before");
}

static void test_shared_backing_by_fd(void **state)
{
	struct vmm_td *td = create_of(shared_elf, VMM_ATTR_DEBUG);
	struct tdxsim_shared_backing b;
	volatile uint32_t *mem;
	char err[256] = "";
	int fd = memfd_create("embedder", 0);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 3 * 4096), 0);
	mem = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(mem != MAP_FAILED);
	b = (struct tdxsim_shared_backing){.gpa = tdxsim_td_shared_bit(td) | SHARED_GPA,
					   .size = 8192,
					   .fd = fd,
					   .offset = 4096};
	if (tdxsim_cpu_backend() == TDXSIM_CPU_SYSTEM) {
		backing_refused(td, b, -EOPNOTSUPP, "the system CPU backend cannot");
		vmm_td_destroy(td);
		skip();
	}
	shared_backing_refusals(td, fd);
	vmm_td_destroy(td);

	td = create_of(shared_elf, VMM_ATTR_DEBUG);
	b.gpa = tdxsim_td_shared_bit(td) | SHARED_GPA;
	assert_int_equal(tdxsim_td_set_shared_backing(td, &b, err, sizeof(err)), 0);
	close(fd); /* tdxsim keeps its own mapping */
	run_shared_guest(td, mem + 1024);
	assert_int_equal(mem[0], 0); /* before the offset: untouched */
	b.fd = -1, b.addr = (void *)mem, b.offset = 0, b.gpa = 0;
	backing_refused(td, b, -EBUSY, "the TD has run");
	vmm_td_destroy(td);
	munmap((void *)mem, 3 * 4096);
}

static void test_shared_backing_by_mapping(void **state)
{
	struct vmm_td *td;
	volatile uint32_t *mem;
	char err[256] = "";

	(void)state;
	if (tdxsim_cpu_backend() == TDXSIM_CPU_SYSTEM)
		skip();
	td = create_of(shared_elf, VMM_ATTR_DEBUG);
	mem = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(mem != MAP_FAILED);
	assert_int_equal(
		tdxsim_td_set_shared_backing(
			td,
			&(struct tdxsim_shared_backing){
				.gpa = SHARED_GPA, .size = 8192, .fd = -1, .addr = (void *)mem},
			err, sizeof(err)),
		0);
	run_shared_guest(td, mem);
	vmm_td_destroy(td);
	/* The memory is the embedder's: it outlives the TD. */
	assert_int_equal(mem[0], 0xC0DE0001);
	munmap((void *)mem, 8192);
}

#define ACCEPT_GPA 0x3000000ULL /* guests/td_exits.c's */
/* ACCEPT's information: 4K asked for (bits 2:0), the walk stopped at level 1 (5:3: no 4K table
 * under that 2M entry), its state 0 (FREE), no leaf */
#define EXPECT_ACCEPT_INFO (1ULL << 3)
#define FLAG_GPA	   0x3100000ULL
#define UNSHARED_GPA	   0x3200000ULL

/* An EPT violation exit of vCPU 0 at @gpa with @qual and @ext_qual, fields and registers. */
static struct tdxsim_exit *expect_ept(struct vmm_td *td, uint64_t gpa, uint64_t qual,
				      uint64_t ext_qual)
{
	struct tdxsim_exit *ex = step(td, TDXSIM_EXIT_EPT_VIOLATION);

	assert_int_equal(ex->vp_enter_status, 48);
	assert_int_equal(ex->ept.gpa, gpa);
	assert_int_equal(ex->ept.shared, (gpa & tdxsim_td_shared_bit(td)) != 0);
	assert_int_equal(ex->ept.qual, qual);
	assert_int_equal(ex->ept.ext_qual, ext_qual);
	assert_int_equal(ex->regs.r8, gpa);
	assert_int_equal(ex->regs.rcx, qual);
	assert_int_equal(ex->regs.rdx, ext_qual);
	assert_int_equal(ex->regs.r9, 0);
	return ex;
}

struct stopper {
	struct vmm_td *td;
	unsigned int delay_ms;
};

static void *stopper(void *arg)
{
	struct stopper *s = arg;

	usleep(s->delay_ms * 1000);
	vmm_td_stop(s->td, VMM_STOP_INTERRUPTED, 0, "test");
	return NULL;
}

/*
 * guests/td_exits.c to its port read: the ACCEPT's EPT violation (answered as it was, then
 * by default: PAGE.AUG), then external interrupts while it spins: vmm_td_stop() from another
 * thread kicks the vCPU out of the guest, an EXTERNAL_INTERRUPT exit (when the stop lands
 * while the vCPU is outside the guest there is none: the TD is resumed and stopped again).
 */
static struct vmm_td *td_exits_to_read(void)
{
	struct vmm_td *td = create_of(td_exits_elf, VMM_ATTR_DEBUG);
	uint64_t accept_eeq = 1 /* type ACCEPT */, one = 1;
	struct stopper s = {.td = td, .delay_ms = 20};
	struct tdxsim_exit *ex;
	unsigned int tries = 0;
	pthread_t t;

	assert_int_equal(tdxsim_td_set_exits(td, TDXSIM_EXIT_BIT(TDXSIM_EXIT_IO)), 0);
	echo(td, 1);
	assert_int_equal(
		tdxsim_td_set_exits(td, TDXSIM_EXIT_BIT(TDXSIM_EXIT_IO) |
						TDXSIM_EXIT_BIT(TDXSIM_EXIT_EPT_VIOLATION)),
		0);
	/* A write (bit 1), the entry not present; ACCEPT of 4K (level 0) */
	ex = expect_ept(td, ACCEPT_GPA, 2, accept_eeq | EXPECT_ACCEPT_INFO << 32);
	ex = expect_ept(td, ACCEPT_GPA, 2, accept_eeq | EXPECT_ACCEPT_INFO << 32); /* again */
	ex->use_default = true;
	echo(td, 0); /* accepted */
	echo(td, 0); /* the flag's page shared */
	echo(td, 2);
	assert_int_equal(
		tdxsim_td_set_exits(td, TDXSIM_EXIT_BIT(TDXSIM_EXIT_IO) |
						TDXSIM_EXIT_BIT(TDXSIM_EXIT_EXTERNAL_INTERRUPT)),
		0);
	for (;; tries++) {
		assert_in_range(tries, 0, 100);
		assert_int_equal(pthread_create(&t, NULL, stopper, &s), 0);
		assert_int_equal(tdxsim_vcpu_run(td, 0), 0);
		ex = tdxsim_vcpu_exit(td, 0);
		while (ex->reason == TDXSIM_EXIT_EXTERNAL_INTERRUPT) {
			assert_int_equal(ex->vp_enter_status, 1);
			assert_int_equal(ex->regs.rcx | ex->regs.rdx | ex->regs.r8 | ex->regs.r9,
					 0);
			tries = 1000; /* seen */
			assert_int_equal(tdxsim_vcpu_run(td, 0), 0);
		}
		assert_int_equal(pthread_join(t, NULL), 0);
		assert_int_equal(ex->reason, TDXSIM_EXIT_STOPPED);
		assert_int_equal(ex->stopped.reason, VMM_STOP_INTERRUPTED);
		assert_int_equal(tdxsim_td_resume(td), 0);
		if (tries >= 1000)
			break;
	}
	assert_int_equal(tdxsim_td_write_gpa(td, tdxsim_td_shared_bit(td) | FLAG_GPA, &one, 4), 0);
	for (ex = step(td, TDXSIM_EXIT_IO); ex->reason == TDXSIM_EXIT_EXTERNAL_INTERRUPT;)
		assert_int_equal(tdxsim_vcpu_run(td, 0), 0); /* the machine's own, if any */
	assert_int_equal(ex->io.data, 3);
	ex = step(td, TDXSIM_EXIT_IO); /* the read */
	assert_false(ex->io.write);
	return td;
}

static void test_td_exit_shared_ept_violation(void **state)
{
	struct vmm_td *td = td_exits_to_read();
	uint64_t gpa = tdxsim_td_shared_bit(td) | UNSHARED_GPA;
	struct tdxsim_exit *ex = tdxsim_vcpu_exit(td, 0);
	/* A load (bit 0 read, 7 the linear address valid, 8 of the translated address; the
	 * system backend's SVM reports no linear address, docs/SYSTEM.md) of a GPA whose shared
	 * EPT entry is not present: a TD exit, not #VE */
	uint64_t qual = tdxsim_cpu_backend() == TDXSIM_CPU_SYSTEM ? 0x1 : 0x181;

	(void)state;
	ex->io.data = 0;
	assert_int_equal(tdxsim_td_set_exits(td, TDXSIM_EXITS_TD), 0);
	expect_ept(td, gpa, qual, 0);
	ex = expect_ept(td, gpa, qual, 0);
	ex->use_default = true;
	ex = step(td, TDXSIM_EXIT_STOPPED);
	assert_int_equal(ex->stopped.reason, VMM_STOP_EPT_VIOLATION);
	assert_non_null(strstr(vmm_td_result(td)->message,
			       "vCPU 0: EPT violation on shared GPA 0x800003200000 (read)"));
	vmm_td_destroy(td);
}

static void test_td_exit_triple_fault(void **state)
{
	struct vmm_td *td = td_exits_to_read();
	struct tdxsim_exit *ex = tdxsim_vcpu_exit(td, 0);

	(void)state;
	ex->io.data = 1;
	assert_int_equal(tdxsim_td_set_exits(td, TDXSIM_EXITS_TD), 0);
	ex = step(td, TDXSIM_EXIT_TRIPLE_FAULT);
	assert_int_equal(ex->vp_enter_status, TDX_NON_RECOVERABLE_VCPU | 2);
	assert_int_equal(ex->fatal_exit.gpa, 0);
	assert_int_equal(ex->fatal_exit.intr_info, 0);
	/* Whatever the answer, it cannot go on */
	ex = step(td, TDXSIM_EXIT_STOPPED);
	assert_int_equal(ex->stopped.reason, VMM_STOP_TRIPLE_FAULT);
	assert_int_equal(vmm_td_result(td)->code, TDX_NON_RECOVERABLE_VCPU | 2);
	assert_int_equal(tdxsim_td_resume(td), -EINVAL);
	vmm_td_destroy(td);
}

/*
 * vmm_td_run() with a handler: the guest's accesses to its port counted and its read
 * answered, HLTs returning at once, the rest (the exit port, ReportFatalError) left to the
 * VMM.
 */
struct handler_log {
	unsigned int io, hlt, other;
	uint32_t first_write;
};

static void handler(void *opaque, struct vmm_td *td, struct tdxsim_exit *ex)
{
	struct handler_log *log = opaque;

	(void)td;
	if (ex->reason == TDXSIM_EXIT_HLT) {
		log->hlt++;
		return;
	}
	if (ex->reason != TDXSIM_EXIT_IO || ex->io.port != API_PORT) {
		log->other++;
		ex->use_default = true;
		return;
	}
	if (!log->io++)
		log->first_write = ex->io.data;
	if (!ex->io.write)
		ex->io.data = 41;
}

static void test_run_with_handler(void **state)
{
	struct vmm_td *td = create(VMM_ATTR_DEBUG);
	struct handler_log log = {0};

	(void)state;
	assert_int_equal(tdxsim_td_set_exits(td, TDXSIM_EXIT_BIT(TDXSIM_EXIT_IO) |
							 TDXSIM_EXIT_BIT(TDXSIM_EXIT_HLT) |
							 TDXSIM_EXIT_BIT(TDXSIM_EXIT_FATAL_ERROR)),
			 0);
	tdxsim_td_set_exit_handler(td, handler, &log);
	assert_int_equal(vmm_td_run(td), 0);
	/* The first fatal error was the handler's (default: the TD stops there). */
	assert_int_equal(vmm_td_result(td)->reason, VMM_STOP_FATAL_ERROR);
	assert_int_equal(vmm_td_result(td)->code, (1ULL << 63) | 0x1234);
	assert_int_equal(log.other, 1);
	assert_int_equal(log.hlt, 2);
	/* port writes 1, 2, 4, 10-13, 15, 19, 20 and the read 3 */
	assert_int_equal(log.io, 11);
	assert_int_not_equal(log.first_write, 0); /* the marker's GPA */
	assert_int_equal(tdxsim_td_resume(td), 0);
	tdxsim_td_set_exit_handler(td, NULL, NULL);
	assert_int_equal(vmm_td_run(td), 0);
	assert_int_equal(vmm_td_result(td)->reason, VMM_STOP_FATAL_ERROR);
	assert_int_equal(vmm_td_result(td)->code, 0x99);
	assert_int_equal(tdxsim_td_resume(td), 0);
	assert_int_equal(vmm_td_run(td), 0);
	assert_int_equal(vmm_td_result(td)->reason, VMM_STOP_POWEROFF);
	assert_int_equal(vmm_td_result(td)->exit_status, 7);
	vmm_td_destroy(td);
}

static void test_caps_and_seamcall(void **state)
{
	struct tdxsim_tdx_caps caps;
	struct tdx_module_args a = {.rdx = 0x9900000100000008ULL}; /* MAX_VCPUS_PER_TD */
	uint64_t status = 1;
	bool leaf1 = false;

	(void)state;
	assert_int_equal(tdxsim_tdx_caps(&caps), 0);
	assert_true(caps.nr_cpuid_config > 0);
	for (unsigned int i = 0; i < caps.nr_cpuid_config; i++) {
		if (caps.cpuid_config[i].leaf == 1 &&
		    caps.cpuid_config[i].subleaf == VMM_CPUID_NO_SUBLEAF)
			leaf1 = true;
	}
	assert_true(leaf1);
	assert_int_equal(caps.attributes_fixed1 & VMM_ATTR_DEBUG, 0);
	assert_int_not_equal(caps.attributes_fixed0 & VMM_ATTR_DEBUG, 0);
	assert_int_equal(tdxsim_seamcall(0, TDH_SYS_RD, &a, &status), 0);
	assert_int_equal(status, 0);
	assert_int_equal(a.r8, caps.max_vcpus_per_td);
	a = (struct tdx_module_args){.rdx = 0x1234};
	assert_int_equal(tdxsim_seamcall(1, TDH_SYS_RD, &a, &status), 0);
	assert_int_equal(status & 0xFFFFFFFF00000000ULL, TDX_METADATA_FIELD_ID_INCORRECT);
	assert_int_equal(tdxsim_seamcall(tdxsim_nr_lps(), TDH_SYS_RD, &a, &status), -EINVAL);
}

/* The bring-up's refusals, before the machine is up. */
static void test_boot_errors(void **state)
{
	const char *cpu_env = getenv("TDXSIM_CPU");
	char err[512], cpu[16] = "";

	(void)state;
	/* $TDXSIM_CPU would override the .cpu values refused here: out of the way meanwhile */
	if (cpu_env)
		snprintf(cpu, sizeof(cpu), "%s", cpu_env);
	unsetenv("TDXSIM_CPU");
	assert_int_equal(tdxsim_boot(&(struct tdxsim_boot){.machine = "/nonexistent/m.conf"}, err,
				     sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "machine /nonexistent/m.conf: not a preset (laptop"));
	assert_non_null(
		strstr(err, ") and not a configuration file: /nonexistent/m.conf: No such file or "
			    "directory"));
	assert_int_equal(tdxsim_boot(&(struct tdxsim_boot){.cpu = 7}, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "cpu backend 7: not native (0) or system (1)");
	/* The system backend without its QEMU: a sentence, and nothing stays up */
	setenv("TDXSIM_QEMU", "/nonexistent/qemu", 1);
	assert_int_equal(
		tdxsim_boot(&(struct tdxsim_boot){.cpu = TDXSIM_CPU_SYSTEM}, err, sizeof(err)),
		-ENOENT);
	unsetenv("TDXSIM_QEMU");
	assert_non_null(
		strstr(err, "the system CPU backend: cannot find QEMU '/nonexistent/qemu'"));
	assert_int_equal(tdxsim_boot(&(struct tdxsim_boot){.online_lps = 100000}, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "online_lps: 100000, but machine laptop has "));
	assert_int_equal(tdxsim_boot(&(struct tdxsim_boot){.inject = "nonsense"}, err, sizeof(err)),
			 -EINVAL);
	assert_false(tdxsim_booted());
	assert_int_equal(tdxsim_tdx_caps(&(struct tdxsim_tdx_caps){0}), -ENODEV);
	assert_int_equal(
		tdxsim_seamcall(0, TDH_SYS_RD, &(struct tdx_module_args){0}, &(uint64_t){0}),
		-ENODEV);
	if (cpu[0])
		setenv("TDXSIM_CPU", cpu, 1);
}

static void quiet(const char *line, void *opaque)
{
	(void)line;
	(void)opaque;
}

static int setup(void **state)
{
	char err[512] = "";

	(void)state;
	if (tdxsim_boot(&(struct tdxsim_boot){.machine = "laptop", .log = quiet}, err,
			sizeof(err))) {
		fprintf(stderr, "tdxsim_boot: %s\n", err);
		return -1;
	}
	if (tdxsim_boot(NULL, err, sizeof(err)) != -EBUSY) {
		fprintf(stderr, "a second boot: %s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tdxsim_shutdown();
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest before[] = {
		cmocka_unit_test(test_boot_errors),
	};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_caps_and_seamcall),
		cmocka_unit_test(test_exits),
		cmocka_unit_test(test_memory_of_a_non_debug_td),
		cmocka_unit_test(test_run_with_handler),
		cmocka_unit_test(test_shared_backing_by_fd),
		cmocka_unit_test(test_shared_backing_by_mapping),
		cmocka_unit_test(test_td_exit_shared_ept_violation),
		cmocka_unit_test(test_td_exit_triple_fault),
	};

	if (argc != 4) {
		fprintf(stderr, "usage: %s api.elf shared.elf td_exits.elf\n", argv[0]);
		return 2;
	}
	guest_elf = argv[1];
	shared_elf = argv[2];
	td_exits_elf = argv[3];
	if (cmocka_run_group_tests_name("before boot", before, NULL, NULL))
		return 1;
	return cmocka_run_group_tests_name("api", tests, setup, teardown);
}
