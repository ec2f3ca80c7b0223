// SPDX-License-Identifier: MIT
/*
 * Global metadata as a host reads it: the TDH.SYS.RD walk from the null ID to the end, the
 * fields Linux requires, TDH.SYS.RDALL lists agreeing with SYS.RD, under both module
 * versions and through every call path. Also the fault-injection API and its parser.
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"

/* Fields Linux's tdx_enable() and KVM read and need to succeed [ABI §8]. */
static const uint64_t linux_fields[] = {
	MD_FIELD_ID_MINOR_VERSION,
	MD_FIELD_ID_MAJOR_VERSION,
	MD_FIELD_ID_UPDATE_VERSION,
	MD_FIELD_ID_TDX_FEATURES0,
	MD_FIELD_ID_MAX_TDMRS,
	MD_FIELD_ID_MAX_RESERVED_PER_TDMR,
	MD_FIELD_ID_PAMT_4K_ENTRY_SIZE,
	MD_FIELD_ID_PAMT_2M_ENTRY_SIZE,
	MD_FIELD_ID_PAMT_1G_ENTRY_SIZE,
	MD_FIELD_ID_TDR_BASE_SIZE,
	MD_FIELD_ID_TDCS_BASE_SIZE,
	MD_FIELD_ID_TDVPS_BASE_SIZE,
	MD_FIELD_ID_ATTRIBUTES_FIXED0,
	MD_FIELD_ID_ATTRIBUTES_FIXED1,
	MD_FIELD_ID_XFAM_FIXED0,
	MD_FIELD_ID_XFAM_FIXED1,
	MD_FIELD_ID_NUM_CPUID_CONFIG,
	MD_FIELD_ID_MAX_VCPUS_PER_TD,
	MD_FIELD_ID_CPUID_CONFIG_LEAVES,
	MD_FIELD_ID_CPUID_CONFIG_VALUES,
	MD_FIELD_ID_CPUID_CONFIG_VALUES + 1,
	MD_FIELD_ID_NUM_CMRS,
	MD_FIELD_ID_CMR_BASE,
	MD_FIELD_ID_CMR_SIZE,
};

static uint64_t rd(enum call_path p, uint64_t id, uint64_t *value, uint64_t *next)
{
	struct tdx_module_args a = {.rdx = id};
	uint64_t st = call_on(p, 0, TDH_SYS_RD, &a);

	*value = a.r8;
	*next = a.rdx;
	return st;
}

static void test_walk(enum call_path p, enum tdx_module_version v)
{
	uint64_t id, next, value, st;
	unsigned int n = 0;
	bool seen[sizeof(linux_fields) / sizeof(linux_fields[0])] = {false};

	CHECK(bring_up(v, S_READY, 0) == 0, "walk: bring-up");
	st = rd(p, MD_FIELD_ID_NA, &value, &id);
	CHECK(st == TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT, "[%s] walk: first 0x%llx", path_name[p],
	      (unsigned long long)st);
	while (!md_field_id_is_null(id) && n < 1000) {
		st = rd(p, id, &value, &next);
		CHECK(st == TDX_SUCCESS, "[%s] v%d walk: 0x%016llx -> 0x%016llx", path_name[p], v,
		      (unsigned long long)id, (unsigned long long)st);
		if (st)
			break;
		for (unsigned int i = 0; i < sizeof(linux_fields) / sizeof(linux_fields[0]); i++)
			if (linux_fields[i] == id)
				seen[i] = true;
		CHECK(next != id, "walk: stuck at 0x%llx", (unsigned long long)id);
		id = next;
		n++;
	}
	/* Elements: 1+8+7+7+3+1+64+5+3+4+3+32+64+1, and MAX_VCPUS_PER_TD under LATEST. */
	CHECK(n == (v == TDX_MODULE_LATEST ? 204u : 203u), "[%s] v%d walk: %u elements",
	      path_name[p], v, n);
	for (unsigned int i = 0; i < sizeof(linux_fields) / sizeof(linux_fields[0]); i++)
		CHECK(seen[i] || (v == TDX_MODULE_1_5_01 &&
				  linux_fields[i] == MD_FIELD_ID_MAX_VCPUS_PER_TD),
		      "[%s] v%d walk: 0x%016llx not visited", path_name[p], v,
		      (unsigned long long)linux_fields[i]);
}

/* Decode an RDALL list and compare every element with SYS.RD. */
static void test_rdall(enum call_path p, enum tdx_module_version v, uint64_t start)
{
	struct tdx_module_args a = {.rdx = LIST_PA, .r8 = start};
	const uint8_t *list = hva(LIST_PA);
	uint16_t used, nseq;
	uint32_t off = 8;
	unsigned int elements = 0;
	uint64_t st;

	CHECK(bring_up(v, S_LPINIT, 0) == 0, "rdall: bring-up");
	memset(hva(LIST_PA), 0xAA, 4096);
	st = call_on(p, 1, TDH_SYS_RDALL, &a);
	CHECK(st == TDX_SUCCESS && a.r8 == MD_FIELD_ID_NA, "[%s] rdall: 0x%llx next 0x%llx",
	      path_name[p], (unsigned long long)st, (unsigned long long)a.r8);
	memcpy(&used, list, 2);
	memcpy(&nseq, list + 2, 2);
	for (unsigned int s = 0; s < nseq && off < used; s++) {
		uint64_t hdr;
		unsigned int nelem, nfields;

		memcpy(&hdr, list + off, 8);
		off += 8;
		CHECK(md_field_id_context(hdr) == MD_CTX_SYS && !md_field_id_write_mask_valid(hdr),
		      "rdall: header 0x%llx", (unsigned long long)hdr);
		nelem = md_field_id_last_element(hdr) + 1;
		nfields = md_field_id_last_field(hdr) + 1;
		for (unsigned int f = 0; f < nfields; f++) {
			for (unsigned int e = 0; e < nelem; e++) {
				uint64_t id = (hdr & ~(MD_FIELD_ID_LAST_ELEMENT_MASK |
						       MD_FIELD_ID_LAST_FIELD_MASK)) +
					      f * nelem + e;
				uint64_t want, next, got;

				memcpy(&got, list + off, 8);
				off += 8;
				elements++;
				CHECK(rd(p, id, &want, &next) == 0 && got == want,
				      "[%s] rdall: 0x%016llx = 0x%llx, SYS.RD says 0x%llx",
				      path_name[p], (unsigned long long)id, (unsigned long long)got,
				      (unsigned long long)want);
			}
		}
	}
	CHECK(off == used, "[%s] rdall: %u bytes decoded, header says %u", path_name[p], off, used);
	if (md_field_id_is_null(start))
		CHECK(elements == (v == TDX_MODULE_LATEST ? 204u : 203u), "[%s] rdall: %u elements",
		      path_name[p], elements);
}

static void test_inject(enum call_path p)
{
	struct tdx_module_args a = {0};
	char err[128];

	CHECK(bring_up(TDX_MODULE_LATEST, S_CONFIG, 0) == 0, "inject: bring-up");
	/* The 2nd KEY.CONFIG fails; Linux-style retry succeeds. */
	CHECK(tdx_module_inject_parse("TDH.SYS.KEY.CONFIG:2=0x8000080000000000", err,
				      sizeof(err)) == 0,
	      "inject: parse: %s", err);
	CHECK(call_on(p, 0, TDH_SYS_KEY_CONFIG, &a) == TDX_SUCCESS, "inject: call 1");
	CHECK(call_on(p, 2, TDH_SYS_KEY_CONFIG, &a) == TDX_KEY_GENERATION_FAILED, "inject: call 2");
	CHECK(sys_state_get() == SYSCONFIG_DONE, "inject: not ready after a failure");
	CHECK(call_on(p, 2, TDH_SYS_KEY_CONFIG, &a) == TDX_SUCCESS, "inject: call 3");
	CHECK(sys_state_get() == SYS_READY, "inject: ready");
	CHECK(tdx_module_injected(TDH_SYS_KEY_CONFIG) == 1, "inject: count");

	/* Every call: RND_NO_ENTROPY on SYS.RD until cleared. */
	CHECK(tdx_module_inject_parse("TDH.SYS.RD:*=TDX_RND_NO_ENTROPY", err, sizeof(err)) == 0,
	      "inject: parse *: %s", err);
	for (int i = 0; i < 3; i++) {
		a = (struct tdx_module_args){.rdx = MD_FIELD_ID_MAX_TDMRS, .r8 = 1};
		CHECK(call_on(p, 0, TDH_SYS_RD, &a) == TDX_RND_NO_ENTROPY && a.r8 == 0 &&
			      a.rdx == MD_FIELD_ID_NA,
		      "inject: every call %d", i);
	}
	tdx_module_inject_clear();
	a = (struct tdx_module_args){.rdx = MD_FIELD_ID_MAX_TDMRS};
	CHECK(call_on(p, 0, TDH_SYS_RD, &a) == TDX_SUCCESS && a.r8 == 64, "inject: cleared");
}

static void test_inject_parse(void)
{
	static const char *const bad[] = {
		"",
		"TDH.SYS.INIT",
		"TDH.SYS.INIT:1",
		"TDH.SYS.NOPE:1=RND_NO_ENTROPY",
		"TDH.SYS.INIT:0=RND_NO_ENTROPY",
		"TDH.SYS.INIT:x=RND_NO_ENTROPY",
		"TDH.SYS.INIT:1=NOT_A_STATUS",
		"TDH.SYS.INIT:1=0",
		"300:1=0x1",
		"TDH.SYS.INIT:1=RND_NO_ENTROPY,",
	};
	struct tdx_module_params params = {.inject = "TDH.SYS.INIT:1=BOGUS"};
	char err[128];

	CHECK(bring_up(TDX_MODULE_LATEST, S_LOADED, 0) == 0, "parse: load");
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		CHECK(tdx_module_inject_parse(bad[i], err, sizeof(err)) < 0 && err[0],
		      "parse: '%s' accepted", bad[i]);
	}
	tdx_module_inject_clear();
	CHECK(tdx_module_inject_parse("TDH.SYS.INIT:1=RND_NO_ENTROPY,33:2=SYS_BUSY,"
				      "TDH.SYS.TDMR.INIT:*=0x80000200000000B9",
				      err, sizeof(err)) == 0,
	      "parse: good spec: %s", err);
	CHECK(tdx_seamcall_leaf_by_name("TDH.SYS.TDMR.INIT") == TDH_SYS_TDMR_INIT, "leaf name");
	CHECK(!strcmp(tdx_seamcall_leaf_name(TDH_SYS_CONFIG), "TDH.SYS.CONFIG"), "leaf number");
	for (unsigned int i = 0; i < TDX_INJECT_MAX_RULES; i++)
		tdx_module_inject(TDH_SYS_RD, 1, TDX_SYS_BUSY);
	CHECK(tdx_module_inject(TDH_SYS_RD, 1, TDX_SYS_BUSY) < 0, "parse: rules full");
	CHECK(tdx_module_load(&params) < 0, "load with a bad spec");
}

int main(void)
{
	struct machine_config cfg;

	machine_2s(&cfg);
	if (harness_boot(&cfg) < 0)
		return 1;
	for (enum call_path p = 0; p < NR_PATHS; p++) {
		if (!path_available(p))
			continue;
		for (int v = TDX_MODULE_LATEST; v <= TDX_MODULE_1_5_01; v++) {
			test_walk(p, (enum tdx_module_version)v);
			test_rdall(p, (enum tdx_module_version)v, MD_FIELD_ID_NA);
			test_rdall(p, (enum tdx_module_version)v, MD_FIELD_ID_CMR_SIZE);
		}
		test_inject(p);
	}
	test_inject_parse();
	harness_shutdown();
	printf("test_metadata: %d failures\n", failures);
	return failures ? 1 : 0;
}
