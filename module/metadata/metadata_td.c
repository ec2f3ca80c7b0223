// SPDX-License-Identifier: MIT
/*
 * TD-scope (TDR, TDCS) and VP-scope (TDVPS, TD VMCS) metadata: the field tables and the
 * element access shared by TDH.MNG.RD/WR, TDH.VP.RD/WR, TDG.VM.RD/WR and TDG.VP.RD/WR.
 *
 * The IDs and access masks are those of 1.5.01 [M include/auto_gen/tdr_tdcs_fields_lookup.c,
 * tdvps_fields_lookup.c, td_vmcs_fields_lookup.c]; the rules are those of the generic handler
 * [M src/common/metadata_handlers/metadata_generic.c, metadata_td.c, metadata_vp.c]:
 *  - a field is found by class and field code only; the context is forced by the leaf and
 *    the element size is ignored for a single element [M md_find_entry_idx], so Linux's
 *    TDCS_NOTIFY_ENABLES (0x9100000000000010: context 0, 1 byte) names the 8-byte field;
 *  - reserved bits, LAST_ELEMENT_IN_FIELD and LAST_FIELD_IN_SEQUENCE must be 0
 *    [M md_check_as_single_element_id] (so a null ID without version 1 is INCORRECT);
 *  - each field has a read and a write mask per accessor: host (production TD), host (TD
 *    with ATTRIBUTES.DEBUG) and guest. Read mask 0: NOT_READABLE. Write: the effective mask
 *    is field mask & requested mask; 0 gives NOT_WRITABLE; a requested bit outside the field
 *    mask must keep its value, else VALUE_NOT_VALID [M md_check_forbidden_bits_unchanged];
 *    the old value (read-masked) is returned;
 *  - the next element walks elements of the field, then fields of the entry, then the next
 *    entry that has a non-zero read mask for the accessor [M md_get_next_accessible_item].
 * Fields tdxsim does not model (migration, service TDs, L2 VMs, MSR bitmaps, CPUID_VALUES,
 * most of the VMCS) are left out and read as METADATA_FIELD_ID_INCORRECT.
 */
#include <string.h>

#include "td.h"
#include "tdx/pi.h"

enum md_key {
	K_NONE, /* a placeholder row: no access */
	/* TDR */
	K_FATAL,
	K_NUM_TDCX,
	K_CHLDCNT,
	K_LIFECYCLE,
	K_TDCX_PA,
	K_TD_UUID,
	K_HKID,
	K_PKG_CONFIG_BITMAP,
	/* TDCS */
	K_NUM_VCPUS,
	K_NUM_ASSOC_VCPUS,
	K_OP_STATE,
	K_NUM_L2_VMS,
	K_ATTRIBUTES,
	K_XFAM,
	K_MAX_VCPUS,
	K_GPAW,
	K_EPTP,
	K_TSC_OFFSET,
	K_TSC_MULTIPLIER,
	K_TSC_FREQUENCY,
	K_NOTIFY_ENABLES,
	K_CONFIG_FLAGS,
	K_TD_CTLS,
	K_TOPOLOGY_ENUM_CONFIGURED,
	K_TD_EPOCH,
	K_REFCOUNT,
	K_MRTD,
	K_MRCONFIGID,
	K_MROWNER,
	K_MROWNERCONFIG,
	K_RTMR,
	K_SERVTD_HASH,
	K_SERVTD_NUM,
	/* TD VMCS */
	K_POSTED_INTR_NV,
	K_POSTED_INTR_DESC_ADDR,
	K_GUEST_CR0,
	K_GUEST_CR3,
	K_GUEST_CR4,
	K_GUEST_RSP,
	K_GUEST_RIP,
	K_GUEST_RFLAGS,
	/* TDVPS */
	K_VE_EXIT_REASON,
	K_VE_VALID,
	K_VE_EXIT_QUALIFICATION,
	K_VE_GLA,
	K_VE_GPA,
	K_VE_EPTP_INDEX,
	K_VE_INSTRUCTION_LENGTH,
	K_VE_INSTRUCTION_INFORMATION,
	K_GPR, /* field code = register number */
	K_CR2,
	K_VCPU_STATE_DETAILS,
	K_VCPU_STATE,
	K_VCPU_INDEX,
	K_NUM_TDVPS_PAGES,
	K_ASSOC_LPID,
	K_VCPU_EPOCH,
	K_CPUID_SUPERVISOR_VE,
	K_CPUID_USER_VE,
	K_VP_XFAM,
	K_TDVPS_PAGE_PA,
};

/* Accessors, in the order of the masks below. */
enum { A_PROD, A_DEBUG, A_GUEST, NR_ACCESSORS };

#define V_ALL	 0x3
#define V_LATEST 0x1 /* bit (1 << version): LATEST = 0, 1_5_01 = 1 */
#define V_1_5_01 0x2

struct md_tfield {
	uint64_t id; /* of the first element: class, context, size, inc_size, field code */
	uint16_t nfields;
	uint8_t nelem;
	uint8_t key;
	uint8_t versions;
	uint64_t rd[NR_ACCESSORS], wr[NR_ACCESSORS];
};

#define ALL ~0ULL
/* prod rd/wr, debug rd/wr, guest rd/wr: the masks of the 1.5.01 tables */
#define M(prd, pwr, drd, dwr, grd, gwr) .rd = {prd, drd, grd}, .wr = {pwr, dwr, gwr}
#define F(id_, nf, ne, k, ...)                                                                     \
	{                                                                                          \
		.id = id_, .nfields = nf, .nelem = ne, .key = k, .versions = V_ALL, __VA_ARGS__    \
	}
#define FV(id_, nf, ne, k, v, ...)                                                                 \
	{                                                                                          \
		.id = id_, .nfields = nf, .nelem = ne, .key = k, .versions = v, __VA_ARGS__        \
	}

/* Host-readable only; host- and guest-readable; debug host only (read, read/write). */
#define HOST_RO	 M(ALL, 0, ALL, 0, 0, 0)
#define BOTH_RO	 M(ALL, 0, ALL, 0, ALL, 0)
#define DEBUG_RO M(0, 0, ALL, 0, 0, 0)
#define DEBUG_RW M(0, 0, ALL, ALL, 0, 0)

/* clang-format off */
/* [M tdr_tdcs_fields_lookup.c], in its order */
static const struct md_tfield td_fields[] = {
	F(0x8010000000000001ULL, 1, 1, K_FATAL, HOST_RO),
	F(0x8010000200000002ULL, 1, 1, K_NUM_TDCX, HOST_RO),
	F(0x8010000300000004ULL, 1, 1, K_CHLDCNT, HOST_RO),
	F(0x8010000200000005ULL, 1, 1, K_LIFECYCLE, HOST_RO),
	F(0x8010000300000010ULL, 9, 1, K_TDCX_PA, HOST_RO),
	F(0x8010000300000020ULL, 1, 4, K_TD_UUID, BOTH_RO),
	F(0x8110000100000001ULL, 1, 1, K_HKID, HOST_RO),
	F(0x8110000300000002ULL, 1, 1, K_PKG_CONFIG_BITMAP, HOST_RO),
	F(0x9010000200000001ULL, 1, 1, K_NUM_VCPUS, BOTH_RO),
	F(0x9010000200000002ULL, 1, 1, K_NUM_ASSOC_VCPUS, HOST_RO),
	F(0x9010000200000004ULL, 1, 1, K_OP_STATE, HOST_RO),
	F(0x9010000100000005ULL, 1, 1, K_NUM_L2_VMS, BOTH_RO),
	F(0x1110000300000000ULL, 1, 1, K_ATTRIBUTES, BOTH_RO),
	F(0x1110000300000001ULL, 1, 1, K_XFAM, BOTH_RO),
	F(0x1110000200000002ULL, 1, 1, K_MAX_VCPUS, BOTH_RO),
	F(0x1110000000000003ULL, 1, 1, K_GPAW, BOTH_RO),
	F(0x1110000300000004ULL, 1, 1, K_EPTP, HOST_RO),
	F(0x111000030000000AULL, 1, 1, K_TSC_OFFSET, HOST_RO),
	F(0x111000030000000BULL, 1, 1, K_TSC_MULTIPLIER, HOST_RO),
	F(0x111000010000000CULL, 1, 1, K_TSC_FREQUENCY, BOTH_RO),
	/* Bit 0 only for the guest (read and write); a debug TD's host reads all, writes bit 0 */
	F(0x9110000300000010ULL, 1, 1, K_NOTIFY_ENABLES, M(0, 0, ALL, 0x1, 0x1, 0x1)),
	F(0x1110000300000016ULL, 1, 1, K_CONFIG_FLAGS, BOTH_RO),
	/* 1.5.01: the guest may write PENDING_VE_DISABLE only, and only with FLEXIBLE_PENDING_VE */
	FV(0x1110000300000017ULL, 1, 1, K_TD_CTLS, V_1_5_01,
	   M(0, 0, ALL, 0, ALL, TD_CTLS_PENDING_VE_DISABLE)),
	/* LATEST (#VE reduction, docs/TD-CPU.md): also VIRT_CPUID2 and REDUCE_VE. ENUM_TOPOLOGY
	 * is not: tdxsim does not enumerate topology (TOPOLOGY_ENUM_CONFIGURED is 0). */
	FV(0x1110000300000017ULL, 1, 1, K_TD_CTLS, V_LATEST,
	   M(0, 0, ALL, 0, ALL, TD_CTLS_PENDING_VE_DISABLE | TD_CTLS_VIRT_CPUID2 | TD_CTLS_REDUCE_VE)),
	/*
	 * Not in 1.5.01; a newer module's field Linux reads [L asm/shared/tdx.h
	 * TDCS_TOPOLOGY_ENUM_CONFIGURED = 0x9100000000000019]. Class, code as Linux; context
	 * and size (1 byte) are tdxsim's choice. LATEST only.
	 */
	FV(0x9110000000000019ULL, 1, 1, K_TOPOLOGY_ENUM_CONFIGURED, V_LATEST, BOTH_RO),
	F(0x9210000300000000ULL, 1, 1, K_TD_EPOCH, HOST_RO),
	F(0x9210000100000001ULL, 2, 1, K_REFCOUNT, HOST_RO),
	F(0x1310000300000000ULL, 1, 6, K_MRTD, BOTH_RO),
	F(0x1310000300000010ULL, 1, 6, K_MRCONFIGID, BOTH_RO),
	F(0x1310000300000018ULL, 1, 6, K_MROWNER, BOTH_RO),
	F(0x1310000300000020ULL, 1, 6, K_MROWNERCONFIG, BOTH_RO),
	F(0x1310000300000040ULL, 4, 6, K_RTMR, M(0, 0, ALL, 0, ALL, 0)),
	F(0x9910000300000000ULL, 1, 6, K_SERVTD_HASH, BOTH_RO),
	F(0x9910000100000006ULL, 1, 1, K_SERVTD_NUM, BOTH_RO),
};

/*
 * [M td_vmcs_fields_lookup.c] (class 0, INC_SIZE: VMCS encodings step by 2; the TD VMCS
 * comes first in the VP context) then [M tdvps_fields_lookup.c], in their order.
 */
static const struct md_tfield vp_fields[] = {
	/* The VMM's posted interrupts (include/tdx/pi.h): NV 16 bits; the PID address bits
	 * 63:6, so an unaligned address changes forbidden bits */
	F(0x0024000100000002ULL, 1, 1, K_POSTED_INTR_NV, M(ALL, ALL, ALL, ALL, 0, 0)),
	F(0x0024000300002016ULL, 1, 1, K_POSTED_INTR_DESC_ADDR,
	  M(ALL, ~0x3FULL, ALL, ~0x3FULL, 0, 0)),
	F(0x0024000300006800ULL, 1, 1, K_GUEST_CR0, DEBUG_RW),
	F(0x0024000300006802ULL, 1, 1, K_GUEST_CR3, DEBUG_RW),
	F(0x0024000300006804ULL, 1, 1, K_GUEST_CR4, DEBUG_RW),
	F(0x002400030000681CULL, 1, 1, K_GUEST_RSP, DEBUG_RW),
	F(0x002400030000681EULL, 1, 1, K_GUEST_RIP, DEBUG_RW),
	F(0x0024000300006820ULL, 1, 1, K_GUEST_RFLAGS, DEBUG_RW),
	F(0x0220000200000000ULL, 1, 1, K_VE_EXIT_REASON, DEBUG_RO),
	F(0x0220000200000001ULL, 1, 1, K_VE_VALID, DEBUG_RO),
	F(0x0220000300000002ULL, 1, 1, K_VE_EXIT_QUALIFICATION, DEBUG_RO),
	F(0x0220000300000003ULL, 1, 1, K_VE_GLA, DEBUG_RO),
	F(0x0220000300000004ULL, 1, 1, K_VE_GPA, DEBUG_RO),
	F(0x0220000100000005ULL, 1, 1, K_VE_EPTP_INDEX, DEBUG_RO),
	F(0x8220000200000010ULL, 1, 1, K_VE_INSTRUCTION_LENGTH, DEBUG_RO),
	F(0x8220000200000011ULL, 1, 1, K_VE_INSTRUCTION_INFORMATION, DEBUG_RO),
	/* RAX..RBX, RSP (a placeholder: RSP is in the VMCS), RBP..R15 */
	F(0x1020000300000000ULL, 4, 1, K_GPR, DEBUG_RW),
	F(0x1020000300000004ULL, 1, 1, K_NONE, M(0, 0, 0, 0, 0, 0)),
	F(0x1020000300000005ULL, 11, 1, K_GPR, DEBUG_RW),
	F(0x1120000300000028ULL, 1, 1, K_CR2, DEBUG_RW),
	F(0x9120000300000100ULL, 1, 1, K_VCPU_STATE_DETAILS, HOST_RO),
	F(0xA020000000000000ULL, 1, 1, K_VCPU_STATE, DEBUG_RO),
	F(0xA020000200000002ULL, 1, 1, K_VCPU_INDEX, BOTH_RO),
	F(0xA020000000000003ULL, 1, 1, K_NUM_TDVPS_PAGES, HOST_RO),
	F(0xA020000200000004ULL, 1, 1, K_ASSOC_LPID, HOST_RO),
	F(0xA020000300000006ULL, 1, 1, K_VCPU_EPOCH, HOST_RO),
	F(0xA020000000000007ULL, 1, 1, K_CPUID_SUPERVISOR_VE, M(ALL, 0, ALL, 0, ALL, ALL)),
	F(0xA020000000000008ULL, 1, 1, K_CPUID_USER_VE, M(ALL, 0, ALL, 0, ALL, ALL)),
	F(0x202000030000000CULL, 1, 1, K_VP_XFAM, HOST_RO),
	F(0xA020000300000010ULL, 15, 1, K_TDVPS_PAGE_PA, HOST_RO),
};
/* clang-format on */

struct md_table {
	const struct md_tfield *f;
	int n;
};

static struct md_table table_of(unsigned int ctx_code)
{
	if (ctx_code == MD_CTX_VP)
		return (struct md_table){vp_fields,
					 (int)(sizeof(vp_fields) / sizeof(vp_fields[0]))};
	return (struct md_table){td_fields, (int)(sizeof(td_fields) / sizeof(td_fields[0]))};
}

static bool present(const struct md_tfield *f)
{
	return f->versions & (1U << tdxm.params.version);
}

static uint32_t stride(const struct md_tfield *f)
{
	return md_field_id_inc_size(f->id) ? 2 : 1;
}

static uint32_t nr_elements(const struct md_tfield *f)
{
	return (uint32_t)f->nfields * f->nelem;
}

/* Entry holding this element, by class and field code [M md_find_entry_idx]. */
static int find(struct md_table t, uint64_t id, uint32_t *index)
{
	unsigned int cls = md_field_id_class(id);
	uint32_t code = md_field_id_field_code(id);

	for (int i = 0; i < t.n; i++) {
		const struct md_tfield *f = &t.f[i];
		uint32_t base = md_field_id_field_code(f->id);

		if (!present(f) || md_field_id_class(f->id) != cls || code < base ||
		    code >= base + nr_elements(f) * stride(f))
			continue;
		/* An odd offset into an INC_SIZE field names no element (tdxsim: INCORRECT). */
		if ((code - base) % stride(f))
			return -1;
		*index = (code - base) / stride(f);
		return i;
	}
	return -1;
}

static unsigned int accessor(enum md_access acc, const struct md_ctx *c)
{
	if (acc == MD_GUEST_RD || acc == MD_GUEST_WR)
		return A_GUEST;
	return c->debug ? A_DEBUG : A_PROD;
}

static bool is_write(enum md_access acc)
{
	return acc == MD_HOST_WR || acc == MD_GUEST_WR;
}

static uint64_t size_mask(const struct md_tfield *f)
{
	unsigned int bytes = md_field_id_element_size(f->id);

	return bytes == 8 ? ~0ULL : (1ULL << (8 * bytes)) - 1;
}

static uint64_t hash_qword(const uint8_t *h, uint32_t el)
{
	uint64_t v;

	memcpy(&v, h + 8 * el, 8);
	return v;
}

/* The stored value of element `index` of field entry f. */
static uint64_t get(const struct md_tfield *f, uint32_t index, const struct md_ctx *c)
{
	uint32_t fi = index / f->nelem, el = index % f->nelem;
	const struct tdr *tdr = c->tdr;
	const struct tdcs *s = c->tdcs;
	const struct tdvps *vp = c->vp;
	const struct cpu_regs *r = vp ? &vp->cpu.regs : NULL;

	switch (f->key) {
	case K_FATAL:
		return tdr->fatal;
	case K_NUM_TDCX:
		return tdr->num_tdcx;
	case K_CHLDCNT:
		return tdr->chldcnt;
	case K_LIFECYCLE:
		return tdr->lifecycle_state;
	case K_TDCX_PA:
		return fi < tdr->num_tdcx && fi < MAX_TDCS_PAGES ? tdr->tdcx_pa[fi] : 0;
	case K_TD_UUID:
		return tdr->td_uuid[el];
	case K_HKID:
		return tdr->hkid;
	case K_PKG_CONFIG_BITMAP:
		return tdr->pkg_config_bitmap;
	case K_NUM_VCPUS:
		return s->num_vcpus;
	case K_NUM_ASSOC_VCPUS:
		return s->num_assoc_vcpus;
	case K_OP_STATE:
		return tdr->op_state;
	case K_NUM_L2_VMS:
		return s->num_l2_vms;
	case K_ATTRIBUTES:
		return s->attributes;
	case K_XFAM:
	case K_VP_XFAM:
		return s->xfam;
	case K_MAX_VCPUS:
		return s->max_vcpus;
	case K_GPAW:
		return (s->config_flags & TDX_CONFIG_FLAGS_GPAW) ? 1 : 0;
	case K_EPTP:
		/* The Secure EPT root and the TD's EPTP_CONTROLS [M eptp] */
		return tdr->tdcx_pa[TDCS_SEPT_ROOT] | s->eptp_controls;
	case K_TSC_OFFSET:
		return 0; /* tdxsim: guest code reads the host's TSC */
	case K_TSC_MULTIPLIER:
		return 1ULL << 48; /* 1.0 in the VMX TSC multiplier format (48 fraction bits) */
	case K_TSC_FREQUENCY:
		return s->tsc_frequency;
	case K_NOTIFY_ENABLES:
		return s->notify_enables;
	case K_CONFIG_FLAGS:
		return s->config_flags;
	case K_TD_CTLS:
		return s->td_ctls;
	case K_TOPOLOGY_ENUM_CONFIGURED:
		return s->topology_enum_configured;
	case K_TD_EPOCH:
		return s->td_epoch;
	case K_REFCOUNT:
		return s->refcount[fi & 1];
	case K_MRTD:
		return hash_qword(s->mrtd, el);
	case K_MRCONFIGID:
		return hash_qword(s->mrconfigid, el);
	case K_MROWNER:
		return hash_qword(s->mrowner, el);
	case K_MROWNERCONFIG:
		return hash_qword(s->mrownerconfig, el);
	case K_RTMR:
		return hash_qword(s->rtmr[fi], el);
	case K_SERVTD_HASH:
	case K_SERVTD_NUM:
		return 0; /* no service TDs are bound */
	case K_POSTED_INTR_NV:
		return vp->apic.pi_nv;
	case K_POSTED_INTR_DESC_ADDR:
		return vp->apic.pid_pa;
	case K_GUEST_CR0:
		return vp->cpu.cr0;
	case K_GUEST_CR3:
		return vp->cpu.cr3;
	case K_GUEST_CR4:
		return vp->cpu.cr4;
	case K_GUEST_RSP:
		return r->gpr[REG_RSP_];
	case K_GUEST_RIP:
		return r->rip;
	case K_GUEST_RFLAGS:
		return r->rflags;
	case K_VE_EXIT_REASON:
		return vp->ve_info.exit_reason;
	case K_VE_VALID:
		return vp->ve_info.valid;
	case K_VE_EXIT_QUALIFICATION:
		return vp->ve_info.exit_qualification;
	case K_VE_GLA:
		return vp->ve_info.gla;
	case K_VE_GPA:
		return vp->ve_info.gpa;
	case K_VE_EPTP_INDEX:
		return vp->ve_info.eptp_index;
	case K_VE_INSTRUCTION_LENGTH:
		return vp->ve_info.instruction_length;
	case K_VE_INSTRUCTION_INFORMATION:
		return vp->ve_info.instruction_info;
	case K_GPR:
		return r->gpr[md_field_id_field_code(f->id) + fi];
	case K_CR2:
		return vp->cpu.cr2;
	case K_VCPU_STATE_DETAILS:
		return td_vapic_intr_pending(vp) ? 1 : 0; /* bit 0 VMXIP */
	case K_VCPU_STATE:
		return vp->state;
	case K_VCPU_INDEX:
		return vp->vcpu_index;
	case K_NUM_TDVPS_PAGES:
		return 1 + vp->num_tdcx;
	case K_ASSOC_LPID:
		return (uint32_t)vp->assoc_lp; /* -1: none [M VCPU_NO_LP] */
	case K_VCPU_EPOCH:
		return vp->epoch;
	case K_CPUID_SUPERVISOR_VE:
		return (vp->cpuidve & TDG_CPUIDVE_SUPERVISOR) ? 1 : 0;
	case K_CPUID_USER_VE:
		return (vp->cpuidve & TDG_CPUIDVE_USER) ? 1 : 0;
	case K_TDVPS_PAGE_PA:
		if (fi == 0)
			return vp->tdvpr_pa;
		return fi - 1 < vp->num_tdcx && fi - 1 < MAX_TDVPS_PAGES - 1 ? vp->tdcx_pa[fi - 1]
									     : 0;
	}
	return 0;
}

/* Store a value the masks allow; only writable fields get here. */
static void set(const struct md_tfield *f, uint32_t index, const struct md_ctx *c, uint64_t v)
{
	struct tdcs *s = c->tdcs;
	struct tdvps *vp = c->vp;
	struct cpu_regs *r = vp ? &vp->cpu.regs : NULL;

	switch (f->key) {
	case K_NOTIFY_ENABLES:
		s->notify_enables = v;
		break;
	case K_TD_CTLS:
		s->td_ctls = v;
		break;
	case K_POSTED_INTR_NV:
		vp->apic.pi_nv = (uint16_t)v;
		break;
	case K_POSTED_INTR_DESC_ADDR:
		__atomic_store_n(&vp->apic.pid_pa, v, __ATOMIC_RELEASE);
		break;
	case K_GUEST_CR0:
		vp->cpu.cr0 = v;
		break;
	case K_GUEST_CR3:
		vp->cpu.cr3 = v;
		break;
	case K_GUEST_CR4:
		vp->cpu.cr4 = v;
		break;
	case K_GUEST_RSP:
		r->gpr[REG_RSP_] = v;
		break;
	case K_GUEST_RIP:
		r->rip = v;
		break;
	case K_GUEST_RFLAGS:
		r->rflags = v;
		break;
	case K_GPR:
		r->gpr[md_field_id_field_code(f->id) + index] = v;
		break;
	case K_CR2:
		vp->cpu.cr2 = v;
		break;
	case K_CPUID_SUPERVISOR_VE:
		vp->cpuidve = (vp->cpuidve & ~TDG_CPUIDVE_SUPERVISOR) |
			      ((v & 1) ? TDG_CPUIDVE_SUPERVISOR : 0);
		break;
	case K_CPUID_USER_VE:
		vp->cpuidve = (vp->cpuidve & ~TDG_CPUIDVE_USER) | ((v & 1) ? TDG_CPUIDVE_USER : 0);
		break;
	default:
		break;
	}
}

/*
 * A physical-address field still holding its initial NULL_PA (-1) counts as 0 outside the
 * write mask, so the first write does not trip over bits it may not change [M metadata_vp.c
 * md_vp_adjust_value_per_field_attr_on_wr].
 */
static uint64_t pa_initial(const struct md_tfield *f, uint64_t cur, uint64_t wr)
{
	if (f->key == K_POSTED_INTR_DESC_ADDR && cur == POSTED_INTR_DESC_ADDR_INIT)
		return cur & wr;
	return cur;
}

/*
 * The value checks of special fields [M metadata_vp.c md_vp_element_special_wr_handle,
 * md_vp_handle_field_attribute_on_wr]: NV is a vector (0..255); the PID is a shared HPA
 * [M shared_hpa_check, size POSTED_INTER_DESCRIPTOR_SIZE]. tdxsim also wants the 64 bytes
 * in host RAM and not a TD's private page, as it has no memory anywhere else to post into.
 */
static bool value_ok(const struct md_tfield *f, const struct md_ctx *c, uint64_t v)
{
	(void)c;
	switch (f->key) {
	case K_POSTED_INTR_NV:
		return v <= 255;
	case K_POSTED_INTR_DESC_ADDR:
		return shared_hpa_ok(v, PI_DESC_ALIGNMENT) && seam_map(v, PI_DESC_SIZE) &&
		       !phys_is_hidden(v & ~(_4K - 1));
	default:
		return true;
	}
}

bool md_field_id_single_ok(uint64_t id)
{
	return !(id & MD_FIELD_ID_RESERVED_MASK) && !md_field_id_last_element(id) &&
	       !md_field_id_last_field(id);
}

uint64_t md_td_read(unsigned int ctx_code, uint64_t id, enum md_access acc, const struct md_ctx *c,
		    uint64_t *value)
{
	struct md_table t = table_of(ctx_code);
	uint32_t index;
	int i = find(t, id, &index);
	uint64_t rd;

	*value = 0;
	if (i < 0)
		return TDX_METADATA_FIELD_ID_INCORRECT;
	rd = t.f[i].rd[accessor(acc, c)];
	if (!rd)
		return TDX_METADATA_FIELD_NOT_READABLE;
	*value = get(&t.f[i], index, c) & size_mask(&t.f[i]) & rd;
	return TDX_SUCCESS;
}

uint64_t md_td_write(unsigned int ctx_code, uint64_t id, enum md_access acc, const struct md_ctx *c,
		     uint64_t value, uint64_t req_mask, uint64_t *old)
{
	struct md_table t = table_of(ctx_code);
	const struct md_tfield *f;
	uint32_t index;
	int i = find(t, id, &index);
	uint64_t wr, rd, cur, mask, forbidden, nv;

	*old = 0;
	if (i < 0)
		return TDX_METADATA_FIELD_ID_INCORRECT;
	f = &t.f[i];
	wr = f->wr[accessor(acc, c)] & size_mask(f);
	rd = f->rd[accessor(acc, c)];
	mask = wr & req_mask;
	if (!mask)
		return TDX_METADATA_FIELD_NOT_WRITABLE;
	cur = get(f, index, c) & size_mask(f);
	/* Bits the caller asks to write but may not must keep their value. */
	forbidden = req_mask & ~wr;
	if ((pa_initial(f, cur, wr) & forbidden) != (value & forbidden))
		return TDX_METADATA_FIELD_VALUE_NOT_VALID;
	nv = (pa_initial(f, cur, wr) & ~mask) | (value & mask);
	if (!value_ok(f, c, nv))
		return TDX_METADATA_FIELD_VALUE_NOT_VALID;
	/* [M md_td_write_element TD_CTLS]: PENDING_VE_DISABLE is the guest's only with
	 * CONFIG_FLAGS.FLEXIBLE_PENDING_VE. */
	if (f->key == K_TD_CTLS && acc == MD_GUEST_WR &&
	    !(c->tdcs->config_flags & TDX_CONFIG_FLAGS_FLEXIBLE_PENDING_VE) &&
	    ((nv ^ cur) & TD_CTLS_PENDING_VE_DISABLE))
		return TDX_METADATA_FIELD_VALUE_NOT_VALID;
	set(f, index, c, nv);
	*old = cur & rd;
	return TDX_SUCCESS;
}

uint64_t md_td_next(unsigned int ctx_code, uint64_t id, enum md_access acc, const struct md_ctx *c)
{
	struct md_table t = table_of(ctx_code);
	unsigned int a = accessor(acc, c);
	uint32_t index = 0;
	int i;

	if (md_field_id_is_null(id)) {
		i = 0;
	} else {
		i = find(t, id, &index);
		if (i < 0)
			return MD_FIELD_ID_NA;
		if (index + 1 < nr_elements(&t.f[i]))
			return t.f[i].id + (index + 1) * stride(&t.f[i]);
		i++;
	}
	for (; i < t.n; i++) {
		const struct md_tfield *f = &t.f[i];

		if (present(f) && (is_write(acc) ? f->wr[a] : f->rd[a]))
			return f->id;
	}
	return MD_FIELD_ID_NA;
}

uint64_t md_td_rdwr_regs(unsigned int ctx_code, uint64_t *regs, enum md_access acc,
			 const struct md_ctx *c, bool next)
{
	uint64_t id = regs[REG_RDX_], wr_value = regs[REG_R8_], wr_mask = regs[REG_R9_];
	uint64_t value = 0, status;
	bool write = is_write(acc);

	/* Default outputs [M tdh_mng_rd_wr.c, tdg_vm_rd_wr.c ...]: R8 = 0, RDX = null. */
	if (!write && next)
		regs[REG_RDX_] = MD_FIELD_ID_NA;
	regs[REG_R8_] = 0;
	id = md_field_id_set_context(id, ctx_code);
	if (!write && next && md_field_id_is_null(id)) {
		regs[REG_RDX_] = md_td_next(ctx_code, MD_FIELD_ID_NA, acc, c);
		return TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT;
	}
	if (!md_field_id_single_ok(id))
		return TDX_METADATA_FIELD_ID_INCORRECT;
	if (write) {
		status = md_td_write(ctx_code, id, acc, c, wr_value, wr_mask, &value);
	} else {
		status = md_td_read(ctx_code, id, acc, c, &value);
		if (!status && next)
			regs[REG_RDX_] = md_td_next(ctx_code, id, acc, c);
	}
	if (status)
		return status;
	regs[REG_R8_] = value;
	return TDX_SUCCESS;
}

/* ------------------------------------------------------------------------------------------
 * The host leaves' common part: operands, TD state, then the element access.
 */

static void host_defaults(uint64_t *regs, bool write, unsigned int version)
{
	if (!write && version > 0)
		regs[REG_RDX_] = MD_FIELD_ID_NA;
	regs[REG_R8_] = 0;
}

uint64_t md_tdh_mng_rdwr(uint64_t *regs, unsigned int version, bool write)
{
	struct md_ctx c = {0};
	struct page_ref ref;
	uint64_t status;

	status = tdr_get(regs[REG_RCX_], TDX_OPERAND_ID_RCX, false, &ref, &c.tdr);
	if (status)
		goto fail;
	status = td_state_check(c.tdr, write ? TDH_MNG_WR : TDH_MNG_RD);
	if (status)
		goto put;
	c.tdcs = tdcs_of(c.tdr);
	if (!sharex_try_shared(&c.tdcs->op_state_lock)) {
		status = TDX_OPERAND_BUSY + TDX_OPERAND_ID_OP_STATE;
		goto put;
	}
	c.debug = c.tdcs->attributes & TDX_TD_ATTR_DEBUG;
	status = md_td_rdwr_regs(MD_CTX_TD, regs, write ? MD_HOST_WR : MD_HOST_RD, &c,
				 !write && version > 0);
	sharex_release_shared(&c.tdcs->op_state_lock);
	page_put(&ref);
	return status;
put:
	page_put(&ref);
fail:
	host_defaults(regs, write, version);
	return status;
}

uint64_t md_tdh_vp_rdwr(uint64_t *regs, unsigned int version, unsigned int lp, bool write)
{
	struct md_ctx c = {0};
	int32_t none = -1;
	struct vp_ref v;
	uint64_t status;

	status = tdvpr_get(regs[REG_RCX_], TDX_OPERAND_ID_RCX, &v);
	if (status)
		goto fail;
	status = td_state_check(v.td, write ? TDH_VP_WR : TDH_VP_RD);
	if (status)
		goto put;
	if (v.vp->num_tdcx < MIN_TDVPS_PAGES - 1) {
		status = TDX_TDCX_NUM_INCORRECT;
		goto put;
	}
	/*
	 * Only an initialised vCPU (READY; DISABLED for reads) may be associated: anything else
	 * is VCPU_STATE_INCORRECT, so VP.INIT's own association is never a second one [M
	 * helpers.c check_and_associate_vcpu].
	 */
	{
		uint8_t st = __atomic_load_n(&v.vp->state, __ATOMIC_ACQUIRE);

		if (st != VCPU_READY && !(st == VCPU_DISABLED && !write)) {
			status = TDX_VCPU_STATE_INCORRECT;
			goto put;
		}
	}
	/* The vCPU becomes associated with this LP, as by VP.ENTER [M check_and_associate_vcpu]. */
	if (!__atomic_compare_exchange_n(&v.vp->assoc_lp, &none, (int32_t)lp, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		if (none != (int32_t)lp) {
			status = TDX_VCPU_ASSOCIATED;
			goto put;
		}
	} else {
		__atomic_add_fetch(&v.tdcs->num_assoc_vcpus, 1, __ATOMIC_RELAXED);
	}
	c = (struct md_ctx){.tdr = v.td,
			    .tdcs = v.tdcs,
			    .vp = v.vp,
			    .debug = v.tdcs->attributes & TDX_TD_ATTR_DEBUG};
	status = md_td_rdwr_regs(MD_CTX_VP, regs, write ? MD_HOST_WR : MD_HOST_RD, &c,
				 !write && version > 0);
	tdvpr_put(&v);
	return status;
put:
	tdvpr_put(&v);
fail:
	host_defaults(regs, write, version);
	return status;
}

/* The guest leaves: RCX must be 0 (VM index for TDG.VM.*; reserved for TDG.VP.*). */
uint64_t md_tdg_rdwr(struct cpu_regs *ctx, struct tdvps *vp, struct tdcs *tdcs,
		     unsigned int ctx_code, bool write, bool next)
{
	struct md_ctx c = {
		.tdr = vp_tdr(vp), .tdcs = tdcs, .vp = ctx_code == MD_CTX_VP ? vp : NULL};

	if (ctx->gpr[REG_RCX_]) {
		if (!write && next)
			ctx->gpr[REG_RDX_] = MD_FIELD_ID_NA;
		ctx->gpr[REG_R8_] = 0;
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX;
	}
	return md_td_rdwr_regs(ctx_code, ctx->gpr, write ? MD_GUEST_WR : MD_GUEST_RD, &c, next);
}
