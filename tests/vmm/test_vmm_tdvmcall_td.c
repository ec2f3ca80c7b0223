// SPDX-License-Identifier: MIT
/*
 * Every TDVMCALL sub-function through a real TD: a guest built with the SDK
 * (guests/tdvmcall.c) makes raw TDG.VP.VMCALLs whose every register the test chooses, and
 * reports every register it gets back over a port the test registers on the TD's bus
 * (guests/tvc.h). So each call crosses the real path: TDCALL trap, the module's
 * TDG.VP.VMCALL (register mask), the TD exit, the VMM's run loop and tdvmcall_handle(), and
 * TDH.VP.ENTER copying the results back. The test asserts the exact R10..R15 for good and
 * bad arguments, that registers the VMM does not answer come back as they went, and what
 * the devices, the MSR store and the TD result saw. Unit tests with synthetic registers are
 * in test_tdvmcall.c.
 *
 * Also: the fatal and exit-status ends through the library and through `tdxsim run`
 * (guests/raw_exit.c), and a second machine in CPUID rewrite mode (hosts without CPUID
 * faulting) where a guest executing CPUID must measure as `vmm_td_measure` says and see
 * the same CPUID answers.
 *
 * And examples/guests/mmio.c, the MMIO example, run and its output checked.
 *
 * Arguments: tdvmcall.elf cpuid.elf raw_fatal.elf raw_exit.elf mmio.elf tdxsim
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <tdx/ghci.h>
#include <tdx/leaves.h>
#include <tdx/status.h>
#include <tdxsim/tdxsim.h>
#include <tdxsim/vmm.h>

#include "tests/support/vmm_machine.h"
#include "tests/vmm/guests/tvc.h"
#include "tests/support/quote_body.h"

static const char *tvc_elf, *cpuid_elf, *raw_fatal_elf, *raw_exit_elf, *mmio_elf, *tdxsim;

/*
 * What docs/VMM.md documents, written out here rather than taken from the VMM's headers: the
 * PCI test device's BAR0 and registers, the hypervisor CPUID leaves, the MSRs the VMM keeps,
 * KVM's answer to a vendor call.
 */
#define PCI_TESTDEV_BAR0	  0xFEB00000U
#define TESTDEV_MAGIC		  0x000
#define TESTDEV_READS		  0x010
#define TESTDEV_LAST_SIZE	  0x028
#define TESTDEV_RESET		  0x038
#define TESTDEV_SCRATCH		  0x100
#define TESTDEV_MAGIC_VALUE	  0x44544d4953584454ULL /* "TDXSIMTD" */
#define TDXSIM_CPUID_LEAF_BASE	  0x40000000U
#define TDXSIM_CPUID_LEAF_MAX	  0x40000001U
#define TDXSIM_CPUID_HV_RANGE_END 0x4FFFFFFFU
#define TDXSIM_CPUID_SIGNATURE	  "tdxsim\0\0\0\0\0\0"
#define MSR_IA32_APIC_BASE	  0x0000001B
#define MSR_IA32_MISC_ENABLE	  0x000001A0
#define MSR_IA32_CR_PAT		  0x00000277
#define MSR_IA32_TSC_DEADLINE	  0x000006E0
#define KVM_ENOSYS		  1000

#define SHARED	     (1ULL << 47) /* GPAW 48 (the default configuration) */
#define MASK_STD     TDVMCALL_EXPOSE_REGS_MASK
#define ALL_ONES(sz) ((sz) >= 8 ? UINT64_MAX : (1ULL << (8 * (sz))) - 1)

/* Registers the VMM never answers, filled with markers: they must come back unchanged. */
#define M_RDX 0xD0D0D0D0D0D0D0D0ULL
#define M_RBX 0xB0B0B0B0B0B0B0B0ULL
#define M_RSI 0x5151515151515151ULL
#define M_RDI 0xD1D1D1D1D1D1D1D1ULL
#define M_R8  0x0808080808080808ULL
#define M_R9  0x0909090909090909ULL

/* ------------------------------------------------------------------------------------------
 * The channel: a script of commands for the guest and the registers it reported
 */

struct tvc_step {
	enum tvc_op op;
	uint64_t leaf; /* TVC_TDCALL */
	struct tdx_module_args in;
	bool done; /* the guest reported it */
	uint64_t ret;
	struct tdx_module_args out; /* TVC_READ64: out.rcx is the value */
};

/* A recorder on ports 0x540..0x547 for Instruction.IO. */
#define REC_PORT 0x540
struct pio_acc {
	uint64_t port;
	unsigned size;
	bool write;
	uint64_t value;
};

struct tvc {
	uint32_t in[32768];
	size_t nin, pos;
	uint32_t out[32768];
	size_t nout;
	struct tvc_step steps[256];
	size_t nsteps;
	struct pio_acc rec[64];
	size_t nrec;
	struct serial_capture serial;
	uint8_t notify_vector; /* the last SetupEventNotifyInterrupt the VMM took */
};

static void push64(struct tvc *t, uint64_t v)
{
	assert_true(t->nin + 2 <= sizeof(t->in) / sizeof(t->in[0]));
	t->in[t->nin++] = (uint32_t)v;
	t->in[t->nin++] = (uint32_t)(v >> 32);
}

static size_t add_step(struct tvc *t, enum tvc_op op, uint64_t leaf,
		       const struct tdx_module_args *in)
{
	struct tvc_step *s;

	assert_true(t->nsteps < sizeof(t->steps) / sizeof(t->steps[0]));
	s = &t->steps[t->nsteps];
	memset(s, 0, sizeof(*s));
	s->op = op;
	s->leaf = leaf;
	if (in)
		s->in = *in;
	t->in[t->nin++] = op;
	if (op == TVC_TDCALL)
		push64(t, leaf);
	if (op == TVC_HYPERCALL || op == TVC_TDCALL)
		for (unsigned int i = 0; i < TVC_NR_REGS; i++)
			push64(t, ((const uint64_t *)&s->in)[i]);
	return t->nsteps++;
}

/* A standard call: __tdx_hypercall with R10..R15, the other registers as markers. */
static size_t hc(struct tvc *t, uint64_t r10, uint64_t r11, uint64_t r12, uint64_t r13,
		 uint64_t r14, uint64_t r15)
{
	struct tdx_module_args a = {.r10 = r10,
				    .r11 = r11,
				    .r12 = r12,
				    .r13 = r13,
				    .r14 = r14,
				    .r15 = r15,
				    .rdx = M_RDX,
				    .rbx = M_RBX,
				    .rsi = M_RSI,
				    .rdi = M_RDI,
				    .r8 = M_R8,
				    .r9 = M_R9};

	return add_step(t, TVC_HYPERCALL, 0, &a);
}

/* A TDG.VP.VMCALL with any RCX, through __tdcall. */
static size_t tdcall(struct tvc *t, const struct tdx_module_args *a)
{
	return add_step(t, TVC_TDCALL, TDG_VP_VMCALL, a);
}

static void write64(struct tvc *t, uint64_t gpa, uint64_t v)
{
	add_step(t, TVC_WRITE64, 0, NULL);
	push64(t, gpa);
	push64(t, v);
}

static size_t read64(struct tvc *t, uint64_t gpa)
{
	size_t i = add_step(t, TVC_READ64, 0, NULL);

	push64(t, gpa);
	return i;
}

/* The channel's four ports, as a device claiming them would answer. */
static void tvc_port(struct tvc *t, struct tdxsim_exit *ex)
{
	if (ex->io.size != 4) { /* the protocol is 32-bit; anything else reads as no device */
		ex->io.data = (uint32_t)ALL_ONES(ex->io.size);
		return;
	}
	if (ex->io.write) {
		if (t->nout < sizeof(t->out) / sizeof(t->out[0]))
			t->out[t->nout++] = ex->io.data;
		return;
	}
	ex->io.data = t->pos < t->nin ? t->in[t->pos++] : TVC_DONE;
}

static uint64_t rec_value(uint64_t port, unsigned size)
{
	return (0xA1B2C3D4E5F60718ULL ^ port) & ALL_ONES(size);
}

/* The recorder's eight ports: every access kept, reads answered with rec_value(). */
static void rec_port(struct tvc *t, struct tdxsim_exit *ex)
{
	if (!ex->io.write)
		ex->io.data = (uint32_t)rec_value(ex->io.port, ex->io.size);
	if (t->nrec < sizeof(t->rec) / sizeof(t->rec[0]))
		t->rec[t->nrec++] =
			(struct pio_acc){ex->io.port, ex->io.size, ex->io.write, ex->io.data};
}

/*
 * The embedder's port I/O exits: an access wholly inside the channel's or the recorder's
 * ports is theirs (as the VMM's bus claims only accesses inside one range); any other goes
 * to the VMM's devices. SetupEventNotifyInterrupt is seen and left to the VMM.
 */
static void tvc_exit(void *opaque, struct vmm_td *td, struct tdxsim_exit *ex)
{
	struct tvc *t = opaque;

	(void)td;
	if (ex->reason == TDXSIM_EXIT_SETUP_EVENT_NOTIFY) {
		t->notify_vector = ex->notify.vector;
		ex->use_default = true;
	} else if (ex->io.port >= TVC_PORT && ex->io.port + ex->io.size <= TVC_PORT + 4) {
		tvc_port(t, ex);
	} else if (ex->io.port >= REC_PORT && ex->io.port + ex->io.size <= REC_PORT + 8) {
		rec_port(t, ex);
	} else {
		ex->use_default = true;
	}
}

/* Match the guest's reports to the script. */
static void tvc_parse(struct tvc *t)
{
	size_t o = 0;

	for (size_t i = 0; i < t->nsteps; i++) {
		struct tvc_step *s = &t->steps[i];
		size_t need = s->op == TVC_READ64    ? 2
			      : s->op == TVC_WRITE64 ? 0
						     : 2 + 2 * TVC_NR_REGS;

		if (o + need > t->nout)
			break;
		if (s->op == TVC_READ64) {
			s->out.rcx = t->out[o] | (uint64_t)t->out[o + 1] << 32;
		} else if (need) {
			s->ret = t->out[o] | (uint64_t)t->out[o + 1] << 32;
			for (unsigned int r = 0; r < TVC_NR_REGS; r++)
				((uint64_t *)&s->out)[r] = t->out[o + 2 + 2 * r] |
							   (uint64_t)t->out[o + 3 + 2 * r] << 32;
		}
		s->done = true;
		o += need;
	}
}

typedef void (*td_setup_fn)(struct vmm_td *td);

/* Build the TD, put the channel and the recorder on its bus, run the script. */
static struct vmm_td *tvc_run(struct tvc *t, td_setup_fn setup)
{
	struct vmm_td_config cfg;
	struct vmm_td *td = NULL;
	char err[256] = "";

	tdxsim_claim_signals();
	vmm_td_config_default(&cfg);
	cfg.boot_opts = TDXSIM_BOOT_OPT_IO_TDVMCALL; /* the channel's own I/O: no #VE */
	cfg.serial = serial_capture_sink;
	cfg.serial_opaque = &t->serial;
	if (vmm_td_create(&cfg, tvc_elf, &td, err, sizeof(err)))
		fail_msg("vmm_td_create(%s): %s", tvc_elf, err);
	assert_int_equal(
		tdxsim_td_set_exits(td, TDXSIM_EXIT_BIT(TDXSIM_EXIT_IO) |
						TDXSIM_EXIT_BIT(TDXSIM_EXIT_SETUP_EVENT_NOTIFY)),
		0);
	tdxsim_td_set_exit_handler(td, tvc_exit, t);
	if (setup)
		setup(td);
	assert_int_equal(vmm_td_run(td), 0);
	tvc_parse(t);
	return td;
}

static struct tvc *tvc_new(void)
{
	struct tvc *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	return t;
}

/* The script ran to its end: every step reported, the guest exited with 0. */
static void expect_clean_end(const struct tvc *t, struct vmm_td *td)
{
	for (size_t i = 0; i < t->nsteps; i++)
		if (!t->steps[i].done)
			fail_msg("step %zu: no report (TD stopped: %s)", i,
				 vmm_td_result(td)->message);
	assert_int_equal(vmm_td_result(td)->reason, VMM_STOP_POWEROFF);
	assert_int_equal(vmm_td_result(td)->exit_status, 0);
	assert_string_equal(t->serial.buf, "");
}

static const char *const reg_names[TVC_NR_REGS] = {"RCX", "RDX", "R8",	"R9",  "R10", "R11", "R12",
						   "R13", "R14", "R15", "RBX", "RDI", "RSI"};

/* Every register of a reported call against @want, and the returned value. */
static void expect_regs(const struct tvc *t, size_t i, uint64_t ret,
			const struct tdx_module_args *want, int line)
{
	const struct tvc_step *s = &t->steps[i];

	if (!s->done)
		fail_msg("line %d: step %zu was not reported", line, i);
	if (s->ret != ret)
		fail_msg("line %d: step %zu returned %#llx, want %#llx", line, i,
			 (unsigned long long)s->ret, (unsigned long long)ret);
	for (unsigned int r = 0; r < TVC_NR_REGS; r++) {
		uint64_t got = ((const uint64_t *)&s->out)[r], w = ((const uint64_t *)want)[r];

		if (got != w)
			fail_msg("line %d: step %zu %s = %#llx, want %#llx", line, i, reg_names[r],
				 (unsigned long long)got, (unsigned long long)w);
	}
}

/* A standard call's outputs: R10..R15 as given, RCX the mask, everything else unchanged. */
static void expect_hc_(const struct tvc *t, size_t i, uint64_t r10, uint64_t r11, uint64_t r12,
		       uint64_t r13, uint64_t r14, uint64_t r15, int line)
{
	struct tdx_module_args w = t->steps[i].in;

	w.rcx = MASK_STD;
	w.r10 = r10;
	w.r11 = r11;
	w.r12 = r12;
	w.r13 = r13;
	w.r14 = r14;
	w.r15 = r15;
	expect_regs(t, i, r10, &w, line);
}
#define expect_hc(t, i, r10, r11, r12, r13, r14, r15)                                              \
	expect_hc_(t, i, r10, r11, r12, r13, r14, r15, __LINE__)

/* R10 as given and nothing else changed (every error, and calls with no results). */
#define expect_status(t, i, r10)                                                                   \
	expect_hc(t, i, r10, (t)->steps[i].in.r11, (t)->steps[i].in.r12, (t)->steps[i].in.r13,     \
		  (t)->steps[i].in.r14, (t)->steps[i].in.r15)

static struct vmm_vcpu_stats stats0(struct vmm_td *td)
{
	struct vmm_vcpu_stats st;

	assert_int_equal(vmm_td_vcpu_stats(td, 0, &st), 0);
	return st;
}

/* ------------------------------------------------------------------------------------------
 * Instruction.IO (R11 = 30): R12 size, R13 direction, R14 port, R15 value
 */

static void test_io(void **state)
{
	struct tvc *t = tvc_new();
	const uint64_t v = 0x1122334455667788ULL;
	size_t out[3], in[3], bad[6], none_in[3], none_out;
	struct vmm_td *td;

	(void)state;
	for (unsigned int k = 0; k < 3; k++) {
		unsigned int sz = 1u << k;

		out[k] = hc(t, 0, TDVMCALL_INSTRUCTION_IO, sz, TDVMCALL_IO_WRITE, REC_PORT + k, v);
		in[k] = hc(t, 0, TDVMCALL_INSTRUCTION_IO, sz, TDVMCALL_IO_READ, REC_PORT + 4, v);
		none_in[k] = hc(t, 0, TDVMCALL_INSTRUCTION_IO, sz, TDVMCALL_IO_READ, 0x9990, v);
	}
	none_out = hc(t, 0, TDVMCALL_INSTRUCTION_IO, 4, TDVMCALL_IO_WRITE, 0x9990, v);
	bad[0] = hc(t, 0, TDVMCALL_INSTRUCTION_IO, 0, TDVMCALL_IO_READ, REC_PORT, v);
	bad[1] = hc(t, 0, TDVMCALL_INSTRUCTION_IO, 3, TDVMCALL_IO_WRITE, REC_PORT, v);
	bad[2] = hc(t, 0, TDVMCALL_INSTRUCTION_IO, 8, TDVMCALL_IO_READ, REC_PORT, v);
	bad[3] = hc(t, 0, TDVMCALL_INSTRUCTION_IO, 8, TDVMCALL_IO_WRITE, REC_PORT, v);
	bad[4] = hc(t, 0, TDVMCALL_INSTRUCTION_IO, 1, 2, REC_PORT, v); /* direction */
	bad[5] = hc(t, 0, TDVMCALL_INSTRUCTION_IO, 1, TDVMCALL_IO_READ, 0x10000 + REC_PORT, v);
	td = tvc_run(t, NULL);
	expect_clean_end(t, td);

	for (unsigned int k = 0; k < 3; k++) {
		unsigned int sz = 1u << k;

		/* OUT: no result, R11 stays the sub-function; IN: R11 = the value, masked. */
		expect_status(t, out[k], TDVMCALL_STATUS_SUCCESS);
		expect_hc(t, in[k], TDVMCALL_STATUS_SUCCESS, rec_value(REC_PORT + 4, sz), sz,
			  TDVMCALL_IO_READ, REC_PORT + 4, v);
		/* A port nobody claims reads all-ones of the size, as on a PC */
		expect_hc(t, none_in[k], TDVMCALL_STATUS_SUCCESS, ALL_ONES(sz), sz,
			  TDVMCALL_IO_READ, 0x9990, v);
	}
	expect_status(t, none_out, TDVMCALL_STATUS_SUCCESS);
	for (unsigned int k = 0; k < 6; k++)
		expect_status(t, bad[k], TDVMCALL_STATUS_INVALID_OPERAND);

	/* The device saw the six good accesses in order, values truncated to the size;
	 * none of the rejected ones */
	assert_int_equal(t->nrec, 6);
	for (unsigned int k = 0; k < 3; k++) {
		unsigned int sz = 1u << k;
		const struct pio_acc *w = &t->rec[2 * k], *r = &t->rec[2 * k + 1];

		assert_int_equal(w->port, REC_PORT + k);
		assert_int_equal(w->size, sz);
		assert_true(w->write);
		assert_int_equal(w->value, v & ALL_ONES(sz));
		assert_int_equal(r->port, REC_PORT + 4);
		assert_int_equal(r->size, sz);
		assert_false(r->write);
	}
	vmm_td_destroy(td);
	free(t);
}

/* ------------------------------------------------------------------------------------------
 * #VE.RequestMMIO (R11 = 48) on the PCI test device's BAR0: R12 size, R13 direction, R14 GPA
 */

#define BAR0 ((uint64_t)PCI_TESTDEV_BAR0 | SHARED)

static size_t mmio(struct tvc *t, unsigned int size, unsigned int dir, uint64_t gpa, uint64_t v)
{
	return hc(t, 0, TDVMCALL_VE_REQUEST_MMIO, size, dir, gpa, v);
}

static void test_mmio(void **state)
{
	struct tvc *t = tvc_new();
	const uint64_t v = 0xF0E1D2C3B4A59687ULL;
	size_t magic[4], wr[4], back[4], last_size, bad[7], reads, n = 0;
	struct vmm_td *td;

	(void)state;
	mmio(t, 8, TDVMCALL_IO_WRITE, BAR0 + TESTDEV_RESET, 1), n++; /* counters from 0 */
	for (unsigned int k = 0; k < 4; k++, n++)
		magic[k] = mmio(t, 1u << k, TDVMCALL_IO_READ, BAR0 + TESTDEV_MAGIC, v);
	/* scratch: one 8-byte slot per size, written with 1, 2, 4, 8 bytes, read back whole */
	for (unsigned int k = 0; k < 4; k++, n++)
		wr[k] = mmio(t, 1u << k, TDVMCALL_IO_WRITE, BAR0 + TESTDEV_SCRATCH + 8 * k,
			     v >> (8 * k));
	for (unsigned int k = 0; k < 4; k++, n++)
		back[k] = mmio(t, 8, TDVMCALL_IO_READ, BAR0 + TESTDEV_SCRATCH + 8 * k, 0);
	last_size = mmio(t, 8, TDVMCALL_IO_READ, BAR0 + TESTDEV_LAST_SIZE, 0), n++;
	bad[0] = mmio(t, 3, TDVMCALL_IO_READ, BAR0, 0);
	bad[1] = mmio(t, 0, TDVMCALL_IO_READ, BAR0, 0);
	bad[2] = mmio(t, 16, TDVMCALL_IO_WRITE, BAR0 + TESTDEV_SCRATCH, v);
	bad[3] = mmio(t, 4, 2, BAR0, 0);			     /* direction */
	bad[4] = mmio(t, 8, TDVMCALL_IO_READ, PCI_TESTDEV_BAR0, 0);  /* private GPA */
	bad[5] = mmio(t, 8, TDVMCALL_IO_READ, BAR0 + 0xFFC, 0);	     /* crosses a page */
	bad[6] = mmio(t, 8, TDVMCALL_IO_READ, BAR0 | 1ULL << 48, 0); /* past GPAW */
	reads = mmio(t, 8, TDVMCALL_IO_READ, BAR0 + TESTDEV_READS, 0), n++;
	td = tvc_run(t, NULL);
	expect_clean_end(t, td);

	/* "TDXSIMTD" little-endian, as much of it as the size reads */
	for (unsigned int k = 0; k < 4; k++)
		expect_hc(t, magic[k], TDVMCALL_STATUS_SUCCESS,
			  0x44544D4953584454ULL & ALL_ONES(1u << k), 1u << k, TDVMCALL_IO_READ,
			  BAR0 + TESTDEV_MAGIC, v);
	/* Each write stored exactly its size, and nothing next to it */
	for (unsigned int k = 0; k < 4; k++) {
		expect_status(t, wr[k], TDVMCALL_STATUS_SUCCESS);
		expect_hc(t, back[k], TDVMCALL_STATUS_SUCCESS, (v >> (8 * k)) & ALL_ONES(1u << k),
			  8, TDVMCALL_IO_READ, BAR0 + TESTDEV_SCRATCH + 8 * k, 0);
	}
	expect_hc(t, last_size, TDVMCALL_STATUS_SUCCESS, 8, 8, TDVMCALL_IO_READ,
		  BAR0 + TESTDEV_LAST_SIZE, 0);
	for (unsigned int k = 0; k < 7; k++)
		expect_status(t, bad[k], TDVMCALL_STATUS_INVALID_OPERAND);
	/* Reads that reached the device before this one: MAGIC x4, scratch x4, LAST_SIZE. The
	 * rejected ones never got there. */
	expect_hc(t, reads, TDVMCALL_STATUS_SUCCESS, 9, 8, TDVMCALL_IO_READ, BAR0 + TESTDEV_READS,
		  0);
	assert_int_equal(stats0(td).tdvmcalls[VMM_TDVMCALL_MMIO], n + 7);
	vmm_td_destroy(td);
	free(t);
}

/* ------------------------------------------------------------------------------------------
 * Instruction.CPUID (R11 = 10): R12 leaf, R13 subleaf -> R12..R15 = EAX..EDX
 */

static void test_cpuid(void **state)
{
	struct tvc *t = tvc_new();
	size_t base, feat, end, basic;
	uint32_t sig[3];
	struct vmm_td *td;

	(void)state;
	base = hc(t, 0, TDVMCALL_INSTRUCTION_CPUID, TDXSIM_CPUID_LEAF_BASE, 0, 7, 7);
	feat = hc(t, 0, TDVMCALL_INSTRUCTION_CPUID, TDXSIM_CPUID_LEAF_MAX, 0, 7, 7);
	end = hc(t, 0, TDVMCALL_INSTRUCTION_CPUID, TDXSIM_CPUID_HV_RANGE_END, 3, 7, 7);
	basic = hc(t, 0, TDVMCALL_INSTRUCTION_CPUID, 1, 0, 7, 7);
	td = tvc_run(t, NULL);
	expect_clean_end(t, td);
	memcpy(sig, TDXSIM_CPUID_SIGNATURE, 12);
	expect_hc(t, base, TDVMCALL_STATUS_SUCCESS, TDVMCALL_INSTRUCTION_CPUID,
		  TDXSIM_CPUID_LEAF_MAX, sig[0], sig[1], sig[2]);
	/* the rest of the hypervisor range, and leaves the VMM has no answer for: zeros */
	expect_hc(t, feat, TDVMCALL_STATUS_SUCCESS, TDVMCALL_INSTRUCTION_CPUID, 0, 0, 0, 0);
	expect_hc(t, end, TDVMCALL_STATUS_SUCCESS, TDVMCALL_INSTRUCTION_CPUID, 0, 0, 0, 0);
	expect_hc(t, basic, TDVMCALL_STATUS_SUCCESS, TDVMCALL_INSTRUCTION_CPUID, 0, 0, 0, 0);
	assert_int_equal(stats0(td).tdvmcalls[VMM_TDVMCALL_CPUID], 4);
	vmm_td_destroy(td);
	free(t);
}

/* ------------------------------------------------------------------------------------------
 * Instruction.RDMSR / WRMSR (R11 = 31 / 32) through an MSR filter the embedder set
 */

static void msr_setup(struct vmm_td *td)
{
	/* Writes of IA32_CR_PAT and reads of IA32_MISC_ENABLE denied; the rest allowed */
	assert_int_equal(tdxsim_td_msr_filter_add(td, MSR_IA32_CR_PAT, 1, TDXSIM_MSR_FILTER_WRITE,
						  TDXSIM_MSR_DENY),
			 0);
	assert_int_equal(tdxsim_td_msr_filter_add(td, MSR_IA32_MISC_ENABLE, 1,
						  TDXSIM_MSR_FILTER_READ, TDXSIM_MSR_DENY),
			 0);
}

static void test_msr(void **state)
{
	struct tvc *t = tvc_new();
	size_t apic, wr_dl, rd_dl, wr_pat, rd_pat, rd_misc, wr_misc, unknown, wide, wr_unknown;
	uint64_t val;
	struct vmm_td *td;

	(void)state;
	apic = hc(t, 0, TDVMCALL_INSTRUCTION_RDMSR, MSR_IA32_APIC_BASE, 0, 0, 0);
	wr_dl = hc(t, 0, TDVMCALL_INSTRUCTION_WRMSR, MSR_IA32_TSC_DEADLINE, 0x123456789ULL, 0, 0);
	rd_dl = hc(t, 0, TDVMCALL_INSTRUCTION_RDMSR, MSR_IA32_TSC_DEADLINE, 0, 0, 0);
	wr_pat = hc(t, 0, TDVMCALL_INSTRUCTION_WRMSR, MSR_IA32_CR_PAT, 0, 0, 0);
	rd_pat = hc(t, 0, TDVMCALL_INSTRUCTION_RDMSR, MSR_IA32_CR_PAT, 0, 0, 0);
	rd_misc = hc(t, 0, TDVMCALL_INSTRUCTION_RDMSR, MSR_IA32_MISC_ENABLE, 0, 0, 0);
	wr_misc = hc(t, 0, TDVMCALL_INSTRUCTION_WRMSR, MSR_IA32_MISC_ENABLE, 0x1801, 0, 0);
	unknown = hc(t, 0, TDVMCALL_INSTRUCTION_RDMSR, 0x10, 0, 0, 0);
	wr_unknown = hc(t, 0, TDVMCALL_INSTRUCTION_WRMSR, 0x10, 5, 0, 0);
	wide = hc(t, 0, TDVMCALL_INSTRUCTION_RDMSR, 1ULL << 32 | MSR_IA32_APIC_BASE, 0, 0, 0);
	td = tvc_run(t, msr_setup);
	expect_clean_end(t, td);
	/* vCPU 0: x2APIC enabled at 0xFEE00000, BSP */
	expect_hc(t, apic, TDVMCALL_STATUS_SUCCESS, 0xFEE00D00ULL, MSR_IA32_APIC_BASE, 0, 0, 0);
	expect_status(t, wr_dl, TDVMCALL_STATUS_SUCCESS);
	expect_hc(t, rd_dl, TDVMCALL_STATUS_SUCCESS, 0x123456789ULL, MSR_IA32_TSC_DEADLINE, 0, 0,
		  0);
	/* denied by the filter: INVALID_OPERAND (the guest's #GP), the value untouched */
	expect_status(t, wr_pat, TDVMCALL_STATUS_INVALID_OPERAND);
	expect_hc(t, rd_pat, TDVMCALL_STATUS_SUCCESS, 0x0007040600070406ULL, MSR_IA32_CR_PAT, 0, 0,
		  0);
	expect_status(t, rd_misc, TDVMCALL_STATUS_INVALID_OPERAND);
	expect_status(t, wr_misc, TDVMCALL_STATUS_SUCCESS); /* only reads are denied */
	/* not in the store, or not an MSR number */
	expect_status(t, unknown, TDVMCALL_STATUS_INVALID_OPERAND);
	expect_status(t, wr_unknown, TDVMCALL_STATUS_INVALID_OPERAND);
	expect_status(t, wide, TDVMCALL_STATUS_INVALID_OPERAND);

	/* The VMM's store: the allowed writes landed, the denied and unknown ones did not */
	assert_int_equal(tdxsim_vcpu_get_msr(td, 0, MSR_IA32_TSC_DEADLINE, &val), 0);
	assert_int_equal(val, 0x123456789ULL);
	assert_int_equal(tdxsim_vcpu_get_msr(td, 0, MSR_IA32_MISC_ENABLE, &val), 0);
	assert_int_equal(val, 0x1801);
	assert_int_equal(tdxsim_vcpu_get_msr(td, 0, MSR_IA32_CR_PAT, &val), 0);
	assert_int_equal(val, 0x0007040600070406ULL);
	assert_int_equal(tdxsim_vcpu_get_msr(td, 0, 0x10, &val), -ENOENT);
	assert_int_equal(stats0(td).tdvmcalls[VMM_TDVMCALL_RDMSR], 6);
	assert_int_equal(stats0(td).tdvmcalls[VMM_TDVMCALL_WRMSR], 4);
	vmm_td_destroy(td);
	free(t);
}

/* ------------------------------------------------------------------------------------------
 * Instruction.HLT (R11 = 12): R12 = interrupts blocked. It blocks until an interrupt is posted
 * (docs/VMM.md "Interrupts"); the guest never enables interrupts, so what is posted stays
 * pending.
 */

/* The embedder's side: once vCPU 0 sleeps in the first HLT, post vector 0x60 to it. */
static void *post_when_halted(void *arg)
{
	struct vmm_td *td = arg;

	enum tdxsim_mp_state st = TDXSIM_MP_RUNNABLE;

	while (!tdxsim_vcpu_get_mp_state(td, 0, &st) && st != TDXSIM_MP_HALTED)
		sched_yield();
	vmm_td_post_interrupt(td, 0, 0x60);
	return NULL;
}

static pthread_t poster;

static void start_poster(struct vmm_td *td)
{
	assert_int_equal(pthread_create(&poster, NULL, post_when_halted, td), 0);
}

static void test_hlt(void **state)
{
	struct tvc *t = tvc_new();
	size_t blocked, open;
	struct vmm_td *td;

	(void)state;
	blocked = hc(t, 0, TDVMCALL_INSTRUCTION_HLT, 1, 0, 0, 0);
	open = hc(t, 0, TDVMCALL_INSTRUCTION_HLT, 0, 0, 0, 0);
	td = tvc_run(t, start_poster);
	pthread_join(poster, NULL);
	expect_clean_end(t, td);
	/* Interrupts blocked: the halt lasted until the post. Not blocked, with 0x60 pending in
	 * the virtual APIC (VMXIP): it returns at once. */
	expect_status(t, blocked, TDVMCALL_STATUS_SUCCESS);
	expect_status(t, open, TDVMCALL_STATUS_SUCCESS);
	assert_int_equal(stats0(td).tdvmcalls[VMM_TDVMCALL_HLT], 2);
	assert_int_equal(stats0(td).halts, 1);
	assert_int_equal(stats0(td).interrupts, 1);
	vmm_td_destroy(td);
	free(t);
}

/* ------------------------------------------------------------------------------------------
 * GetTdVmCallInfo (0x10000), SetupEventNotifyInterrupt
 * (0x10004), unknown sub-functions, vendor-specific calls (R10 != 0)
 */

static void test_info_notify_unknown(void **state)
{
	struct tvc *t = tvc_new();
	size_t info0, info1, info2, notify[6], unk[3], vendor[2];
	const uint64_t g = 0x6666666666666666ULL; /* garbage in the result registers */
	struct vmm_td *td;

	(void)state;
	info0 = hc(t, 0, TDVMCALL_GET_TD_VM_CALL_INFO, 0, g, g, g);
	info1 = hc(t, 0, TDVMCALL_GET_TD_VM_CALL_INFO, 1, g, g, g);
	info2 = hc(t, 0, TDVMCALL_GET_TD_VM_CALL_INFO, 2, g, g, g);
	notify[0] = hc(t, 0, TDVMCALL_SETUP_EVENT_NOTIFY_INTERRUPT, 0, 0, 0, 0);
	notify[1] = hc(t, 0, TDVMCALL_SETUP_EVENT_NOTIFY_INTERRUPT, 31, 0, 0, 0);
	notify[2] = hc(t, 0, TDVMCALL_SETUP_EVENT_NOTIFY_INTERRUPT, 32, 0, 0, 0);
	notify[3] = hc(t, 0, TDVMCALL_SETUP_EVENT_NOTIFY_INTERRUPT, 256, 0, 0, 0);
	notify[4] = hc(t, 0, TDVMCALL_SETUP_EVENT_NOTIFY_INTERRUPT, 255, 0, 0, 0);
	notify[5] = hc(t, 0, TDVMCALL_SETUP_EVENT_NOTIFY_INTERRUPT, 1ULL << 32 | 40, 0, 0, 0);
	unk[0] = hc(t, 0, TDVMCALL_SETUP_EVENT_NOTIFY_INTERRUPT + 1, 1, 2, 3, 4);
	unk[1] = hc(t, 0, TDVMCALL_INSTRUCTION_WBINVD, 0, 0, 0, 0);
	unk[2] = hc(t, 0, 0, 0, 0, 0, 0);
	vendor[0] = hc(t, 1, TDVMCALL_GET_TD_VM_CALL_INFO, 0, 0, 0, 0);
	vendor[1] = hc(t, 0x10000, 0, 0, 0, 0, 0);
	td = tvc_run(t, NULL);
	expect_clean_end(t, td);

	/* Leaf 0: R11..R14 all zero; leaf 1: R11 = SetupEventNotifyInterrupt supported */
	expect_hc(t, info0, TDVMCALL_STATUS_SUCCESS, 0, 0, 0, 0, g);
	expect_hc(t, info1, TDVMCALL_STATUS_SUCCESS, TDVMCALLINFO_SETUP_EVENT_NOTIFY_INTERRUPT, 0,
		  0, 0, g);
	expect_status(t, info2, TDVMCALL_STATUS_INVALID_OPERAND);
	/* Vectors 32..255 only */
	expect_status(t, notify[0], TDVMCALL_STATUS_INVALID_OPERAND);
	expect_status(t, notify[1], TDVMCALL_STATUS_INVALID_OPERAND);
	expect_status(t, notify[2], TDVMCALL_STATUS_SUCCESS);
	expect_status(t, notify[3], TDVMCALL_STATUS_INVALID_OPERAND);
	expect_status(t, notify[4], TDVMCALL_STATUS_SUCCESS);
	expect_status(t, notify[5], TDVMCALL_STATUS_INVALID_OPERAND);
	assert_int_equal(t->notify_vector, 255);
	/* Unknown (or unimplemented, WBINVD) sub-functions */
	for (unsigned int k = 0; k < 3; k++)
		expect_status(t, unk[k], TDVMCALL_STATUS_SUBFUNC_UNSUPPORTED);
	/* R10 != 0: vendor-specific [GHCI]; as KVM, an unknown KVM hypercall: -KVM_ENOSYS */
	expect_status(t, vendor[0], (uint64_t)-KVM_ENOSYS);
	expect_status(t, vendor[1], (uint64_t)-KVM_ENOSYS);
	vmm_td_destroy(td);
	free(t);
}

/* ------------------------------------------------------------------------------------------
 * MapGPA (0x10001): argument errors only (the conversion itself: test_vmm_run and the
 * MapGPA tests). R12 GPA, R13 size; on any error R11 = the start GPA.
 */

static void test_map_gpa_errors(void **state)
{
	struct tvc *t = tvc_new();
	const uint64_t gpa = 0x2000000; /* 32 MiB: private memory, never touched */
	size_t zero, ua_gpa, ua_size, beyond_gpaw, wraps, mixed, beyond_mem, beyond_mem_priv;
	struct vmm_td_stats ts;
	struct vmm_td *td;

	(void)state;
	zero = hc(t, 0, TDVMCALL_MAP_GPA, gpa | SHARED, 0, 0, 0);
	ua_gpa = hc(t, 0, TDVMCALL_MAP_GPA, (gpa + 0x800) | SHARED, 0x1000, 0, 0);
	ua_size = hc(t, 0, TDVMCALL_MAP_GPA, gpa | SHARED, 0x1800, 0, 0);
	beyond_gpaw = hc(t, 0, TDVMCALL_MAP_GPA, 1ULL << 48, 0x1000, 0, 0);
	wraps = hc(t, 0, TDVMCALL_MAP_GPA, 0xFFFFFFFFFFFFF000ULL, 0x2000, 0, 0);
	mixed = hc(t, 0, TDVMCALL_MAP_GPA, SHARED - 0x1000, 0x2000, 0, 0);
	beyond_mem = hc(t, 0, TDVMCALL_MAP_GPA, (1ULL << 30) | SHARED, 0x1000, 0, 0);
	beyond_mem_priv = hc(t, 0, TDVMCALL_MAP_GPA, 64ULL << 20, 0x1000, 0, 0);
	td = tvc_run(t, NULL);
	expect_clean_end(t, td);
	expect_hc(t, zero, TDVMCALL_STATUS_INVALID_OPERAND, gpa | SHARED, gpa | SHARED, 0, 0, 0);
	expect_hc(t, ua_gpa, TDVMCALL_STATUS_ALIGN_ERROR, (gpa + 0x800) | SHARED,
		  (gpa + 0x800) | SHARED, 0x1000, 0, 0);
	expect_hc(t, ua_size, TDVMCALL_STATUS_ALIGN_ERROR, gpa | SHARED, gpa | SHARED, 0x1800, 0,
		  0);
	expect_hc(t, beyond_gpaw, TDVMCALL_STATUS_INVALID_OPERAND, 1ULL << 48, 1ULL << 48, 0x1000,
		  0, 0);
	expect_hc(t, wraps, TDVMCALL_STATUS_INVALID_OPERAND, 0xFFFFFFFFFFFFF000ULL,
		  0xFFFFFFFFFFFFF000ULL, 0x2000, 0, 0);
	expect_hc(t, mixed, TDVMCALL_STATUS_INVALID_OPERAND, SHARED - 0x1000, SHARED - 0x1000,
		  0x2000, 0, 0);
	/* within GPAW, but past the TD's 64 MiB of memory, to shared or to private */
	expect_hc(t, beyond_mem, TDVMCALL_STATUS_INVALID_OPERAND, (1ULL << 30) | SHARED,
		  (1ULL << 30) | SHARED, 0x1000, 0, 0);
	expect_hc(t, beyond_mem_priv, TDVMCALL_STATUS_INVALID_OPERAND, 64ULL << 20, 64ULL << 20,
		  0x1000, 0, 0);
	vmm_td_stats(td, &ts);
	assert_int_equal(ts.shared_pages, 0); /* nothing was converted */
	vmm_td_destroy(td);
	free(t);
}

/* ------------------------------------------------------------------------------------------
 * GetQuote (0x10002): R12 GPA of a shared buffer, R13 its size
 */

/* tdxsim's root and collateral exported into a new directory @dir (a mkdtemp template). */
static void export_pki(char *dir)
{
	assert_non_null(mkdtemp(dir));
	assert_int_equal(tdxsim_attest_export(dir), 0);
}

static void remove_dir(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -r '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* The quote's length: its PCK chain (as tdxsim_attest_export writes it) after 1258 bytes. */
static size_t quote_len(void)
{
	char dir[] = "/tmp/tdxsim-quote-XXXXXX", path[64];
	struct stat st;

	export_pki(dir);
	snprintf(path, sizeof(path), "%s/pck_chain.pem", dir);
	assert_int_equal(stat(path, &st), 0);
	remove_dir(dir);
	return 1258 + (size_t)st.st_size;
}

/* The first certificate of PEM file @name in @dir, as DER (OPENSSL_free it). */
static int cert_der(const char *dir, const char *name, unsigned char **der)
{
	char path[128];
	FILE *f;
	X509 *c;
	int n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	assert_non_null(f);
	c = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(c);
	*der = NULL;
	n = i2d_X509(c, der);
	X509_free(c);
	assert_true(n > 0);
	return n;
}

/* tdxsim_quote_verify() of @q damaged by @damage at byte @off (XORed; 0: none) of @len. */
static void expect_refused(const uint8_t *q, size_t len, size_t off, uint8_t damage,
			   const void *root, size_t root_len, int errno_,
			   enum tdxsim_quote_part part, const char *msg)
{
	uint8_t *c = malloc(len);
	struct tdxsim_quote parts;
	char err[512] = "";

	assert_non_null(c);
	memcpy(c, q, len);
	c[off] ^= damage;
	assert_int_equal(tdxsim_quote_verify(c, len, root, root_len, &parts, err, sizeof(err)),
			 errno_);
	assert_int_equal(parts.bad, part);
	if (strcmp(err, msg))
		fail_msg("damage at %zu: '%s', wanted '%s'", off, err, msg);
	free(c);
}

/*
 * The quote @q (@len bytes) verified against the exported root, then refused for each part
 * damaged: its length, header, certification data type, attestation key, the signature of
 * the body, the QE report data, the QE report's signature, the PCK chain's PEM, a root that
 * is no certificate and one that is not the chain's.
 */
static void quote_damaged(const uint8_t *q, size_t len)
{
	char dir[] = "/tmp/tdxsim-quote-XXXXXX", want[512], err[128];
	unsigned char *root, *ca;
	struct tdxsim_quote parts;
	int root_len, ca_len;

	export_pki(dir);
	root_len = cert_der(dir, "root_ca.pem", &root);
	ca_len = cert_der(dir, "pck_crl_issuer_chain.pem", &ca); /* the PCK platform CA */
	remove_dir(dir);
	assert_int_equal(tdxsim_quote_verify(q, len, root, (size_t)root_len, NULL, NULL, 0), 0);
	assert_int_equal(tdxsim_quote_verify(NULL, len, NULL, 0, &parts, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(parts.bad, TDXSIM_QUOTE_LENGTH);
	assert_string_equal(err,
			    "quote length 0: a quote has more than 1258 bytes, less than 1 MiB");
	snprintf(want, sizeof(want),
		 "lengths: signature data %zu, certification data %zu, QE authentication data 32, "
		 "PCK chain %zu do not fit a quote of %zu bytes",
		 len - 636, len - 770, len - 1258, len - 1);
	expect_refused(q, len - 1, 0, 0, NULL, 0, -EINVAL, TDXSIM_QUOTE_LENGTH, want);
	expect_refused(q, len, 0, 4 ^ 5, NULL, 0, -EINVAL, TDXSIM_QUOTE_HEADER,
		       "header: version 5, key type 2, TEE type 0x81, reserved 0x00000000, QE "
		       "vendor ID Intel's: not 4, 2, 0x81, 0, Intel's");
	expect_refused(q, len, 12, 1, NULL, 0, -EINVAL, TDXSIM_QUOTE_HEADER,
		       "header: version 4, key type 2, TEE type 0x81, reserved 0x00000000, QE "
		       "vendor ID other: not 4, 2, 0x81, 0, Intel's");
	expect_refused(q, len, 764, 6 ^ 7, NULL, 0, -EINVAL, TDXSIM_QUOTE_CERT_TYPE,
		       "certification data types 7 and 5: not 6 (QE report) and 5 (PCK "
		       "certificate chain)");
	expect_refused(q, len, 700 + 10, 1, NULL, 0, -EINVAL, TDXSIM_QUOTE_ATTESTATION_KEY,
		       "attestation key: not a point of P-256");
	expect_refused(q, len, 48 + 136, 1, NULL, 0, -EBADMSG, TDXSIM_QUOTE_SIGNATURE,
		       "signature: the attestation key did not sign this header and body");
	expect_refused(q, len, 1220, 1, NULL, 0, -EBADMSG, TDXSIM_QUOTE_QE_REPORT_DATA,
		       "QE report data: not SHA-256(attestation key || QE authentication data) "
		       "and 32 zero bytes");
	expect_refused(q, len, 770 + 64, 1, NULL, 0, -EBADMSG, TDXSIM_QUOTE_QE_REPORT_SIGNATURE,
		       "QE report signature: the PCK certificate's key did not sign the QE report");
	expect_refused(q, len, 1258, '-' ^ 'X', NULL, 0, -EINVAL, TDXSIM_QUOTE_PCK_CHAIN,
		       "PCK certificate chain: not exactly three PEM certificates");
	expect_refused(q, len, 0, 0, q, 100, -EINVAL, TDXSIM_QUOTE_ROOT,
		       "root: not a DER certificate");
	expect_refused(q, len, 0, 0, ca, (size_t)ca_len, -EKEYREJECTED, TDXSIM_QUOTE_UNTRUSTED,
		       "PCK certificate chain: does not lead to the trusted root");
	OPENSSL_free(root);
	OPENSSL_free(ca);
}

#define QGPA	   0x2000000ULL /* two pages converted to shared */
#define QBUF	   (QGPA | SHARED)
#define Q_SENTINEL 0x5A5A5A5A5A5A5A5AULL

static void test_get_quote(void **state)
{
	struct tvc *t = tvc_new();
	size_t map, zero, priv, ua_gpa, ua_size, unmapped, partly, version, in_len_big, untouched,
		in_len_odd, st_odd, good, st_good, lens_good, quote_end;
	uint8_t report[TDX_REPORT_LEN] = {0x81};
	struct tdxsim_quote parts;
	size_t qlen = quote_len();
	static uint8_t qbuf[2 * 4096];
	const uint8_t *buf;
	uint64_t hdr_status, lens;
	struct vmm_td *td;
	char err[256] = "x";

	(void)state;
	/* the TDREPORT: type TDX, known REPORTDATA words, the rest zero under right hashes */
	memcpy(report + 128, &(uint64_t){0x0123456789ABCDEFULL}, 8);
	memcpy(report + 184, &(uint64_t){0xFEDCBA9876543210ULL}, 8);
	SHA384(report + 256, 256, report + 32);
	SHA384(report + 512, 512, report + 80);
	map = hc(t, 0, TDVMCALL_MAP_GPA, QBUF, 0x2000, 0, 0);
	write64(t, QBUF + 8, Q_SENTINEL); /* status: only a quote attempt may touch it */
	write64(t, QBUF + 16, 1024);	  /* in_len 1024, out_len 0 */
	write64(t, QBUF, 2);		  /* version 2: not ours */
	version = hc(t, 0, TDVMCALL_GET_QUOTE, QBUF, 0x2000, 0, 0);
	write64(t, QBUF, GET_QUOTE_STRUCTURE_VERSION);
	zero = hc(t, 0, TDVMCALL_GET_QUOTE, QBUF, 0, 0, 0);
	priv = hc(t, 0, TDVMCALL_GET_QUOTE, QGPA, 0x2000, 0, 0);
	ua_gpa = hc(t, 0, TDVMCALL_GET_QUOTE, QBUF + 0x10, 0x1000, 0, 0);
	ua_size = hc(t, 0, TDVMCALL_GET_QUOTE, QBUF, 0x1800, 0, 0);
	unmapped = hc(t, 0, TDVMCALL_GET_QUOTE, (QGPA + 0x10000) | SHARED, 0x1000, 0, 0);
	partly = hc(t, 0, TDVMCALL_GET_QUOTE, QBUF, 0x3000, 0, 0); /* third page private */
	write64(t, QBUF + 16, 0x2000 - GET_QUOTE_HDR_LEN + 1);	   /* in_len past the buffer */
	in_len_big = hc(t, 0, TDVMCALL_GET_QUOTE, QBUF, 0x2000, 0, 0);
	untouched = read64(t, QBUF + 8);
	write64(t, QBUF + 16, 0x2000 - GET_QUOTE_HDR_LEN); /* fits, but not a TDREPORT */
	in_len_odd = hc(t, 0, TDVMCALL_GET_QUOTE, QBUF, 0x2000, 0, 0);
	st_odd = read64(t, QBUF + 8);
	/* A good one (its MAC is not checked: only the module could) */
	write64(t, QBUF + 16, TDX_REPORT_LEN);
	for (unsigned i = 0; i < 128; i += 8) /* REPORTTYPE and the two hashes */
		write64(t, QBUF + GET_QUOTE_HDR_LEN + i, *(uint64_t *)(report + i));
	write64(t, QBUF + GET_QUOTE_HDR_LEN + 128, *(uint64_t *)(report + 128));
	write64(t, QBUF + GET_QUOTE_HDR_LEN + 184, *(uint64_t *)(report + 184));
	good = hc(t, 0, TDVMCALL_GET_QUOTE, QBUF, 0x2000, 0, 0);
	st_good = read64(t, QBUF + 8);
	lens_good = read64(t, QBUF + 16);
	quote_end = read64(t, QBUF + GET_QUOTE_HDR_LEN + qlen - 8);
	td = tvc_run(t, NULL);
	expect_clean_end(t, td);

	expect_status(t, map, TDVMCALL_STATUS_SUCCESS);
	expect_status(t, version, TDVMCALL_STATUS_INVALID_OPERAND);
	expect_status(t, zero, TDVMCALL_STATUS_INVALID_OPERAND);
	expect_status(t, priv, TDVMCALL_STATUS_INVALID_OPERAND);
	expect_status(t, ua_gpa, TDVMCALL_STATUS_ALIGN_ERROR);
	expect_status(t, ua_size, TDVMCALL_STATUS_ALIGN_ERROR);
	expect_status(t, unmapped, TDVMCALL_STATUS_INVALID_OPERAND);
	expect_status(t, partly, TDVMCALL_STATUS_INVALID_OPERAND);
	expect_status(t, in_len_big, TDVMCALL_STATUS_INVALID_OPERAND);
	/* None of those touched the buffer */
	assert_int_equal(t->steps[untouched].out.rcx, Q_SENTINEL);
	/* A well-formed request for something that is not a TDREPORT: the call succeeds, the
	 * buffer says ERROR */
	expect_status(t, in_len_odd, TDVMCALL_STATUS_SUCCESS);
	assert_int_equal(t->steps[st_odd].out.rcx, GET_QUOTE_ERROR);
	/* The good one, two pages: status SUCCESS, out_len = the quote's length */
	expect_status(t, good, TDVMCALL_STATUS_SUCCESS);
	assert_int_equal(t->steps[st_good].out.rcx, GET_QUOTE_SUCCESS);
	assert_int_equal(t->steps[lens_good].out.rcx, TDX_REPORT_LEN | (uint64_t)qlen << 32);

	/* The quote in the shared buffer verifies and carries the guest's report */
	/* Copied page by page: on the system backend the two pages are not one span of this
	 * process (tdxsim_td_shared_va would say NULL) */
	assert_int_equal(tdxsim_td_read_gpa(td, QGPA | SHARED, qbuf, sizeof(qbuf)), 0);
	buf = qbuf;
	memcpy(&hdr_status, buf + 8, 8);
	memcpy(&lens, buf + 16, 8);
	assert_int_equal(hdr_status, GET_QUOTE_SUCCESS);
	assert_int_equal(tdxsim_quote_verify(buf + GET_QUOTE_HDR_LEN, qlen, NULL, 0, &parts, err,
					     sizeof(err)),
			 0);
	assert_string_equal(err, "");
	assert_int_equal(parts.bad, TDXSIM_QUOTE_OK);
	quote_body_check(&parts, (const struct tdreport *)report);
	assert_int_equal(*(uint64_t *)parts.body.reportdata, 0x0123456789ABCDEFULL);
	assert_int_equal(*(uint64_t *)(parts.body.reportdata + 56), 0xFEDCBA9876543210ULL);
	assert_ptr_equal(parts.pck_chain, buf + GET_QUOTE_HDR_LEN + 1258);
	assert_int_equal(parts.pck_chain_len, qlen - 1258);
	quote_damaged(buf + GET_QUOTE_HDR_LEN, qlen);
	/* and the guest read the same quote bytes (the PEM chain's last 8) */
	assert_memory_equal(&t->steps[quote_end].out.rcx, buf + GET_QUOTE_HDR_LEN + qlen - 8, 8);
	assert_int_equal(stats0(td).tdvmcalls[VMM_TDVMCALL_GET_QUOTE], 10);
	vmm_td_destroy(td);
	free(t);
}

/* ------------------------------------------------------------------------------------------
 * The TDCALL level: only the registers RCX names reach the VMM, and only they come back
 */

static void test_register_mask(void **state)
{
	struct tvc *t = tvc_new();
	struct tdx_module_args a;
	size_t no_r15, cpuid_no_r15, no_r10, nothing, bad[5], xmm;
	struct vmm_td *td;

	(void)state;
	/* OUT of 4 bytes with R15 (the value) not exposed: the device gets 0 */
	a = (struct tdx_module_args){.rcx = TDX_R10 | TDX_R11 | TDX_R12 | TDX_R13 | TDX_R14,
				     .r11 = TDVMCALL_INSTRUCTION_IO,
				     .r12 = 4,
				     .r13 = TDVMCALL_IO_WRITE,
				     .r14 = REC_PORT,
				     .r15 = 0xDEADBEEF,
				     .rdx = M_RDX};
	no_r15 = tdcall(t, &a);
	/* CPUID answers R12..R15; with R15 unexposed the guest keeps its own */
	a = (struct tdx_module_args){.rcx = TDX_R10 | TDX_R11 | TDX_R12 | TDX_R13 | TDX_R14,
				     .r11 = TDVMCALL_INSTRUCTION_CPUID,
				     .r12 = TDXSIM_CPUID_LEAF_BASE,
				     .r15 = 0x1515151515151515ULL};
	cpuid_no_r15 = tdcall(t, &a);
	/* R10 unexposed: the VMM sees 0 (a standard call) whatever the guest holds, and the
	 * status stays in the VMM */
	a = (struct tdx_module_args){.rcx = TDX_R11 | TDX_R12,
				     .r10 = 0x77,
				     .r11 = TDVMCALL_GET_TD_VM_CALL_INFO,
				     .r12 = 1};
	no_r10 = tdcall(t, &a);
	/* Nothing exposed: the VMM sees sub-function 0, the guest sees nothing change */
	a = (struct tdx_module_args){
		.r10 = 5, .r11 = TDVMCALL_INSTRUCTION_CPUID, .r12 = TDXSIM_CPUID_LEAF_BASE};
	nothing = tdcall(t, &a);
	/* RCX bits the module refuses: RAX, RCX, RSP, RBP (NO_RBP_MOD), bits 63:32 */
	const uint64_t refused[5] = {1ULL << 0, 1ULL << 1, 1ULL << 4, TDX_RBP, 1ULL << 32};
	for (unsigned int k = 0; k < 5; k++) {
		a = (struct tdx_module_args){.rcx = MASK_STD | refused[k],
					     .r11 = TDVMCALL_GET_TD_VM_CALL_INFO,
					     .r12 = 1};
		bad[k] = tdcall(t, &a);
	}
	/* XMM selections are accepted (tdxsim switches no XMM state: they carry nothing) */
	a = (struct tdx_module_args){
		.rcx = MASK_STD | 0xFFFF0000ULL, .r11 = TDVMCALL_GET_TD_VM_CALL_INFO, .r12 = 1};
	xmm = tdcall(t, &a);
	td = tvc_run(t, NULL);
	expect_clean_end(t, td);

	a = t->steps[no_r15].in;
	expect_regs(t, no_r15, TDX_SUCCESS, &a, __LINE__);
	assert_int_equal(t->nrec, 1);
	assert_int_equal(t->rec[0].value, 0);
	assert_int_equal(t->rec[0].size, 4);

	a = t->steps[cpuid_no_r15].in;
	a.r12 = TDXSIM_CPUID_LEAF_MAX;
	memcpy(&a.r13, "tdxs", 4); /* EBX */
	a.r13 &= 0xFFFFFFFF;
	a.r14 = 0x6D69; /* ECX "im\0\0" */
	expect_regs(t, cpuid_no_r15, TDX_SUCCESS, &a, __LINE__);

	a = t->steps[no_r10].in;
	a.r11 = TDVMCALLINFO_SETUP_EVENT_NOTIFY_INTERRUPT;
	a.r12 = 0;
	expect_regs(t, no_r10, TDX_SUCCESS, &a, __LINE__);

	a = t->steps[nothing].in;
	expect_regs(t, nothing, TDX_SUCCESS, &a, __LINE__);

	for (unsigned int k = 0; k < 5; k++) {
		a = t->steps[bad[k]].in;
		expect_regs(t, bad[k], TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX, &a, __LINE__);
	}
	a = t->steps[xmm].in;
	a.r10 = TDVMCALL_STATUS_SUCCESS;
	a.r11 = TDVMCALLINFO_SETUP_EVENT_NOTIFY_INTERRUPT;
	a.r12 = 0;
	expect_regs(t, xmm, TDX_SUCCESS, &a, __LINE__);
	/* The refused calls never left the TD: of the others, no_r10, nothing (sub-function
	 * 0) and xmm reached the VMM as "other" */
	assert_int_equal(stats0(td).tdvmcalls[VMM_TDVMCALL_OTHER], 3);
	assert_int_equal(stats0(td).tdvmcalls[VMM_TDVMCALL_CPUID], 1);
	vmm_td_destroy(td);
	free(t);
}

/* ------------------------------------------------------------------------------------------
 * ReportFatalError (0x10003) and the exit ports: the TD's result
 */

static const char fatal_msg[65] =
	"Fatal: the guest packs sixty-four bytes in eight registers. OK!!";

static void pack_msg(struct tdx_module_args *a, const char *m)
{
	uint64_t *regs[8] = {&a->r14, &a->r15, &a->rbx, &a->rdi, &a->rsi, &a->r8, &a->r9, &a->rdx};

	for (unsigned int i = 0; i < 8; i++)
		memcpy(regs[i], m + 8 * i, 8);
}

static void test_fatal_error(void **state)
{
	struct tvc *t = tvc_new();
	struct tdx_module_args a = {0};
	const struct vmm_td_result *r;
	size_t call, after;
	struct vmm_td *td;

	(void)state;
	/* All message registers, R12 bit 63: R13 is a GPA */
	pack_msg(&a, fatal_msg);
	a.r11 = TDVMCALL_REPORT_FATAL_ERROR;
	a.r12 = 1ULL << 63 | 0xE5;
	a.r13 = 0x3000;
	call = add_step(t, TVC_HYPERCALL, 0, &a);
	after = hc(t, 0, TDVMCALL_GET_TD_VM_CALL_INFO, 0, 0, 0, 0);
	td = tvc_run(t, NULL);
	r = vmm_td_result(td);
	assert_int_equal(r->reason, VMM_STOP_FATAL_ERROR);
	assert_int_equal(r->exit_status, 1);
	assert_int_equal(r->vcpu, 0);
	assert_int_equal(r->code, 1ULL << 63 | 0xE5);
	assert_int_equal(r->gpa, 0x3000);
	assert_string_equal(r->message, "vCPU 0: guest fatal error 0x80000000000000e5: Fatal: the "
					"guest packs sixty-four bytes in eight registers. OK!!");
	/* The vCPU was not entered again */
	assert_false(t->steps[call].done);
	assert_false(t->steps[after].done);
	vmm_td_destroy(td);

	/* Some registers unexposed: the message skips them; no bit 63: no GPA */
	memset(t, 0, sizeof(*t));
	a = (struct tdx_module_args){.rcx = TDX_R10 | TDX_R11 | TDX_R12 | TDX_R13 | TDX_R14 |
					    TDX_RBX | TDX_RSI,
				     .r11 = TDVMCALL_REPORT_FATAL_ERROR,
				     .r12 = 0x42,
				     .r13 = 0x3000};
	pack_msg(&a, "R14:ok; R15:no; RBX:ok; RDI:no; RSI:ok!!R8:no;  R9:no;  RDX:no; ");
	tdcall(t, &a);
	td = tvc_run(t, NULL);
	r = vmm_td_result(td);
	assert_int_equal(r->reason, VMM_STOP_FATAL_ERROR);
	assert_int_equal(r->code, 0x42);
	assert_int_equal(r->gpa, 0);
	assert_string_equal(r->message, "vCPU 0: guest fatal error 0x42: R14:ok; RBX:ok; RSI:ok!!");
	vmm_td_destroy(td);
	free(t);
}

/* The exit ports through raw Instruction.IO: 0xF4 is the status, 0x604 SLP_EN powers off. */
static void test_exit_ports(void **state)
{
	struct tvc *t = tvc_new();
	struct vmm_td *td;
	size_t last;

	(void)state;
	hc(t, 0, TDVMCALL_INSTRUCTION_IO, 1, TDVMCALL_IO_WRITE, TDXSIM_EXIT_PORT, 0x1FE);
	last = hc(t, 0, TDVMCALL_GET_TD_VM_CALL_INFO, 0, 0, 0, 0);
	td = tvc_run(t, NULL);
	assert_int_equal(vmm_td_result(td)->reason, VMM_STOP_POWEROFF);
	assert_int_equal(vmm_td_result(td)->exit_status, 0xFE); /* the byte written */
	assert_false(t->steps[last].done);
	vmm_td_destroy(td);

	memset(t, 0, sizeof(*t));
	hc(t, 0, TDVMCALL_INSTRUCTION_IO, 2, TDVMCALL_IO_WRITE, TDXSIM_PM1A_CNT_PORT,
	   TDXSIM_PM1A_SLP_EN);
	last = hc(t, 0, TDVMCALL_GET_TD_VM_CALL_INFO, 0, 0, 0, 0);
	td = tvc_run(t, NULL);
	assert_int_equal(vmm_td_result(td)->reason, VMM_STOP_POWEROFF);
	assert_int_equal(vmm_td_result(td)->exit_status, 0);
	assert_false(t->steps[last].done);
	vmm_td_destroy(td);
	free(t);
}

/* ---- the same ends through `tdxsim run` ---- */

static void test_tool_fatal_and_exit(void **state)
{
	char cmd[1024], out[8192];

	(void)state;
	snprintf(cmd, sizeof(cmd), "%s run %s 2>&1 >/dev/null", tdxsim, raw_fatal_elf);
	assert_int_equal(vmm_command(cmd, out, sizeof(out)), 126); /* stopped without a status */
	assert_non_null(strstr(out, "tdxsim: TD stopped: fatal error - vCPU 0: "
				    "guest fatal error 0x8000000000001234: raw fatal: 64 bytes "
				    "in R14 R15 RBX RDI RSI R8 R9 RDX, no NUL.!!\n"));
	assert_non_null(strstr(out, "ReportFatalError 1"));
	snprintf(cmd, sizeof(cmd), "%s run %s 2>&1 >/dev/null", tdxsim, raw_exit_elf);
	assert_int_equal(vmm_command(cmd, out, sizeof(out)), 42);
	assert_non_null(strstr(out, "tdxsim: TD stopped: poweroff, exit status 42 - the guest "
				    "powered off with status 42\n"));
	/* --quiet: nothing on stderr at all (no bring-up log, no summary); the same status */
	snprintf(cmd, sizeof(cmd), "%s run %s --quiet 2>&1 >/dev/null", tdxsim, raw_exit_elf);
	assert_int_equal(vmm_command(cmd, out, sizeof(out)), 42);
	assert_string_equal(out, "");
}

/* ------------------------------------------------------------------------------------------
 * examples/guests/mmio.c: finds the test device by config mechanism #1, every size through
 * #VE and direct
 */

#define MMIO_PATH_OUT(path, writes, ves)                                                           \
	path ": MAGIC b 54 w 4454 l 53584454 q 44544d4953584454\n" path                            \
	     ": scratch after b/w/l/q writes ef cdef 89abcdef 123456789abcdef\n" path              \
	     ": device WRITES " #writes ", #VEs " #ves "\n"

static void test_example_mmio(void **state)
{
	struct vmm_td_config cfg;
	struct serial_capture out = {0};
	char err[256] = "";
	struct vmm_td *td;

	(void)state;
	tdxsim_claim_signals();
	vmm_td_config_default(&cfg);
	cfg.serial = serial_capture_sink;
	cfg.serial_opaque = &out;
	if (vmm_td_create(&cfg, mmio_elf, &td, err, sizeof(err)))
		fail_msg("vmm_td_create(%s): %s", mmio_elf, err);
	assert_int_equal(vmm_td_run(td), 0);
	/* 17 accesses a path: 4 MAGIC reads, 8 writes, 4 read-backs, WRITES; one #VE each on
	 * the #VE path, none on the direct one */
	assert_string_equal(out.buf, "mmio: test device at 00:01.0, BAR0 feb00000\n" MMIO_PATH_OUT(
					     "#VE", 8, 17) MMIO_PATH_OUT("direct", 16, 0));
	assert_int_equal(vmm_td_result(td)->reason, VMM_STOP_POWEROFF);
	assert_int_equal(vmm_td_result(td)->exit_status, 0);
	assert_int_equal(stats0(td).tdvmcalls[VMM_TDVMCALL_MMIO], 2 * 17);
	vmm_td_destroy(td);
}

/* ------------------------------------------------------------------------------------------
 * CPUID rewrite mode: a machine without CPUID faulting (forced) rewrites guest CPUIDs. The
 * MRTD must still be the image's (vmm_td_measure) and CPUID must still answer.
 */

#define CPUID_OUT                                                                                  \
	"cpuid 21: eax 0 \"IntelTDX    \"\n"                                                       \
	"cpuid 40000000: eax 40000001 \"tdxsim\"\n"

static void check_cpuid_td(bool seamcall_gate)
{
	struct vmm_td_config cfg;
	struct serial_capture out = {0};
	uint8_t measured[48], module[48];
	char err[256] = "";
	struct vmm_td *td;

	tdxsim_claim_signals();
	vmm_td_config_default(&cfg);
	tdxsim_set_seamcall_path(seamcall_gate ? TDXSIM_SEAMCALL_GATE : TDXSIM_SEAMCALL_INSN);
	cfg.serial = serial_capture_sink;
	cfg.serial_opaque = &out;
	if (vmm_td_create(&cfg, cpuid_elf, &td, err, sizeof(err)))
		fail_msg("vmm_td_create(%s): %s", cpuid_elf, err);
	/* The module measured the image's bytes, whatever the platform did to them later */
	assert_int_equal(vmm_td_measure(&cfg, cpuid_elf, measured, err, sizeof(err)), 0);
	assert_int_equal(vmm_td_mrtd(td, module), 0);
	assert_memory_equal(measured, module, 48);
	assert_int_equal(vmm_td_run(td), 0);
	assert_int_equal(vmm_td_result(td)->exit_status, 0);
	/* Both leaves trapped: 0x21 answered by the module, 0x40000000 by the VMM */
	assert_non_null(strstr(out.buf, CPUID_OUT));
	assert_int_equal(stats0(td).tdvmcalls[VMM_TDVMCALL_CPUID], 1);
	vmm_td_destroy(td);
	tdxsim_set_seamcall_path(TDXSIM_SEAMCALL_GATE);
}

static void test_cpuid_faulting_or_auto(void **state)
{
	(void)state;
	check_cpuid_td(true);
}

static void test_cpuid_rewrite(void **state)
{
	(void)state;
	/* the set-up forced it; a second TD (SEAMCALL by opcode) after the first one is gone */
	check_cpuid_td(true);
	check_cpuid_td(false);
}

/* `tdxsim measure` prints what `tdxsim run` on a rewriting machine reports as the MRTD. */
static void test_tool_rewrite_mrtd(void **state)
{
	char conf[] = "/tmp/tdxsim-rewrite-XXXXXX", cmd[1024], out[8192], want[128];
	FILE *f;
	int fd;

	(void)state;
	fd = mkstemp(conf);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs("cpuid = rewrite\n", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s measure %s", tdxsim, cpuid_elf);
	assert_int_equal(vmm_command(cmd, out, sizeof(out)), 0);
	assert_int_equal(strlen(out), 97);
	snprintf(want, sizeof(want), "tdxsim: MRTD %.97s", out);
	snprintf(cmd, sizeof(cmd), "%s run %s --machine %s 2>&1", tdxsim, cpuid_elf, conf);
	assert_int_equal(vmm_command(cmd, out, sizeof(out)), 0);
	unlink(conf);
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, CPUID_OUT));
}

/* The laptop machine with CPUID rewriting forced, by a configuration file. */
static int rewrite_setup(void **state)
{
	char conf[] = "/tmp/tdxsim-rewrite-XXXXXX", err[512] = "";
	int fd = mkstemp(conf), ret;

	(void)state;
	if (fd < 0 || write(fd, "cpuid = rewrite\n", 16) != 16)
		return -1;
	close(fd);
	ret = tdxsim_boot(&(struct tdxsim_boot){.machine = conf}, err, sizeof(err));
	unlink(conf);
	if (ret)
		fprintf(stderr, "tdxsim_boot: %s\n", err);
	return ret;
}

static int rewrite_teardown(void **state)
{
	(void)state;
	tdxsim_shutdown();
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_io),
		cmocka_unit_test(test_mmio),
		cmocka_unit_test(test_cpuid),
		cmocka_unit_test(test_msr),
		cmocka_unit_test(test_hlt),
		cmocka_unit_test(test_info_notify_unknown),
		cmocka_unit_test(test_map_gpa_errors),
		cmocka_unit_test(test_get_quote),
		cmocka_unit_test(test_register_mask),
		cmocka_unit_test(test_fatal_error),
		cmocka_unit_test(test_exit_ports),
		cmocka_unit_test(test_tool_fatal_and_exit),
		cmocka_unit_test(test_example_mmio),
		cmocka_unit_test(test_cpuid_faulting_or_auto),
		cmocka_unit_test(test_tool_rewrite_mrtd),
	};
	const struct CMUnitTest rewrite_tests[] = {
		cmocka_unit_test(test_cpuid_rewrite),
	};
	int failed;

	if (argc != 7) {
		fprintf(stderr,
			"usage: %s tdvmcall.elf cpuid.elf raw_fatal.elf raw_exit.elf mmio.elf "
			"tdxsim\n",
			argv[0]);
		return 2;
	}
	tvc_elf = argv[1];
	cpuid_elf = argv[2];
	raw_fatal_elf = argv[3];
	raw_exit_elf = argv[4];
	mmio_elf = argv[5];
	tdxsim = argv[6];
	failed = cmocka_run_group_tests_name("tdvmcall_td", tests, vmm_machine_setup,
					     vmm_machine_teardown);
	failed += cmocka_run_group_tests_name("cpuid_rewrite", rewrite_tests, rewrite_setup,
					      rewrite_teardown);
	return failed;
}
