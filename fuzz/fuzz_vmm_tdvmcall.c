// SPDX-License-Identifier: MIT
/*
 * fuzz_vmm_tdvmcall - the VMM's TDVMCALL handling (vmm/tdvmcall.c, tdvmcall_handle) against a
 * malicious guest: the exit registers and the contents of the TD's shared memory come from
 * the input, and the calls reach the real device bus (16550 UART, PCI configuration ports
 * and host bridge, the PCI test device, the power-off ports), the MSR filter, the quote
 * generator (GetQuote with any buffer header and length) and MapGPA through the ops the run
 * loop supplies (here: a recorder that answers SUCCESS, RETRY or INVALID_OPERAND as the
 * input says, as vmm/ does for a range it cannot convert).
 *
 * Input: a byte n, then 16 n bytes for the start of the 16 KiB shared area (the rest is zero);
 * calls, each: a selector for the GPR mask (the one Linux uses, or a raw u16), for R10
 * (standard or raw) and for R11 (every GHCI sub-function, or raw), then R12..R15 each
 * picked by the sub-function's operand kind (ports of the devices, MMIO GPAs of the test
 * device, sizes, directions, MSRs, GPAs in and around the shared area, vectors, raw),
 * and RDX, RBX, RSI, RDI, R8, R9 (raw, to see that nothing reads or changes them).
 *
 * Checked after every call (abort with a message; libFuzzer keeps the input):
 *  - tdvmcall_handle() returns RESUME, or STOP after exactly one ReportFatalError;
 *  - R10 is a GHCI status (SUCCESS, RETRY, INVALID_OPERAND, GPA_INUSE, ALIGN_ERROR,
 *    SUBFUNC_UNSUPPORTED) or -KVM_ENOSYS for a non-standard call;
 *  - RCX, RDX, RBX, RSI, RDI, R8, R9 are unchanged (outputs are R10 and up);
 *  - MapGPA reached the op with the guest's range, and RETRY resumes inside it;
 *  - the ReportFatalError message is NUL-terminated within 64 bytes;
 *  - the shared area is the only guest memory: it sits between two guard areas that must
 *    stay untouched, and ASan watches the heap.
 * Devices are created for each input and destroyed after it (no state carries over); the
 * quote signing key is made once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tdx/vmx.h>

#include "fuzz_input.h"
#include "vmm/devices.h"
#include "vmm/tdvmcall.h"

#define GPAW	   48
#define SHARED_BIT (1ULL << (GPAW - 1))
#define SHM_GPA	   0x100000ULL
#define SHM_SIZE   0x4000ULL
#define GUARD	   0x1000ULL
#define GUARD_BYTE 0xA5

/* ---- the embedder's side ----------------------------------------------------------------- */

struct fuzz_vm {
	uint8_t *mem; /* guard | shared area | guard */
	uint8_t *shm;
	struct vmm_bus bus;
	struct uart16550 *uart;
	struct pci_bus *pci;
	struct pci_testdev *testdev;
	struct poweroff_dev *poweroff;
	struct msr_filter filter;
	struct tdvmcall_td td;
	struct tdvmcall_vcpu v;
	/* what the ops saw */
	int fatal_calls;
	struct tdvmcall_fatal_error fatal;
	uint64_t map_gpa, map_size;
	int map_calls;
	uint8_t map_answer; /* from the input */
};

static struct quote_signer *quoter;

static void *fuzz_shared_va(void *opaque, uint64_t gpa, uint64_t len)
{
	struct fuzz_vm *vm = opaque;
	uint64_t g = gpa & ~SHARED_BIT;

	if (!(gpa & SHARED_BIT) || g < SHM_GPA || len > SHM_SIZE || g - SHM_GPA > SHM_SIZE - len)
		return NULL;
	return vm->shm + (g - SHM_GPA);
}

static uint64_t fuzz_map_gpa(void *opaque, uint64_t gpa, uint64_t size, uint64_t *resume)
{
	struct fuzz_vm *vm = opaque;

	vm->map_calls++;
	vm->map_gpa = gpa;
	vm->map_size = size;
	switch (vm->map_answer % 3) {
	case 1:
		/* Part done: the guest resumes at a page inside the range. */
		*resume = gpa + ((size / 4096) ? (vm->map_answer % (size / 4096)) * 4096 : 0);
		return TDVMCALL_STATUS_RETRY;
	case 2:
		return TDVMCALL_STATUS_INVALID_OPERAND;
	default:
		return TDVMCALL_STATUS_SUCCESS;
	}
}

static void fuzz_fatal(void *opaque, const struct tdvmcall_fatal_error *err)
{
	struct fuzz_vm *vm = opaque;

	vm->fatal_calls++;
	vm->fatal = *err;
}

static const struct tdvmcall_ops fuzz_ops = {
	.shared_va = fuzz_shared_va,
	.map_gpa = fuzz_map_gpa,
	.fatal_error = fuzz_fatal,
};

static void uart_sink(void *opaque, const char *buf, size_t len)
{
	(void)opaque;
	(void)buf;
	(void)len;
}

static void poweroff_cb(void *opaque, int status)
{
	(void)opaque;
	(void)status;
}

static int vm_create(struct fuzz_vm *vm)
{
	memset(vm, 0, sizeof(*vm));
	vm->mem = malloc(SHM_SIZE + 2 * GUARD);
	if (!vm->mem || vmm_bus_init(&vm->bus))
		return -1;
	memset(vm->mem, GUARD_BYTE, SHM_SIZE + 2 * GUARD);
	vm->shm = vm->mem + GUARD;
	memset(vm->shm, 0, SHM_SIZE);
	vm->uart = uart16550_create(&vm->bus, TDXSIM_COM1_PORT, uart_sink, NULL);
	vm->pci = pci_bus_create(&vm->bus);
	vm->testdev = vm->pci ? pci_testdev_create(&vm->bus, vm->pci) : NULL;
	vm->poweroff = poweroff_create(&vm->bus, poweroff_cb, NULL);
	if (!vm->uart || !vm->testdev || !vm->poweroff)
		return -1;
	/* The filter tdxsim's VMM uses (allow all) plus a denied range, as an embedder may. */
	msr_filter_init(&vm->filter, MSR_FILTER_ALLOW);
	msr_filter_add(&vm->filter, 0x277, 1, MSR_FILTER_RW, MSR_FILTER_DENY);
	vm->td = (struct tdvmcall_td){
		.gpaw = GPAW, .bus = &vm->bus, .msr_filter = &vm->filter, .quoter = quoter};
	tdvmcall_vcpu_init(&vm->v, &vm->td, 0, &fuzz_ops, vm);
	return 0;
}

static void vm_destroy(struct fuzz_vm *vm)
{
	if (vm->uart)
		uart16550_destroy(vm->uart);
	if (vm->poweroff)
		poweroff_destroy(vm->poweroff);
	if (vm->testdev)
		pci_testdev_destroy(vm->testdev);
	if (vm->pci)
		pci_bus_destroy(vm->pci);
	vmm_bus_destroy(&vm->bus);
	free(vm->mem);
}

/* ---- operands ---------------------------------------------------------------------------- */

static const uint64_t subfns[] = {
	TDVMCALL_INSTRUCTION_CPUID,
	TDVMCALL_INSTRUCTION_HLT,
	TDVMCALL_INSTRUCTION_IO,
	TDVMCALL_INSTRUCTION_RDMSR,
	TDVMCALL_INSTRUCTION_WRMSR,
	TDVMCALL_VE_REQUEST_MMIO,
	TDVMCALL_INSTRUCTION_WBINVD,
	TDVMCALL_GET_TD_VM_CALL_INFO,
	TDVMCALL_MAP_GPA,
	TDVMCALL_GET_QUOTE,
	TDVMCALL_REPORT_FATAL_ERROR,
	TDVMCALL_SETUP_EVENT_NOTIFY_INTERRUPT,
};
#define NR_SUBFNS (sizeof(subfns) / sizeof(subfns[0]))

static const uint64_t ports[] = {0x3F8, 0x3F9, 0x3FA, 0x3FB, 0x3FC, 0x3FD, 0x3FE, 0x3FF,
				 0xCF8, 0xCFC, 0xCFD, 0xCFE, 0xCFF, 0xF4,  0x604, 0x80};
static const uint64_t sizes[] = {1, 2, 4, 8, 0, 3, 16};
static const uint64_t msrs[] = {0x10, 0x1B, 0x277, 0x3A, 0xC0000080, 0x40000000, 0x802, 0};
static const uint64_t gpa_offsets[] = {0, 0x18, 0x1000, SHM_SIZE - 8, SHM_SIZE, 0x3FF8, 0x1FFF};

enum kind { K_SIZE, K_DIR, K_PORT, K_MMIO, K_MSR, K_SHM_GPA, K_LEN, K_VEC, K_CPUID, K_RAW };

static uint64_t operand(struct fuzz_input *in, enum kind k)
{
	uint8_t b = in_u8(in);

	if (b >= 0xF8 || k == K_RAW)
		return in_u64(in);
	switch (k) {
	case K_SIZE:
		return sizes[b % (sizeof(sizes) / sizeof(sizes[0]))];
	case K_DIR:
		return b & 1;
	case K_PORT:
		return ports[b % (sizeof(ports) / sizeof(ports[0]))];
	case K_MMIO:
		/* The test device's BAR (shared), its private alias, unclaimed MMIO. */
		return (b & 0x80 ? 0 : SHARED_BIT) | (b & 0x40 ? 0xFEC00000 : PCI_TESTDEV_BAR0) |
		       ((b & 0x3F) * 4);
	case K_MSR:
		return msrs[b % (sizeof(msrs) / sizeof(msrs[0]))];
	case K_SHM_GPA:
		return (b & 0x80 ? 0 : SHARED_BIT) | (SHM_GPA + gpa_offsets[b % 7]) |
		       (b & 0x40 ? 0x800 : 0);
	case K_LEN:
		return b & 0x80 ? (uint64_t)(b & 0x7F) << 8 : (uint64_t)b << 12;
	case K_VEC:
		return b;
	case K_CPUID:
		return b & 1 ? 0x40000000 + (b >> 1) % 4 : b >> 1;
	default:
		return 0;
	}
}

/* Operand kinds of R12..R15 for each sub-function (as in tdvmcall.h). */
static void sub_kinds(uint64_t subfn, enum kind k[4])
{
	enum kind raw[4] = {K_RAW, K_RAW, K_RAW, K_RAW};

	memcpy(k, raw, sizeof(raw));
	switch (subfn) {
	case TDVMCALL_INSTRUCTION_CPUID:
		k[0] = K_CPUID, k[1] = K_VEC;
		break;
	case TDVMCALL_INSTRUCTION_IO:
		k[0] = K_SIZE, k[1] = K_DIR, k[2] = K_PORT;
		break;
	case TDVMCALL_VE_REQUEST_MMIO:
		k[0] = K_SIZE, k[1] = K_DIR, k[2] = K_MMIO;
		break;
	case TDVMCALL_INSTRUCTION_RDMSR:
	case TDVMCALL_INSTRUCTION_WRMSR:
		k[0] = K_MSR;
		break;
	case TDVMCALL_MAP_GPA:
	case TDVMCALL_GET_QUOTE:
		k[0] = K_SHM_GPA, k[1] = K_LEN;
		break;
	case TDVMCALL_REPORT_FATAL_ERROR:
		k[1] = K_SHM_GPA;
		break;
	case TDVMCALL_SETUP_EVENT_NOTIFY_INTERRUPT:
		k[0] = K_VEC;
		break;
	}
}

/* ---- one call ---------------------------------------------------------------------------- */

static void __attribute__((noreturn))
finding(const char *what, const struct tdx_module_args *in, const struct tdx_module_args *out)
{
	fprintf(stderr,
		"vmm_tdvmcall: %s\n  in:  rcx 0x%llx r10 0x%llx r11 0x%llx r12 0x%llx r13 0x%llx "
		"r14 0x%llx r15 0x%llx\n  out: r10 0x%llx r11 0x%llx r12 0x%llx r13 0x%llx r14 "
		"0x%llx r15 0x%llx\n",
		what, (unsigned long long)in->rcx, (unsigned long long)in->r10,
		(unsigned long long)in->r11, (unsigned long long)in->r12,
		(unsigned long long)in->r13, (unsigned long long)in->r14,
		(unsigned long long)in->r15, (unsigned long long)out->r10,
		(unsigned long long)out->r11, (unsigned long long)out->r12,
		(unsigned long long)out->r13, (unsigned long long)out->r14,
		(unsigned long long)out->r15);
	abort();
}

static bool ghci_status(uint64_t r10, uint64_t in_r10)
{
	if (in_r10 != TDX_HYPERCALL_STANDARD)
		return r10 == (uint64_t)-KVM_ENOSYS;
	return r10 == TDVMCALL_STATUS_SUCCESS || r10 == TDVMCALL_STATUS_RETRY ||
	       r10 == TDVMCALL_STATUS_INVALID_OPERAND || r10 == TDVMCALL_STATUS_GPA_INUSE ||
	       r10 == TDVMCALL_STATUS_ALIGN_ERROR || r10 == TDVMCALL_STATUS_SUBFUNC_UNSUPPORTED;
}

/* Returns false when the vCPU stopped (ReportFatalError). */
static bool one_call(struct fuzz_vm *vm, struct fuzz_input *in)
{
	uint8_t msel = in_u8(in), rsel = in_u8(in), ssel = in_u8(in);
	struct tdx_module_args a = {0}, before, seen;
	enum kind k[4];
	int fatal_before = vm->fatal_calls, maps_before = vm->map_calls, r;

	a.rcx = msel < 0xE0 ? TDVMCALL_EXPOSE_REGS_MASK : (in_u64(in) & 0xFFFFFFFF0000FFCFULL);
	a.r10 = rsel < 0xF0 ? TDX_HYPERCALL_STANDARD : in_u64(in);
	a.r11 = ssel < 0xF0 ? subfns[ssel % NR_SUBFNS] : in_u64(in);
	sub_kinds(a.r11, k);
	a.r12 = operand(in, k[0]);
	a.r13 = operand(in, k[1]);
	a.r14 = operand(in, k[2]);
	a.r15 = operand(in, k[3]);
	if (in_u8(in) & 1) {
		a.rdx = in_u64(in), a.rbx = in_u64(in), a.rsi = in_u64(in);
		a.rdi = in_u64(in), a.r8 = in_u64(in), a.r9 = in_u64(in);
	}
	vm->map_answer = in_u8(in);
	before = a;
	/* What the VMM is allowed to see: the module zeroes the GPRs the guest did not expose. */
	seen = a;
	r = tdvmcall_handle(&vm->v, EXIT_REASON_TDCALL, &a);
	if (r != TDVMCALL_RESUME && r != TDVMCALL_STOP)
		finding("tdvmcall_handle returned neither RESUME nor STOP", &before, &a);
	if ((r == TDVMCALL_STOP) != (vm->fatal_calls == fatal_before + 1))
		finding("STOP without exactly one ReportFatalError (or the reverse)", &before, &a);
	if (!ghci_status(a.r10, (a.rcx & TDX_R10) ? seen.r10 : 0))
		finding("R10 is not a GHCI status", &before, &a);
	if (a.rcx != before.rcx || a.rdx != before.rdx || a.rbx != before.rbx ||
	    a.rsi != before.rsi || a.rdi != before.rdi || a.r8 != before.r8 || a.r9 != before.r9)
		finding("a register below R10 changed", &before, &a);
	if (vm->map_calls != maps_before) {
		if (vm->map_gpa != (seen.rcx & TDX_R12 ? seen.r12 : 0) ||
		    vm->map_size != (seen.rcx & TDX_R13 ? seen.r13 : 0))
			finding("MapGPA op called with another range", &before, &a);
		if (a.r10 == TDVMCALL_STATUS_RETRY &&
		    (a.r11 < vm->map_gpa || a.r11 - vm->map_gpa >= vm->map_size))
			finding("MapGPA RETRY resumes outside the range", &before, &a);
	}
	if (r == TDVMCALL_STOP && memchr(vm->fatal.message, 0, sizeof(vm->fatal.message)) == NULL)
		finding("ReportFatalError message not terminated", &before, &a);
	return r == TDVMCALL_RESUME;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	quoter = quote_signer_new();
	if (!quoter) {
		fprintf(stderr, "vmm_tdvmcall: no quote signer\n");
		exit(1);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = {data, size};
	struct fuzz_vm vm;

	if (vm_create(&vm) < 0) {
		fprintf(stderr, "vmm_tdvmcall: device creation failed\n");
		abort();
	}
	in_bytes(&in, vm.shm, 16 * (size_t)in_u8(&in));
	for (unsigned int i = 0; i < 64 && in.n; i++)
		if (!one_call(&vm, &in))
			break;
	for (uint64_t i = 0; i < GUARD; i++)
		if (vm.mem[i] != GUARD_BYTE || vm.mem[GUARD + SHM_SIZE + i] != GUARD_BYTE) {
			fprintf(stderr, "vmm_tdvmcall: write outside the shared area\n");
			abort();
		}
	vm_destroy(&vm);
	return 0;
}
