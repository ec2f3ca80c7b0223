// SPDX-License-Identifier: MIT
/*
 * The TD's CPU as CPUID shows it: what a TD on a TDX module 1.5 platform sees [TDX ABI
 * spec, CPUID virtualization; M cpuid_configurations.c (lookup and configurable tables),
 * tdh_sys_init.c check_cpuid_configurations, tdh_mng_init.c read_and_set_cpuid_configurations,
 * td_cpuid.c]. docs/TD-CPU.md lists every row with its source.
 *
 * The platform is an Intel Xeon that TDX runs on, whatever the host is: td_cpuid_rows[] is
 * the one table. Each row is a leaf/sub-leaf the module knows; a leaf it does not know, and
 * a row marked `ve`, is a #VE (the guest kernel emulates it or asks the VMM). For the others
 * every bit is in one class:
 *   fixed1        always 1;
 *   zero          fixed 0, or dynamic (computed at the CPUID, e.g. the APIC ID, OSXSAVE);
 *   configurable  the CPUID_CONFIG leaves of TD_PARAMS: config_direct bits are the host's
 *                 value, allow_direct bits are the native value AND the host's;
 *   native        the platform CPU's value: the model's (`model`), except for the bits in
 *                 `host` — features guest code executes itself on the host CPU (the native
 *                 backend runs it there) — which are the model's AND the host's, so that a
 *                 TD is never told of an instruction the host cannot execute (AVX-512 on a
 *                 host without it, for instance).
 * Where the module verifies at TDH.SYS.INIT that the CPU has a bit (its verify masks), the
 * model has it (e.g. x2APIC, invariant TSC), so a TD sees it on any host.
 *
 * The module reads the host through tdxm.host_cpuid (tdx_module_params.host_cpuid: tests
 * inject Intel's and AMD's answers), once at load (tdxm.cpuid_native) and for leaf 0xD's
 * sizes; nothing here depends on which vendor answered except the `host` bits.
 */
#include <string.h>

#include "td.h"

#define NA  CPUID_SUBLEAF_NA
#define ALL 0xFFFFFFFFU

/* The default platform CPU: Sapphire Rapids (family 6, model 0x8F, stepping 8). */
#define TD_CPU_FMS_DEFAULT 0x000806F8U

/* The #VE-reduction columns of a row (LATEST module only). */
#define RV_CLEAR(a, b, c, d)	   .rclear = {a, b, c, d}
#define RV_VALUE(ctls, a, b, c, d) .rctls = (ctls), .rvalue = {a, b, c, d}

/* clang-format off */
/* Rows without #VE reduction leave its columns out (zero). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
const struct td_cpuid_row td_cpuid_rows[] = {
	/* leaf, sub,  ve, cfg,  fixed1 {EAX,EBX,ECX,EDX}, zero (fixed0|dynamic), model, host */
	{0x0, NA, false, -1, {0x23, 0x756e6547, 0x6c65746e, 0x49656e69}, {ALL, ALL, ALL, ALL}, {0}, {0},
	 "max basic leaf 0x23, GenuineIntel"},
	{0x1, NA, false, 0, {0, 0, 0x80000000, 0x200}, {0xf000c000, 0xff0000ff, 0x08010060, 0x40120400},
	 {0, 0x00000800, 0x7ffefbff, 0xbfebfbff}, {0, 0, 0x76da3203, 0x07888111},
	 "FMS, features; APIC ID = vCPU index, OSXSAVE = CR4, hypervisor bit 1",
	 RV_CLEAR(0, 0, 0x01040080, 0x00405080) /* EST, DCA, TSC deadline; MCE, MTRR, MCA, ACPI */},
	{0x2, NA, true, -1, {0}, {0}, {0}, {0}, "cache/TLB descriptors: #VE",
	 RV_VALUE(TD_CTLS_VIRT_CPUID2 | TD_CTLS_REDUCE_VE, 0x00FEFF01, 0, 0, 0)},
	{0x3, NA, false, -1, {0}, {ALL, ALL, ALL, ALL}, {0}, {0}, "zero"},
	{0x4, 0, false, 1, {0}, {0x3c00, 0, 0, 0x4}, {0, 0x3f, 0, 0}, {0}, "cache 0 (configured)"},
	{0x4, 1, false, 2, {0}, {0x3c00, 0, 0, 0x4}, {0, 0x3f, 0, 0}, {0}, "cache 1 (configured)"},
	{0x4, 2, false, 3, {0}, {0x3c00, 0, 0, 0x4}, {0, 0x3f, 0, 0}, {0}, "cache 2 (configured)"},
	{0x4, 3, false, 4, {0}, {0x3c00, 0, 0, 0xfffffff8}, {0, 0x3f, 0, 0}, {0}, "cache 3 (configured)"},
	{0x4, 4, false, -1, {0}, {ALL, ALL, ALL, ALL}, {0}, {0}, "no cache 4"},
	{0x5, NA, false, -1, {0}, {0xffff0000, 0xffff0000, 0xfffffffc, 0}, {0x40, 0x40, 0x3, 0x00002020}, {0},
	 "MONITOR/MWAIT; zero unless CPUID(1).ECX.MONITOR"},
	{0x6, NA, true, -1, {0}, {0}, {0}, {0}, "power management: #VE",
	 RV_VALUE(TD_CTLS_REDUCE_VE, 0x4, 0, 0, 0) /* ARAT only */},
	{0x7, 0, false, 5, {0}, {0, 0x00404006, 0x643e8010, 0x002298c3},
	 {2, 0xf3bfbfff, 0xfb417ffe, 0xffdd4430}, {0, 0xf1af0f39, 0x3a405f62, 0x03c14110},
	 "extended features; XFAM masks, OSPKE = CR4, PKS = ATTRIBUTES.PKS, KL 0",
	 RV_CLEAR(0, 0x9000, 0x2000, 0x40040000) /* RDT-M, RDT-A; TME; PCONFIG, CORE_CAPS */},
	{0x7, 1, false, 6, {0}, {0xffffe2cf, ALL, ALL, ALL}, {0x1c30, 0, 0, 0}, {0x1c30, 0, 0, 0},
	 "extended features 1; XFAM masks"},
	{0x7, 2, false, 10, {0}, {ALL, ALL, ALL, 0xffffffc0}, {0, 0, 0, 0x17}, {0}, "speculation controls"},
	{0x8, NA, false, -1, {0}, {ALL, ALL, ALL, ALL}, {0}, {0}, "zero"},
	{0x9, NA, true, -1, {0}, {0}, {0}, {0}, "DCA: #VE", RV_VALUE(TD_CTLS_REDUCE_VE, 0, 0, 0, 0)},
	{0xa, NA, false, 7, {0}, {0, 0, 0, 0xffff6000}, {ALL, ALL, ALL, ALL}, {ALL, ALL, ALL, ALL},
	 "PMU; zero unless ATTRIBUTES.PERFMON"},
	{0xc, NA, true, -1, {0}, {0}, {0}, {0}, "reserved: #VE", RV_VALUE(TD_CTLS_REDUCE_VE, 0, 0, 0, 0)},
	{0xd, 0, false, -1, {0}, {0xfff9fd18, ALL, 0, ALL}, {ALL, 0, ALL, 0}, {ALL, 0, ALL, 0},
	 "XSAVE user components by XFAM; EBX, ECX sizes for XFAM"},
	{0xd, 1, false, -1, {0}, {0xffffffe0, ALL, 0xffff26ff, ALL}, {ALL, 0, ALL, 0}, {ALL, 0, ALL, 0},
	 "XSAVE features, supervisor components by XFAM; EBX size for XFAM"},
#define XSAVE_COMPONENT(n) {0xd, n, false, -1, {0}, {0, 0, 0, ALL}, {ALL, ALL, ALL, 0}, {ALL, ALL, ALL, 0}, \
	 "XSAVE component " #n ": zero unless XFAM[" #n "]"}
	XSAVE_COMPONENT(2), XSAVE_COMPONENT(3), XSAVE_COMPONENT(4), XSAVE_COMPONENT(5),
	XSAVE_COMPONENT(6), XSAVE_COMPONENT(7), XSAVE_COMPONENT(8), XSAVE_COMPONENT(9),
	XSAVE_COMPONENT(10), XSAVE_COMPONENT(11), XSAVE_COMPONENT(12), XSAVE_COMPONENT(13),
	XSAVE_COMPONENT(14), XSAVE_COMPONENT(15), XSAVE_COMPONENT(16), XSAVE_COMPONENT(17),
	XSAVE_COMPONENT(18),
#undef XSAVE_COMPONENT
	{0xe, NA, false, -1, {0}, {ALL, ALL, ALL, ALL}, {0}, {0}, "zero"},
	{0x11, NA, false, -1, {0}, {ALL, ALL, ALL, ALL}, {0}, {0}, "zero"},
	{0x12, NA, false, -1, {0}, {ALL, ALL, ALL, ALL}, {0}, {0}, "SGX: zero"},
	{0x13, NA, false, -1, {0}, {ALL, ALL, ALL, ALL}, {0}, {0}, "zero"},
	{0x14, 0, false, -1, {0}, {0, 0xfffffe00, 0x7ffffff0, ALL}, {ALL, ALL, ALL, 0}, {ALL, ALL, ALL, 0},
	 "PT; zero unless XFAM[8]"},
	{0x14, 1, false, -1, {0}, {0xfff8, ALL, ALL, ALL}, {ALL, ALL, 0, 0}, {ALL, ALL, 0, 0},
	 "PT; zero unless XFAM[8]"},
	{0x15, NA, false, -1, {1, 0, 25000000, 0}, {0xfffffffe, ALL, 0xfe8287bf, ALL}, {0}, {0},
	 "TSC/crystal: 1, TSC_FREQUENCY, 25 MHz"},
	{0x19, NA, false, -1, {0}, {ALL, ALL, ALL, ALL}, {0}, {0}, "Key Locker: zero"},
	{0x1c, NA, false, 8, {0}, {0}, {ALL, ALL, ALL, ALL}, {ALL, ALL, ALL, ALL},
	 "arch LBR; zero unless XFAM[15]"},
	{0x1d, 0, false, -1, {0}, {0}, {ALL, ALL, ALL, ALL}, {ALL, ALL, ALL, ALL}, "AMX; zero unless XFAM[18:17]"},
	{0x1d, 1, false, -1, {0}, {0}, {ALL, ALL, ALL, ALL}, {ALL, ALL, ALL, ALL}, "AMX; zero unless XFAM[18:17]"},
	{0x1e, NA, false, -1, {0}, {0}, {ALL, ALL, ALL, ALL}, {ALL, ALL, ALL, ALL}, "TMUL (AMX)"},
	{0x1f, 0, true, -1, {0}, {0}, {0}, {0}, "topology: #VE"},
	{0x1f, 1, true, -1, {0}, {0}, {0}, {0}, "topology: #VE"},
	{0x1f, 2, true, -1, {0}, {0}, {0}, {0}, "topology: #VE"},
	{0x1f, 3, true, -1, {0}, {0}, {0}, {0}, "topology: #VE"},
	{0x1f, 4, true, -1, {0}, {0}, {0}, {0}, "topology: #VE"},
	{0x1f, 5, true, -1, {0}, {0}, {0}, {0}, "topology: #VE"},
	{0x20, NA, false, -1, {0}, {ALL, ALL, ALL, ALL}, {0}, {0}, "zero"},
	{0x21, 0, false, -1, {0, 0x65746e49, 0x20202020, 0x5844546c}, {ALL, ALL, ALL, ALL}, {0}, {0},
	 "\"IntelTDX    \""},
	{0x22, NA, false, -1, {0}, {ALL, ALL, ALL, ALL}, {0}, {0}, "zero"},
	{0x23, 0, false, 11, {0}, {0xfffffff0, 0, ALL, ALL}, {ALL, ALL, 0, 0}, {ALL, ALL, 0, 0},
	 "perfmon extensions"},
	{0x23, 1, false, -1, {0}, {0, 0, ALL, ALL}, {ALL, ALL, 0, 0}, {ALL, ALL, 0, 0}, "perfmon extensions"},
	{0x23, 2, false, -1, {0}, {ALL, ALL, ALL, ALL}, {0}, {0}, "zero"},
	{0x23, 3, false, -1, {0}, {0, ALL, ALL, ALL}, {ALL, 0, 0, 0}, {ALL, 0, 0, 0}, "perfmon extensions"},
	{0x80000000, NA, false, -1, {0x80000008, 0, 0, 0}, {0x7ffffff7, ALL, ALL, ALL}, {0}, {0},
	 "max extended leaf 0x80000008"},
	{0x80000001, NA, false, -1, {0}, {ALL, ALL, 0xfffffede, 0xd3efffff},
	 {0, 0, 0x121, 0x2c100000}, {0, 0, 0x121, 0x08000000},
	 "LAHF, LZCNT, PREFETCHW, NX, 1G, RDTSCP, LM; SYSCALL = 64-bit mode"},
	{0x80000006, NA, true, -1, {0}, {0}, {0}, {0}, "L2 cache: #VE"},
	{0x80000007, NA, false, -1, {0}, {ALL, ALL, ALL, 0xfffffeff}, {0, 0, 0, 0x100}, {0},
	 "invariant TSC"},
	{0x80000008, NA, false, 9, {0}, {0xffff0000, 0xfffffdff, ALL, ALL}, {0x34, 0x200, 0, 0}, {0},
	 "PA 52 bits, LA 48/57 by LA57, WBNOINVD (configured)"},
};
#pragma GCC diagnostic pop
/* clang-format on */
const unsigned int td_cpuid_nr_rows = sizeof(td_cpuid_rows) / sizeof(td_cpuid_rows[0]);

#define CR4_OSXSAVE (1ULL << 18)
#define CR4_PKE	    (1ULL << 22)

/* Features whose CPUID bits the module clears when XFAM lacks a component [M xfam_mask_*]. */
struct xfam_mask {
	uint32_t leaf, sub;
	uint8_t xfam_bit;
	uint32_t mask[4];
};
static const struct xfam_mask xfam_masks[] = {
	{0x1, NA, 2, {0, 0, 0x30001000, 0}},
	{0x7, 0, 2, {0, 0x20, 0x600, 0}},
	{0x7, 0, 5, {0, 0xdc230000, 0x5842, 0x80010c}},
	{0x7, 0, 6, {0, 0xdc230000, 0x5842, 0x80010c}},
	{0x7, 0, 7, {0, 0xdc230000, 0x5842, 0x80010c}},
	{0x7, 0, 8, {0, 0x2000000, 0, 0}},
	{0x7, 0, 9, {0, 0, 0x8, 0}},
	{0x7, 0, 11, {0, 0, 0x80, 0x100000}},
	{0x7, 0, 12, {0, 0, 0x80, 0x100000}},
	{0x7, 0, 14, {0, 0, 0, 0x20}},
	{0x7, 0, 15, {0, 0, 0, 0x80000}},
	{0x7, 0, 17, {0, 0, 0, 0x3400000}},
	{0x7, 0, 18, {0, 0, 0, 0x3400000}},
	{0x7, 1, 5, {0x30, 0, 0, 0}},
	{0x7, 1, 6, {0x30, 0, 0, 0}},
	{0x7, 1, 7, {0x30, 0, 0, 0}},
	{0xd, 0, 2, {0x4, 0, 0, 0}},
	{0xd, 0, 5, {0xe0, 0, 0, 0}},
	{0xd, 0, 6, {0xe0, 0, 0, 0}},
	{0xd, 0, 7, {0xe0, 0, 0, 0}},
	{0xd, 0, 9, {0x200, 0, 0, 0}},
	{0xd, 0, 17, {0x60000, 0, 0, 0}},
	{0xd, 0, 18, {0x60000, 0, 0, 0}},
	{0xd, 1, 8, {0, 0, 0x100, 0}},
	{0xd, 1, 11, {0, 0, 0x1800, 0}},
	{0xd, 1, 12, {0, 0, 0x1800, 0}},
	{0xd, 1, 14, {0, 0, 0x4000, 0}},
	{0xd, 1, 15, {0, 0, 0x8000, 0}},
};

/* Bits the host may configure: config_direct and allow_direct [M cpuid_configurable]. */
/* clang-format off */
static const uint32_t config_direct[NUM_CPUID_CONFIG][4] = {
	{ 0x0fff3fff, 0x00ff0000, 0, 0 },
	{ 0xffffc3ff, 0xfffff000, 0xffffffff, 0xfffffffb },
	{ 0xffffc3ff, 0xfffff000, 0xffffffff, 0xfffffffb },
	{ 0xffffc3ff, 0xfffff000, 0xffffffff, 0xfffffffb },
	{ 0xffffc3ff, 0xfffff000, 0xffffffff, 0x00000007 },
};

static const uint32_t allow_direct[NUM_CPUID_CONFIG][4] = {
	[0] = { 0, 0, 0x31044d88, 0xb8440000 },
	[5] = { 0, 0xdc2b9b18, 0x02417f65, 0x0005411c },
	[6] = { 0x00001d30, 0, 0, 0 },
	[8] = { 0x000000ff, 0, 0, 0 },
	[9] = { 0, 0x00000200, 0, 0 },
	[10] = { 0, 0, 0, 0x00000028 },
	[11] = { 0x0000000f, 0, 0, 0 },
};
/* clang-format on */

void td_cpuid_config_masks(unsigned int i, uint32_t direct[4], uint32_t allowed[4])
{
	for (int r = 0; r < 4; r++) {
		direct[r] = i < NUM_CPUID_CONFIG ? config_direct[i][r] : 0;
		allowed[r] = i < NUM_CPUID_CONFIG ? allow_direct[i][r] : 0;
	}
}

const struct td_cpuid_row *td_cpuid_row(uint32_t leaf, uint32_t sub)
{
	for (unsigned int i = 0; i < td_cpuid_nr_rows; i++) {
		const struct td_cpuid_row *r = &td_cpuid_rows[i];

		if (r->leaf == leaf && (r->sub == NA || r->sub == sub))
			return r;
	}
	return NULL;
}

static const struct td_cpuid_row *config_row(unsigned int i)
{
	for (unsigned int k = 0; k < td_cpuid_nr_rows; k++)
		if (td_cpuid_rows[k].config == (int)i)
			return &td_cpuid_rows[k];
	return NULL;
}

/* The loader's choice, else the machine's `cpu_fms`, else Sapphire Rapids. */
uint32_t td_cpu_fms(void)
{
	const struct machine_config *cfg = platform_config();

	if (tdxm.params.cpu_fms)
		return tdxm.params.cpu_fms;
	return cfg && cfg->cpu_fms ? cfg->cpu_fms : TD_CPU_FMS_DEFAULT;
}

void module_host_cpuid(uint32_t leaf, uint32_t sub, uint32_t out[4])
{
	if (tdxm.params.host_cpuid)
		tdxm.params.host_cpuid(leaf, sub, out);
	else
		host_cpuid(leaf, sub, out);
}

/*
 * The platform CPU's value of a row: the model, with the host-executed bits the host's too.
 * A leaf past the host's maximum of its range reads as 0, as the module does for the CPU
 * [M check_cpuid_configurations] (an Intel CPU would answer with its last basic leaf).
 */
static void row_native(const struct td_cpuid_row *r, uint32_t max_basic, uint32_t max_ext,
		       uint32_t out[4])
{
	uint32_t h[4] = {0};

	if (r->leaf < 0x80000000 ? r->leaf <= max_basic : r->leaf <= max_ext)
		module_host_cpuid(r->leaf, r->sub == NA ? 0 : r->sub, h);
	for (int k = 0; k < 4; k++)
		out[k] = (r->model[k] & ~r->host[k]) | (r->model[k] & r->host[k] & h[k]);
	if (r->leaf == 1)
		out[0] = td_cpu_fms();
}

/* At load: the platform CPU's values of every row [M check_cpuid_configurations]. */
void td_cpuid_sample(void)
{
	uint32_t b[4], e[4];

	_Static_assert(sizeof(td_cpuid_rows) / sizeof(td_cpuid_rows[0]) <= TD_CPUID_MAX_ROWS,
		       "tdxm.cpuid_native holds every row");
	module_host_cpuid(0, 0, b);
	module_host_cpuid(0x80000000, 0, e);
	for (unsigned int i = 0; i < td_cpuid_nr_rows; i++)
		row_native(&td_cpuid_rows[i], b[0], e[0], tdxm.cpuid_native[i]);
	for (unsigned int i = 0; i < NUM_CPUID_CONFIG; i++) {
		const struct td_cpuid_row *r = config_row(i);

		if (r)
			memcpy(tdxm.native_cpuid[i], tdxm.cpuid_native[r - td_cpuid_rows], 16);
	}
}

static const uint32_t *row_native_values(const struct td_cpuid_row *r)
{
	return tdxm.cpuid_native[r - td_cpuid_rows];
}

/*
 * TDH.MNG.INIT: check TD_PARAMS.CPUID_CONFIG and keep it [M read_and_set_cpuid_configurations].
 * Only configurable bits may be set (OPERAND_INVALID | CPUID_CONFIG, *ext = leaf | sub << 32);
 * leaf 1 EAX is 0 (the platform's F/M/S) or the platform's F/M/S for a non-migratable TD;
 * HLE and RTM must agree.
 */
uint64_t td_cpuid_config(struct tdcs *tdcs, const struct td_params *p, uint64_t *ext)
{
	for (unsigned int i = 0; i < TD_PARAMS_MAX_CPUID_VALUES; i++) {
		const struct tdx_cpuid_value *v = &p->cpuid_values[i];
		uint32_t in[4] = {v->eax, v->ebx, v->ecx, v->edx};
		uint64_t leaf = md_cpuid_config_leaf(i);

		if (i >= NUM_CPUID_CONFIG) {
			if (in[0] | in[1] | in[2] | in[3]) {
				*ext = 0;
				return TDX_OPERAND_INVALID + TDX_OPERAND_ID_CPUID_CONFIG;
			}
			continue;
		}
		for (int r = 0; r < 4; r++) {
			if (in[r] & ~(config_direct[i][r] | allow_direct[i][r])) {
				*ext = leaf;
				return TDX_OPERAND_INVALID + TDX_OPERAND_ID_CPUID_CONFIG;
			}
		}
		if ((uint32_t)leaf == 1 && in[0] && in[0] != td_cpu_fms()) {
			*ext = leaf;
			return TDX_OPERAND_INVALID + TDX_OPERAND_ID_CPUID_CONFIG;
		}
		if ((uint32_t)leaf == 7 && (uint32_t)(leaf >> 32) == 0 &&
		    !!(in[1] & (1U << 4)) != !!(in[1] & (1U << 11))) {
			*ext = 0;
			return TDX_OPERAND_INVALID + TDX_OPERAND_ID_CPUID_CONFIG;
		}
		tdcs->cpuid[i].leaf = (uint32_t)leaf;
		tdcs->cpuid[i].subleaf = (uint32_t)(leaf >> 32);
		memcpy(tdcs->cpuid[i].val, in, sizeof(in));
	}
	tdcs->num_cpuid = NUM_CPUID_CONFIG;
	return TDX_SUCCESS;
}

/* Leaf 0xD sub-leaf c (2..18) as sampled at load: the host's component size and offset. */
static const uint32_t *xsave_component(unsigned int c)
{
	return row_native_values(td_cpuid_row(0xd, c));
}

/* XSAVE area sizes for the components in `xfam` [SDM 13.4, 13.4.3]. */
static uint32_t xsave_size(uint64_t xfam, bool compacted)
{
	uint32_t size = 576;

	for (unsigned int c = 2; c < 19; c++) {
		const uint32_t *r = xsave_component(c);

		if (!(xfam & (1ULL << c)))
			continue;
		if (compacted) {
			if (r[2] & 2)
				size = (size + 63) & ~63U;
			size += r[0];
		} else if (!(r[2] & 1) && r[0] + r[1] > size) {
			size = r[0] + r[1];
		}
	}
	return size;
}

#define XFAM_USER_MASK 0x602FFULL /* x87 .. PKRU, AMX: XCR0 bits */

/* The TD's value of a non-#VE row, without the per-vCPU dynamic bits. */
static void td_cpuid_static(const struct tdcs *tdcs, const struct td_cpuid_row *r, uint32_t sub,
			    uint32_t out[4])
{
	const uint32_t *n = row_native_values(r);
	uint64_t xfam = tdcs->xfam;

	for (int k = 0; k < 4; k++)
		out[k] = (n[k] & ~r->zero[k]) | r->fixed1[k];
	if (r->config >= 0) {
		const uint32_t *in = tdcs->cpuid[r->config].val;

		for (int k = 0; k < 4; k++) {
			out[k] = (out[k] & ~config_direct[r->config][k]) |
				 (in[k] & config_direct[r->config][k]);
			out[k] &= in[k] | ~allow_direct[r->config][k];
		}
	}
	for (unsigned int i = 0; i < sizeof(xfam_masks) / sizeof(xfam_masks[0]); i++) {
		const struct xfam_mask *m = &xfam_masks[i];

		if (m->leaf == r->leaf && (m->sub == NA || m->sub == sub) &&
		    !(xfam & (1ULL << m->xfam_bit)))
			for (int k = 0; k < 4; k++)
				out[k] &= ~m->mask[k];
	}
	switch (r->leaf) {
	case 0x1:
		if (!out[0])
			out[0] = td_cpu_fms();
		break;
	case 0x5: { /* MONITOR/MWAIT only if CPUID(1).ECX.MONITOR */
		uint32_t l1[4];

		td_cpuid_static(tdcs, td_cpuid_row(1, 0), 0, l1);
		if (!(l1[2] & (1U << 3)))
			memset(out, 0, 16);
		break;
	}
	case 0x7:
		if (sub == 0) {
			out[2] &= ~(1U << 31 | 1U << 23);
			if (tdcs->attributes & TDX_TD_ATTR_PKS)
				out[2] |= 1U << 31;
		}
		break;
	case 0xa:
		if (!(tdcs->attributes & TDX_TD_ATTR_PERFMON))
			memset(out, 0, 16);
		break;
	case 0xd:
		if (sub == 0) {
			out[1] = out[2] = xsave_size(xfam & XFAM_USER_MASK, false);
		} else if (sub == 1) {
			uint64_t xfd = 0;

			for (unsigned int i = 2; i < 19; i++)
				if (xsave_component(i)[2] & 4)
					xfd |= 1ULL << i;
			if (!(xfd & xfam))
				out[0] &= ~(1U << 4);
			out[1] = xsave_size(xfam, true);
		} else if (!(xfam & (1ULL << sub))) {
			memset(out, 0, 16);
		}
		break;
	case 0x14:
		if (!(xfam & (1ULL << 8)))
			memset(out, 0, 16);
		break;
	case 0x15:
		out[1] = (uint32_t)tdcs->tsc_frequency;
		break;
	case 0x1c:
		if (!(xfam & (1ULL << 15)))
			memset(out, 0, 16);
		break;
	case 0x1d:
		if ((xfam & (3ULL << 17)) != (3ULL << 17))
			memset(out, 0, 16);
		break;
	case 0x80000008: {
		uint32_t l7[4];

		td_cpuid_static(tdcs, td_cpuid_row(7, 0), 0, l7);
		out[0] = (out[0] & ~0xff00U) | ((l7[2] & (1U << 16)) ? 57U << 8 : 48U << 8);
		break;
	}
	}
}

/* CPUID leaf numbers past the top of their range read as the last basic leaf [M td_cpuid.c]. */
static uint32_t td_cpuid_leaf(uint32_t leaf)
{
	if (leaf >= 0x40000000 && leaf <= 0x4FFFFFFF)
		return leaf;
	if (leaf > 0x80000008 || (leaf > 0x23 && leaf < 0x80000000))
		return 0x23;
	return leaf;
}

bool td_cpuid_td_value(const struct tdcs *tdcs, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
	const struct td_cpuid_row *r;

	leaf = td_cpuid_leaf(leaf);
	r = td_cpuid_row(leaf, sub);
	if (!r || r->ve)
		return false;
	td_cpuid_static(tdcs, r, sub, out);
	return true;
}

/* TD_CTLS as far as #VE reduction goes: only a module with it (LATEST) lets the guest set
 * its bits; REDUCE_VE includes VIRT_CPUID2 [L arch/x86/coco/tdx/tdx.c]. */
uint64_t td_ctls_reduced(const struct tdcs *tdcs)
{
	uint64_t c = tdcs->td_ctls;

	if (tdxm.params.version == TDX_MODULE_1_5_01)
		return 0;
	if (c & TD_CTLS_REDUCE_VE)
		c |= TD_CTLS_VIRT_CPUID2;
	return c & (TD_CTLS_VIRT_CPUID2 | TD_CTLS_REDUCE_VE);
}

bool td_cpuid_value(const struct tdvps *vp, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
	const struct td_cpuid_row *r;
	uint64_t ctls;

	leaf = td_cpuid_leaf(leaf);
	r = td_cpuid_row(leaf, sub);
	if (!r)
		return false;
	ctls = td_ctls_reduced(vp_tdcs((struct tdvps *)vp));
	if (r->ve) {
		if (!(ctls & r->rctls))
			return false;
		memcpy(out, r->rvalue, sizeof(r->rvalue));
		return true;
	}
	td_cpuid_static(vp_tdcs((struct tdvps *)vp), r, sub, out);
	if (ctls & TD_CTLS_REDUCE_VE)
		for (unsigned int i = 0; i < 4; i++)
			out[i] &= ~r->rclear[i];
	switch (leaf) {
	case 0x1:
		out[1] = (out[1] & 0x00ffffffU) | vp->vcpu_index << 24;
		out[2] &= ~(1U << 27);
		if (vp->cpu.cr4 & CR4_OSXSAVE)
			out[2] |= 1U << 27;
		break;
	case 0x7:
		if (sub == 0) {
			out[2] &= ~(1U << 4);
			if (vp->cpu.cr4 & CR4_PKE)
				out[2] |= 1U << 4;
			/* TSX in the TD and IA32_TSX_CTRL.TSX_CPUID_CLEAR: HLE, RTM read 0 */
			if ((out[1] & (1U << 4)) && (td_msr_native_value(vp, 0x122) & 2))
				out[1] &= ~(1U << 4 | 1U << 11);
		}
		break;
	case 0x80000001:
		out[3] |= 1U << 11; /* SYSCALL: a TD in tdxsim always runs in 64-bit mode */
		break;
	}
	return true;
}

/* EXIT_REASON_CPUID */
void vmexit_cpuid(struct cpu_regs *ctx, struct tdvps *vp, const struct vm_exit *exit)
{
	uint32_t leaf = (uint32_t)ctx->gpr[REG_RAX_], sub = (uint32_t)ctx->gpr[REG_RCX_];
	uint32_t out[4];

	/* Guest code is the TD's kernel: the supervisor setting applies [ABI §2]. */
	if (!td_cpuid_value(vp, leaf, sub, out) || (vp->cpuidve & TDG_CPUIDVE_SUPERVISOR)) {
		td_inject_ve(ctx, vp, EXIT_REASON_CPUID, 0, 0, 0, exit->insn_len, 0);
		return;
	}
	ctx->gpr[REG_RAX_] = out[0];
	ctx->gpr[REG_RBX_] = out[1];
	ctx->gpr[REG_RCX_] = out[2];
	ctx->gpr[REG_RDX_] = out[3];
	ctx->rip += exit->insn_len;
}
