// SPDX-License-Identifier: MIT
/*
 * Test harness for the software TDX module (see harness.h).
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "host/seamcall.h"

int failures;

const char *const path_name[NR_PATHS] = {"direct", "trap", "gate"};

/* ------------------------------------------------------------------------------------------
 * Call paths
 */

static void args_to_regs(uint64_t *gpr, const struct tdx_module_args *a)
{
	gpr[REG_RCX_] = a->rcx;
	gpr[REG_RDX_] = a->rdx;
	gpr[REG_R8_] = a->r8;
	gpr[REG_R9_] = a->r9;
	gpr[REG_R10_] = a->r10;
	gpr[REG_R11_] = a->r11;
	gpr[REG_R12_] = a->r12;
	gpr[REG_R13_] = a->r13;
	gpr[REG_R14_] = a->r14;
	gpr[REG_R15_] = a->r15;
	gpr[REG_RBX_] = a->rbx;
	gpr[REG_RDI_] = a->rdi;
	gpr[REG_RSI_] = a->rsi;
}

static void regs_to_args(struct tdx_module_args *a, const uint64_t *gpr)
{
	a->rcx = gpr[REG_RCX_];
	a->rdx = gpr[REG_RDX_];
	a->r8 = gpr[REG_R8_];
	a->r9 = gpr[REG_R9_];
	a->r10 = gpr[REG_R10_];
	a->r11 = gpr[REG_R11_];
	a->r12 = gpr[REG_R12_];
	a->r13 = gpr[REG_R13_];
	a->r14 = gpr[REG_R14_];
	a->r15 = gpr[REG_R15_];
	a->rbx = gpr[REG_RBX_];
	a->rdi = gpr[REG_RDI_];
	a->rsi = gpr[REG_RSI_];
}

/* The local adapter: what the platform does for a SEAMCALL, minus the trap. */
static uint64_t call_direct(uint64_t rax, struct tdx_module_args *a)
{
	struct cpu_regs ctx = {.rip = 0x1000, .rflags = 0x2 | X86_EFLAGS_ARITH};

	args_to_regs(ctx.gpr, a);
	ctx.gpr[REG_RAX_] = rax;
	tdx_seamcall_entry(&ctx, TDX_INSN_LEN);
	if (ctx.rip != 0x1000 + TDX_INSN_LEN || (ctx.rflags & X86_EFLAGS_ARITH)) {
		failures++;
		printf("FAIL: SEAMCALL did not complete with VMsucceed (rip 0x%llx rflags "
		       "0x%llx)\n",
		       (unsigned long long)ctx.rip, (unsigned long long)ctx.rflags);
	}
	regs_to_args(a, ctx.gpr);
	return ctx.gpr[REG_RAX_];
}

bool path_available(enum call_path p)
{
	if (p == PATH_GATE)
		return tdxsim_gate_ptr != NULL;
	return true;
}

struct call {
	enum call_path path;
	uint64_t rax;
	struct tdx_module_args *args;
	uint64_t status;
};

static long do_call(void *arg)
{
	struct call *c = arg;

	switch (c->path) {
	case PATH_DIRECT:
		c->status = call_direct(c->rax, c->args);
		break;
	case PATH_TRAP:
		c->status = __seamcall_insn(c->rax, c->args);
		break;
	case PATH_GATE:
		c->status = __seamcall_gate(c->rax, c->args);
		break;
	default:
		c->status = ~0ULL;
		break;
	}
	return 0;
}

/*
 * On the calling thread as the LP when it is idle (lp_run_as), which saves a thread hop a
 * call; TDH.VP.ENTER, which runs guest code, on the LP's own thread.
 */
uint64_t call_on(enum call_path path, unsigned int lp, uint64_t rax, struct tdx_module_args *args)
{
	struct call c = {.path = path, .rax = rax, .args = args};
	long ret = (rax & 0xFFFF) == TDH_VP_ENTER ? lp_run_on(lp, do_call, &c)
						  : lp_run_as(lp, do_call, &c);

	if (ret < 0)
		return ~0ULL;
	return c.status;
}

/* ------------------------------------------------------------------------------------------
 * Machine and layout
 */

void machine_2s(struct machine_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->name, sizeof(cfg->name), "module-2s");
	cfg->packages = 2;
	cfg->cores_per_package = 2;
	cfg->threads_per_core = 1;
	cfg->nr_ram = 3;
	cfg->ram[0] = (struct phys_range){0, 640 * KiB, 0};
	cfg->ram[1] = (struct phys_range){1 * MiB, 2 * GiB - 1 * MiB, 0};
	cfg->ram[2] = (struct phys_range){4 * GiB, 2 * GiB, 1};
	cfg->maxphyaddr = 46;
	cfg->keyid_bits = 6;
	cfg->mktme_keyids = 31;
	cfg->tdx_keyids = 32;
	cfg->seamrr_enabled = true;
	cfg->module_present = true;
	cfg->gate = true;
}

static long vmxon_fn(void *arg)
{
	(void)arg;
	return lp_vmxon();
}

int harness_boot(const struct machine_config *cfg)
{
	int r = platform_boot(cfg);

	if (r < 0) {
		printf("platform_boot: %d\n", r);
		return r;
	}
	for (unsigned int lp = 0; lp < platform_nr_lps(); lp++)
		lp_run_on(lp, vmxon_fn, NULL);
	return 0;
}

void harness_shutdown(void)
{
	tdx_module_unload();
	platform_shutdown();
}

void *hva(uint64_t pa)
{
	return phys_host_va(pa);
}

void layout_std(struct layout *L)
{
	const uint64_t R = 1 * GiB; /* TDMR0's reserved area holding every PAMT */

	memset(L, 0, sizeof(*L));
	L->n = 2;
	L->t[0] = (struct tdmr_info){
		.base = 0,
		.size = 2 * GiB,
		.pamt_4k_base = R,
		.pamt_4k_size = 8 * MiB,
		.pamt_2m_base = R + 8 * MiB,
		.pamt_2m_size = 16 * KiB,
		.pamt_1g_base = R + 8 * MiB + 16 * KiB,
		.pamt_1g_size = 4 * KiB,
	};
	L->t[0].reserved_areas[0].offset = 640 * KiB; /* the legacy hole: not RAM, not a CMR */
	L->t[0].reserved_areas[0].size = 384 * KiB;
	L->t[0].reserved_areas[1].offset = R;
	L->t[0].reserved_areas[1].size = 32 * MiB;
	L->t[1] = (struct tdmr_info){
		.base = 4 * GiB,
		.size = 2 * GiB,
		.pamt_4k_base = R + 16 * MiB,
		.pamt_4k_size = 8 * MiB,
		.pamt_2m_base = R + 24 * MiB,
		.pamt_2m_size = 16 * KiB,
		.pamt_1g_base = R + 24 * MiB + 16 * KiB,
		.pamt_1g_size = 4 * KiB,
	};
	for (unsigned int i = 0; i < 4; i++)
		L->array[i] = INFO_PA(i);
}

void layout_write(const struct layout *L)
{
	memcpy(hva(ARRAY_PA), L->array, sizeof(L->array));
	for (unsigned int i = 0; i < 4; i++)
		memcpy(hva(INFO_PA(i)), &L->t[i], sizeof(L->t[i]));
}

/* ------------------------------------------------------------------------------------------
 * Bring-up on the DIRECT path
 */

static int step(unsigned int lp, uint64_t leaf, struct tdx_module_args *a, uint64_t want,
		const char *what)
{
	uint64_t st = call_on(PATH_DIRECT, lp, leaf, a);

	if (st != want) {
		printf("bring-up: %s on LP %u: status 0x%016llx\n", what, lp,
		       (unsigned long long)st);
		return -1;
	}
	return 0;
}

void (*harness_host_cpuid)(uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

int bring_up(enum tdx_module_version version, enum stage stage, unsigned int lp_mask)
{
	struct tdx_module_params p = {.version = version, .host_cpuid = harness_host_cpuid};
	struct tdx_module_args a;
	struct layout L;

	if (!lp_mask)
		lp_mask = (1U << NR_LPS) - 1;
	if (tdx_module_load(&p) < 0) {
		printf("bring-up: tdx_module_load failed\n");
		return -1;
	}
	if (stage >= S_SYSINIT) {
		a = (struct tdx_module_args){0};
		if (step(0, TDH_SYS_INIT, &a, TDX_SUCCESS, "SYS.INIT"))
			return -1;
	}
	if (stage >= S_LPINIT) {
		for (unsigned int lp = 0; lp < NR_LPS; lp++) {
			a = (struct tdx_module_args){0};
			if ((lp_mask & (1U << lp)) && step(lp, TDH_SYS_LP_INIT, &a, 0, "LP.INIT"))
				return -1;
		}
	}
	if (stage >= S_CONFIG) {
		unsigned int lp = (unsigned int)__builtin_ctz(lp_mask);

		layout_std(&L);
		layout_write(&L);
		a = (struct tdx_module_args){.rcx = ARRAY_PA, .rdx = L.n, .r8 = GLOBAL_HKID};
		if (step(lp, TDH_SYS_CONFIG, &a, TDX_SUCCESS, "SYS.CONFIG"))
			return -1;
	}
	/* Package p's LPs are 2p and 2p + 1; use an initialised one. */
	for (unsigned int pkg = 0; pkg < 2 && stage >= S_KEY0 + pkg; pkg++) {
		unsigned int lp = (lp_mask & (1U << (2 * pkg))) ? 2 * pkg : 2 * pkg + 1;

		a = (struct tdx_module_args){0};
		if (step(lp, TDH_SYS_KEY_CONFIG, &a, TDX_SUCCESS, "KEY.CONFIG"))
			return -1;
	}
	if (stage >= S_TDMR) {
		layout_std(&L);
		for (unsigned int i = 0; i < L.n; i++) {
			for (;;) {
				a = (struct tdx_module_args){.rcx = L.t[i].base};
				uint64_t st = call_on(PATH_DIRECT, 0, TDH_SYS_TDMR_INIT, &a);

				if (st == TDX_TDMR_ALREADY_INITIALIZED)
					break;
				if (st) {
					printf("bring-up: TDMR.INIT 0x%016llx\n",
					       (unsigned long long)st);
					return -1;
				}
			}
		}
	}
	if (stage >= S_SHUTDOWN) {
		a = (struct tdx_module_args){0};
		if (step(0, TDH_SYS_SHUTDOWN, &a, TDX_SUCCESS, "SYS.SHUTDOWN"))
			return -1;
	}
	return 0;
}
