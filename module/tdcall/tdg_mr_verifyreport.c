// SPDX-License-Identifier: MIT
/*
 * TDG.MR.VERIFYREPORT: was this REPORTMACSTRUCT made on this platform? [M
 * tdg_mr_verifyreport.c; ABI §2]. RCX = REPORTMACSTRUCT GPA (256-aligned, private).
 * SUCCESS, or TDX_INVALID_REPORTMACSTRUCT (0xC000100100000000) when the MAC does not match;
 * TDX_INVALID_CPUSVN (0xC000100000000000) when its CPUSVN is newer than the platform's
 * [M SEAMOPS_INVALID_CPUSVN]. The MAC: td_attest.c.
 */
#include <openssl/crypto.h>
#include <string.h>

#include "td.h"

#define REPORTMACSTRUCT_ALIGNMENT 256

uint64_t tdg_mr_verifyreport(struct cpu_regs *ctx, struct tdvps *vp, struct tdcs *tdcs,
			     unsigned int version)
{
	uint64_t gpa = ctx->gpr[REG_RCX_], status;
	uint8_t mac[TDX_MAC_SIZE];
	struct reportmac rm;
	void *src;

	(void)version;
	if (!is_aligned(gpa, REPORTMACSTRUCT_ALIGNMENT))
		return TDX_OPERAND_INVALID + TDX_OPERAND_ID_RCX;
	status = td_gpa_map(ctx, vp, tdcs, gpa, sizeof(rm), false, true, &src);
	if (status)
		return status == TDCALL_EXITED ? status : status + TDX_OPERAND_ID_RCX;
	memcpy(&rm, src, sizeof(rm)); /* one copy: the guest may change its page meanwhile */
	/* tdxsim's CPUSVN is all zeros: any non-zero byte is newer than the platform. */
	for (size_t i = 0; i < sizeof(rm.cpusvn); i++)
		if (rm.cpusvn[i])
			return TDX_INVALID_CPUSVN;
	td_report_mac(&rm, mac);
	if (CRYPTO_memcmp(mac, rm.mac, sizeof(mac)))
		return TDX_INVALID_REPORTMACSTRUCT;
	return TDX_SUCCESS;
}
