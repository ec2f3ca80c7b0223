// SPDX-License-Identifier: MIT
/*
 * TDREPORT construction and its MAC, shared by TDG.MR.REPORT and TDG.MR.VERIFYREPORT.
 *
 * On TDX the module fills TDINFO and asks the CPU (SEAMREPORT) for the REPORTMACSTRUCT and
 * TEE_TCB_INFO, MACed with a key only this platform holds [M tdg_mr_report.c; ABI §9].
 * tdxsim's choices, where the hardware's are not visible:
 *  - MRSEAM = SHA-384 of "tdxsim software TDX module <major>.<minor>.<update>" (the versions
 *    SYS.RD reports: 1.5.1 for TDX_MODULE_1_5_01, 1.5.99 for LATEST); MRSIGNERSEAM = 0 (as for
 *    an Intel-signed module); TEE_TCB_SVN = {minor, major, 0...}; TEE_TCB_INFO.ATTRIBUTES = 0;
 *    VALID = 0xFFFF: bit i for each populated 8-byte chunk i of bytes 0..127.
 *  - CPUSVN = 16 zero bytes.
 *  - TEE_TCB_INFO_HASH = SHA-384 of the whole 256-byte TEE_TCB_INFO; TEE_INFO_HASH = SHA-384
 *    of the whole 512-byte TDINFO [ABI §9].
 *  - MAC = the first 32 bytes of HMAC-SHA-384 (RFC 2104), key tdxm.report_key (48 random
 *    bytes drawn at module load), message REPORTMACSTRUCT bytes 0..223 (all before MAC).
 *    TEE_TCB_INFO and TDINFO are bound through their hashes, so VERIFYREPORT, which sees the
 *    REPORTMACSTRUCT only, can check it.
 * HMAC is built on SHA384_* directly: no allocation, safe in the trap handler.
 */
#include <stdio.h>
#include <string.h>

#include "td.h"

#define SHA384_BLOCK 128

void td_report_mrseam(uint8_t out[48])
{
	char id[96];
	int n = snprintf(id, sizeof(id), "tdxsim software TDX module %llu.%llu.%llu",
			 (unsigned long long)md_major_version(),
			 (unsigned long long)md_minor_version(),
			 (unsigned long long)md_update_version());

	SHA384((const uint8_t *)id, (size_t)n, out);
}

void td_report_mac(const struct reportmac *rm, uint8_t mac[TDX_MAC_SIZE])
{
	uint8_t pad[SHA384_BLOCK], inner[48], outer[48];
	SHA512_CTX c;

	memset(pad, 0x36, sizeof(pad));
	for (size_t i = 0; i < sizeof(tdxm.report_key); i++)
		pad[i] ^= tdxm.report_key[i];
	SHA384_Init(&c);
	SHA384_Update(&c, pad, sizeof(pad));
	SHA384_Update(&c, rm, offsetof(struct reportmac, mac));
	SHA384_Final(inner, &c);

	memset(pad, 0x5c, sizeof(pad));
	for (size_t i = 0; i < sizeof(tdxm.report_key); i++)
		pad[i] ^= tdxm.report_key[i];
	SHA384_Init(&c);
	SHA384_Update(&c, pad, sizeof(pad));
	SHA384_Update(&c, inner, sizeof(inner));
	SHA384_Final(outer, &c);
	memcpy(mac, outer, TDX_MAC_SIZE);
}

uint64_t td_report_build(struct tdcs *tdcs, struct tdreport *r)
{
	struct tee_tcb_info *tcb = &r->tee_tcb_info;
	struct tdinfo *ti = &r->tdinfo;

	memset(r, 0, sizeof(*r));
	/* TDINFO under the RTMR lock, shared [M get_tdinfo_and_teeinfohash] */
	if (!sharex_try_shared(&tdcs->rtmr_lock))
		return TDX_OPERAND_BUSY + TDX_OPERAND_ID_RTMR;
	ti->attributes = tdcs->attributes;
	ti->xfam = tdcs->xfam;
	memcpy(ti->mrtd, tdcs->mrtd, sizeof(ti->mrtd));
	memcpy(ti->mrconfigid, tdcs->mrconfigid, sizeof(ti->mrconfigid));
	memcpy(ti->mrowner, tdcs->mrowner, sizeof(ti->mrowner));
	memcpy(ti->mrownerconfig, tdcs->mrownerconfig, sizeof(ti->mrownerconfig));
	memcpy(ti->rtmr, tdcs->rtmr, sizeof(ti->rtmr));
	sharex_release_shared(&tdcs->rtmr_lock);
	/* SERVTD_HASH stays 0: no service TDs */

	tcb->valid = 0xFFFF;
	tcb->tee_tcb_svn[0] = (uint8_t)md_minor_version();
	tcb->tee_tcb_svn[1] = (uint8_t)md_major_version();
	td_report_mrseam(tcb->mrseam);

	r->reportmac.reporttype.type = TDX_REPORT_TYPE;
	r->reportmac.reporttype.subtype = TDX_REPORT_SUBTYPE;
	r->reportmac.reporttype.version = TDX_REPORT_VERSION_NO_SERVTDS;
	SHA384((const uint8_t *)tcb, sizeof(*tcb), r->reportmac.tee_tcb_info_hash);
	SHA384((const uint8_t *)ti, sizeof(*ti), r->reportmac.tee_info_hash);
	return TDX_SUCCESS;
}
