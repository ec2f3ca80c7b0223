// SPDX-License-Identifier: MIT
/*
 * attest: a TD's attestation evidence with the guest SDK. It asks the TDX module for a
 * TDREPORT bound to 64 bytes of its own (REPORTDATA: here a nonce a verifier would send),
 * prints REPORTDATA and MRTD, extends RTMR 2 and shows it in the next report, then has the
 * VMM turn the report into a quote (TDVMCALL<GetQuote>) and prints what came back: a TDX
 * quote in Intel's DCAP format, version 4, signed through tdxsim's local PKI (docs/VMM.md
 * "Quotes"; `tdxsim attest-collateral DIR` exports its root and collateral for a verifier).
 * Exits with status 0 when every step worked.
 *
 *   tdxsim run build/examples/attest.elf
 */
#include "tdxguest/tdxguest.h"
#include "vmm/quote.h"

static void print_hex(const char *name, const u8 *p, unsigned int n)
{
	tdx_printf("%s: ", name);
	for (unsigned int i = 0; i < n; i++)
		tdx_printf("%02x", p[i]);
	tdx_printf("\n");
}

static bool same(const u8 *a, const u8 *b, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

static u16 le16(const u8 *p)
{
	return (u16)(p[0] | p[1] << 8);
}

static u32 le32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

int main(void)
{
	static struct tdreport report;
	static u8 quote[TDX_QUOTE_BUF_SIZE];
	u8 reportdata[TDX_REPORTDATA_LEN], event[TDX_RTMR_DATA_LEN];
	u64 ret, status;
	u32 len;

	for (unsigned int i = 0; i < sizeof(reportdata); i++)
		reportdata[i] = (u8)(0xA0 + i); /* the verifier's nonce, in a real exchange */
	ret = tdx_get_report(reportdata, &report);
	if (ret) {
		tdx_printf("TDG.MR.REPORT failed: %lx\n", (unsigned long)ret);
		return 1;
	}
	print_hex("REPORTDATA", report.reportmac.reportdata, TDX_REPORTDATA_LEN);
	print_hex("MRTD", report.tdinfo.mrtd, sizeof(report.tdinfo.mrtd));

	for (unsigned int i = 0; i < sizeof(event); i++)
		event[i] = (u8)i; /* the digest of something the TD loaded */
	ret = tdx_extend_rtmr(2, event);
	if (!ret)
		ret = tdx_get_report(reportdata, &report);
	if (ret) {
		tdx_printf("RTMR 2 extend failed: %lx\n", (unsigned long)ret);
		return 2;
	}
	print_hex("RTMR2", report.tdinfo.rtmr[2], sizeof(report.tdinfo.rtmr[2]));

	ret = tdx_get_quote(&report, quote, sizeof(quote), &len, &status);
	if (ret || status != GET_QUOTE_SUCCESS || len < QUOTE_PCK_CHAIN_OFF) {
		tdx_printf("GetQuote failed: R10 %lx, status %lx\n", (unsigned long)ret,
			   (unsigned long)status);
		return 3;
	}
	tdx_printf("quote: %u bytes, version %u, attestation key type %u (ECDSA P-256), TEE type "
		   "%#x (TDX), certification data type %u with type %u inside (PCK chain, %u "
		   "bytes of PEM)\n",
		   len, le16(quote), le16(quote + 2), le32(quote + 4),
		   le16(quote + QUOTE_CERT_TYPE_OFF), le16(quote + QUOTE_PCK_TYPE_OFF),
		   le32(quote + QUOTE_PCK_SIZE_OFF));
	if (!same(quote + QUOTE_BODY_OFF + QUOTE_BODY_MRTD, report.tdinfo.mrtd, 48) ||
	    !same(quote + QUOTE_BODY_OFF + QUOTE_BODY_REPORTDATA, reportdata, 64) ||
	    !same(quote + QUOTE_BODY_OFF + QUOTE_BODY_RTMR + 2 * 48, report.tdinfo.rtmr[2], 48)) {
		tdx_printf("the quote's body is not this TD's report\n");
		return 4;
	}
	tdx_printf("quote body: MRTD, RTMR2 and REPORTDATA are the report's\n");
	return 0;
}
