/* SPDX-License-Identifier: MIT */
/*
 * vmm/quote.h - TDX quotes in Intel's DCAP format, version 4 [ABI §12], made of a TDREPORT
 * by tdxsim's stand-in for the TD quoting enclave and signed through the local PKI of
 * vmm/attest_pki.h (root CA, PCK platform CA, PCK certificate). A DCAP verifier that is
 * told to trust tdxsim's root (`tdxsim attest-collateral DIR`) verifies them offline; Intel's
 * root does not, since nothing here is Intel's. docs/VMM.md "Quotes" has the whole layout.
 *
 * Layout, integers little-endian, keys and signatures big-endian [ABI §12.1, §12.2]:
 *
 *   0    header (48): version 4, attestation key type 2 (ECDSA P-256), TEE type 0x81,
 *        reserved 0, QE vendor ID (Intel's QE), user data (20)
 *   48   TD quote body (584), the TDREPORT's fields: TEE_TCB_SVN, MRSEAM, MRSIGNERSEAM,
 *        SEAMATTRIBUTES, TDATTRIBUTES, XFAM, MRTD, MRCONFIGID, MROWNER, MROWNERCONFIG,
 *        RTMR0-3, REPORTDATA
 *   632  signature data length (u32) = the quote's length - 636
 *   636  ECDSA signature r || s (64) over bytes 0..631, by the attestation key
 *   700  attestation public key X || Y (64)
 *   764  certification data type (u16) = 6 (QE report certification data), size (u32)
 *   770  QE report: SGX REPORT body (384), REPORTDATA = SHA-256(key || auth data) || 0s
 *   1154 QE report signature r || s (64), by the PCK key
 *   1218 QE authentication data size (u16) = 32, the data (32)
 *   1252 certification data type (u16) = 5 (PCK certificate chain), size (u32)
 *   1258 PEM: PCK certificate, PCK platform CA, root CA
 */
#ifndef VMM_QUOTE_H
#define VMM_QUOTE_H

#include <stddef.h>
#include <stdint.h>

#define QUOTE_TDREPORT_LEN 1024 /* what the guest sends */

#define QUOTE_VERSION		 4
#define QUOTE_ATT_KEY_ECDSA_P256 2
#define QUOTE_TEE_TDX		 0x81
#define QUOTE_CERT_QE_REPORT	 6
#define QUOTE_CERT_PCK_CHAIN	 5
#define QUOTE_QE_VENDOR_ID	 "\x93\x9A\x72\x33\xF7\x9C\x4C\xA9\x94\x0A\x0D\xB3\x95\x7F\x06\x07"

#define QUOTE_HDR_LEN	       48
#define QUOTE_BODY_OFF	       48
#define QUOTE_BODY_LEN	       584
#define QUOTE_SIG_DATA_LEN_OFF 632
#define QUOTE_SIG_DATA_OFF     636
#define QUOTE_SIG_OFF	       636
#define QUOTE_AK_OFF	       700
#define QUOTE_CERT_TYPE_OFF    764
#define QUOTE_CERT_SIZE_OFF    766
#define QUOTE_QE_REPORT_OFF    770
#define QUOTE_QE_REPORT_LEN    384
#define QUOTE_QE_SIG_OFF       1154
#define QUOTE_QE_AUTH_SIZE_OFF 1218
#define QUOTE_QE_AUTH_OFF      1220
#define QUOTE_QE_AUTH_LEN      32
#define QUOTE_PCK_TYPE_OFF     1252
#define QUOTE_PCK_SIZE_OFF     1254
#define QUOTE_PCK_CHAIN_OFF    1258

/* The TD quote body's fields, offsets within the body [ABI §12.1]. */
#define QUOTE_BODY_TEE_TCB_SVN	  0
#define QUOTE_BODY_MRSEAM	  16
#define QUOTE_BODY_MRSIGNERSEAM	  64
#define QUOTE_BODY_SEAMATTRIBUTES 112
#define QUOTE_BODY_TDATTRIBUTES	  120
#define QUOTE_BODY_XFAM		  128
#define QUOTE_BODY_MRTD		  136
#define QUOTE_BODY_MRCONFIGID	  184
#define QUOTE_BODY_MROWNER	  232
#define QUOTE_BODY_MROWNERCONFIG  280
#define QUOTE_BODY_RTMR		  328
#define QUOTE_BODY_REPORTDATA	  520

struct quote_signer;

/* The quoting service of this process's PKI (made at first use); NULL on failure. */
struct quote_signer *quote_signer_new(void);
void quote_signer_free(struct quote_signer *s);
/* The attestation public key as in a quote: X || Y (64 bytes). */
const uint8_t *quote_signer_pubkey(const struct quote_signer *s);
/* The length of every quote this signer makes (fixed for a given seed). */
size_t quote_signer_quote_len(const struct quote_signer *s);

/*
 * The quote of @report (a TDREPORT_STRUCT) into @out. Returns its length; -ENOSPC if @cap
 * is too small; -EINVAL if @report is not a TDX TDREPORT (REPORTTYPE other than TDX type
 * 0x81 subtype 0 version 0 or 1, reserved bytes set, or TEE_TCB_INFO_HASH / TEE_INFO_HASH
 * not the SHA-384 of what they cover; the MAC only the module can check); -EIO if signing
 * failed.
 */
long quote_generate(const struct quote_signer *s, const uint8_t report[QUOTE_TDREPORT_LEN],
		    void *out, size_t cap);

/*
 * tdxsim's own check of a quote: 0 if it is well-formed, its signature verifies with its
 * attestation key, the QE report binds that key and its authentication data, the PCK key
 * signed the QE report, and the PCK chain leads to the trusted root (@root_der of
 * @root_len bytes; NULL: this process's root), whose copy in the quote is a certificate of
 * that root's name and key signed by it. -EINVAL: malformed (a length, type or constant,
 * a key off the curve, PEM that does not parse); -EBADMSG: a signature or the binding does
 * not verify; -EKEYREJECTED: the chain does not lead to the trusted root. On success
 * @body (may be NULL) gets the 584-byte TD quote body.
 */
int quote_verify(const void *quote, size_t len, const void *root_der, size_t root_len,
		 uint8_t body[QUOTE_BODY_LEN]);

#endif /* VMM_QUOTE_H */
