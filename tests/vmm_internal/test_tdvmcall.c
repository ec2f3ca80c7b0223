// SPDX-License-Identifier: MIT
/*
 * TDVMCALL handling, driven with synthetic VP.ENTER exit registers and a fake shared
 * memory: every sub-function with good and bad arguments, exact R10/R11 values.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/sha.h>

#include <tdx/vmx.h>

#include "tests/vmm_internal/quote_check.h"
#include "vmm/tdvmcall.h"

#define GPAW	    52
#define SHARED	    (1ULL << 51)
#define EXIT_TDCALL ((uint64_t)EXIT_REASON_TDCALL)
#define MASK	    TDVMCALL_EXPOSE_REGS_MASK
#define GARBAGE	    0x5A5A5A5A5A5A5A5AULL

#define SHM_GPA	 0x100000ULL /* without the shared bit */
#define SHM_SIZE 0x4000ULL

#define DEV_PORT 0x510
#define DEV_MMIO 0xFEB00000ULL

struct fixture {
	struct vmm_bus vb;
	struct msr_filter filter;
	struct tdvmcall_td td;
	struct tdvmcall_vcpu v;
	uint8_t *shm;
	/* what the callbacks saw */
	int hlt_calls;
	bool hlt_blocked;
	int map_calls;
	uint64_t map_gpa, map_size, map_status, map_resume;
	int fatal_calls;
	struct tdvmcall_fatal_error fatal;
	bool cpuid_override;
	/* the recording device */
	uint64_t dev_off, dev_wval, dev_rval;
	unsigned dev_size;
	int dev_calls;
};

static void *fake_shared_va(void *opaque, uint64_t gpa, uint64_t len)
{
	struct fixture *f = opaque;
	uint64_t g = gpa & ~SHARED;

	if (!(gpa & SHARED) || g < SHM_GPA || len > SHM_SIZE || g - SHM_GPA > SHM_SIZE - len)
		return NULL;
	return f->shm + (g - SHM_GPA);
}

static void fake_hlt(void *opaque, bool blocked)
{
	struct fixture *f = opaque;

	f->hlt_calls++;
	f->hlt_blocked = blocked;
}

static uint64_t fake_map_gpa(void *opaque, uint64_t gpa, uint64_t size, uint64_t *resume)
{
	struct fixture *f = opaque;

	f->map_calls++;
	f->map_gpa = gpa;
	f->map_size = size;
	if (f->map_status == TDVMCALL_STATUS_RETRY)
		*resume = f->map_resume;
	return f->map_status;
}

static void fake_fatal(void *opaque, const struct tdvmcall_fatal_error *err)
{
	struct fixture *f = opaque;

	f->fatal_calls++;
	f->fatal = *err;
}

static bool fake_cpuid(void *opaque, uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	struct fixture *f = opaque;

	if (!f->cpuid_override)
		return false;
	out[0] = leaf;
	out[1] = subleaf;
	out[2] = 0xCC;
	out[3] = 0xDD;
	return true;
}

static const struct tdvmcall_ops fake_ops = {
	.shared_va = fake_shared_va,
	.hlt = fake_hlt,
	.map_gpa = fake_map_gpa,
	.fatal_error = fake_fatal,
	.cpuid = fake_cpuid,
};

static void dev_handler(void *opaque, uint64_t off, void *data, unsigned size, bool write)
{
	struct fixture *f = opaque;

	f->dev_calls++;
	f->dev_off = off;
	f->dev_size = size;
	if (write)
		f->dev_wval = bus_data_get(data, size);
	else
		bus_data_set(data, size, f->dev_rval);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->shm = aligned_alloc(4096, SHM_SIZE);
	assert_non_null(f->shm);
	memset(f->shm, 0, SHM_SIZE);
	assert_int_equal(vmm_bus_init(&f->vb), 0);
	assert_int_equal(vmm_bus_register_pio(&f->vb, DEV_PORT, 4, dev_handler, f, "dev"), 0);
	assert_int_equal(vmm_bus_register_mmio(&f->vb, DEV_MMIO, 0x1000, dev_handler, f, "dev"), 0);
	msr_filter_init(&f->filter, MSR_FILTER_ALLOW);
	assert_int_equal(
		msr_filter_add(&f->filter, MSR_IA32_CR_PAT, 1, MSR_FILTER_RW, MSR_FILTER_DENY), 0);
	f->td.gpaw = GPAW;
	f->td.bus = &f->vb;
	f->td.msr_filter = &f->filter;
	f->td.quoter = quote_signer_new();
	assert_non_null(f->td.quoter);
	f->dev_rval = 0x1122334455667788ULL;
	tdvmcall_vcpu_init(&f->v, &f->td, 0, &fake_ops, f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	quote_signer_free(f->td.quoter);
	vmm_bus_destroy(&f->vb);
	free(f->shm);
	free(f);
	return 0;
}

/* The registers of a standard TDVMCALL as Linux makes it: mask 0xFFCC, R10 = 0. */
static struct tdx_module_args vmcall(uint64_t subfn, uint64_t r12, uint64_t r13, uint64_t r14,
				     uint64_t r15)
{
	struct tdx_module_args a = {
		.rcx = MASK,
		.r10 = TDX_HYPERCALL_STANDARD,
		.r11 = subfn,
		.r12 = r12,
		.r13 = r13,
		.r14 = r14,
		.r15 = r15,
	};

	return a;
}

static int handle(struct fixture *f, struct tdx_module_args *a)
{
	return tdvmcall_handle(&f->v, EXIT_TDCALL, a);
}

/* ---- dispatch ---- */

static void test_not_a_tdvmcall(void **state)
{
	struct fixture *f = *state;
	struct tdx_module_args a = vmcall(TDVMCALL_INSTRUCTION_HLT, 0, 0, 0, 0), b = a;

	assert_int_equal(tdvmcall_handle(&f->v, EXIT_REASON_HLT, &a), -EINVAL);
	assert_int_equal(tdvmcall_handle(&f->v, EXIT_TDCALL | (1ULL << 62), &a), -EINVAL);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_int_equal(f->hlt_calls, 0);
}

static void test_vendor_and_unknown(void **state)
{
	struct fixture *f = *state;
	struct tdx_module_args a = vmcall(TDVMCALL_INSTRUCTION_HLT, 0, 0, 0, 0);

	a.r10 = 1; /* KVM_HC_VAPIC_POLL_IRQ-style vendor call */
	assert_int_equal(handle(f, &a), TDVMCALL_RESUME);
	assert_int_equal(a.r10, 0xFFFFFFFFFFFFFC18ULL); /* -KVM_ENOSYS */
	assert_int_equal(f->hlt_calls, 0);

	a = vmcall(0x10005, 0, 0, 0, 0);
	a.r11 = 0x10005;
	assert_int_equal(handle(f, &a), TDVMCALL_RESUME);
	assert_int_equal(a.r10, TDVMCALL_STATUS_SUBFUNC_UNSUPPORTED);
	a = vmcall(TDVMCALL_INSTRUCTION_WBINVD, 0, 0, 0, 0);
	handle(f, &a);
	assert_int_equal(a.r10, 0x8000000000000003ULL);
	a = vmcall(0, 0, 0, 0, 0);
	handle(f, &a);
	assert_int_equal(a.r10, 0x8000000000000003ULL);
}

static void test_unexposed_registers(void **state)
{
	struct fixture *f = *state;
	struct tdx_module_args a = vmcall(TDVMCALL_INSTRUCTION_HLT, 1, 0, 0, 0);

	/* R10 not exposed: the module gave us 0, whatever the struct held */
	a.rcx = MASK & ~TDX_R10;
	a.r10 = 7;
	handle(f, &a);
	assert_int_equal(a.r10, TDVMCALL_STATUS_SUCCESS);
	assert_int_equal(f->hlt_calls, 1);
	/* R12 not exposed: read as 0 (interrupts not blocked) */
	a = vmcall(TDVMCALL_INSTRUCTION_HLT, 1, 0, 0, 0);
	a.rcx = MASK & ~TDX_R12;
	handle(f, &a);
	assert_false(f->hlt_blocked);
}

/* ---- Instruction.CPUID ---- */

static void test_cpuid(void **state)
{
	struct fixture *f = *state;
	struct tdx_module_args a =
		vmcall(TDVMCALL_INSTRUCTION_CPUID, 0x40000000, 0, GARBAGE, GARBAGE);

	handle(f, &a);
	assert_int_equal(a.r10, 0);
	assert_int_equal(a.r12, 0x40000001);
	assert_int_equal(a.r13, 0x73786474); /* "tdxs" */
	assert_int_equal(a.r14, 0x00006D69); /* "im\0\0" */
	assert_int_equal(a.r15, 0);
	/* the leaf is EAX: R12's upper half is ignored */
	a = vmcall(TDVMCALL_INSTRUCTION_CPUID, 0xFFFFFFFF40000000ULL, 0, 0, 0);
	handle(f, &a);
	assert_int_equal(a.r12, 0x40000001);
	for (uint32_t leaf = 0x40000001; leaf; leaf = leaf == 0x40000001 ? 0x4FFFFFFF : 0) {
		a = vmcall(TDVMCALL_INSTRUCTION_CPUID, leaf, 0, GARBAGE, GARBAGE);
		a.r13 = GARBAGE;
		handle(f, &a);
		assert_int_equal(a.r10, 0);
		assert_int_equal(a.r12, 0);
		assert_int_equal(a.r13, 0);
		assert_int_equal(a.r14, 0);
		assert_int_equal(a.r15, 0);
	}
	/* other leaves: zeros, or the embedder's answer */
	a = vmcall(TDVMCALL_INSTRUCTION_CPUID, 0x1, 0, GARBAGE, GARBAGE);
	handle(f, &a);
	assert_int_equal(a.r12 | a.r13 | a.r14 | a.r15, 0);
	f->cpuid_override = true;
	a = vmcall(TDVMCALL_INSTRUCTION_CPUID, 0x7, 1, 0, 0);
	handle(f, &a);
	assert_int_equal(a.r10, 0);
	assert_int_equal(a.r12, 7);
	assert_int_equal(a.r13, 1);
	assert_int_equal(a.r14, 0xCC);
	assert_int_equal(a.r15, 0xDD);
	/* the hypervisor range is the VMM's own, never the embedder's */
	a = vmcall(TDVMCALL_INSTRUCTION_CPUID, 0x40000000, 0, 0, 0);
	handle(f, &a);
	assert_int_equal(a.r12, 0x40000001);
	/* a TD that is not an SDK guest: KVM's signature, the same leaves */
	f->td.cpuid_signature = KVM_CPUID_SIGNATURE;
	a = vmcall(TDVMCALL_INSTRUCTION_CPUID, 0x40000000, 0, GARBAGE, GARBAGE);
	handle(f, &a);
	assert_int_equal(a.r10, 0);
	assert_int_equal(a.r12, 0x40000001);
	assert_int_equal(a.r13, 0x4B4D564B); /* "KVMK" */
	assert_int_equal(a.r14, 0x564B4D56); /* "VMKV" */
	assert_int_equal(a.r15, 0x0000004D); /* "M\0\0\0" */
	a = vmcall(TDVMCALL_INSTRUCTION_CPUID, 0x40000001, 0, GARBAGE, GARBAGE);
	handle(f, &a);
	assert_int_equal(a.r12 | a.r13 | a.r14 | a.r15, 0); /* no paravirtual feature */
	f->td.cpuid_signature = NULL;
}

/* ---- Instruction.HLT ---- */

static void test_hlt(void **state)
{
	struct fixture *f = *state;
	struct tdx_module_args a = vmcall(TDVMCALL_INSTRUCTION_HLT, 1, 0, 0, 0);

	a.r11 = TDVMCALL_INSTRUCTION_HLT;
	assert_int_equal(handle(f, &a), TDVMCALL_RESUME);
	assert_int_equal(a.r10, 0);
	assert_int_equal(f->hlt_calls, 1);
	assert_true(f->hlt_blocked);
	a = vmcall(TDVMCALL_INSTRUCTION_HLT, 0, 0, 0, 0);
	handle(f, &a);
	assert_int_equal(f->hlt_calls, 2);
	assert_false(f->hlt_blocked);
	/* without a callback it simply returns */
	tdvmcall_vcpu_init(&f->v, &f->td, 0, NULL, NULL);
	a = vmcall(TDVMCALL_INSTRUCTION_HLT, 0, 0, 0, 0);
	handle(f, &a);
	assert_int_equal(a.r10, 0);
	assert_int_equal(f->hlt_calls, 2);
}

/* ---- Instruction.IO ---- */

static void test_io_out(void **state)
{
	struct fixture *f = *state;
	static const unsigned sizes[] = {1, 2, 4};

	for (unsigned i = 0; i < 3; i++) {
		struct tdx_module_args a = vmcall(TDVMCALL_INSTRUCTION_IO, sizes[i], 1, DEV_PORT,
						  0xAABBCCDDEEFF0011ULL);

		a.r11 = TDVMCALL_INSTRUCTION_IO;
		handle(f, &a);
		assert_int_equal(a.r10, 0);
		assert_int_equal(f->dev_size, sizes[i]);
		assert_int_equal(f->dev_off, 0);
		assert_int_equal(f->dev_wval, 0xEEFF0011ULL & ((1ULL << (8 * sizes[i])) - 1));
	}
	assert_int_equal(f->dev_calls, 3);
}

static void test_io_in(void **state)
{
	struct fixture *f = *state;
	struct tdx_module_args a;

	a = vmcall(TDVMCALL_INSTRUCTION_IO, 1, 0, DEV_PORT + 1, 0);
	handle(f, &a);
	assert_int_equal(a.r10, 0);
	assert_int_equal(a.r11, 0x88);
	assert_int_equal(f->dev_off, 1);
	a = vmcall(TDVMCALL_INSTRUCTION_IO, 2, 0, DEV_PORT, 0);
	handle(f, &a);
	assert_int_equal(a.r11, 0x7788);
	a = vmcall(TDVMCALL_INSTRUCTION_IO, 4, 0, DEV_PORT, 0);
	handle(f, &a);
	assert_int_equal(a.r11, 0x55667788);
	/* nobody at the port: all-ones of the size */
	a = vmcall(TDVMCALL_INSTRUCTION_IO, 4, 0, 0x80, 0);
	handle(f, &a);
	assert_int_equal(a.r10, 0);
	assert_int_equal(a.r11, 0xFFFFFFFF);
	a = vmcall(TDVMCALL_INSTRUCTION_IO, 1, 0, 0x80, 0);
	handle(f, &a);
	assert_int_equal(a.r11, 0xFF);
	/* a dword straddling the device's end is not the device's */
	a = vmcall(TDVMCALL_INSTRUCTION_IO, 4, 0, DEV_PORT + 2, 0);
	handle(f, &a);
	assert_int_equal(a.r11, 0xFFFFFFFF);
}

static void test_io_bad(void **state)
{
	struct fixture *f = *state;
	const uint64_t bad[][3] = {
		{0, 0, DEV_PORT}, {3, 0, DEV_PORT},	     {8, 1, DEV_PORT},
		{1, 2, DEV_PORT}, {4, UINT64_MAX, DEV_PORT}, {1, 0, 0x10000},
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tdx_module_args a =
			vmcall(TDVMCALL_INSTRUCTION_IO, bad[i][0], bad[i][1], bad[i][2], 0);

		a.r11 = TDVMCALL_INSTRUCTION_IO;
		handle(f, &a);
		assert_int_equal(a.r10, 0x8000000000000000ULL);
		assert_int_equal(a.r11, TDVMCALL_INSTRUCTION_IO); /* untouched */
	}
	assert_int_equal(f->dev_calls, 0);
}

/* ---- #VE.RequestMMIO ---- */

static void test_mmio_read_write(void **state)
{
	struct fixture *f = *state;
	static const unsigned sizes[] = {1, 2, 4, 8};

	for (unsigned i = 0; i < 4; i++) {
		uint64_t mask = sizes[i] == 8 ? UINT64_MAX : (1ULL << (8 * sizes[i])) - 1;
		struct tdx_module_args a = vmcall(TDVMCALL_VE_REQUEST_MMIO, sizes[i], 0,
						  SHARED | (DEV_MMIO + 0x10), 0);

		handle(f, &a);
		assert_int_equal(a.r10, 0);
		assert_int_equal(a.r11, 0x1122334455667788ULL & mask);
		assert_int_equal(f->dev_off, 0x10);
		assert_int_equal(f->dev_size, sizes[i]);
		a = vmcall(TDVMCALL_VE_REQUEST_MMIO, sizes[i], 1, SHARED | (DEV_MMIO + 0x18),
			   0xF0E0D0C0B0A09080ULL);
		handle(f, &a);
		assert_int_equal(a.r10, 0);
		assert_int_equal(f->dev_off, 0x18);
		assert_int_equal(f->dev_wval, 0xF0E0D0C0B0A09080ULL & mask);
	}
	/* unclaimed shared MMIO reads all-ones */
	struct tdx_module_args a = vmcall(TDVMCALL_VE_REQUEST_MMIO, 8, 0, SHARED | 0xC0000000, 0);
	handle(f, &a);
	assert_int_equal(a.r10, 0);
	assert_int_equal(a.r11, UINT64_MAX);
	/* the last bytes of a page are fine */
	a = vmcall(TDVMCALL_VE_REQUEST_MMIO, 8, 0, SHARED | (DEV_MMIO + 0xFF8), 0);
	handle(f, &a);
	assert_int_equal(a.r10, 0);
	assert_int_equal(f->dev_off, 0xFF8);
}

static void test_mmio_bad(void **state)
{
	struct fixture *f = *state;
	const uint64_t bad[][3] = {
		{0, 0, SHARED | DEV_MMIO},
		{3, 0, SHARED | DEV_MMIO},
		{16, 0, SHARED | DEV_MMIO},
		{4, 2, SHARED | DEV_MMIO},
		{4, 0, DEV_MMIO},			  /* private GPA */
		{4, 0, (1ULL << 52) | SHARED | DEV_MMIO}, /* above GPAW */
		{8, 0, SHARED | (DEV_MMIO + 0xFFC)},	  /* crosses a page */
		{2, 1, SHARED | (DEV_MMIO + 0xFFF)},
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tdx_module_args a =
			vmcall(TDVMCALL_VE_REQUEST_MMIO, bad[i][0], bad[i][1], bad[i][2], 0);

		a.r11 = TDVMCALL_VE_REQUEST_MMIO;
		handle(f, &a);
		assert_int_equal(a.r10, TDVMCALL_STATUS_INVALID_OPERAND);
		assert_int_equal(a.r11, TDVMCALL_VE_REQUEST_MMIO);
	}
	assert_int_equal(f->dev_calls, 0);
}

/* ---- Instruction.RDMSR / WRMSR ---- */

static void test_msr(void **state)
{
	struct fixture *f = *state;
	struct tdx_module_args a;

	a = vmcall(TDVMCALL_INSTRUCTION_RDMSR, MSR_IA32_APIC_BASE, 0, 0, 0);
	handle(f, &a);
	assert_int_equal(a.r10, 0);
	assert_int_equal(a.r11, 0xFEE00D00);
	a = vmcall(TDVMCALL_INSTRUCTION_WRMSR, MSR_IA32_TSC_DEADLINE, 0x1234567890ULL, 0, 0);
	handle(f, &a);
	assert_int_equal(a.r10, 0);
	a = vmcall(TDVMCALL_INSTRUCTION_RDMSR, MSR_IA32_TSC_DEADLINE, 0, 0, 0);
	handle(f, &a);
	assert_int_equal(a.r10, 0);
	assert_int_equal(a.r11, 0x1234567890ULL);
	/* denied by the filter */
	a = vmcall(TDVMCALL_INSTRUCTION_RDMSR, MSR_IA32_CR_PAT, 0, 0, 0);
	handle(f, &a);
	assert_int_equal(a.r10, 0x8000000000000000ULL);
	assert_int_equal(a.r11, TDVMCALL_INSTRUCTION_RDMSR);
	a = vmcall(TDVMCALL_INSTRUCTION_WRMSR, MSR_IA32_CR_PAT, 0, 0, 0);
	handle(f, &a);
	assert_int_equal(a.r10, 0x8000000000000000ULL);
	/* allowed but not emulated */
	a = vmcall(TDVMCALL_INSTRUCTION_RDMSR, 0x10, 0, 0, 0);
	handle(f, &a);
	assert_int_equal(a.r10, 0x8000000000000000ULL);
	a = vmcall(TDVMCALL_INSTRUCTION_WRMSR, 0x10, 1, 0, 0);
	handle(f, &a);
	assert_int_equal(a.r10, 0x8000000000000000ULL);
	/* not an MSR number */
	a = vmcall(TDVMCALL_INSTRUCTION_RDMSR, 0x1000000000ULL | MSR_IA32_APIC_BASE, 0, 0, 0);
	handle(f, &a);
	assert_int_equal(a.r10, 0x8000000000000000ULL);
	a = vmcall(TDVMCALL_INSTRUCTION_WRMSR, 0x1000000000ULL | MSR_IA32_TSC_DEADLINE, 0, 0, 0);
	handle(f, &a);
	assert_int_equal(a.r10, 0x8000000000000000ULL);
	/* each vCPU has its own values */
	struct tdvmcall_vcpu ap;
	tdvmcall_vcpu_init(&ap, &f->td, 1, &fake_ops, f);
	a = vmcall(TDVMCALL_INSTRUCTION_RDMSR, MSR_IA32_APIC_BASE, 0, 0, 0);
	tdvmcall_handle(&ap, EXIT_TDCALL, &a);
	assert_int_equal(a.r11, 0xFEE00C00);
	a = vmcall(TDVMCALL_INSTRUCTION_RDMSR, MSR_IA32_TSC_DEADLINE, 0, 0, 0);
	tdvmcall_handle(&ap, EXIT_TDCALL, &a);
	assert_int_equal(a.r11, 0);
}

/* ---- GetTdVmCallInfo ---- */

static void test_get_td_vm_call_info(void **state)
{
	struct fixture *f = *state;
	struct tdx_module_args a = vmcall(TDVMCALL_GET_TD_VM_CALL_INFO, 0, GARBAGE, GARBAGE, 0);

	handle(f, &a);
	assert_int_equal(a.r10, 0);
	assert_int_equal(a.r11, 0);
	assert_int_equal(a.r12, 0);
	assert_int_equal(a.r13, 0);
	assert_int_equal(a.r14, 0);
	a = vmcall(TDVMCALL_GET_TD_VM_CALL_INFO, 1, GARBAGE, GARBAGE, 0);
	handle(f, &a);
	assert_int_equal(a.r10, 0);
	assert_int_equal(a.r11, 0x2); /* SetupEventNotifyInterrupt */
	assert_int_equal(a.r12, 0);
	assert_int_equal(a.r13, 0);
	assert_int_equal(a.r14, 0);
	a = vmcall(TDVMCALL_GET_TD_VM_CALL_INFO, 2, GARBAGE, GARBAGE, 0);
	handle(f, &a);
	assert_int_equal(a.r10, 0x8000000000000000ULL);
	assert_int_equal(a.r13, GARBAGE);
}

/* ---- MapGPA ---- */

static void test_map_gpa_good(void **state)
{
	struct fixture *f = *state;
	struct tdx_module_args a = vmcall(TDVMCALL_MAP_GPA, SHARED | 0x200000, 0x4000, 0, 0);

	f->map_status = TDVMCALL_STATUS_SUCCESS;
	handle(f, &a);
	assert_int_equal(a.r10, 0);
	assert_int_equal(a.r11, TDVMCALL_MAP_GPA); /* R11 is only set on failure or retry */
	assert_int_equal(f->map_calls, 1);
	assert_int_equal(f->map_gpa, SHARED | 0x200000);
	assert_int_equal(f->map_size, 0x4000);
	/* to private: shared bit clear; a range that ends just below the shared bit */
	a = vmcall(TDVMCALL_MAP_GPA, SHARED - 0x2000, 0x2000, 0, 0);
	handle(f, &a);
	assert_int_equal(a.r10, 0);
	assert_int_equal(f->map_gpa, SHARED - 0x2000);
	/* the top of the GPA space */
	a = vmcall(TDVMCALL_MAP_GPA, (1ULL << 52) - 0x1000, 0x1000, 0, 0);
	handle(f, &a);
	assert_int_equal(a.r10, 0);
	assert_int_equal(f->map_calls, 3);
	/* the run loop asks to be called again from a later GPA */
	f->map_status = TDVMCALL_STATUS_RETRY;
	f->map_resume = SHARED | 0x202000;
	a = vmcall(TDVMCALL_MAP_GPA, SHARED | 0x200000, 0x4000, 0, 0);
	handle(f, &a);
	assert_int_equal(a.r10, 1);
	assert_int_equal(a.r11, SHARED | 0x202000);
	/* and it may refuse */
	f->map_status = TDVMCALL_STATUS_GPA_INUSE;
	a = vmcall(TDVMCALL_MAP_GPA, 0x200000, 0x1000, 0, 0);
	handle(f, &a);
	assert_int_equal(a.r10, 0x8000000000000001ULL);
	assert_int_equal(a.r11, 0x200000);
	/* no callback: nothing to convert */
	tdvmcall_vcpu_init(&f->v, &f->td, 0, NULL, NULL);
	a = vmcall(TDVMCALL_MAP_GPA, 0x200000, 0x1000, 0, 0);
	handle(f, &a);
	assert_int_equal(a.r10, 0);
}

static void test_map_gpa_bad(void **state)
{
	struct fixture *f = *state;
	const struct {
		uint64_t gpa, size, r10;
	} bad[] = {
		{0x200800, 0x1000, TDVMCALL_STATUS_ALIGN_ERROR},
		{0x200000, 0x1800, TDVMCALL_STATUS_ALIGN_ERROR},
		{SHARED | 0x200010, 0x1000, 0x8000000000000002ULL},
		{0x200000, 0, TDVMCALL_STATUS_INVALID_OPERAND},
		{1ULL << 52, 0x1000, TDVMCALL_STATUS_INVALID_OPERAND},
		{(1ULL << 52) - 0x1000, 0x2000, TDVMCALL_STATUS_INVALID_OPERAND},
		{SHARED - 0x1000, 0x2000, TDVMCALL_STATUS_INVALID_OPERAND},	  /* straddles */
		{0xFFFFFFFFFFFFF000ULL, 0x2000, TDVMCALL_STATUS_INVALID_OPERAND}, /* wraps */
		{0x200800, 0, TDVMCALL_STATUS_INVALID_OPERAND}, /* range checks come first */
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tdx_module_args a = vmcall(TDVMCALL_MAP_GPA, bad[i].gpa, bad[i].size, 0, 0);

		handle(f, &a);
		assert_int_equal(a.r10, bad[i].r10);
		assert_int_equal(a.r11, bad[i].gpa);
	}
	assert_int_equal(f->map_calls, 0);
}

/* ---- GetQuote ---- */

static void quote_request(struct fixture *f, uint64_t off, uint64_t version, uint32_t in_len)
{
	uint8_t *b = f->shm + off;

	memset(b, 0, 24 + QUOTE_TDREPORT_LEN);
	memcpy(b, &version, 8);
	memcpy(b + 16, &in_len, 4);
	/* a TDREPORT: type TDX, fields with a pattern, the two hashes right [ABI §9] */
	b += 24;
	for (unsigned i = 256; i < QUOTE_TDREPORT_LEN; i++)
		b[i] = (uint8_t)(i ^ 0x3C);
	for (unsigned i = 128; i < 192; i++)
		b[i] = (uint8_t)i;
	b[0] = 0x81;
	SHA384(b + 256, 256, b + 32);
	SHA384(b + 512, 512, b + 80);
}

static uint64_t quote_status(struct fixture *f, uint64_t off)
{
	uint64_t s;

	memcpy(&s, f->shm + off + 8, 8);
	return s;
}

static uint32_t quote_out_len(struct fixture *f, uint64_t off)
{
	uint32_t l;

	memcpy(&l, f->shm + off + 20, 4);
	return l;
}

static void test_get_quote_good(void **state)
{
	struct fixture *f = *state;
	size_t len = quote_signer_quote_len(f->td.quoter);
	uint8_t expect[QUOTE_TDREPORT_LEN], body[QUOTE_BODY_LEN];
	struct tdx_module_args a = vmcall(TDVMCALL_GET_QUOTE, SHARED | SHM_GPA, 0x2000, 0, 0);

	quote_request(f, 0, 1, QUOTE_TDREPORT_LEN);
	memcpy(expect, f->shm + 24, sizeof(expect));
	handle(f, &a);
	assert_int_equal(a.r10, 0);
	assert_int_equal(quote_status(f, 0), GET_QUOTE_SUCCESS);
	assert_int_equal(quote_out_len(f, 0), len);
	assert_int_equal(quote_verify(f->shm + 24, len, NULL, 0, body), 0);
	quote_check_fields(f->shm + 24, len, expect);
	/* a one-page buffer: the quote (over 4 KiB with its PEM chain) does not fit: ERROR */
	assert_true(len > 0x1000 - 24);
	quote_request(f, 0x3000, 1, QUOTE_TDREPORT_LEN);
	a = vmcall(TDVMCALL_GET_QUOTE, SHARED | (SHM_GPA + 0x3000), 0x1000, 0, 0);
	handle(f, &a);
	assert_int_equal(a.r10, 0);
	assert_int_equal(quote_status(f, 0x3000), GET_QUOTE_ERROR);
	assert_int_equal(quote_out_len(f, 0x3000), 0);
	assert_int_equal(f->shm[0x3000 + 24], 0x81); /* the report is still there */
}

/*
 * A VMM whose shared pages are not one span of its process (the system backend): shared_va
 * gives single pages only, and shared_rw copies page by page.
 */
static void *split_shared_va(void *opaque, uint64_t gpa, uint64_t len)
{
	return len <= 0x1000 - (gpa & 0xFFF) ? fake_shared_va(opaque, gpa, len) : NULL;
}

static int split_shared_rw(void *opaque, uint64_t gpa, void *buf, uint64_t len, bool write)
{
	struct fixture *f = opaque;
	uint8_t *va = fake_shared_va(opaque, gpa, len);

	f->map_calls++; /* counts the copies */
	if (!va)
		return -1;
	if (write)
		memcpy(va, buf, len);
	else
		memcpy(buf, va, len);
	return 0;
}

static void test_get_quote_split(void **state)
{
	struct fixture *f = *state;
	size_t len = quote_signer_quote_len(f->td.quoter);
	uint8_t expect[QUOTE_TDREPORT_LEN], body[QUOTE_BODY_LEN];
	struct tdvmcall_ops ops = fake_ops;
	struct tdx_module_args a = vmcall(TDVMCALL_GET_QUOTE, SHARED | SHM_GPA, 0x2000, 0, 0);

	ops.shared_va = split_shared_va;
	ops.shared_rw = split_shared_rw;
	f->v.ops = &ops;
	quote_request(f, 0, 1, QUOTE_TDREPORT_LEN);
	memcpy(expect, f->shm + 24, sizeof(expect));
	handle(f, &a);
	assert_int_equal(a.r10, 0);
	assert_int_equal(f->map_calls, 2); /* read in, written back */
	assert_int_equal(quote_status(f, 0), GET_QUOTE_SUCCESS);
	assert_int_equal(quote_out_len(f, 0), len);
	assert_int_equal(quote_verify(f->shm + 24, len, NULL, 0, body), 0);
	quote_check_fields(f->shm + 24, len, expect);
	/* a span shared_rw cannot reach either: INVALID_OPERAND, nothing written */
	a = vmcall(TDVMCALL_GET_QUOTE, SHARED | (SHM_GPA + SHM_SIZE - 0x1000), 0x2000, 0, 0);
	handle(f, &a);
	assert_int_equal(a.r10, TDVMCALL_STATUS_INVALID_OPERAND);
	assert_int_equal(f->map_calls, 3);
	f->v.ops = &fake_ops;
}

static void test_get_quote_status_in_buffer(void **state)
{
	struct fixture *f = *state;
	struct tdx_module_args a = vmcall(TDVMCALL_GET_QUOTE, SHARED | SHM_GPA, 0x2000, 0, 0);

	/* a report of the wrong size: the call succeeds, the buffer says ERROR */
	quote_request(f, 0, 1, 512);
	handle(f, &a);
	assert_int_equal(a.r10, 0);
	assert_int_equal(quote_status(f, 0), 0x8000000000000000ULL);
	assert_int_equal(quote_out_len(f, 0), 0);
	/* not a TDREPORT: a wrong type, or a field that does not match its hash */
	quote_request(f, 0, 1, QUOTE_TDREPORT_LEN);
	f->shm[24] = 0x00;
	a = vmcall(TDVMCALL_GET_QUOTE, SHARED | SHM_GPA, 0x2000, 0, 0);
	handle(f, &a);
	assert_int_equal(a.r10, 0);
	assert_int_equal(quote_status(f, 0), 0x8000000000000000ULL);
	quote_request(f, 0, 1, QUOTE_TDREPORT_LEN);
	f->shm[24 + 528] ^= 1; /* MRTD */
	a = vmcall(TDVMCALL_GET_QUOTE, SHARED | SHM_GPA, 0x2000, 0, 0);
	handle(f, &a);
	assert_int_equal(a.r10, 0);
	assert_int_equal(quote_status(f, 0), 0x8000000000000000ULL);
	assert_int_equal(quote_out_len(f, 0), 0);
	/* no quoting service */
	quote_signer_free(f->td.quoter);
	f->td.quoter = NULL;
	quote_request(f, 0, 1, QUOTE_TDREPORT_LEN);
	a = vmcall(TDVMCALL_GET_QUOTE, SHARED | SHM_GPA, 0x2000, 0, 0);
	handle(f, &a);
	assert_int_equal(a.r10, 0);
	assert_int_equal(quote_status(f, 0), 0x8000000000000001ULL);
	assert_int_equal(quote_out_len(f, 0), 0);
}

static void test_get_quote_bad(void **state)
{
	struct fixture *f = *state;
	const struct {
		uint64_t gpa, size, r10;
	} bad[] = {
		{SHARED | SHM_GPA, 0, TDVMCALL_STATUS_INVALID_OPERAND},
		{SHM_GPA, 0x1000, TDVMCALL_STATUS_INVALID_OPERAND}, /* private */
		{SHARED | (SHM_GPA + 0x10), 0x1000, TDVMCALL_STATUS_ALIGN_ERROR},
		{SHARED | SHM_GPA, 0x1800, TDVMCALL_STATUS_ALIGN_ERROR},
		{SHARED | 0x800000, 0x1000, TDVMCALL_STATUS_INVALID_OPERAND}, /* not mapped */
		{SHARED | SHM_GPA, 0x8000, TDVMCALL_STATUS_INVALID_OPERAND},  /* runs past it */
		{(1ULL << 52) | SHARED | SHM_GPA, 0x1000, TDVMCALL_STATUS_INVALID_OPERAND},
	};

	quote_request(f, 0, 1, QUOTE_TDREPORT_LEN);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tdx_module_args a =
			vmcall(TDVMCALL_GET_QUOTE, bad[i].gpa, bad[i].size, 0, 0);

		handle(f, &a);
		assert_int_equal(a.r10, bad[i].r10);
		assert_int_equal(quote_status(f, 0), 0); /* the buffer was not touched */
	}
	/* header version other than 1 */
	quote_request(f, 0, 2, QUOTE_TDREPORT_LEN);
	struct tdx_module_args a = vmcall(TDVMCALL_GET_QUOTE, SHARED | SHM_GPA, 0x1000, 0, 0);
	handle(f, &a);
	assert_int_equal(a.r10, TDVMCALL_STATUS_INVALID_OPERAND);
	assert_int_equal(quote_status(f, 0), 0);
	/* in_len larger than the buffer after its header */
	quote_request(f, 0, 1, 0x1000 - 24 + 1);
	a = vmcall(TDVMCALL_GET_QUOTE, SHARED | SHM_GPA, 0x1000, 0, 0);
	handle(f, &a);
	assert_int_equal(a.r10, TDVMCALL_STATUS_INVALID_OPERAND);
	assert_int_equal(quote_status(f, 0), 0);
	/* no shared_va callback: nothing can be reached */
	tdvmcall_vcpu_init(&f->v, &f->td, 0, NULL, NULL);
	quote_request(f, 0, 1, QUOTE_TDREPORT_LEN);
	a = vmcall(TDVMCALL_GET_QUOTE, SHARED | SHM_GPA, 0x1000, 0, 0);
	handle(f, &a);
	assert_int_equal(a.r10, TDVMCALL_STATUS_INVALID_OPERAND);
}

/* ---- ReportFatalError ---- */

static void pack_message(struct tdx_module_args *a, const char *msg)
{
	union {
		char str[64];
		uint64_t regs[8];
	} m;

	memset(&m, 0, sizeof(m));
	memcpy(m.str, msg, strnlen(msg, 64));
	a->r14 = m.regs[0];
	a->r15 = m.regs[1];
	a->rbx = m.regs[2];
	a->rdi = m.regs[3];
	a->rsi = m.regs[4];
	a->r8 = m.regs[5];
	a->r9 = m.regs[6];
	a->rdx = m.regs[7];
}

static void test_report_fatal_error(void **state)
{
	struct fixture *f = *state;
	const char *long_msg = "0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789ABCDEF";
	struct tdx_module_args a = vmcall(TDVMCALL_REPORT_FATAL_ERROR, 3, GARBAGE, 0, 0);

	pack_message(&a, "exit status 3");
	assert_int_equal(handle(f, &a), TDVMCALL_STOP);
	assert_int_equal(f->fatal_calls, 1);
	assert_int_equal(f->fatal.error_code, 3);
	assert_false(f->fatal.gpa_valid);
	assert_int_equal(f->fatal.gpa, 0);
	assert_string_equal(f->fatal.message, "exit status 3");
	/* bit 63: R13 holds a GPA; a 64-byte message without NUL is terminated */
	a = vmcall(TDVMCALL_REPORT_FATAL_ERROR, (1ULL << 63) | 0x1000, SHARED | 0x5000, 0, 0);
	pack_message(&a, long_msg);
	assert_int_equal(handle(f, &a), TDVMCALL_STOP);
	assert_true(f->fatal.gpa_valid);
	assert_int_equal(f->fatal.gpa, SHARED | 0x5000);
	assert_int_equal(f->fatal.error_code, (1ULL << 63) | 0x1000);
	assert_int_equal(strlen(f->fatal.message), 64);
	assert_string_equal(f->fatal.message, long_msg);
	/* only exposed registers carry the message, in GHCI order */
	a = vmcall(TDVMCALL_REPORT_FATAL_ERROR, 0, 0, 0, 0);
	pack_message(&a, "AAAAAAAABBBBBBBBCCCCCCCC");
	a.rcx = MASK & ~TDX_R15;
	handle(f, &a);
	assert_string_equal(f->fatal.message, "AAAAAAAACCCCCCCC");
	assert_int_equal(f->fatal_calls, 3);
}

/* ---- SetupEventNotifyInterrupt ---- */

static void test_setup_event_notify_interrupt(void **state)
{
	struct fixture *f = *state;
	const uint64_t vectors[] = {0, 31, 256, 1ULL << 32 | 40};
	struct tdx_module_args a;

	for (unsigned i = 0; i < 4; i++) {
		a = vmcall(TDVMCALL_SETUP_EVENT_NOTIFY_INTERRUPT, vectors[i], 0, 0, 0);
		handle(f, &a);
		assert_int_equal(a.r10, 0x8000000000000000ULL);
		assert_int_equal(f->td.notify_vector, 0);
	}
	a = vmcall(TDVMCALL_SETUP_EVENT_NOTIFY_INTERRUPT, 32, 0, 0, 0);
	handle(f, &a);
	assert_int_equal(a.r10, 0);
	assert_int_equal(f->td.notify_vector, 32);
	a = vmcall(TDVMCALL_SETUP_EVENT_NOTIFY_INTERRUPT, 255, 0, 0, 0);
	handle(f, &a);
	assert_int_equal(a.r10, 0);
	assert_int_equal(f->td.notify_vector, 255);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_not_a_tdvmcall),
		T(test_vendor_and_unknown),
		T(test_unexposed_registers),
		T(test_cpuid),
		T(test_hlt),
		T(test_io_out),
		T(test_io_in),
		T(test_io_bad),
		T(test_mmio_read_write),
		T(test_mmio_bad),
		T(test_msr),
		T(test_get_td_vm_call_info),
		T(test_map_gpa_good),
		T(test_map_gpa_bad),
		T(test_get_quote_good),
		T(test_get_quote_split),
		T(test_get_quote_status_in_buffer),
		T(test_get_quote_bad),
		T(test_report_fatal_error),
		T(test_setup_event_notify_interrupt),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
