// SPDX-License-Identifier: MIT
/*
 * Global (SYS context) metadata: the fields TDH.SYS.RD and TDH.SYS.RDALL answer, their
 * values, and the walk from one element or field to the next.
 *
 * The table follows the 1.5.01 lookup order and IDs [M include/auto_gen/
 * global_sys_fields_lookup.c; ABI §8]. Classes tdxsim does not emulate (migration,
 * service TDs, TD partitioning, FMS lists) are left out; their features are not
 * advertised in TDX_FEATURES0. MAX_VCPUS_PER_TD is not in 1.5.01: it is answered under
 * the LATEST setting only (Linux reads it [L tdx_global_metadata.c]).
 */
#include <string.h>

#include "module.h"

enum md_key {
	K_NUM_PKGS,
	K_PKG_FMS,
	K_VENDOR_ID,
	K_BUILD_DATE,
	K_BUILD_NUM,
	K_MINOR,
	K_MAJOR,
	K_UPDATE,
	K_INTERNAL,
	K_MODULE_HV,
	K_MIN_UPDATE_HV,
	K_NO_DOWNGRADE,
	K_NUM_HANDOFF_PAGES,
	K_HANDOFF_VALID,
	K_HANDOFF_HV,
	K_HANDOFF_SIZE,
	K_SYS_ATTRIBUTES,
	K_NUM_TDX_FEATURES,
	K_TDX_FEATURES0,
	K_NUM_CMRS,
	K_CMR_BASE,
	K_CMR_SIZE,
	K_MAX_TDMRS,
	K_MAX_RSVD,
	K_PAMT_ENTRY_SIZE,
	K_TDR_SIZE,
	K_TDCS_SIZE,
	K_TDVPS_SIZE,
	K_ATTR_FIXED0,
	K_ATTR_FIXED1,
	K_XFAM_FIXED0,
	K_XFAM_FIXED1,
	K_NUM_CPUID_CONFIG,
	K_CONFIG_FLAGS_FIXED0,
	K_CONFIG_FLAGS_FIXED1,
	K_MAX_VCPUS,
	K_CPUID_LEAVES,
	K_CPUID_VALUES,
	K_ARCH_CAP_MASK,
};

#define V_ALL	 0x3
#define V_LATEST 0x1 /* bit (1 << version): LATEST = 0, 1_5_01 = 1 */

struct md_field {
	uint64_t id;
	uint16_t nfields;
	uint8_t nelem;
	uint8_t key;
	uint8_t versions;
	bool guest; /* guest read mask non-zero: TDG.SYS.RD/RDALL may read it */
};

#define F(id_, nf, ne, k, v)                                                                       \
	{                                                                                          \
		.id = id_, .nfields = nf, .nelem = ne, .key = k, .versions = v                     \
	}
/* A field whose guest read mask is all ones [M global_sys_fields_lookup.c guest_rd_mask]. */
#define G(id_, nf, ne, k, v)                                                                       \
	{                                                                                          \
		.id = id_, .nfields = nf, .nelem = ne, .key = k, .versions = v, .guest = true      \
	}

/* clang-format off */
static const struct md_field fields[] = {
	F(MD_FIELD_ID_NUM_PKGS, 1, 1, K_NUM_PKGS, V_ALL),
	F(MD_FIELD_ID_PKG_FMS, 8, 1, K_PKG_FMS, V_ALL),
	G(MD_FIELD_ID_VENDOR_ID, 1, 1, K_VENDOR_ID, V_ALL),
	F(MD_FIELD_ID_BUILD_DATE, 1, 1, K_BUILD_DATE, V_ALL),
	F(MD_FIELD_ID_BUILD_NUM, 1, 1, K_BUILD_NUM, V_ALL),
	G(MD_FIELD_ID_MINOR_VERSION, 1, 1, K_MINOR, V_ALL),
	G(MD_FIELD_ID_MAJOR_VERSION, 1, 1, K_MAJOR, V_ALL),
	F(MD_FIELD_ID_UPDATE_VERSION, 1, 1, K_UPDATE, V_ALL),
	F(MD_FIELD_ID_INTERNAL_VERSION, 1, 1, K_INTERNAL, V_ALL),
	/* Handoff class [M global_sys_fields_lookup.c entries 9..15] */
	F(0x8900000100000000ULL, 1, 1, K_MODULE_HV, V_ALL),
	F(0x8900000100000001ULL, 1, 1, K_MIN_UPDATE_HV, V_ALL),
	F(0x8900000000000002ULL, 1, 1, K_NO_DOWNGRADE, V_ALL),
	F(0x8900000100000003ULL, 1, 1, K_NUM_HANDOFF_PAGES, V_ALL),
	F(0x8900000000000004ULL, 1, 1, K_HANDOFF_VALID, V_ALL),
	F(0x8900000100000005ULL, 1, 1, K_HANDOFF_HV, V_ALL),
	F(0x8900000200000006ULL, 1, 1, K_HANDOFF_SIZE, V_ALL),
	G(MD_FIELD_ID_SYS_ATTRIBUTES, 1, 1, K_SYS_ATTRIBUTES, V_ALL),
	G(MD_FIELD_ID_NUM_TDX_FEATURES, 1, 1, K_NUM_TDX_FEATURES, V_ALL),
	G(MD_FIELD_ID_TDX_FEATURES0, 1, 1, K_TDX_FEATURES0, V_ALL),
	F(MD_FIELD_ID_NUM_CMRS, 1, 1, K_NUM_CMRS, V_ALL),
	F(MD_FIELD_ID_CMR_BASE, MAX_CMRS, 1, K_CMR_BASE, V_ALL),
	F(MD_FIELD_ID_CMR_SIZE, MAX_CMRS, 1, K_CMR_SIZE, V_ALL),
	F(MD_FIELD_ID_MAX_TDMRS, 1, 1, K_MAX_TDMRS, V_ALL),
	F(MD_FIELD_ID_MAX_RESERVED_PER_TDMR, 1, 1, K_MAX_RSVD, V_ALL),
	F(MD_FIELD_ID_PAMT_4K_ENTRY_SIZE, 1, 1, K_PAMT_ENTRY_SIZE, V_ALL),
	F(MD_FIELD_ID_PAMT_2M_ENTRY_SIZE, 1, 1, K_PAMT_ENTRY_SIZE, V_ALL),
	F(MD_FIELD_ID_PAMT_1G_ENTRY_SIZE, 1, 1, K_PAMT_ENTRY_SIZE, V_ALL),
	F(MD_FIELD_ID_TDR_BASE_SIZE, 1, 1, K_TDR_SIZE, V_ALL),
	F(MD_FIELD_ID_TDCS_BASE_SIZE, 1, 1, K_TDCS_SIZE, V_ALL),
	F(MD_FIELD_ID_TDVPS_BASE_SIZE, 1, 1, K_TDVPS_SIZE, V_ALL),
	F(MD_FIELD_ID_ATTRIBUTES_FIXED0, 1, 1, K_ATTR_FIXED0, V_ALL),
	F(MD_FIELD_ID_ATTRIBUTES_FIXED1, 1, 1, K_ATTR_FIXED1, V_ALL),
	F(MD_FIELD_ID_XFAM_FIXED0, 1, 1, K_XFAM_FIXED0, V_ALL),
	F(MD_FIELD_ID_XFAM_FIXED1, 1, 1, K_XFAM_FIXED1, V_ALL),
	F(MD_FIELD_ID_NUM_CPUID_CONFIG, 1, 1, K_NUM_CPUID_CONFIG, V_ALL),
	F(MD_FIELD_ID_CONFIG_FLAGS_FIXED0, 1, 1, K_CONFIG_FLAGS_FIXED0, V_ALL),
	F(MD_FIELD_ID_CONFIG_FLAGS_FIXED1, 1, 1, K_CONFIG_FLAGS_FIXED1, V_ALL),
	F(MD_FIELD_ID_MAX_VCPUS_PER_TD, 1, 1, K_MAX_VCPUS, V_LATEST),
	F(MD_FIELD_ID_CPUID_CONFIG_LEAVES, 32, 1, K_CPUID_LEAVES, V_ALL),
	F(MD_FIELD_ID_CPUID_CONFIG_VALUES, 32, 2, K_CPUID_VALUES, V_ALL),
	F(MD_FIELD_ID_IA32_ARCH_CAPABILITIES_CONFIG_MASK, 1, 1, K_ARCH_CAP_MASK, V_ALL),
};
/* clang-format on */

#define NR_FIELDS ((int)(sizeof(fields) / sizeof(fields[0])))

/* Versions: tdxsim's own labels, not the version of any Intel build. */
uint64_t md_major_version(void)
{
	return 1;
}

uint64_t md_minor_version(void)
{
	return 5;
}

uint64_t md_update_version(void)
{
	return tdxm.params.version == TDX_MODULE_1_5_01 ? 1 : 99;
}

uint64_t md_build_date(void)
{
	return 20250101;
}

uint64_t md_build_num(void)
{
	return 0;
}

/* DEBUG, SEPT_VE_DISABLE, MIGRATABLE, PKS and PERFMON may be set [M TDX_ATTRIBUTES_FIXED0]. */
uint64_t md_attributes_fixed0(void)
{
	return (1ULL << 0) | (1ULL << 28) | (1ULL << 29) | (1ULL << 30) | (1ULL << 63);
}

uint64_t md_attributes_fixed1(void)
{
	return 0;
}

/* [M TDX_XFAM_FIXED0 0x6DBE7, masked by what the CPU supports; FIXED1 x87|SSE] */
uint64_t md_xfam_fixed0(void)
{
	return 0x6DBE7ULL & tdxm.xfam_supported;
}

uint64_t md_xfam_fixed1(void)
{
	return 0x3;
}

/*
 * SYS.RD reports the directly configurable bits [M metadata_sys.c]; the legacy SYS.INFO
 * adds the allowed bits the CPU has [M tdh_sys_info.c].
 */
void md_cpuid_config_values(unsigned int i, bool with_native, uint32_t out[4])
{
	uint32_t direct[4], allowed[4];

	memset(out, 0, 4 * sizeof(uint32_t));
	if (i >= NUM_CPUID_CONFIG)
		return;
	td_cpuid_config_masks(i, direct, allowed);
	for (int r = 0; r < 4; r++) {
		out[r] = direct[r];
		if (with_native)
			out[r] |= allowed[r] & tdxm.native_cpuid[i][r];
	}
}

static uint64_t tdx_features0(void)
{
	if (tdxm.params.tdx_features0)
		return tdxm.params.tdx_features0;
	/* Only what tdxsim implements; NO_RBP_MOD is required by Linux [ABI §7]. #VE reduction
	 * (TD_CTLS.REDUCE_VE) is a later 1.5 module's, not 1.5.01's (docs/TD-CPU.md). */
	if (tdxm.params.version == TDX_MODULE_1_5_01)
		return TDX_FEATURES0_NO_RBP_MOD;
	return TDX_FEATURES0_NO_RBP_MOD | TDX_FEATURES0_REDUCE_VE;
}

static uint64_t field_value(const struct md_field *f, unsigned int fi, unsigned int el)
{
	uint32_t v[4];

	switch (f->key) {
	case K_NUM_PKGS:
		return tdxm.num_pkgs;
	case K_PKG_FMS:
		return fi < tdxm.num_pkgs ? tdxm.pkg_fms : 0;
	case K_VENDOR_ID:
		return 0x8086;
	case K_BUILD_DATE:
		return md_build_date();
	case K_BUILD_NUM:
		return md_build_num();
	case K_MINOR:
		return md_minor_version();
	case K_MAJOR:
		return md_major_version();
	case K_UPDATE:
		return md_update_version();
	case K_INTERNAL:
		return 0;
	case K_MODULE_HV:
	case K_MIN_UPDATE_HV:
	case K_NO_DOWNGRADE:
	case K_NUM_HANDOFF_PAGES:
	case K_HANDOFF_VALID:
	case K_HANDOFF_HV:
	case K_HANDOFF_SIZE:
		/* Handoff version 0, no handoff data [M proj_defs.mk TDX_MODULE_HV=0]. */
		return 0;
	case K_SYS_ATTRIBUTES:
		return tdxm.sys_attributes;
	case K_NUM_TDX_FEATURES:
		return 1;
	case K_TDX_FEATURES0:
		return tdx_features0();
	case K_NUM_CMRS:
		/* 1.5.01 always reports MAX_CMR entries, unused ones zero [M metadata_sys.c] */
		return MAX_CMRS;
	case K_CMR_BASE:
		return fi < tdxm.nr_cmrs ? tdxm.cmr[fi].base : 0;
	case K_CMR_SIZE:
		return fi < tdxm.nr_cmrs ? tdxm.cmr[fi].size : 0;
	case K_MAX_TDMRS:
		return MAX_TDMRS;
	case K_MAX_RSVD:
		return MAX_RESERVED_AREAS;
	case K_PAMT_ENTRY_SIZE:
		return PAMT_ENTRY_SIZE;
	case K_TDR_SIZE:
		return TDR_BASE_SIZE;
	case K_TDCS_SIZE:
		return TDCS_BASE_SIZE;
	case K_TDVPS_SIZE:
		return TDVPS_BASE_SIZE;
	case K_ATTR_FIXED0:
		return md_attributes_fixed0();
	case K_ATTR_FIXED1:
		return md_attributes_fixed1();
	case K_XFAM_FIXED0:
		return md_xfam_fixed0();
	case K_XFAM_FIXED1:
		return md_xfam_fixed1();
	case K_NUM_CPUID_CONFIG:
		return NUM_CPUID_CONFIG;
	case K_CONFIG_FLAGS_FIXED0:
		/* GPAW, FLEXIBLE_PENDING_VE and NO_RBP_MOD may be set [M CONFIG_FLAGS_FIXED0] */
		return 0x7;
	case K_CONFIG_FLAGS_FIXED1:
		return 0;
	case K_MAX_VCPUS:
		return tdxm.params.max_vcpus_per_td ? tdxm.params.max_vcpus_per_td : 1024;
	case K_CPUID_LEAVES:
		/* Past NUM_CPUID_CONFIG: -1 [M metadata_sys.c] */
		return md_cpuid_config_leaf(fi);
	case K_CPUID_VALUES:
		md_cpuid_config_values(fi, false, v);
		return el == 0 ? (v[0] | (uint64_t)v[1] << 32) : (v[2] | (uint64_t)v[3] << 32);
	case K_ARCH_CAP_MASK:
		/* [M msr_defs.h IA32_ARCH_CAPABILITIES_CONFIG_MASK: bits 4, 19, 20, 24] */
		return (1ULL << 4) | (1ULL << 19) | (1ULL << 20) | (1ULL << 24);
	}
	return 0;
}

static bool field_present(int i)
{
	return fields[i].versions & (1U << tdxm.params.version);
}

/* Table index of the field holding this element (class and field code), or -1. */
static int find_entry(uint64_t id)
{
	unsigned int cls = md_field_id_class(id);
	uint32_t code = md_field_id_field_code(id);

	for (int i = 0; i < NR_FIELDS; i++) {
		uint32_t base = md_field_id_field_code(fields[i].id);

		if (!field_present(i) || md_field_id_class(fields[i].id) != cls)
			continue;
		if (code >= base && code < base + (uint32_t)fields[i].nfields * fields[i].nelem)
			return i;
	}
	return -1;
}

/* Present in this version and readable by r [M md_get_next_accessible_item]. */
static bool field_readable(int i, enum md_reader r)
{
	return field_present(i) && (r == MD_READER_HOST || fields[i].guest);
}

/* The next field after entry i that r can read, or -1: walks skip the others. */
static int next_readable(int i, enum md_reader r)
{
	for (i++; i < NR_FIELDS; i++)
		if (field_readable(i, r))
			return i;
	return -1;
}

static uint64_t element_id(int i, uint32_t index)
{
	return fields[i].id + index;
}

/* The element's value masked to its size [M md_sys_read_element: read mask per size]. */
static uint64_t element_value(int i, uint32_t index)
{
	const struct md_field *f = &fields[i];
	unsigned int bytes = md_field_id_element_size(f->id);
	uint64_t v = field_value(f, index / f->nelem, index % f->nelem);

	return bytes == 8 ? v : v & ((1ULL << (8 * bytes)) - 1);
}

uint64_t md_sys_read(uint64_t field_id, enum md_reader r, uint64_t *value)
{
	int i = find_entry(field_id);

	*value = 0;
	if (i < 0)
		return TDX_METADATA_FIELD_ID_INCORRECT;
	/* A known field with read mask 0 for this reader [M md_sys_read_element] */
	if (!field_readable(i, r))
		return TDX_METADATA_FIELD_NOT_READABLE;
	*value = element_value(i, md_field_id_field_code(field_id) -
					  md_field_id_field_code(fields[i].id));
	return TDX_SUCCESS;
}

uint64_t md_sys_first(enum md_reader r)
{
	int i = next_readable(-1, r);

	return i < 0 ? MD_FIELD_ID_NA : fields[i].id;
}

uint64_t md_sys_next_element(uint64_t field_id, enum md_reader r)
{
	int i = find_entry(field_id);
	uint32_t index;

	if (i < 0)
		return MD_FIELD_ID_NA;
	index = md_field_id_field_code(field_id) - md_field_id_field_code(fields[i].id);
	if (index + 1 < (uint32_t)fields[i].nfields * fields[i].nelem)
		return element_id(i, index + 1);
	i = next_readable(i, r);
	return i < 0 ? MD_FIELD_ID_NA : fields[i].id;
}

/*
 * Metadata list [M metadata_generic.c md_dump_list]: an 8-byte header (u16 bytes used,
 * u16 number of sequences, u32 reserved) and sequences. A sequence is a field ID header
 * (last element in field = elements - 1, last field in sequence = fields - 1) followed by
 * every element as 8 bytes. Fields join a sequence while they follow each other (same
 * class, contiguous codes, same element count and size).
 */
struct md_cursor {
	int i;		 /* table entry */
	unsigned int fi; /* field within it */
	enum md_reader r;
};

static uint64_t cursor_id(const struct md_cursor *c)
{
	return element_id(c->i, c->fi * fields[c->i].nelem);
}

/* Advance to the next field; false at the end of the context. */
static bool cursor_next(struct md_cursor *c)
{
	if (c->fi + 1 < fields[c->i].nfields) {
		c->fi++;
		return true;
	}
	c->i = next_readable(c->i, c->r);
	c->fi = 0;
	return c->i >= 0;
}

static bool follows(uint64_t prev, unsigned int prev_nelem, uint64_t next, unsigned int nelem)
{
	return md_field_id_class(prev) == md_field_id_class(next) &&
	       md_field_id_field_code(prev) + prev_nelem == md_field_id_field_code(next) &&
	       prev_nelem == nelem &&
	       md_field_id_element_size_code(prev) == md_field_id_element_size_code(next);
}

uint64_t md_sys_dump_list(uint64_t field_id, enum md_reader r, uint8_t *buf, uint64_t *next)
{
	struct md_cursor c = {.r = r};
	uint32_t used = 8, nseq = 0, index;
	uint64_t hdr;

	*next = MD_FIELD_ID_NA;
	if (md_field_id_is_null(field_id)) {
		c.i = next_readable(-1, r);
		c.fi = 0;
		/* Nothing this reader may read: success, the page untouched [M md_dump_list] */
		if (c.i < 0)
			return TDX_SUCCESS;
	} else {
		/* Must name the start of a field, with its element size [M md_check_field...] */
		c.i = find_entry(field_id);
		if (c.i < 0)
			return TDX_METADATA_FIELD_ID_INCORRECT;
		index = md_field_id_field_code(field_id) - md_field_id_field_code(fields[c.i].id);
		if (index % fields[c.i].nelem ||
		    md_field_id_element_size_code(field_id) !=
			    md_field_id_element_size_code(fields[c.i].id))
			return TDX_METADATA_FIELD_ID_INCORRECT;
		c.fi = index / fields[c.i].nelem;
		/* A field the reader may not read gives an empty sequence: the dump goes on
		 * from the next one it may [M md_dump_sequence, DUMP_SEQUENCE_EMPTY]. */
		if (!field_readable(c.i, r)) {
			c.i = next_readable(c.i, r);
			c.fi = 0;
		}
	}

	while (c.i >= 0) {
		unsigned int nelem = fields[c.i].nelem;
		uint32_t seq_at = used, nf = 0;
		uint64_t first = cursor_id(&c), prev;
		bool more;

		if (4096 - used < 8 + 8 * nelem) {
			*next = cursor_id(&c);
			break;
		}
		used += 8;
		do {
			for (unsigned int e = 0; e < nelem; e++) {
				uint64_t v = element_value(c.i, c.fi * nelem + e);

				memcpy(buf + used, &v, 8);
				used += 8;
			}
			nf++;
			prev = cursor_id(&c);
			more = cursor_next(&c);
		} while (more && follows(prev, nelem, cursor_id(&c), fields[c.i].nelem) &&
			 4096 - used >= 8 * nelem);

		hdr = md_field_id_set_context(first & ~MD_FIELD_ID_WRITE_MASK_VALID, MD_CTX_SYS);
		hdr = md_field_id_set_last_element(hdr, nelem - 1);
		hdr = md_field_id_set_last_field(hdr, nf - 1);
		memcpy(buf + seq_at, &hdr, 8);
		nseq++;
		if (!more)
			break;
	}

	buf[0] = (uint8_t)used;
	buf[1] = (uint8_t)(used >> 8);
	buf[2] = (uint8_t)nseq;
	buf[3] = (uint8_t)(nseq >> 8);
	memset(buf + 4, 0, 4);
	return md_field_id_is_null(*next) ? TDX_SUCCESS : TDX_METADATA_LIST_OVERFLOW;
}
