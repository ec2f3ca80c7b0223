// SPDX-License-Identifier: MIT
/*
 * vmm/quote.c - TDX quotes in Intel's DCAP format, version 4 [ABI §12]: the header, the TD
 * quote body from the TDREPORT [ABI §9], the attestation key's signature and the QE report
 * certification data of vmm/attest_pki.c; and tdxsim's own verification of them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "vmm/attest_pki.h"
#include "vmm/quote.h"

struct quote_signer {
	const struct attest_pki *pki;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return get16(p) | (uint32_t)get16(p + 2) << 16;
}

struct quote_signer *quote_signer_new(void)
{
	const struct attest_pki *pki = attest_pki_get();
	struct quote_signer *s;

	if (!pki)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s)
		s->pki = pki;
	return s;
}

void quote_signer_free(struct quote_signer *s)
{
	free(s); /* the PKI is the process's */
}

const uint8_t *quote_signer_pubkey(const struct quote_signer *s)
{
	return s->pki->ak_pub;
}

size_t quote_signer_quote_len(const struct quote_signer *s)
{
	return QUOTE_PCK_CHAIN_OFF + s->pki->pck_chain_len;
}

/* TDREPORT_STRUCT offsets [ABI §9]. */
#define R_REPORTTYPE	 0
#define R_RESERVED0	 4
#define R_TCB_INFO_HASH	 32
#define R_TEE_INFO_HASH	 80
#define R_REPORTDATA	 128
#define R_TEE_TCB_INFO	 256
#define R_TEE_TCB_SVN	 264
#define R_TDINFO	 512
#define R_TDINFO_END	 912 /* after RTMR3 */
#define TEE_TCB_INFO_LEN 256
#define TDINFO_LEN	 512

/* Is @r a TDREPORT of a TD, with its two hashes right? [ABI §9, §12.1] */
static bool tdreport_ok(const uint8_t *r)
{
	static const uint8_t zero[12];
	uint8_t h[SHA384_DIGEST_LENGTH];

	if (r[R_REPORTTYPE] != QUOTE_TEE_TDX || r[R_REPORTTYPE + 1] != 0 ||
	    r[R_REPORTTYPE + 2] > 1 || r[R_REPORTTYPE + 3] != 0 ||
	    memcmp(r + R_RESERVED0, zero, sizeof(zero)))
		return false;
	SHA384(r + R_TEE_TCB_INFO, TEE_TCB_INFO_LEN, h);
	if (memcmp(h, r + R_TCB_INFO_HASH, sizeof(h)))
		return false;
	SHA384(r + R_TDINFO, TDINFO_LEN, h);
	return !memcmp(h, r + R_TEE_INFO_HASH, sizeof(h));
}

/*
 * The TD quote body: TEE_TCB_SVN..SEAMATTRIBUTES are TEE_TCB_INFO from TEE_TCB_SVN on,
 * TDATTRIBUTES..RTMR3 are TDINFO up to SERVTD_HASH, then REPORTDATA [ABI §12.1].
 */
static void quote_body(uint8_t *b, const uint8_t *r)
{
	memcpy(b, r + R_TEE_TCB_SVN, QUOTE_BODY_TDATTRIBUTES);
	memcpy(b + QUOTE_BODY_TDATTRIBUTES, r + R_TDINFO, R_TDINFO_END - R_TDINFO);
	memcpy(b + QUOTE_BODY_REPORTDATA, r + R_REPORTDATA, 64);
}

long quote_generate(const struct quote_signer *s, const uint8_t report[QUOTE_TDREPORT_LEN],
		    void *out, size_t cap)
{
	const struct attest_pki *p = s->pki;
	size_t len = quote_signer_quote_len(s);
	uint8_t *q = out;

	if (cap < len)
		return -ENOSPC;
	if (!tdreport_ok(report))
		return -EINVAL;
	memset(q, 0, QUOTE_PCK_CHAIN_OFF);
	/* header [ABI §12.1]; user data stays zero */
	put16(q + 0, QUOTE_VERSION);
	put16(q + 2, QUOTE_ATT_KEY_ECDSA_P256);
	put32(q + 4, QUOTE_TEE_TDX);
	memcpy(q + 12, QUOTE_QE_VENDOR_ID, 16);
	quote_body(q + QUOTE_BODY_OFF, report);
	/* signature data [ABI §12.2] */
	put32(q + QUOTE_SIG_DATA_LEN_OFF, (uint32_t)(len - QUOTE_SIG_DATA_OFF));
	memcpy(q + QUOTE_AK_OFF, p->ak_pub, PKI_P256_PUB_LEN);
	put16(q + QUOTE_CERT_TYPE_OFF, QUOTE_CERT_QE_REPORT);
	put32(q + QUOTE_CERT_SIZE_OFF, (uint32_t)(len - QUOTE_QE_REPORT_OFF));
	memcpy(q + QUOTE_QE_REPORT_OFF, p->qe_report, QUOTE_QE_REPORT_LEN);
	memcpy(q + QUOTE_QE_SIG_OFF, p->qe_report_sig, PKI_P256_SIG_LEN);
	put16(q + QUOTE_QE_AUTH_SIZE_OFF, QUOTE_QE_AUTH_LEN);
	memcpy(q + QUOTE_QE_AUTH_OFF, p->qe_auth, QUOTE_QE_AUTH_LEN);
	put16(q + QUOTE_PCK_TYPE_OFF, QUOTE_CERT_PCK_CHAIN);
	put32(q + QUOTE_PCK_SIZE_OFF, (uint32_t)p->pck_chain_len);
	memcpy(q + QUOTE_PCK_CHAIN_OFF, p->pck_chain_pem, p->pck_chain_len);
	if (pki_sign(p->ak, q, QUOTE_SIG_DATA_LEN_OFF, q + QUOTE_SIG_OFF))
		return -EIO;
	return (long)len;
}

/* ---- verification ---- */

_Static_assert(sizeof(struct tdxsim_quote_body) == QUOTE_BODY_LEN, "the TD quote body");

/* Refuse @part of the quote with @ret and a message. */
static int __attribute__((format(printf, 6, 7)))
refuse(struct tdxsim_quote *out, enum tdxsim_quote_part part, int ret, char *err, size_t errlen,
       const char *fmt, ...)
{
	va_list ap;

	out->bad = part;
	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* Header, lengths and certification data types [ABI §12.1, §12.2]; the parts into @out. */
static int layout_check(const uint8_t *q, size_t len, struct tdxsim_quote *out, char *err,
			size_t errlen)
{
	static const uint8_t zero[4];

	if (!q || len <= QUOTE_PCK_CHAIN_OFF || len >= (1u << 20))
		return refuse(out, TDXSIM_QUOTE_LENGTH, -EINVAL, err, errlen,
			      "quote length %zu: a quote has more than %u bytes, less than 1 MiB",
			      q ? len : 0, QUOTE_PCK_CHAIN_OFF);
	out->version = get16(q);
	out->att_key_type = get16(q + 2);
	out->tee_type = get32(q + 4);
	if (out->version != QUOTE_VERSION || out->att_key_type != QUOTE_ATT_KEY_ECDSA_P256 ||
	    out->tee_type != QUOTE_TEE_TDX || memcmp(q + 8, zero, 4) ||
	    memcmp(q + 12, QUOTE_QE_VENDOR_ID, 16))
		return refuse(out, TDXSIM_QUOTE_HEADER, -EINVAL, err, errlen,
			      "header: version %u, key type %u, TEE type 0x%x, reserved 0x%08x, "
			      "QE vendor ID %s: not 4, 2, 0x81, 0, Intel's",
			      out->version, out->att_key_type, out->tee_type, get32(q + 8),
			      memcmp(q + 12, QUOTE_QE_VENDOR_ID, 16) ? "other" : "Intel's");
	if (get32(q + QUOTE_SIG_DATA_LEN_OFF) != len - QUOTE_SIG_DATA_OFF ||
	    get32(q + QUOTE_CERT_SIZE_OFF) != len - QUOTE_QE_REPORT_OFF ||
	    get16(q + QUOTE_QE_AUTH_SIZE_OFF) != QUOTE_QE_AUTH_LEN ||
	    get32(q + QUOTE_PCK_SIZE_OFF) != len - QUOTE_PCK_CHAIN_OFF)
		return refuse(
			out, TDXSIM_QUOTE_LENGTH, -EINVAL, err, errlen,
			"lengths: signature data %u, certification data %u, QE "
			"authentication data %u, PCK chain %u do not fit a quote of %zu bytes",
			get32(q + QUOTE_SIG_DATA_LEN_OFF), get32(q + QUOTE_CERT_SIZE_OFF),
			get16(q + QUOTE_QE_AUTH_SIZE_OFF), get32(q + QUOTE_PCK_SIZE_OFF), len);
	if (get16(q + QUOTE_CERT_TYPE_OFF) != QUOTE_CERT_QE_REPORT ||
	    get16(q + QUOTE_PCK_TYPE_OFF) != QUOTE_CERT_PCK_CHAIN)
		return refuse(out, TDXSIM_QUOTE_CERT_TYPE, -EINVAL, err, errlen,
			      "certification data types %u and %u: not 6 (QE report) and 5 (PCK "
			      "certificate chain)",
			      get16(q + QUOTE_CERT_TYPE_OFF), get16(q + QUOTE_PCK_TYPE_OFF));
	memcpy(out->qe_vendor_id, q + 12, 16);
	memcpy(out->user_data, q + 28, 20);
	memcpy(&out->body, q + QUOTE_BODY_OFF, QUOTE_BODY_LEN);
	memcpy(out->signature, q + QUOTE_SIG_OFF, 64);
	memcpy(out->attestation_key, q + QUOTE_AK_OFF, 64);
	memcpy(out->qe_report, q + QUOTE_QE_REPORT_OFF, QUOTE_QE_REPORT_LEN);
	memcpy(out->qe_report_signature, q + QUOTE_QE_SIG_OFF, 64);
	memcpy(out->qe_auth_data, q + QUOTE_QE_AUTH_OFF, QUOTE_QE_AUTH_LEN);
	out->pck_chain = (const char *)q + QUOTE_PCK_CHAIN_OFF;
	out->pck_chain_len = len - QUOTE_PCK_CHAIN_OFF;
	return 0;
}

/*
 * The three certificates of the PEM chain, leaf first, and nothing else: the PEM must be
 * exactly what PEM_write makes of them (so no byte of it can change unnoticed, whitespace
 * included). 0 or -EINVAL.
 */
static int parse_chain(const uint8_t *pem, size_t len, X509 *c[3])
{
	BIO *in = BIO_new_mem_buf(pem, (int)len), *out = BIO_new(BIO_s_mem());
	char *again = NULL;
	int n = 0;
	long again_len = 0;

	while (in && out && n < 3 && (c[n] = PEM_read_bio_X509(in, NULL, NULL, NULL)))
		n++;
	for (int i = 0; i < n; i++)
		if (!PEM_write_bio_X509(out, c[i]))
			n = -1;
	if (out)
		again_len = BIO_get_mem_data(out, &again);
	if (n == 3 && again_len >= 0 && (size_t)again_len == len && !memcmp(again, pem, len))
		n = 0;
	BIO_free(in);
	BIO_free(out);
	if (n == 0)
		return 0;
	for (int i = 0; i < 3; i++) {
		X509_free(c[i]);
		c[i] = NULL;
	}
	return -EINVAL;
}

/*
 * Does the chain leaf <- CA lead to @root? And is the quote's own root copy @qroot a
 * certificate of @root's name and key, signed by @root's key (so none of its bytes can
 * change unnoticed)? 0 or -EKEYREJECTED.
 */
static int chain_ok(X509 *root, X509 *c[3])
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	int ok;

	ok = store && ctx && untrusted && X509_STORE_add_cert(store, root) &&
	     sk_X509_push(untrusted, c[1]) &&
	     X509_STORE_CTX_init(ctx, store, c[0], untrusted) == 1 && X509_verify_cert(ctx) == 1;
	ok = ok && !X509_NAME_cmp(X509_get_subject_name(c[2]), X509_get_subject_name(root)) &&
	     EVP_PKEY_eq(X509_get0_pubkey(c[2]), X509_get0_pubkey(root)) == 1 &&
	     X509_verify(c[2], X509_get0_pubkey(root)) == 1;
	sk_X509_free(untrusted);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return ok ? 0 : -EKEYREJECTED;
}

/* The trusted root: @root_der, else this process's. NULL if neither is one. */
static X509 *trusted_root(const void *root_der, size_t root_len)
{
	const struct attest_pki *pki;
	const unsigned char *d = root_der;

	if (root_der)
		return d2i_X509(NULL, &d, (long)root_len);
	pki = attest_pki_get();
	return pki ? X509_dup(pki->root) : NULL;
}

/* The signatures and the binding, once the quote is well-formed. */
static int signatures_check(const uint8_t *q, EVP_PKEY *ak, X509 *leaf, struct tdxsim_quote *out,
			    char *err, size_t errlen)
{
	uint8_t hash_in[PKI_P256_PUB_LEN + QUOTE_QE_AUTH_LEN], h[SHA256_DIGEST_LENGTH];
	static const uint8_t zero[32];

	if (pki_verify(ak, q, QUOTE_SIG_DATA_LEN_OFF, q + QUOTE_SIG_OFF))
		return refuse(out, TDXSIM_QUOTE_SIGNATURE, -EBADMSG, err, errlen,
			      "signature: the attestation key did not sign this header and body");
	memcpy(hash_in, q + QUOTE_AK_OFF, PKI_P256_PUB_LEN);
	memcpy(hash_in + PKI_P256_PUB_LEN, q + QUOTE_QE_AUTH_OFF, QUOTE_QE_AUTH_LEN);
	SHA256(hash_in, sizeof(hash_in), h);
	if (CRYPTO_memcmp(h, q + QUOTE_QE_REPORT_OFF + 320, sizeof(h)) ||
	    memcmp(zero, q + QUOTE_QE_REPORT_OFF + 352, sizeof(zero)))
		return refuse(out, TDXSIM_QUOTE_QE_REPORT_DATA, -EBADMSG, err, errlen,
			      "QE report data: not SHA-256(attestation key || QE authentication "
			      "data) and 32 zero bytes");
	if (pki_verify(X509_get0_pubkey(leaf), q + QUOTE_QE_REPORT_OFF, QUOTE_QE_REPORT_LEN,
		       q + QUOTE_QE_SIG_OFF))
		return refuse(out, TDXSIM_QUOTE_QE_REPORT_SIGNATURE, -EBADMSG, err, errlen,
			      "QE report signature: the PCK certificate's key did not sign the QE "
			      "report");
	return 0;
}

int tdxsim_quote_verify(const void *quote, size_t len, const void *root_der, size_t root_len,
			struct tdxsim_quote *out, char *err, size_t errlen)
{
	const uint8_t *q = quote;
	struct tdxsim_quote parts;
	X509 *c[3] = {NULL, NULL, NULL}, *root = NULL;
	EVP_PKEY *ak = NULL;
	int ret;

	if (!out)
		out = &parts;
	memset(out, 0, sizeof(*out));
	ret = layout_check(q, len, out, err, errlen);
	if (ret)
		return ret;
	ak = pki_pub_from_raw(q + QUOTE_AK_OFF);
	root = trusted_root(root_der, root_len);
	if (!ak)
		ret = refuse(out, TDXSIM_QUOTE_ATTESTATION_KEY, -EINVAL, err, errlen,
			     "attestation key: not a point of P-256");
	else if (!root)
		ret = refuse(out, TDXSIM_QUOTE_ROOT, -EINVAL, err, errlen, "root: %s",
			     root_der ? "not a DER certificate" : "no PKI (OpenSSL)");
	else if (parse_chain(q + QUOTE_PCK_CHAIN_OFF, len - QUOTE_PCK_CHAIN_OFF, c))
		ret = refuse(out, TDXSIM_QUOTE_PCK_CHAIN, -EINVAL, err, errlen,
			     "PCK certificate chain: not exactly three PEM certificates");
	else if (!(ret = signatures_check(q, ak, c[0], out, err, errlen)) && chain_ok(root, c))
		ret = refuse(out, TDXSIM_QUOTE_UNTRUSTED, -EKEYREJECTED, err, errlen,
			     "PCK certificate chain: does not lead to the trusted root");
	for (int i = 0; i < 3; i++)
		X509_free(c[i]);
	X509_free(root);
	EVP_PKEY_free(ak);
	if (!ret && err && errlen)
		err[0] = 0;
	return ret;
}

int quote_verify(const void *quote, size_t len, const void *root_der, size_t root_len,
		 uint8_t body[QUOTE_BODY_LEN])
{
	struct tdxsim_quote parts;
	int ret = tdxsim_quote_verify(quote, len, root_der, root_len, &parts, NULL, 0);

	if (!ret && body)
		memcpy(body, &parts.body, QUOTE_BODY_LEN);
	return ret;
}
