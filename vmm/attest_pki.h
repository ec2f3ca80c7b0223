/* SPDX-License-Identifier: MIT */
/*
 * vmm/attest_pki.h - tdxsim's stand-in for Intel's attestation PKI: a root CA, a PCK
 * platform CA, the platform's PCK certificate (with Intel's SGX extensions), a TCB signing
 * certificate, the quoting enclave's attestation key and QE report, the CRLs and the
 * collateral a DCAP verifier fetches (TCB info, QE identity). [ABI §12.3-§12.5]
 *
 * It is made at first use in a process, from keys derived from a seed (TDXSIM_ATTEST_SEED,
 * or a fixed default), with fixed names, serials and dates: every run, on every machine,
 * has the same keys, certificates up to their signatures, and JSON bodies. So a root
 * exported by one `tdxsim attest-collateral` verifies the quotes of any later run. The
 * private keys follow from a public seed: anyone can make such quotes, which is the point
 * of a simulator and why a verifier must never trust this root in production.
 */
#ifndef VMM_ATTEST_PKI_H
#define VMM_ATTEST_PKI_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <tdxsim/tdxsim.h>

#define PKI_P256_PUB_LEN  64 /* X || Y, big-endian, as in a quote */
#define PKI_P256_SIG_LEN  64 /* r || s, big-endian, as in a quote */
#define PKI_QE_REPORT_LEN 384
#define PKI_QE_AUTH_LEN	  32

/* The platform's values, as the PCK certificate and the collateral state them. */
#define PKI_FMSPC	 "00806F050000"
#define PKI_PCE_ID	 0
#define PKI_PCESVN	 11
#define PKI_QE_ISVPRODID 2
#define PKI_QE_ISVSVN	 4
#define PKI_TCB_EVAL_NUM 17
#define PKI_ISSUE_DATE	 "2024-01-01T00:00:00Z"
#define PKI_NEXT_UPDATE	 "2049-12-31T23:59:59Z"
#define PKI_SEED_ENV	 TDXSIM_ATTEST_SEED_ENV /* tdxsim/tdxsim.h */
#define PKI_DEFAULT_SEED "tdxsim attestation v1"

struct attest_pki {
	EVP_PKEY *root_key, *ca_key, *pck_key, *tcb_key, *ak;
	X509 *root, *ca, *pck, *tcb;
	X509_CRL *root_crl, *pck_crl;
	uint8_t ak_pub[PKI_P256_PUB_LEN];
	uint8_t cpusvn[16]; /* = the PCK certificate's SGX TCB component SVNs */
	uint8_t ppid[16];
	uint8_t qe_report[PKI_QE_REPORT_LEN];	 /* SGX REPORT body of the TD quoting enclave */
	uint8_t qe_report_sig[PKI_P256_SIG_LEN]; /* by the PCK key */
	uint8_t qe_auth[PKI_QE_AUTH_LEN];
	uint8_t qe_mrsigner[32], qe_mrenclave[32];
	char *pck_chain_pem; /* PCK leaf, platform CA, root; NUL-terminated */
	size_t pck_chain_len;
	char *tcb_info;	   /* {"tcbInfo":{...},"signature":"..."} */
	char *qe_identity; /* {"enclaveIdentity":{...},"signature":"..."} */
};

/* This process's PKI, made at first use (thread-safe); NULL if OpenSSL failed. */
const struct attest_pki *attest_pki_get(void);

/* ECDSA P-256 with SHA-256 of @msg by @key, as raw r || s. 0 or -EIO. */
int pki_sign(EVP_PKEY *key, const void *msg, size_t len, uint8_t sig[PKI_P256_SIG_LEN]);
/* 0 if @sig (raw r || s) is @key's signature of @msg; -EBADMSG otherwise. */
int pki_verify(EVP_PKEY *key, const void *msg, size_t len, const uint8_t sig[PKI_P256_SIG_LEN]);
/* A P-256 public key from X || Y; NULL if it is not a point of the curve. */
EVP_PKEY *pki_pub_from_raw(const uint8_t pub[PKI_P256_PUB_LEN]);

/*
 * Write the root certificate and the collateral into the directory @dir (created if
 * missing): root_ca.pem, root_ca.der, root_ca_crl.der, pck_crl.der, pck_crl_issuer_chain.pem,
 * tcb_info.json, tcb_info_issuer_chain.pem, qe_identity.json, qe_identity_issuer_chain.pem,
 * pck_chain.pem and collateral.json (all of it in one object, the form several verifiers
 * take). 0 or -errno.
 */
int attest_pki_export(const char *dir);

#endif /* VMM_ATTEST_PKI_H */
