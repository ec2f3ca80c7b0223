/* SPDX-License-Identifier: MIT */
/*
 * vmm/quote.h - tdxsim's software quote: a TDREPORT signed with ECDSA P-384 by a key of
 * this VMM instance. It is NOT an Intel (DCAP) quote and is not rooted in Intel: it proves
 * only that whoever holds the VMM's key saw that report. docs/VMM.md has the format.
 *
 * Layout (all integers little-endian):
 *
 *   0    header (32 bytes)
 *          0  magic "TDXSIMQ1" (8)
 *          8  version u16 = 1
 *         10  header_len u16 = 32
 *         12  report_len u32 = 1024
 *         16  sig_alg u16 = 1 (ECDSA P-384 with SHA-384, raw r || s)
 *         18  sig_len u16 = 96
 *         20  key_alg u16 = 1 (P-384 public key, SEC1 uncompressed point)
 *         22  key_len u16 = 97
 *         24  total_len u32 = 1249
 *         28  reserved u32 = 0
 *   32   TDREPORT (1024)
 *   1056 signature r || s (96), each 48 bytes big-endian
 *   1152 public key 0x04 || X || Y (97)
 *
 * The signature covers every byte of the quote except itself: header, report, public key.
 */
#ifndef VMM_QUOTE_H
#define VMM_QUOTE_H

#include <stddef.h>
#include <stdint.h>

#define TDXSIM_QUOTE_MAGIC	"TDXSIMQ1"
#define TDXSIM_QUOTE_VERSION	1
#define TDXSIM_QUOTE_HDR_LEN	32
#define TDXSIM_QUOTE_REPORT_LEN 1024
#define TDXSIM_QUOTE_SIG_ALG	1
#define TDXSIM_QUOTE_SIG_LEN	96
#define TDXSIM_QUOTE_KEY_ALG	1
#define TDXSIM_QUOTE_KEY_LEN	97
#define TDXSIM_QUOTE_REPORT_OFF TDXSIM_QUOTE_HDR_LEN
#define TDXSIM_QUOTE_SIG_OFF	(TDXSIM_QUOTE_REPORT_OFF + TDXSIM_QUOTE_REPORT_LEN)
#define TDXSIM_QUOTE_KEY_OFF	(TDXSIM_QUOTE_SIG_OFF + TDXSIM_QUOTE_SIG_LEN)
#define TDXSIM_QUOTE_LEN	(TDXSIM_QUOTE_KEY_OFF + TDXSIM_QUOTE_KEY_LEN)

struct quote_signer;

/* A fresh P-384 key; NULL on failure. */
struct quote_signer *quote_signer_new(void);
/* A P-384 private key from a PEM file; NULL if unreadable or not P-384. */
struct quote_signer *quote_signer_load_pem(const char *path);
/* Write the private key as PKCS#8 PEM (to keep a key across runs); 0 or -errno. */
int quote_signer_save_pem(const struct quote_signer *s, const char *path);
void quote_signer_free(struct quote_signer *s);
/* The public key as in the quote (97 bytes). */
const uint8_t *quote_signer_pubkey(const struct quote_signer *s);

/*
 * Build the quote of @report into @out. Returns the quote's length, -ENOSPC if @cap is too
 * small, -EIO if signing failed.
 */
long quote_generate(const struct quote_signer *s, const uint8_t report[TDXSIM_QUOTE_REPORT_LEN],
		    void *out, size_t cap);

/*
 * Check a quote: 0 if well-formed and its signature verifies; -EINVAL if malformed
 * (magic, version, lengths, algorithms, key not on the curve); -EBADMSG if the signature
 * does not verify; -EKEYREJECTED if @trusted_pubkey (97 bytes; NULL = accept the embedded
 * key) differs from the key in the quote. On success @report (may be NULL) gets the report.
 */
int quote_verify(const void *quote, size_t len, const uint8_t *trusted_pubkey,
		 uint8_t report[TDXSIM_QUOTE_REPORT_LEN]);

#endif /* VMM_QUOTE_H */
