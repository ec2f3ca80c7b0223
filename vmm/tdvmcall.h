/* SPDX-License-Identifier: MIT */
/*
 * vmm/tdvmcall.h - the VMM's side of TDG.VP.VMCALL (GHCI): given the registers TDH.VP.ENTER
 * returned for a TDVMCALL exit, compute the registers for the next TDH.VP.ENTER.
 *
 * The run loop owns one struct tdvmcall_vcpu per vCPU and supplies what only it knows
 * through struct tdvmcall_ops: shared memory, halting, private/shared conversion, the fatal
 * error report. Everything else (devices, MSRs, quotes) is reached through the pointers in
 * struct tdvmcall_td, shared by the TD's vCPUs.
 */
#ifndef VMM_TDVMCALL_H
#define VMM_TDVMCALL_H

#include <stdbool.h>
#include <stdint.h>

#include <tdx/args.h>
#include <tdx/ghci.h>

#include "tdxsim/tdxsim.h"
#include "vmm/bus.h"
#include "vmm/msr_filter.h"
#include "vmm/quote.h"

/* ReportFatalError, as handed to the embedder. */
struct tdvmcall_fatal_error {
	uint64_t error_code; /* R12 as the guest passed it */
	bool gpa_valid;	     /* R12 bit 63: R13 holds the GPA of more information */
	uint64_t gpa;	     /* R13 when gpa_valid, else 0 */
	char message[TDVMCALL_REPORT_FATAL_ERROR_MSG_SIZE + 1]; /* NUL-terminated */
};

struct tdvmcall_ops {
	/*
	 * Host address of [gpa, gpa + len) of the TD's shared memory, @gpa with the shared bit
	 * as the guest gave it; NULL if not mapped or not shared. Required for GetQuote.
	 */
	void *(*shared_va)(void *opaque, uint64_t gpa, uint64_t len);
	/*
	 * Copy [gpa, gpa + len) of shared memory to (write) or from buf, page by page: for a
	 * span shared_va cannot give as one pointer (its pages are not contiguous in this
	 * process, as on the system backend). 0, or nonzero when not mapped. Optional.
	 */
	int (*shared_rw)(void *opaque, uint64_t gpa, void *buf, uint64_t len, bool write);
	/* Instruction.HLT: wait for an interrupt (or return at once). Optional. */
	void (*hlt)(void *opaque, bool irq_blocked);
	/*
	 * MapGPA: convert [gpa, gpa + size) (shared bit set: to shared; clear: to private).
	 * Returns a GHCI status; with TDVMCALL_STATUS_RETRY it sets *resume_gpa to the GPA
	 * (shared bit as in @gpa) the guest should resume from. NULL: SUCCESS without effect.
	 */
	uint64_t (*map_gpa)(void *opaque, uint64_t gpa, uint64_t size, uint64_t *resume_gpa);
	/* ReportFatalError: the vCPU stops after this. Optional (then printed to stderr). */
	void (*fatal_error)(void *opaque, const struct tdvmcall_fatal_error *err);
	/*
	 * Instruction.CPUID for leaves outside the hypervisor range: fill out[0..3] = EAX..EDX
	 * and return true; false or NULL gives zeros.
	 */
	bool (*cpuid)(void *opaque, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);
	/*
	 * Instruction.WRMSR of an x2APIC MSR (0x800-0x8FF; the ones the module leaves to the
	 * VMM, e.g. the ICR) that the MSR filter allowed: a GHCI status. The filter treats
	 * reads and writes of the range alike (KVM's filter never covers it [L
	 * Documentation/virt/kvm/api.rst KVM_X86_SET_MSR_FILTER]; tdxsim's does, both ways).
	 * NULL: handled like any other MSR.
	 */
	uint64_t (*wrmsr_x2apic)(void *opaque, uint32_t msr, uint64_t value);
	/* Instruction.RDMSR of an x2APIC register the VMM emulates: true and *value; false
	 * for the others (the MSR store answers). NULL: handled like any other MSR. */
	bool (*rdmsr_x2apic)(void *opaque, uint32_t msr, uint64_t *value);
	/*
	 * A GetQuote completed while SetupEventNotifyInterrupt had registered @vector from
	 * vCPU @vcpu: inject it there [QEMU tdx.c: the vector goes to the APIC ID that set it
	 * up]. Optional.
	 */
	void (*event_notify)(void *opaque, unsigned int vcpu, uint8_t vector);
};

/* Per TD. */
struct tdvmcall_td {
	unsigned int gpaw;   /* 48 or 52: the shared bit is GPAW - 1 (ABI §10) */
	struct vmm_bus *bus; /* port I/O and MMIO */
	const struct msr_filter *msr_filter;
	struct quote_signer *quoter; /* NULL: GetQuote answers "service unavailable" */
	uint8_t notify_vector;	     /* SetupEventNotifyInterrupt's vector; 0 = none */
	uint32_t notify_vcpu;	     /* ... and the vCPU that registered it */
	uint32_t exit_mask;	     /* TDXSIM_EXIT_BIT()s the embedder handles (atomic) */
	const char *cpuid_signature; /* CPUID 0x40000000's 12 bytes; NULL: TDXSIM's */
};

/* Per vCPU. */
struct tdvmcall_vcpu {
	struct tdvmcall_td *td;
	struct msr_store msrs;
	const struct tdvmcall_ops *ops;
	void *opaque;	/* handed to every op */
	uint32_t index; /* the vCPU's index (= x2APIC ID) */
	/*
	 * The embedder's exits (tdxsim/tdxsim.h): where one is described, NULL = none; the
	 * registers of the TDVMCALL it was made of, for its default handling; and, while
	 * set, every call handled as if no exit were asked for.
	 */
	struct tdxsim_exit *exit;
	struct tdx_module_args exit_args;
	bool no_exits;
};

enum tdvmcall_result {
	TDVMCALL_RESUME = 0, /* enter the vCPU again with the updated registers */
	TDVMCALL_STOP,	     /* the guest reported a fatal error: do not enter again */
	TDVMCALL_EXIT,	     /* an exit for the embedder in v->exit: tdvmcall_complete() */
};

void tdvmcall_vcpu_init(struct tdvmcall_vcpu *v, struct tdvmcall_td *td, uint32_t vcpu_index,
			const struct tdvmcall_ops *ops, void *opaque);

/*
 * Handle one TDVMCALL exit. @exit_rax is VP.ENTER's RAX; @args its other registers, RCX
 * being the guest's GPR mask. Only exposed GPRs are read. R10 gets the GHCI status, R11 and
 * up the results; other registers are left as they were. Returns -EINVAL (and changes
 * nothing) if @exit_rax is not a TDVMCALL exit (exit reason 77, ABI §1.1).
 */
int tdvmcall_handle(struct tdvmcall_vcpu *v, uint64_t exit_rax, struct tdx_module_args *args);

/*
 * Complete the TDVMCALL_EXIT in v->exit with the embedder's answer into @args (the
 * registers for the next VP.ENTER): TDVMCALL_RESUME, or what the default handling returns
 * when the embedder asked for it (exit->use_default).
 */
int tdvmcall_complete(struct tdvmcall_vcpu *v, struct tdx_module_args *args);

static inline uint64_t tdvmcall_shared_bit(const struct tdvmcall_td *td)
{
	return 1ULL << (td->gpaw - 1);
}

/* ReportFatalError R12 bit 63: R13 is a valid GPA [GHCI; QEMU tdx.c]. */
#define TDVMCALL_FATAL_ERROR_GPA_VALID (1ULL << 63)

/* KVM's answer to an unknown KVM hypercall: -KVM_ENOSYS [L include/uapi/linux/kvm_para.h]. */
#define KVM_ENOSYS 1000

/*
 * The signature at CPUID 0x40000000 (EBX, ECX, EDX): tdxsim's for SDK guests, KVM's for a TD
 * that is not one (a Linux kernel keeps x2APIC without interrupt remapping only under a
 * hypervisor it knows, `kvm_para_available()` [L arch/x86/kernel/kvm.c]; docs/LINUX-BOOT.md).
 */
#define TDXSIM_CPUID_SIGNATURE	  "tdxsim\0\0\0\0\0\0"
#define KVM_CPUID_SIGNATURE	  "KVMKVMKVM\0\0\0"
#define TDXSIM_CPUID_LEAF_BASE	  0x40000000U
#define TDXSIM_CPUID_LEAF_MAX	  0x40000001U
#define TDXSIM_CPUID_HV_RANGE_END 0x4FFFFFFFU

#endif /* VMM_TDVMCALL_H */
