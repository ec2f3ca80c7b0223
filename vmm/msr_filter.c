// SPDX-License-Identifier: MIT
/*
 * vmm/msr_filter.c - the MSR filter and the per-vCPU MSR values. Only MSRs the TDX module
 * does not virtualise itself reach the VMM [ABI §5], so the
 * store is small: a linear array is enough.
 */
#include <errno.h>
#include <string.h>

#include "vmm/msr_filter.h"

/* IA32_APIC_BASE bits [SDM vol. 3A, 10.4.4]: BSP 8, x2APIC enable 10, global enable 11. */
#define APIC_DEFAULT_PHYS_BASE 0xFEE00000ULL
#define MSR_IA32_APICBASE_BSP  (1ULL << 8)
#define X2APIC_ENABLE	       (1ULL << 10)
#define MSR_IA32_APICBASE_EN   (1ULL << 11)

/*
 * KVM's defaults: microcode revision 0x100000000 (kvm_get_msr_feature), MISC_ENABLE with
 * BTS and PEBS unavailable (bits 11, 12; kvm_vcpu_reset), PAT at its power-on value
 * 0x0007040600070406 [SDM vol. 3A, 11.12.4]. TDX guests run with x2APIC on.
 */
#define UCODE_REV_DEFAULT   0x100000000ULL
#define MISC_ENABLE_DEFAULT ((1ULL << 11) | (1ULL << 12))
#define PAT_DEFAULT	    0x0007040600070406ULL

void msr_filter_init(struct msr_filter *f, enum msr_filter_action default_action)
{
	memset(f, 0, sizeof(*f));
	f->default_action = default_action;
}

int msr_filter_add(struct msr_filter *f, uint32_t first, uint32_t count, unsigned flags,
		   enum msr_filter_action action)
{
	struct msr_filter_rule *r;

	if (count == 0 || first + (count - 1) < first || !(flags & MSR_FILTER_RW) ||
	    (flags & ~MSR_FILTER_RW))
		return -EINVAL;
	if (f->nr_rules == MSR_FILTER_MAX_RULES)
		return -ENOSPC;
	r = &f->rules[f->nr_rules++];
	r->first = first;
	r->count = count;
	r->flags = flags;
	r->action = action;
	return 0;
}

bool msr_filter_allowed(const struct msr_filter *f, uint32_t msr, bool write)
{
	unsigned want = write ? MSR_FILTER_WRITE : MSR_FILTER_READ;

	for (size_t i = 0; i < f->nr_rules; i++) {
		const struct msr_filter_rule *r = &f->rules[i];

		if ((r->flags & want) && msr - r->first < r->count)
			return r->action == MSR_FILTER_ALLOW;
	}
	return f->default_action == MSR_FILTER_ALLOW;
}

static struct msr_entry *msr_store_find(const struct msr_store *s, uint32_t msr)
{
	for (size_t i = 0; i < s->nr; i++) {
		if (s->entries[i].msr == msr)
			return (struct msr_entry *)&s->entries[i];
	}
	return NULL;
}

int msr_store_set(struct msr_store *s, uint32_t msr, uint64_t value)
{
	struct msr_entry *e = msr_store_find(s, msr);

	if (!e) {
		if (s->nr == MSR_STORE_MAX)
			return -ENOSPC;
		e = &s->entries[s->nr++];
		e->msr = msr;
	}
	e->value = value;
	return 0;
}

int msr_store_get(const struct msr_store *s, uint32_t msr, uint64_t *value)
{
	const struct msr_entry *e = msr_store_find(s, msr);

	if (!e)
		return -ENOENT;
	*value = e->value;
	return 0;
}

void msr_store_init(struct msr_store *s, uint32_t vcpu_index)
{
	uint64_t apic_base = APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_EN | X2APIC_ENABLE;

	memset(s, 0, sizeof(*s));
	if (vcpu_index == 0)
		apic_base |= MSR_IA32_APICBASE_BSP;
	msr_store_set(s, MSR_IA32_APIC_BASE, apic_base);
	msr_store_set(s, MSR_IA32_UCODE_REV, UCODE_REV_DEFAULT);
	msr_store_set(s, MSR_IA32_MISC_ENABLE, MISC_ENABLE_DEFAULT);
	msr_store_set(s, MSR_IA32_CR_PAT, PAT_DEFAULT);
	/* No fixed or variable MTRRs, no WC, no SMRR: MTRRs off, as KVM reports them to a TD
	 * [KVM tdx_get_msr]; the default type reads 0 (its reset value) until written. */
	msr_store_set(s, MSR_IA32_MTRRCAP, 0);
	msr_store_set(s, MSR_IA32_MTRR_DEF_TYPE, 0);
	msr_store_set(s, MSR_IA32_TSC_DEADLINE, 0);
	msr_store_set(s, MSR_X2APIC_ICR, 0); /* the last ICR written (vmm/apic.c) */
	msr_store_set(s, MSR_IA32_MCG_CAP, MCG_CAP_DEFAULT);
	msr_store_set(s, MSR_IA32_MCG_STATUS, 0);
	msr_store_set(s, MSR_IA32_MCG_CTL, UINT64_MAX);
	for (uint32_t i = 0; i < MCE_NR_BANKS; i++) {
		msr_store_set(s, MSR_IA32_MC0_CTL + 4 * i, UINT64_MAX);
		for (uint32_t r = 1; r < 4; r++)
			msr_store_set(s, MSR_IA32_MC0_CTL + 4 * i + r, 0);
	}
}

int msr_read(const struct msr_filter *f, const struct msr_store *s, uint32_t msr, uint64_t *value)
{
	if (!msr_filter_allowed(f, msr, false))
		return -EPERM;
	return msr_store_get(s, msr, value);
}

int msr_write(const struct msr_filter *f, struct msr_store *s, uint32_t msr, uint64_t value)
{
	struct msr_entry *e;

	if (!msr_filter_allowed(f, msr, true))
		return -EPERM;
	/* Writes update known MSRs only; the embedder adds new ones with msr_store_set(). */
	e = msr_store_find(s, msr);
	if (!e)
		return -ENOENT;
	e->value = value;
	return 0;
}
