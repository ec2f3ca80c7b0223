// SPDX-License-Identifier: MIT
/*
 * vmm/attest_pki.c - the local attestation PKI behind tdxsim's DCAP quotes: keys derived
 * from a seed, Intel's certificate profile (names, extensions, the SGX extension of the PCK
 * certificate), CRLs, TCB info and QE identity, with OpenSSL 3's X509 and EVP interfaces.
 * The layouts and names are Intel's [ABI §12.3-§12.5]; the keys and values are tdxsim's.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "vmm/attest_pki.h"

#define P256_SCALAR 32

/* ---- ECDSA P-256 with raw r || s signatures ---- */

/*
 * ECDSA with a deterministic nonce: k = SHA-256(d || e || counter) mod n, e the message's
 * SHA-256, so the same key and message give the same signature in every run (OpenSSL 3.0's
 * EVP signing draws k at random). Any valid signature verifies the same way.
 */
int pki_sign(EVP_PKEY *key, const void *msg, size_t len, uint8_t sig[PKI_P256_SIG_LEN])
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	BN_CTX *bn = BN_CTX_new();
	BIGNUM *d = NULL, *e = NULL, *k = NULL, *r = NULL, *s = NULL, *x = NULL;
	EC_POINT *pt = NULL;
	uint8_t in[2 * P256_SCALAR + 1], h[P256_SCALAR];
	int ret = -EIO;

	if (!g || !bn || !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &d))
		goto out;
	SHA256(msg, len, h);
	e = BN_bin2bn(h, sizeof(h), NULL);
	k = BN_new();
	r = BN_new();
	s = BN_new();
	x = BN_new();
	pt = EC_POINT_new(g);
	if (!e || !k || !r || !s || !x || !pt || BN_bn2binpad(d, in, P256_SCALAR) != P256_SCALAR)
		goto out;
	memcpy(in + P256_SCALAR, h, sizeof(h));
	for (in [2 * P256_SCALAR] = 0; in[2 * P256_SCALAR] < 16; in[2 * P256_SCALAR]++) {
		const BIGNUM *n = EC_GROUP_get0_order(g);

		SHA256(in, sizeof(in), h);
		if (!BN_bin2bn(h, sizeof(h), k) || !BN_nnmod(k, k, n, bn))
			goto out;
		if (BN_is_zero(k))
			continue;
		/* r = (kG).x mod n; s = k^-1 (e + r d) mod n */
		if (!EC_POINT_mul(g, pt, k, NULL, NULL, bn) ||
		    !EC_POINT_get_affine_coordinates(g, pt, x, NULL, bn) ||
		    !BN_nnmod(r, x, n, bn) || !BN_mod_mul(s, r, d, n, bn) ||
		    !BN_mod_add(s, s, e, n, bn) || !BN_mod_inverse(k, k, n, bn) ||
		    !BN_mod_mul(s, s, k, n, bn))
			goto out;
		if (BN_is_zero(r) || BN_is_zero(s))
			continue;
		if (BN_bn2binpad(r, sig, P256_SCALAR) == P256_SCALAR &&
		    BN_bn2binpad(s, sig + P256_SCALAR, P256_SCALAR) == P256_SCALAR)
			ret = 0;
		break;
	}
out:
	OPENSSL_cleanse(in, sizeof(in));
	EC_POINT_free(pt);
	BN_clear_free(d);
	BN_clear_free(k);
	BN_free(e);
	BN_free(r);
	BN_free(s);
	BN_free(x);
	BN_CTX_free(bn);
	EC_GROUP_free(g);
	return ret;
}

/* A DER ECDSA-Sig-Value of raw r || s, in a buffer for OPENSSL_free; its length or -1. */
static int sig_to_der(const uint8_t sig[PKI_P256_SIG_LEN], unsigned char **der)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, P256_SCALAR, NULL);
	BIGNUM *s = BN_bin2bn(sig + P256_SCALAR, P256_SCALAR, NULL);
	int len;

	if (!es || !r || !s || !ECDSA_SIG_set0(es, r, s)) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return -1;
	}
	*der = NULL;
	len = i2d_ECDSA_SIG(es, der);
	ECDSA_SIG_free(es);
	return len;
}

/*
 * Replace the signature X509_sign/X509_CRL_sign made (random nonce) by the deterministic
 * one over the same to-be-signed bytes, so certificates and CRLs repeat byte for byte.
 */
static int resign(EVP_PKEY *key, const unsigned char *tbs, int tbs_len, ASN1_BIT_STRING *bits)
{
	uint8_t sig[PKI_P256_SIG_LEN];
	unsigned char *der = NULL;
	int der_len, ok;

	if (tbs_len <= 0 || pki_sign(key, tbs, (size_t)tbs_len, sig))
		return 0;
	der_len = sig_to_der(sig, &der);
	ok = der_len > 0 && ASN1_BIT_STRING_set(bits, der, der_len);
	OPENSSL_free(der);
	return ok;
}

static int resign_cert(X509 *x, EVP_PKEY *key)
{
	const ASN1_BIT_STRING *sig;
	unsigned char *tbs = NULL;
	int len = i2d_re_X509_tbs(x, &tbs), ok;

	X509_get0_signature(&sig, NULL, x);
	ok = resign(key, tbs, len, (ASN1_BIT_STRING *)sig);
	OPENSSL_free(tbs);
	return ok;
}

static int resign_crl(X509_CRL *crl, EVP_PKEY *key)
{
	const ASN1_BIT_STRING *sig;
	unsigned char *tbs = NULL;
	int len = i2d_re_X509_CRL_tbs(crl, &tbs), ok;

	X509_CRL_get0_signature(crl, &sig, NULL);
	ok = resign(key, tbs, len, (ASN1_BIT_STRING *)sig);
	OPENSSL_free(tbs);
	return ok;
}

int pki_verify(EVP_PKEY *key, const void *msg, size_t len, const uint8_t sig[PKI_P256_SIG_LEN])
{
	unsigned char *der = NULL;
	int der_len = sig_to_der(sig, &der), ok;
	EVP_MD_CTX *ctx;

	if (der_len <= 0)
		return -EBADMSG;
	ctx = EVP_MD_CTX_new();
	ok = ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
	     EVP_DigestVerify(ctx, der, (size_t)der_len, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	return ok ? 0 : -EBADMSG;
}

static EVP_PKEY *p256_from_params(const BIGNUM *priv, const uint8_t *pub, size_t pub_len)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *pkey = NULL;

	if (bld && ctx &&
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, pub_len) &&
	    (!priv || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv)))
		params = OSSL_PARAM_BLD_to_param(bld);
	if (params && EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, &pkey, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) !=
		    1)
		pkey = NULL;
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

EVP_PKEY *pki_pub_from_raw(const uint8_t raw[PKI_P256_PUB_LEN])
{
	uint8_t pt[1 + PKI_P256_PUB_LEN] = {0x04};
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pkey;

	memcpy(pt + 1, raw, PKI_P256_PUB_LEN);
	pkey = p256_from_params(NULL, pt, sizeof(pt));
	if (!pkey)
		return NULL;
	/* fromdata does not check that the point is on the curve; the public check does. */
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (!ctx || EVP_PKEY_public_check(ctx) != 1) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

static void seed_hash(const char *label, uint8_t out[32])
{
	const char *seed = getenv(PKI_SEED_ENV);
	char buf[512];
	int n;

	if (!seed || !*seed)
		seed = PKI_DEFAULT_SEED;
	n = snprintf(buf, sizeof(buf), "%s/%s", seed, label);
	if (n < 0 || (size_t)n >= sizeof(buf))
		n = (int)sizeof(buf) - 1; /* a longer seed counts by its first bytes */
	SHA256((const unsigned char *)buf, (size_t)n, out);
}

/* The P-256 key of @label: d = SHA-256(seed "/" label) mod (n - 1) + 1. */
static EVP_PKEY *derive_key(const char *label)
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	BN_CTX *bn = BN_CTX_new();
	BIGNUM *d = NULL, *nm1 = NULL;
	EC_POINT *pt = NULL;
	EVP_PKEY *pkey = NULL;
	uint8_t h[32], pub[65];

	seed_hash(label, h);
	if (!g || !bn)
		goto out;
	d = BN_bin2bn(h, sizeof(h), NULL);
	nm1 = BN_dup(EC_GROUP_get0_order(g));
	pt = EC_POINT_new(g);
	if (!d || !nm1 || !pt || !BN_sub_word(nm1, 1) || !BN_mod(d, d, nm1, bn) ||
	    !BN_add_word(d, 1) || !EC_POINT_mul(g, pt, d, NULL, NULL, bn) ||
	    EC_POINT_point2oct(g, pt, POINT_CONVERSION_UNCOMPRESSED, pub, sizeof(pub), bn) !=
		    sizeof(pub))
		goto out;
	pkey = p256_from_params(d, pub, sizeof(pub));
out:
	EC_POINT_free(pt);
	BN_clear_free(d);
	BN_free(nm1);
	BN_CTX_free(bn);
	EC_GROUP_free(g);
	return pkey;
}

static int raw_pub(EVP_PKEY *k, uint8_t out[PKI_P256_PUB_LEN])
{
	uint8_t pt[1 + PKI_P256_PUB_LEN];
	size_t len = 0;

	if (!EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, sizeof(pt),
					     &len) ||
	    len != sizeof(pt) || pt[0] != 0x04)
		return -EIO;
	memcpy(out, pt + 1, PKI_P256_PUB_LEN);
	return 0;
}

/* ---- DER of Intel's SGX extension [ABI §12.4] ---- */

/* 1.2.840.113741.1.13.1, the SGX extensions' arc, without tag and length. */
static const uint8_t sgx_oid[] = {0x2A, 0x86, 0x48, 0x86, 0xF8, 0x4D, 0x01, 0x0D, 0x01};

static size_t der_tlv(uint8_t *out, uint8_t tag, const uint8_t *v, size_t n)
{
	size_t h = 0;

	out[h++] = tag;
	if (n < 0x80) {
		out[h++] = (uint8_t)n;
	} else if (n < 0x100) {
		out[h++] = 0x81;
		out[h++] = (uint8_t)n;
	} else {
		out[h++] = 0x82;
		out[h++] = (uint8_t)(n >> 8);
		out[h++] = (uint8_t)n;
	}
	memmove(out + h, v, n);
	return h + n;
}

/* SEQUENCE { OID sgx_oid.arcs, value (tag @vtag) } */
static size_t der_item(uint8_t *out, const uint8_t *arcs, size_t narcs, uint8_t vtag,
		       const uint8_t *v, size_t vn)
{
	uint8_t oid[sizeof(sgx_oid) + 4], body[1024];
	size_t b;

	memcpy(oid, sgx_oid, sizeof(sgx_oid));
	memcpy(oid + sizeof(sgx_oid), arcs, narcs);
	b = der_tlv(body, 0x06, oid, sizeof(sgx_oid) + narcs);
	b += der_tlv(body + b, vtag, v, vn);
	return der_tlv(out, 0x30, body, b);
}

/* A small non-negative INTEGER's content octets (a leading zero keeps it positive). */
static size_t der_uint(unsigned v, uint8_t *out)
{
	uint8_t tmp[2];
	size_t n = 0, z;

	if (v >> 8)
		tmp[n++] = (uint8_t)(v >> 8);
	tmp[n++] = (uint8_t)v;
	z = tmp[0] & 0x80 ? 1 : 0;
	out[0] = 0;
	memcpy(out + z, tmp, n);
	return n + z;
}

static size_t sgx_extension(const struct attest_pki *p, uint8_t *out)
{
	uint8_t tcb[1024], body[1536], num[3], arcs[2];
	uint8_t pceid[2] = {(uint8_t)(PKI_PCE_ID >> 8), (uint8_t)PKI_PCE_ID}, fmspc[6];
	uint8_t sgx_type = 0; /* Standard */
	size_t t = 0, b = 0;

	for (unsigned i = 0; i < 6; i++) {
		unsigned v;

		sscanf(&PKI_FMSPC[2 * i], "%2x", &v);
		fmspc[i] = (uint8_t)v;
	}
	/* TCB: component SVNs 1..16, PCESVN (17), CPUSVN (18) */
	for (uint8_t i = 1; i <= 16; i++) {
		arcs[0] = 2;
		arcs[1] = i;
		t += der_item(tcb + t, arcs, 2, 0x02, num, der_uint(p->cpusvn[i - 1], num));
	}
	arcs[1] = 17;
	t += der_item(tcb + t, arcs, 2, 0x02, num, der_uint(PKI_PCESVN, num));
	arcs[1] = 18;
	t += der_item(tcb + t, arcs, 2, 0x04, p->cpusvn, sizeof(p->cpusvn));

	arcs[0] = 1;
	b += der_item(body + b, arcs, 1, 0x04, p->ppid, sizeof(p->ppid));
	arcs[0] = 2;
	b += der_item(body + b, arcs, 1, 0x30, tcb, t);
	arcs[0] = 3;
	b += der_item(body + b, arcs, 1, 0x04, pceid, sizeof(pceid));
	arcs[0] = 4;
	b += der_item(body + b, arcs, 1, 0x04, fmspc, sizeof(fmspc));
	arcs[0] = 5;
	b += der_item(body + b, arcs, 1, 0x0A, &sgx_type, 1);
	return der_tlv(out, 0x30, body, b);
}

/* ---- certificates and CRLs [ABI §12.4] ---- */

#define NOT_BEFORE "20240101000000Z"
#define NOT_AFTER  "20491231235959Z"

/* Intel's names: CN, O, L, ST, C in that order, as verifiers compare them. */
static X509_NAME *intel_name(const char *cn)
{
	static const char *const f[][2] = {
		{"O", "Intel Corporation"}, {"L", "Santa Clara"}, {"ST", "CA"}, {"C", "US"}};
	X509_NAME *n = X509_NAME_new();

	if (!n || !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
					      -1, 0))
		goto fail;
	for (size_t i = 0; i < 4; i++)
		if (!X509_NAME_add_entry_by_txt(n, f[i][0], MBSTRING_UTF8,
						(const unsigned char *)f[i][1], -1, -1, 0))
			goto fail;
	return n;
fail:
	X509_NAME_free(n);
	return NULL;
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
	int ok = e && X509_add_ext(x, e, -1);

	X509_EXTENSION_free(e);
	return ok;
}

enum cert_kind { CERT_ROOT, CERT_CA, CERT_LEAF };

static X509 *make_cert(EVP_PKEY *key, const char *cn, long serial, enum cert_kind kind,
		       X509 *issuer, EVP_PKEY *issuer_key, const uint8_t *sgx_ext, size_t sgx_len)
{
	X509 *x = X509_new();
	X509_NAME *name = intel_name(cn);
	X509V3_CTX ctx;
	int ok;

	ok = x && name && X509_set_version(x, X509_VERSION_3) &&
	     ASN1_INTEGER_set(X509_get_serialNumber(x), serial) && X509_set_subject_name(x, name) &&
	     X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) &&
	     ASN1_TIME_set_string(X509_getm_notBefore(x), NOT_BEFORE) &&
	     ASN1_TIME_set_string(X509_getm_notAfter(x), NOT_AFTER) && X509_set_pubkey(x, key);
	X509_NAME_free(name);
	if (!ok)
		goto fail;
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	ok = add_ext(x, &ctx, NID_subject_key_identifier, "hash") &&
	     add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always");
	if (kind == CERT_LEAF)
		ok = ok &&
		     add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature,nonRepudiation") &&
		     add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE");
	else
		ok = ok && add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") &&
		     add_ext(x, &ctx, NID_basic_constraints,
			     kind == CERT_ROOT ? "critical,CA:TRUE,pathlen:1"
					       : "critical,CA:TRUE,pathlen:0");
	if (ok && sgx_ext) {
		ASN1_OBJECT *obj = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
		ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
		X509_EXTENSION *e = NULL;

		if (obj && os && ASN1_OCTET_STRING_set(os, sgx_ext, (int)sgx_len))
			e = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os);
		ok = e && X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
		ASN1_OCTET_STRING_free(os);
		ASN1_OBJECT_free(obj);
	}
	if (ok && X509_sign(x, issuer_key, EVP_sha256()) > 0 && resign_cert(x, issuer_key))
		return x;
fail:
	X509_free(x);
	return NULL;
}

static X509_CRL *make_crl(X509 *issuer, EVP_PKEY *key)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *last = ASN1_TIME_new(), *next = ASN1_TIME_new();
	ASN1_INTEGER *num = ASN1_INTEGER_new();
	X509_EXTENSION *akid = NULL;
	X509V3_CTX ctx;
	int ok;

	ok = crl && last && next && num && X509_CRL_set_version(crl, X509_CRL_VERSION_2) &&
	     X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)) &&
	     ASN1_TIME_set_string(last, NOT_BEFORE) && ASN1_TIME_set_string(next, NOT_AFTER) &&
	     X509_CRL_set1_lastUpdate(crl, last) && X509_CRL_set1_nextUpdate(crl, next) &&
	     ASN1_INTEGER_set(num, 1) && X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0);
	if (ok) {
		X509V3_set_ctx(&ctx, issuer, NULL, NULL, crl, 0);
		akid = X509V3_EXT_nconf_nid(NULL, &ctx, NID_authority_key_identifier,
					    "keyid:always");
		ok = akid && X509_CRL_add_ext(crl, akid, -1) && X509_CRL_sort(crl) &&
		     X509_CRL_sign(crl, key, EVP_sha256()) > 0 && resign_crl(crl, key);
	}
	X509_EXTENSION_free(akid);
	ASN1_INTEGER_free(num);
	ASN1_TIME_free(last);
	ASN1_TIME_free(next);
	if (ok)
		return crl;
	X509_CRL_free(crl);
	return NULL;
}

/* ---- collateral: TCB info and QE identity [ABI §12.5] ---- */

static void hex(char *out, const uint8_t *b, size_t n, bool upper)
{
	const char *d = upper ? "0123456789ABCDEF" : "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = 0;
}

/* {"NAME":BODY,"signature":"hex of r || s"}, BODY signed by @key; malloc'ed. */
static char *signed_json(const char *name, const char *body, EVP_PKEY *key)
{
	uint8_t sig[PKI_P256_SIG_LEN];
	char sig_hex[2 * PKI_P256_SIG_LEN + 1], *out;
	size_t n;

	if (pki_sign(key, body, strlen(body), sig))
		return NULL;
	hex(sig_hex, sig, sizeof(sig), false);
	n = strlen(name) + strlen(body) + sizeof(sig_hex) + 32;
	out = malloc(n);
	if (out)
		snprintf(out, n, "{\"%s\":%s,\"signature\":\"%s\"}", name, body, sig_hex);
	return out;
}

#define ZERO48_HEX                                                                                 \
	"000000000000000000000000000000000000000000000000"                                         \
	"000000000000000000000000000000000000000000000000"

static char *tcb_info_json(const struct attest_pki *p)
{
	char body[4096], sgx[512], tdx[512];
	size_t s = 0, t = 0;

	for (int i = 0; i < 16; i++) {
		s += (size_t)snprintf(sgx + s, sizeof(sgx) - s, "%s{\"svn\":%u}", i ? "," : "",
				      p->cpusvn[i]);
		t += (size_t)snprintf(tdx + t, sizeof(tdx) - t, "%s{\"svn\":0}", i ? "," : "");
	}
	snprintf(body, sizeof(body),
		 "{\"id\":\"TDX\",\"version\":3,\"issueDate\":\"%s\",\"nextUpdate\":\"%s\","
		 "\"fmspc\":\"%s\",\"pceId\":\"%04X\",\"tcbType\":0,\"tcbEvaluationDataNumber\":%d,"
		 "\"tdxModule\":{\"mrsigner\":\"%s\",\"attributes\":\"0000000000000000\","
		 "\"attributesMask\":\"FFFFFFFFFFFFFFFF\"},"
		 "\"tdxModuleIdentities\":[{\"id\":\"TDX_01\",\"mrsigner\":\"%s\","
		 "\"attributes\":\"0000000000000000\",\"attributesMask\":\"FFFFFFFFFFFFFFFF\","
		 "\"tcbLevels\":[{\"tcb\":{\"isvsvn\":0},\"tcbDate\":\"%s\","
		 "\"tcbStatus\":\"UpToDate\"}]}],"
		 "\"tcbLevels\":[{\"tcb\":{\"sgxtcbcomponents\":[%s],\"pcesvn\":%d,"
		 "\"tdxtcbcomponents\":[%s]},\"tcbDate\":\"%s\",\"tcbStatus\":\"UpToDate\"}]}",
		 PKI_ISSUE_DATE, PKI_NEXT_UPDATE, PKI_FMSPC, PKI_PCE_ID, PKI_TCB_EVAL_NUM,
		 ZERO48_HEX, ZERO48_HEX, PKI_ISSUE_DATE, sgx, PKI_PCESVN, tdx, PKI_ISSUE_DATE);
	return signed_json("tcbInfo", body, p->tcb_key);
}

static char *qe_identity_json(const struct attest_pki *p)
{
	char body[2048], mrsigner[65];

	hex(mrsigner, p->qe_mrsigner, sizeof(p->qe_mrsigner), true);
	snprintf(body, sizeof(body),
		 "{\"id\":\"TD_QE\",\"version\":2,\"issueDate\":\"%s\",\"nextUpdate\":\"%s\","
		 "\"tcbEvaluationDataNumber\":%d,\"miscselect\":\"00000000\","
		 "\"miscselectMask\":\"FFFFFFFF\","
		 "\"attributes\":\"11000000000000000000000000000000\","
		 "\"attributesMask\":\"FBFFFFFFFFFFFFFF0000000000000000\","
		 "\"mrsigner\":\"%s\",\"isvprodid\":%d,"
		 "\"tcbLevels\":[{\"tcb\":{\"isvsvn\":%d},\"tcbDate\":\"%s\","
		 "\"tcbStatus\":\"UpToDate\"}]}",
		 PKI_ISSUE_DATE, PKI_NEXT_UPDATE, PKI_TCB_EVAL_NUM, mrsigner, PKI_QE_ISVPRODID,
		 PKI_QE_ISVSVN, PKI_ISSUE_DATE);
	return signed_json("enclaveIdentity", body, p->tcb_key);
}

/* ---- the quoting enclave's REPORT [ABI §12.2] ---- */

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}

static int qe_report(struct attest_pki *p)
{
	uint8_t *r = p->qe_report, hash_in[PKI_P256_PUB_LEN + PKI_QE_AUTH_LEN];

	memset(r, 0, PKI_QE_REPORT_LEN);
	memcpy(r + 0, p->cpusvn, 16); /* CPUSVN; MISCSELECT (+16) 0 */
	r[48] = 0x11;		      /* ATTRIBUTES.FLAGS: INIT, MODE64BIT */
	r[56] = 0xE7;		      /* ATTRIBUTES.XFRM: x87, SSE, AVX, AVX-512 */
	memcpy(r + 64, p->qe_mrenclave, 32);
	memcpy(r + 128, p->qe_mrsigner, 32);
	put16(r + 256, PKI_QE_ISVPRODID);
	put16(r + 258, PKI_QE_ISVSVN);
	/* REPORTDATA (+320): SHA-256(attestation key || QE authentication data), 32 zeros */
	for (size_t i = 0; i < PKI_QE_AUTH_LEN; i++)
		p->qe_auth[i] = (uint8_t)i;
	memcpy(hash_in, p->ak_pub, PKI_P256_PUB_LEN);
	memcpy(hash_in + PKI_P256_PUB_LEN, p->qe_auth, PKI_QE_AUTH_LEN);
	SHA256(hash_in, sizeof(hash_in), r + 320);
	return pki_sign(p->pck_key, r, PKI_QE_REPORT_LEN, p->qe_report_sig);
}

/* ---- assembly ---- */

static int append_pem(char **buf, size_t *len, X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *nb;
	long n;
	int ret = -EIO;

	if (!b || !PEM_write_bio_X509(b, x))
		goto out;
	n = BIO_get_mem_data(b, &data);
	nb = realloc(*buf, *len + (size_t)n + 1);
	if (!nb)
		goto out;
	memcpy(nb + *len, data, (size_t)n);
	*len += (size_t)n;
	nb[*len] = 0;
	*buf = nb;
	ret = 0;
out:
	BIO_free(b);
	return ret;
}

static void pki_free(struct attest_pki *p)
{
	EVP_PKEY_free(p->root_key);
	EVP_PKEY_free(p->ca_key);
	EVP_PKEY_free(p->pck_key);
	EVP_PKEY_free(p->tcb_key);
	EVP_PKEY_free(p->ak);
	X509_free(p->root);
	X509_free(p->ca);
	X509_free(p->pck);
	X509_free(p->tcb);
	X509_CRL_free(p->root_crl);
	X509_CRL_free(p->pck_crl);
	free(p->pck_chain_pem);
	free(p->tcb_info);
	free(p->qe_identity);
	free(p);
}

static struct attest_pki *pki_make(void)
{
	struct attest_pki *p = calloc(1, sizeof(*p));
	uint8_t ext[2048], h[32];
	size_t ext_len;

	if (!p)
		return NULL;
	p->root_key = derive_key("root CA");
	p->ca_key = derive_key("PCK platform CA");
	p->pck_key = derive_key("PCK");
	p->tcb_key = derive_key("TCB signing");
	p->ak = derive_key("attestation key");
	if (!p->root_key || !p->ca_key || !p->pck_key || !p->tcb_key || !p->ak ||
	    raw_pub(p->ak, p->ak_pub))
		goto fail;
	/* The platform's SGX TCB: component SVNs, CPUSVN the same bytes [ABI §12.4]. */
	static const uint8_t svns[16] = {3, 3, 2, 2, 3, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0};
	memcpy(p->cpusvn, svns, sizeof(svns));
	seed_hash("PPID", h);
	memcpy(p->ppid, h, sizeof(p->ppid));
	seed_hash("TD QE MRENCLAVE", p->qe_mrenclave);
	seed_hash("TD QE MRSIGNER", p->qe_mrsigner);

	ext_len = sgx_extension(p, ext);
	p->root = make_cert(p->root_key, "Intel SGX Root CA", 1, CERT_ROOT, NULL, p->root_key, NULL,
			    0);
	if (!p->root)
		goto fail;
	p->ca = make_cert(p->ca_key, "Intel SGX PCK Platform CA", 2, CERT_CA, p->root, p->root_key,
			  NULL, 0);
	p->tcb = make_cert(p->tcb_key, "Intel SGX TCB Signing", 3, CERT_LEAF, p->root, p->root_key,
			   NULL, 0);
	if (!p->ca || !p->tcb)
		goto fail;
	p->pck = make_cert(p->pck_key, "Intel SGX PCK Certificate", 4, CERT_LEAF, p->ca, p->ca_key,
			   ext, ext_len);
	p->root_crl = make_crl(p->root, p->root_key);
	p->pck_crl = make_crl(p->ca, p->ca_key);
	if (!p->pck || !p->root_crl || !p->pck_crl)
		goto fail;
	if (append_pem(&p->pck_chain_pem, &p->pck_chain_len, p->pck) ||
	    append_pem(&p->pck_chain_pem, &p->pck_chain_len, p->ca) ||
	    append_pem(&p->pck_chain_pem, &p->pck_chain_len, p->root) || qe_report(p))
		goto fail;
	p->tcb_info = tcb_info_json(p);
	p->qe_identity = qe_identity_json(p);
	if (!p->tcb_info || !p->qe_identity)
		goto fail;
	return p;
fail:
	pki_free(p);
	return NULL;
}

static struct attest_pki *the_pki;
static pthread_once_t pki_once = PTHREAD_ONCE_INIT;

static void pki_init(void)
{
	the_pki = pki_make();
}

const struct attest_pki *attest_pki_get(void)
{
	pthread_once(&pki_once, pki_init);
	return the_pki;
}

/* ---- export ---- */

static int write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[4096];
	FILE *f;
	int ret = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	f = fopen(path, "wb");
	if (!f)
		return -errno;
	if (fwrite(data, 1, len, f) != len)
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}

/* @x's DER or a CRL's, in a malloc'ed buffer; length or -1. */
static int der_of(X509 *x, X509_CRL *crl, unsigned char **out)
{
	*out = NULL;
	return x ? i2d_X509(x, out) : i2d_X509_CRL(crl, out);
}

static int write_der(const char *dir, const char *name, X509 *x, X509_CRL *crl)
{
	unsigned char *der;
	int n = der_of(x, crl, &der), ret;

	if (n <= 0)
		return -EIO;
	ret = write_file(dir, name, der, (size_t)n);
	OPENSSL_free(der);
	return ret;
}

static int write_chain(const char *dir, const char *name, X509 *a, X509 *b)
{
	char *pem = NULL;
	size_t len = 0;
	int ret = append_pem(&pem, &len, a);

	if (!ret)
		ret = append_pem(&pem, &len, b);
	if (!ret)
		ret = write_file(dir, name, pem, len);
	free(pem);
	return ret;
}

/* A JSON string of @s (quotes, backslashes and control characters escaped) at @o. */
static size_t json_str(char *o, const char *s)
{
	size_t n = 0;

	o[n++] = '"';
	for (; *s; s++) {
		if (*s == '"' || *s == '\\') {
			o[n++] = '\\';
			o[n++] = *s;
		} else if (*s == '\n') {
			o[n++] = '\\';
			o[n++] = 'n';
		} else {
			o[n++] = *s;
		}
	}
	o[n++] = '"';
	return n;
}

/* The body of a signed document ({"NAME":BODY,"signature":"..."}) and its signature. */
static void split_signed(const char *doc, char *body, char *sig)
{
	const char *b = strchr(doc, ':') + 1, *s = strstr(doc, ",\"signature\":\"");

	memcpy(body, b, (size_t)(s - b));
	body[s - b] = 0;
	s += strlen(",\"signature\":\"");
	memcpy(sig, s, 2 * PKI_P256_SIG_LEN);
	sig[2 * PKI_P256_SIG_LEN] = 0;
}

static char *hex_of_der(X509_CRL *crl)
{
	unsigned char *der;
	int n = der_of(NULL, crl, &der);
	char *h;

	if (n <= 0)
		return NULL;
	h = malloc(2 * (size_t)n + 1);
	if (h)
		hex(h, der, (size_t)n, false);
	OPENSSL_free(der);
	return h;
}

/*
 * collateral.json: the one-object form of Phala's dcap-qvl and others (QuoteCollateralV3):
 * the issuer chains as PEM, the CRLs as hex of their DER, the TCB info and QE identity
 * bodies as strings with their signatures apart.
 */
static int write_collateral(const struct attest_pki *p, const char *dir)
{
	char *pck_chain = NULL, *tcb_chain = NULL, *root_crl = hex_of_der(p->root_crl);
	char *pck_crl = hex_of_der(p->pck_crl), *out = NULL;
	size_t l1 = 0, l2 = 0, cap, n = 0;
	char tcb_body[4096], tcb_sig[129], qe_body[2048], qe_sig[129];
	int ret = -ENOMEM;

	if (!root_crl || !pck_crl || append_pem(&pck_chain, &l1, p->ca) ||
	    append_pem(&pck_chain, &l1, p->root) || append_pem(&tcb_chain, &l2, p->tcb) ||
	    append_pem(&tcb_chain, &l2, p->root))
		goto out;
	split_signed(p->tcb_info, tcb_body, tcb_sig);
	split_signed(p->qe_identity, qe_body, qe_sig);
	cap = 2 * (l1 + 2 * l2 + strlen(tcb_body) + strlen(qe_body)) + strlen(root_crl) +
	      strlen(pck_crl) + 1024;
	out = malloc(cap);
	if (!out)
		goto out;
	n += (size_t)sprintf(out + n, "{\"pck_crl_issuer_chain\":");
	n += json_str(out + n, pck_chain);
	n += (size_t)sprintf(out + n, ",\"root_ca_crl\":\"%s\",\"pck_crl\":\"%s\"", root_crl,
			     pck_crl);
	n += (size_t)sprintf(out + n, ",\"tcb_info_issuer_chain\":");
	n += json_str(out + n, tcb_chain);
	n += (size_t)sprintf(out + n, ",\"tcb_info\":");
	n += json_str(out + n, tcb_body);
	n += (size_t)sprintf(out + n, ",\"tcb_info_signature\":\"%s\"", tcb_sig);
	n += (size_t)sprintf(out + n, ",\"qe_identity_issuer_chain\":");
	n += json_str(out + n, tcb_chain);
	n += (size_t)sprintf(out + n, ",\"qe_identity\":");
	n += json_str(out + n, qe_body);
	n += (size_t)sprintf(out + n, ",\"qe_identity_signature\":\"%s\"}\n", qe_sig);
	ret = write_file(dir, "collateral.json", out, n);
out:
	free(out);
	free(pck_chain);
	free(tcb_chain);
	free(root_crl);
	free(pck_crl);
	return ret;
}

int attest_pki_export(const char *dir)
{
	const struct attest_pki *p = attest_pki_get();
	char *root_pem = NULL;
	size_t root_len = 0;
	int ret;

	if (!p)
		return -EIO;
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	ret = append_pem(&root_pem, &root_len, p->root);
	if (!ret)
		ret = write_file(dir, "root_ca.pem", root_pem, root_len);
	free(root_pem);
	if (!ret)
		ret = write_der(dir, "root_ca.der", p->root, NULL);
	if (!ret)
		ret = write_der(dir, "root_ca_crl.der", NULL, p->root_crl);
	if (!ret)
		ret = write_der(dir, "pck_crl.der", NULL, p->pck_crl);
	if (!ret)
		ret = write_chain(dir, "pck_crl_issuer_chain.pem", p->ca, p->root);
	if (!ret)
		ret = write_chain(dir, "tcb_info_issuer_chain.pem", p->tcb, p->root);
	if (!ret)
		ret = write_chain(dir, "qe_identity_issuer_chain.pem", p->tcb, p->root);
	if (!ret)
		ret = write_file(dir, "pck_chain.pem", p->pck_chain_pem, p->pck_chain_len);
	if (!ret)
		ret = write_file(dir, "tcb_info.json", p->tcb_info, strlen(p->tcb_info));
	if (!ret)
		ret = write_file(dir, "qe_identity.json", p->qe_identity, strlen(p->qe_identity));
	if (!ret)
		ret = write_collateral(p, dir);
	return ret;
}
