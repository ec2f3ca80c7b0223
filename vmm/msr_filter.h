/* SPDX-License-Identifier: MIT */
/*
 * vmm/msr_filter.h - which MSRs a guest may read or write through TDVMCALL
 * Instruction.RDMSR/WRMSR, and the per-vCPU values behind the allowed ones.
 *
 * Modelled on KVM's MSR filter (KVM_X86_SET_MSR_FILTER): a default action plus rules over
 * MSR ranges, each for reads, writes or both. Here the first rule that matches decides;
 * with none, the default does. An access the filter allows must still find its MSR in the
 * vCPU's store; both failures give the guest INVALID_OPERAND, which it turns into #GP, as
 * KVM's tdx_emulate_rdmsr/wrmsr do.
 */
#ifndef VMM_MSR_FILTER_H
#define VMM_MSR_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MSR_FILTER_READ	 0x1
#define MSR_FILTER_WRITE 0x2
#define MSR_FILTER_RW	 (MSR_FILTER_READ | MSR_FILTER_WRITE)

#define MSR_FILTER_MAX_RULES 64

enum msr_filter_action {
	MSR_FILTER_ALLOW,
	MSR_FILTER_DENY,
};

struct msr_filter_rule {
	uint32_t first;
	uint32_t count;
	unsigned flags; /* MSR_FILTER_READ | MSR_FILTER_WRITE */
	enum msr_filter_action action;
};

struct msr_filter {
	enum msr_filter_action default_action;
	struct msr_filter_rule rules[MSR_FILTER_MAX_RULES];
	size_t nr_rules;
};

void msr_filter_init(struct msr_filter *f, enum msr_filter_action default_action);
/* -EINVAL for count 0, a range that wraps, or no flags; -ENOSPC when full. */
int msr_filter_add(struct msr_filter *f, uint32_t first, uint32_t count, unsigned flags,
		   enum msr_filter_action action);
bool msr_filter_allowed(const struct msr_filter *f, uint32_t msr, bool write);

/* MSR numbers [Intel SDM vol. 4, table 2-2]. */
#define MSR_IA32_APIC_BASE     0x0000001B
#define MSR_IA32_UCODE_REV     0x0000008B
#define MSR_IA32_MISC_ENABLE   0x000001A0
#define MSR_IA32_CR_PAT	       0x00000277
#define MSR_IA32_TSC_DEADLINE  0x000006E0
#define MSR_X2APIC_ICR	       0x00000830
#define MSR_IA32_MCG_CAP       0x00000179
#define MSR_IA32_MCG_STATUS    0x0000017A
#define MSR_IA32_MCG_CTL       0x0000017B
#define MSR_IA32_MC0_CTL       0x00000400 /* bank i: CTL, STATUS, ADDR, MISC at 0x400 + 4i */
#define MSR_IA32_MTRRCAP       0x000000FE
#define MSR_IA32_MTRR_DEF_TYPE 0x000002FF

/*
 * Machine check as KVM emulates it for a TD and QEMU configures it [QEMU mce_init; KVM
 * tdx_has_emulated_msr]: 10 banks, MCG_CTL_P (8) and MCG_SER_P (24); MCG_CTL and each bank's
 * CTL all-ones, the rest 0. Linux reads MCG_STATUS at boot and panics if it cannot.
 */
#define MCE_NR_BANKS	10
#define MCG_CAP_DEFAULT ((1ULL << 24) | (1ULL << 8) | MCE_NR_BANKS)

#define MSR_STORE_MAX 128

struct msr_entry {
	uint32_t msr;
	uint64_t value;
};

/* One per vCPU. */
struct msr_store {
	struct msr_entry entries[MSR_STORE_MAX];
	size_t nr;
};

/*
 * Fill with the defaults (docs/VMM.md): IA32_APIC_BASE (x2APIC at 0xFEE00000, BSP flag for
 * vCPU 0), IA32_UCODE_REV, IA32_MISC_ENABLE, IA32_CR_PAT, IA32_TSC_DEADLINE and the x2APIC
 * ICR (0).
 */
void msr_store_init(struct msr_store *s, uint32_t vcpu_index);
/* Add or update; -ENOSPC when full. */
int msr_store_set(struct msr_store *s, uint32_t msr, uint64_t value);
/* -ENOENT if the MSR is not in the store. */
int msr_store_get(const struct msr_store *s, uint32_t msr, uint64_t *value);

/* Filter, then store: 0, or -EPERM (denied) / -ENOENT (no such MSR). */
int msr_read(const struct msr_filter *f, const struct msr_store *s, uint32_t msr, uint64_t *value);
int msr_write(const struct msr_filter *f, struct msr_store *s, uint32_t msr, uint64_t value);

#endif /* VMM_MSR_FILTER_H */
