// SPDX-License-Identifier: MIT
/*
 * CPUID in a TD [M cpuid_configurations.c, td_cpuid.c; facts §5]: the module answers the
 * leaves it virtualises from the TD's configuration (TD_PARAMS.CPUID_CONFIG at
 * TDH.MNG.INIT) and the CPU; the hypervisor range, leaves it does not virtualise, and every
 * leaf once the guest asked for it with TDG.VP.CPUIDVE.SET become a #VE, which the guest
 * kernel answers itself or with a TDVMCALL to the VMM.
 */
#include <string.h>

#include "td.h"

uint64_t td_cpuid_config(struct tdcs *tdcs, const struct td_params *p, uint64_t *ext)
{
	for (unsigned int i = 0; i < TD_PARAMS_MAX_CPUID_VALUES; i++) {
		const struct tdx_cpuid_value *v = &p->cpuid_values[i];
		uint32_t in[4] = {v->eax, v->ebx, v->ecx, v->edx}, allowed[4];
		uint64_t leaf = md_cpuid_config_leaf(i);

		if (i >= NUM_CPUID_CONFIG) {
			if (in[0] | in[1] | in[2] | in[3]) {
				*ext = 0;
				return TDX_OPERAND_INVALID + TDX_OPERAND_ID_CPUID_CONFIG;
			}
			continue;
		}
		/* Only bits the module lets the host configure [facts §8 CPUID_CONFIG_VALUES]. */
		md_cpuid_config_values(i, true, allowed);
		for (int r = 0; r < 4; r++) {
			if (in[r] & ~allowed[r]) {
				*ext = leaf;
				return TDX_OPERAND_INVALID + TDX_OPERAND_ID_CPUID_CONFIG;
			}
		}
		tdcs->cpuid[i].leaf = (uint32_t)leaf;
		tdcs->cpuid[i].subleaf = (uint32_t)(leaf >> 32);
		for (int r = 0; r < 4; r++)
			tdcs->cpuid[i].val[r] =
				(tdxm.native_cpuid[i][r] & ~allowed[r]) | (in[r] & allowed[r]);
	}
	tdcs->num_cpuid = NUM_CPUID_CONFIG;
	return TDX_SUCCESS;
}

/* Leaves answered without a #VE from the CPU's values [M cpuid_lookup; documented here]. */
static bool cpuid_native_leaf(uint32_t leaf)
{
	static const uint32_t native[] = {0x0,	0x4,  0x6,  0x7,  0xb,	0xd,
					  0x14, 0x19, 0x1d, 0x1e, 0x1f, 0x24};

	if (leaf >= 0x80000000 && leaf <= 0x80000008)
		return true;
	for (unsigned int i = 0; i < sizeof(native) / sizeof(native[0]); i++)
		if (native[i] == leaf)
			return true;
	return false;
}

static bool cpuid_lookup(const struct tdcs *tdcs, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
	/* "IntelTDX    " in EBX, EDX, ECX of leaf 0x21.0 [facts §5; L tdx_early_init]. */
	if (leaf == 0x21) {
		memset(out, 0, 16);
		if (sub == 0) {
			memcpy(&out[1], "Inte", 4);
			memcpy(&out[3], "lTDX", 4);
			memcpy(&out[2], "    ", 4);
		}
		return true;
	}
	for (unsigned int i = 0; i < tdcs->num_cpuid; i++) {
		const struct td_cpuid *c = &tdcs->cpuid[i];

		if (c->leaf == leaf && (c->subleaf == CPUID_SUBLEAF_NA || c->subleaf == sub)) {
			memcpy(out, c->val, 16);
			return true;
		}
	}
	if (!cpuid_native_leaf(leaf))
		return false;
	host_cpuid(leaf, sub, out);
	if (leaf == 0 && out[0] > 0x24)
		out[0] = 0x24;
	return true;
}

void td_cpuid_exit(struct cpu_regs *ctx, struct tdvps *vp, const struct trap_info *ti)
{
	uint32_t leaf = (uint32_t)ctx->gpr[REG_RAX_], sub = (uint32_t)ctx->gpr[REG_RCX_];
	uint32_t out[4];

	/* Guest code is the TD's kernel: the supervisor setting applies [facts §2]. */
	if ((vp->cpuidve & TDG_CPUIDVE_SUPERVISOR) || (leaf >= 0x40000000 && leaf <= 0x4FFFFFFF) ||
	    !cpuid_lookup(vp_tdcs(vp), leaf, sub, out)) {
		td_inject_ve(ctx, vp, EXIT_REASON_CPUID, 0, 0, 0, ti->insn_len, 0);
		return;
	}
	ctx->gpr[REG_RAX_] = out[0];
	ctx->gpr[REG_RBX_] = out[1];
	ctx->gpr[REG_RCX_] = out[2];
	ctx->gpr[REG_RDX_] = out[3];
	ctx->rip += ti->insn_len;
}
