// SPDX-License-Identifier: MIT
/*
 * Global metadata into struct tdx_sys_info, one TDH.SYS.RD per element [ABI §8].
 * Each field is declared once with its ID and where it goes; the element size in the ID
 * must match the member, so a table typo cannot write past a member.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "tdx/leaves.h"
#include "tdx/metadata.h"
#include "tdx/status.h"

#include "tdx_internal.h"

struct md_field {
	uint64_t id;
	size_t offset, size;
	bool optional;
	const char *name;
};

#define SIZEOF_MEMBER(m) sizeof(((struct tdx_sys_info *)0)->m)
#define FIELD(fid, member, opt)                                                                    \
	{                                                                                          \
		MD_FIELD_ID_##fid, offsetof(struct tdx_sys_info, member), SIZEOF_MEMBER(member),   \
			opt, #fid                                                                  \
	}

static const struct md_field fields[] = {
	FIELD(MAJOR_VERSION, version.major_version, false),
	FIELD(MINOR_VERSION, version.minor_version, false),
	FIELD(UPDATE_VERSION, version.update_version, false),
	FIELD(BUILD_DATE, version.build_date, true),
	FIELD(BUILD_NUM, version.build_num, true),
	FIELD(TDX_FEATURES0, features.tdx_features0, false),
	FIELD(MAX_TDMRS, tdmr.max_tdmrs, false),
	FIELD(MAX_RESERVED_PER_TDMR, tdmr.max_reserved_per_tdmr, false),
	FIELD(PAMT_4K_ENTRY_SIZE, tdmr.pamt_4k_entry_size, false),
	FIELD(PAMT_2M_ENTRY_SIZE, tdmr.pamt_2m_entry_size, false),
	FIELD(PAMT_1G_ENTRY_SIZE, tdmr.pamt_1g_entry_size, false),
	FIELD(TDR_BASE_SIZE, td_ctrl.tdr_base_size, false),
	FIELD(TDCS_BASE_SIZE, td_ctrl.tdcs_base_size, false),
	FIELD(TDVPS_BASE_SIZE, td_ctrl.tdvps_base_size, false),
	FIELD(ATTRIBUTES_FIXED0, td_conf.attributes_fixed0, false),
	FIELD(ATTRIBUTES_FIXED1, td_conf.attributes_fixed1, false),
	FIELD(XFAM_FIXED0, td_conf.xfam_fixed0, false),
	FIELD(XFAM_FIXED1, td_conf.xfam_fixed1, false),
	FIELD(NUM_CPUID_CONFIG, td_conf.num_cpuid_config, false),
	FIELD(MAX_VCPUS_PER_TD, td_conf.max_vcpus_per_td, false),
	FIELD(NUM_CMRS, cmr.num_cmrs, false),
};

/* One element; -ENOENT when the module does not have it, else as seamcall_prerr. */
static int read_sys_metadata_field(uint64_t id, uint64_t *value)
{
	struct tdx_module_args args = {.rdx = id};
	uint64_t status;
	int cpu;

	status = seamcall_cpu(TDH_SYS_RD, &args, &cpu);
	if (tdx_status_code(status) == TDX_METADATA_FIELD_ID_INCORRECT)
		return -ENOENT;
	if (status) {
		tdx_note_failure(status);
		return seamcall_err(TDH_SYS_RD, status, &args, cpu);
	}
	*value = args.r8;
	return 0;
}

static int read_field(struct tdx_sys_info *si, const struct md_field *f)
{
	unsigned int size_code = (unsigned int)((f->id & MD_FIELD_ID_ELEMENT_SIZE_MASK) >>
						MD_FIELD_ID_ELEMENT_SIZE_SHIFT);
	uint64_t value = 0;
	int ret;

	if ((1U << size_code) != f->size)
		return -EINVAL; /* the table is wrong */
	ret = read_sys_metadata_field(f->id, &value);
	if (ret == -ENOENT && f->optional)
		return 0;
	if (ret == -ENOENT) {
		tdx_pr("required metadata field %s (0x%016llx) missing", f->name,
		       (unsigned long long)f->id);
		return -EIO;
	}
	if (ret)
		return ret;
	/* little-endian: the low bytes are the element */
	memcpy((char *)si + f->offset, &value, f->size);
	return 0;
}

static int read_array(uint64_t base_id, unsigned int n, unsigned int stride, uint64_t *out,
		      const char *name)
{
	for (unsigned int i = 0; i < n; i++) {
		for (unsigned int j = 0; j < stride; j++) {
			int ret = read_sys_metadata_field(base_id + stride * i + j,
							  &out[stride * i + j]);

			if (ret == -ENOENT) {
				tdx_pr("required metadata field %s[%u] (0x%016llx) missing", name,
				       stride * i + j,
				       (unsigned long long)(base_id + stride * i + j));
				return -EIO;
			}
			if (ret)
				return ret;
		}
	}
	return 0;
}

int get_tdx_sys_info(struct tdx_sys_info *si)
{
	int ret;

	memset(si, 0, sizeof(*si));
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		ret = read_field(si, &fields[i]);
		if (ret)
			return ret;
	}
	if (si->td_conf.num_cpuid_config > TDX_MAX_CPUID_CONFIG) {
		tdx_pr("NUM_CPUID_CONFIG %u: at most %u supported", si->td_conf.num_cpuid_config,
		       TDX_MAX_CPUID_CONFIG);
		return -EINVAL;
	}
	if (si->cmr.num_cmrs > MAX_CMR) {
		tdx_pr("NUM_CMRS %u: at most %u supported", si->cmr.num_cmrs, MAX_CMR);
		return -EINVAL;
	}
	ret = read_array(MD_FIELD_ID_CPUID_CONFIG_LEAVES, si->td_conf.num_cpuid_config, 1,
			 si->td_conf.cpuid_config_leaves, "CPUID_CONFIG_LEAVES");
	if (!ret)
		ret = read_array(MD_FIELD_ID_CPUID_CONFIG_VALUES, si->td_conf.num_cpuid_config, 2,
				 &si->td_conf.cpuid_config_values[0][0], "CPUID_CONFIG_VALUES");
	if (!ret)
		ret = read_array(MD_FIELD_ID_CMR_BASE, si->cmr.num_cmrs, 1, si->cmr.cmr_base,
				 "CMR_BASE");
	if (!ret)
		ret = read_array(MD_FIELD_ID_CMR_SIZE, si->cmr.num_cmrs, 1, si->cmr.cmr_size,
				 "CMR_SIZE");
	return ret;
}
