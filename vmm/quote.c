// SPDX-License-Identifier: MIT
/*
 * vmm/quote.c - signing and verifying tdxsim quotes with OpenSSL 3's EVP interface.
 * OpenSSL signs ECDSA as DER; the quote carries fixed-size r || s, converted with
 * ECDSA_SIG (not deprecated in 3.0).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "vmm/quote.h"

#define P384_SCALAR_LEN 48

struct quote_signer {
	EVP_PKEY *pkey;
	uint8_t pub[TDXSIM_QUOTE_KEY_LEN];
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

static int signer_export_pub(struct quote_signer *s)
{
	char group[32];
	size_t len = 0;

	if (!EVP_PKEY_get_utf8_string_param(s->pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
					    sizeof(group), NULL) ||
	    strcmp(group, "secp384r1") != 0)
		return -EINVAL;
	/* The encoded public key of an EC key is its uncompressed point by default. */
	if (!EVP_PKEY_get_octet_string_param(s->pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, s->pub,
					     sizeof(s->pub), &len) ||
	    len != TDXSIM_QUOTE_KEY_LEN || s->pub[0] != 0x04)
		return -EINVAL;
	return 0;
}

static struct quote_signer *signer_wrap(EVP_PKEY *pkey)
{
	struct quote_signer *s;

	if (!pkey)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s) {
		EVP_PKEY_free(pkey);
		return NULL;
	}
	s->pkey = pkey;
	if (signer_export_pub(s)) {
		quote_signer_free(s);
		return NULL;
	}
	return s;
}

struct quote_signer *quote_signer_new(void)
{
	return signer_wrap(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384"));
}

struct quote_signer *quote_signer_load_pem(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *pkey;

	if (!f)
		return NULL;
	pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return signer_wrap(pkey);
}

int quote_signer_save_pem(const struct quote_signer *s, const char *path)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (!f)
		return -errno;
	ok = PEM_write_PrivateKey(f, s->pkey, NULL, NULL, 0, NULL, NULL);
	if (fclose(f) || !ok)
		return -EIO;
	return 0;
}

void quote_signer_free(struct quote_signer *s)
{
	if (!s)
		return;
	EVP_PKEY_free(s->pkey);
	free(s);
}

const uint8_t *quote_signer_pubkey(const struct quote_signer *s)
{
	return s->pub;
}

static void quote_fill_header(uint8_t *q)
{
	memcpy(q, TDXSIM_QUOTE_MAGIC, 8);
	put16(q + 8, TDXSIM_QUOTE_VERSION);
	put16(q + 10, TDXSIM_QUOTE_HDR_LEN);
	put32(q + 12, TDXSIM_QUOTE_REPORT_LEN);
	put16(q + 16, TDXSIM_QUOTE_SIG_ALG);
	put16(q + 18, TDXSIM_QUOTE_SIG_LEN);
	put16(q + 20, TDXSIM_QUOTE_KEY_ALG);
	put16(q + 22, TDXSIM_QUOTE_KEY_LEN);
	put32(q + 24, TDXSIM_QUOTE_LEN);
	put32(q + 28, 0);
}

/* What is signed: the quote without its signature, i.e. header || report || key. */
static void quote_signed_bytes(const uint8_t *q, uint8_t *buf)
{
	memcpy(buf, q, TDXSIM_QUOTE_SIG_OFF);
	memcpy(buf + TDXSIM_QUOTE_SIG_OFF, q + TDXSIM_QUOTE_KEY_OFF, TDXSIM_QUOTE_KEY_LEN);
}

#define SIGNED_LEN (TDXSIM_QUOTE_SIG_OFF + TDXSIM_QUOTE_KEY_LEN)

static int der_to_raw(const uint8_t *der, size_t der_len, uint8_t *raw)
{
	const unsigned char *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	const BIGNUM *r, *s;
	int ret = -EIO;

	if (!sig)
		return -EIO;
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_bn2binpad(r, raw, P384_SCALAR_LEN) == P384_SCALAR_LEN &&
	    BN_bn2binpad(s, raw + P384_SCALAR_LEN, P384_SCALAR_LEN) == P384_SCALAR_LEN)
		ret = 0;
	ECDSA_SIG_free(sig);
	return ret;
}

/* DER of r || s, in a buffer the caller frees with OPENSSL_free; length or -1. */
static int raw_to_der(const uint8_t *raw, unsigned char **der)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, P384_SCALAR_LEN, NULL);
	BIGNUM *s = BN_bin2bn(raw + P384_SCALAR_LEN, P384_SCALAR_LEN, NULL);
	int len = -1;

	if (!sig || !r || !s || !ECDSA_SIG_set0(sig, r, s)) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(sig);
		return -1;
	}
	/* sig owns r and s now. */
	*der = NULL;
	len = i2d_ECDSA_SIG(sig, der);
	ECDSA_SIG_free(sig);
	return len;
}

long quote_generate(const struct quote_signer *s, const uint8_t report[TDXSIM_QUOTE_REPORT_LEN],
		    void *out, size_t cap)
{
	uint8_t *q = out;
	uint8_t msg[SIGNED_LEN];
	uint8_t der[128];
	size_t der_len = sizeof(der);
	EVP_MD_CTX *ctx;
	int ok;

	if (cap < TDXSIM_QUOTE_LEN)
		return -ENOSPC;
	quote_fill_header(q);
	memcpy(q + TDXSIM_QUOTE_REPORT_OFF, report, TDXSIM_QUOTE_REPORT_LEN);
	memcpy(q + TDXSIM_QUOTE_KEY_OFF, s->pub, TDXSIM_QUOTE_KEY_LEN);
	quote_signed_bytes(q, msg);

	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -EIO;
	ok = EVP_DigestSignInit(ctx, NULL, EVP_sha384(), NULL, s->pkey) == 1 &&
	     EVP_DigestSign(ctx, der, &der_len, msg, sizeof(msg)) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok || der_to_raw(der, der_len, q + TDXSIM_QUOTE_SIG_OFF))
		return -EIO;
	return TDXSIM_QUOTE_LEN;
}

static bool quote_header_ok(const uint8_t *q, size_t len)
{
	return len == TDXSIM_QUOTE_LEN && !memcmp(q, TDXSIM_QUOTE_MAGIC, 8) &&
	       get16(q + 8) == TDXSIM_QUOTE_VERSION && get16(q + 10) == TDXSIM_QUOTE_HDR_LEN &&
	       get32(q + 12) == TDXSIM_QUOTE_REPORT_LEN && get16(q + 16) == TDXSIM_QUOTE_SIG_ALG &&
	       get16(q + 18) == TDXSIM_QUOTE_SIG_LEN && get16(q + 20) == TDXSIM_QUOTE_KEY_ALG &&
	       get16(q + 22) == TDXSIM_QUOTE_KEY_LEN && get32(q + 24) == TDXSIM_QUOTE_LEN &&
	       get32(q + 28) == 0;
}

/* An EVP_PKEY from the quote's public point; NULL if it is not a P-384 point. */
static EVP_PKEY *pubkey_import(const uint8_t *pub)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, "P-384", 0),
		OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pub, TDXSIM_QUOTE_KEY_LEN),
		OSSL_PARAM_END,
	};
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *pkey = NULL;

	if (!ctx)
		return NULL;
	if (EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	if (!pkey)
		return NULL;
	/* fromdata does not check the point is on the curve; the public check does. */
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (!ctx || EVP_PKEY_public_check(ctx) != 1) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

static int quote_check_sig(EVP_PKEY *pkey, const uint8_t *q)
{
	uint8_t msg[SIGNED_LEN];
	unsigned char *der = NULL;
	EVP_MD_CTX *ctx;
	int der_len, ok;

	der_len = raw_to_der(q + TDXSIM_QUOTE_SIG_OFF, &der);
	if (der_len < 0)
		return -EBADMSG;
	quote_signed_bytes(q, msg);
	ctx = EVP_MD_CTX_new();
	ok = ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha384(), NULL, pkey) == 1 &&
	     EVP_DigestVerify(ctx, der, (size_t)der_len, msg, sizeof(msg)) == 1;
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	return ok ? 0 : -EBADMSG;
}

int quote_verify(const void *quote, size_t len, const uint8_t *trusted_pubkey,
		 uint8_t report[TDXSIM_QUOTE_REPORT_LEN])
{
	const uint8_t *q = quote;
	EVP_PKEY *pkey;
	int ret;

	if (!q || !quote_header_ok(q, len))
		return -EINVAL;
	pkey = pubkey_import(q + TDXSIM_QUOTE_KEY_OFF);
	if (!pkey)
		return -EINVAL;
	ret = quote_check_sig(pkey, q);
	EVP_PKEY_free(pkey);
	if (ret)
		return ret;
	if (trusted_pubkey &&
	    memcmp(trusted_pubkey, q + TDXSIM_QUOTE_KEY_OFF, TDXSIM_QUOTE_KEY_LEN))
		return -EKEYREJECTED;
	if (report)
		memcpy(report, q + TDXSIM_QUOTE_REPORT_OFF, TDXSIM_QUOTE_REPORT_LEN);
	return 0;
}
