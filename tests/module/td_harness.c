// SPDX-License-Identifier: MIT
/*
 * Building TDs by hand with SEAMCALLs, in the order KVM uses [ABI §7].
 */
#include <string.h>

#include "td_harness.h"
#include "tests/support/capture.h"

enum call_path td_path = PATH_DIRECT;

static uint64_t next_page = 4 * GiB;	     /* TDMR1, free after bring-up */
static uint64_t next_2m = 4 * GiB + 1 * GiB; /* its second half, for 2 MiB pages */

int td_machine_setup(void **state)
{
	(void)state;
	return td_machine_boot(TDX_MODULE_LATEST);
}

int td_machine_boot(enum tdx_module_version version)
{
	struct machine_config cfg;

	machine_2s(&cfg);
	if (harness_boot(&cfg) < 0)
		return -1;
	if (bring_up(version, S_TDMR, 0) < 0) {
		harness_shutdown();
		return -1;
	}
	td_page_alloc_reset();
	td_path = PATH_DIRECT;
	return 0;
}

int td_machine_setup_cpuid_rewrite(void **state)
{
	char *saved = env_swap("TDXSIM_CPUID", "rewrite");
	int ret = td_machine_setup(state);

	env_restore("TDXSIM_CPUID", saved);
	return ret;
}

int td_machine_teardown(void **state)
{
	(void)state;
	harness_shutdown();
	return 0;
}

void td_page_alloc_reset(void)
{
	next_page = 4 * GiB;
	next_2m = 4 * GiB + 1 * GiB;
}

struct td_page_alloc_state td_page_alloc_save(void)
{
	return (struct td_page_alloc_state){next_page, next_2m};
}

void td_page_alloc_load(struct td_page_alloc_state st)
{
	next_page = st.next_4k;
	next_2m = st.next_2m;
}

uint64_t td_page_alloc(void)
{
	uint64_t pa = next_page;

	next_page += 4 * KiB;
	memset(hva(pa), 0, 4 * KiB);
	return pa;
}

uint64_t td_page_alloc_2m(void)
{
	uint64_t pa = next_2m;

	next_2m += 2 * MiB;
	return pa;
}

uint64_t td_call_on(unsigned int lp, uint64_t leaf, struct tdx_module_args *a)
{
	return call_on(td_path, lp, leaf, a);
}

uint64_t td_call(uint64_t leaf, struct tdx_module_args *a)
{
	return td_call_on(0, leaf, a);
}

void td_code_page(uint8_t page[4096], const uint8_t *code, const uint8_t *end)
{
	int32_t rel = -(int32_t)(0xFF0 + 5);

	memset(page, 0xCC, 4096);
	memcpy(page, code, (size_t)(end - code));
	page[0xFF0] = 0xE9;
	memcpy(&page[0xFF1], &rel, 4);
}

void td_params_default(struct td_params *p)
{
	memset(p, 0, sizeof(*p));
	p->xfam = TDX_XFAM_X87 | TDX_XFAM_SSE;
	p->max_vcpus = 8;
	p->eptp_controls = tdx_eptp_controls(TDX_EPTP_MT_WB, 4);
	p->config_flags = TDX_CONFIG_FLAGS_NO_RBP_MOD;
	p->tsc_frequency = 100; /* 2.5 GHz */
}

uint64_t td_create(struct test_td *td, uint16_t hkid)
{
	struct tdx_module_args a;
	uint64_t s;

	memset(td, 0, sizeof(*td));
	td->hkid = hkid;
	td->tdr = td_page_alloc();
	a = (struct tdx_module_args){.rcx = td->tdr, .rdx = hkid};
	s = td_call(TDH_MNG_CREATE, &a);
	if (s)
		return s;
	/* Once per package: LP 0 is on package 0, LP 2 on package 1. */
	for (unsigned int lp = 0; lp < NR_LPS; lp += 2) {
		a = (struct tdx_module_args){.rcx = td->tdr};
		s = td_call_on(lp, TDH_MNG_KEY_CONFIG, &a);
		if (s)
			return s;
	}
	return 0;
}

uint64_t td_init(struct test_td *td, const struct td_params *p)
{
	struct tdx_module_args a;
	uint64_t s;

	for (unsigned int i = 0; i < 6; i++) {
		td->tdcx[i] = td_page_alloc();
		a = (struct tdx_module_args){.rcx = td->tdcx[i], .rdx = td->tdr};
		s = td_call(TDH_MNG_ADDCX, &a);
		if (s)
			return s;
	}
	memcpy(hva(TD_PARAMS_PA), p, sizeof(*p));
	a = (struct tdx_module_args){.rcx = td->tdr, .rdx = TD_PARAMS_PA};
	s = td_call(TDH_MNG_INIT, &a);
	td->window = s ? NULL : tdx_module_td_window(td->tdr);
	return s;
}

uint64_t td_add_vcpu(struct test_td *td)
{
	unsigned int v = td->nr_vcpus;
	struct tdx_module_args a;
	uint64_t s;

	td->tdvpr[v] = td_page_alloc();
	a = (struct tdx_module_args){.rcx = td->tdvpr[v], .rdx = td->tdr};
	s = td_call(TDH_VP_CREATE, &a);
	if (s)
		return s;
	td->nr_vcpus++;
	for (unsigned int i = 0; i < TD_VP_TDCX; i++) {
		td->vp_tdcx[v][i] = td_page_alloc();
		a = (struct tdx_module_args){.rcx = td->vp_tdcx[v][i], .rdx = td->tdvpr[v]};
		s = td_call(TDH_VP_ADDCX, &a);
		if (s)
			return s;
	}
	a = (struct tdx_module_args){.rcx = td->tdvpr[v], .rdx = 0x1234};
	return td_call(TDH_VP_INIT, &a);
}

uint64_t td_sept_map(struct test_td *td, uint64_t gpa)
{
	struct tdx_module_args a;
	uint64_t s;

	for (unsigned int level = 3; level >= 1; level--) {
		uint64_t base = gpa & ~((4 * KiB << (9 * level)) - 1);

		a = (struct tdx_module_args){
			.rcx = base | level, .rdx = td->tdr, .r8 = td_page_alloc()};
		s = td_call(TDH_MEM_SEPT_ADD, &a);
		/* Already there (a neighbour's table): the page stays the host's. */
		if (tdx_status_code(s) == TDX_EPT_ENTRY_STATE_INCORRECT)
			continue;
		if (s)
			return s;
	}
	return 0;
}

uint64_t td_page_add(struct test_td *td, uint64_t gpa, const void *data, bool measure)
{
	struct tdx_module_args a;
	uint64_t s;

	memcpy(hva(TD_SOURCE_PA), data, 4 * KiB);
	td->last_page = td_page_alloc();
	a = (struct tdx_module_args){
		.rcx = gpa, .rdx = td->tdr, .r8 = td->last_page, .r9 = TD_SOURCE_PA};
	s = td_call(TDH_MEM_PAGE_ADD, &a);
	if (s || !measure)
		return s;
	for (unsigned int i = 0; i < 16; i++) {
		a = (struct tdx_module_args){.rcx = gpa + 256 * i, .rdx = td->tdr};
		s = td_call(TDH_MR_EXTEND, &a);
		if (s)
			return s;
	}
	return 0;
}

uint64_t td_finalize(struct test_td *td)
{
	struct tdx_module_args a = {.rcx = td->tdr};

	return td_call(TDH_MR_FINALIZE, &a);
}

uint64_t td_build_basic(struct test_td *td)
{
	return td_build_runnable(td, TD_HKID);
}

uint64_t td_build_guest(struct test_td *td, const void *code, const void *data, uint64_t *data_hpa)
{
	struct td_params p;

	td_params_default(&p);
	return td_build_guest_with(td, &p, 1, code, data, data_hpa);
}

uint64_t td_build_guest_with(struct test_td *td, const struct td_params *p, unsigned int nr_vcpus,
			     const void *code, const void *data, uint64_t *data_hpa)
{
	uint64_t s;

	s = td_create(td, TD_HKID);
	if (!s)
		s = td_init(td, p);
	for (unsigned int i = 0; !s && i < nr_vcpus; i++)
		s = td_add_vcpu(td);
	if (!s)
		s = td_sept_map(td, TD_CODE_GPA); /* the data page shares its tables */
	if (!s && data) {
		s = td_page_add(td, TD_DATA_GPA, data, false);
		if (data_hpa)
			*data_hpa = td->last_page;
	}
	if (!s)
		s = td_page_add(td, TD_CODE_GPA, code, false);
	if (!s)
		s = td_finalize(td);
	/* As the VMM does: CPUIDs trap on hosts without faulting, rewritten where they run. */
	if (!s && cpuid_rewrite_code(td_window_va(td->window, TD_CODE_GPA, false), 4096) < 0)
		s = TDX_SW_ERROR;
	return s;
}

uint64_t td_build_runnable(struct test_td *td, uint16_t hkid)
{
	struct td_params p;
	uint64_t s;

	td_params_default(&p);
	s = td_create(td, hkid);
	if (!s)
		s = td_init(td, &p);
	if (!s)
		s = td_add_vcpu(td);
	if (!s)
		s = td_finalize(td);
	return s;
}
