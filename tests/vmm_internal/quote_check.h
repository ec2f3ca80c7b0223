/* SPDX-License-Identifier: MIT */
/*
 * tests/vmm_internal/quote_check.h - checks of a DCAP quote shared by the VMM-level test
 * (test_quote.c) and the guest test (tests/guest/test_guest_mem.c):
 *
 * quote_check_fields(): every field of the quote against the TDREPORT it was made of and
 * against the constants of the format [ABI §12].
 * quote_check_openssl(): a verification by an implementation that is not the project's,
 * the `openssl` command line: the PCK chain against the exported root with both CRLs, the
 * CRLs' signatures, the PCK key's signature of the QE report, the attestation key's
 * signature of header and body (DER from the quote's raw r || s, made here), the QE report
 * data binding, the TCB signing chain and the signatures of the TCB info and QE identity.
 */
#ifndef TESTS_VMM_QUOTE_CHECK_H
#define TESTS_VMM_QUOTE_CHECK_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmm/attest_pki.h"
#include "vmm/quote.h"

static inline unsigned qc_le16(const uint8_t *p)
{
	return (unsigned)(p[0] | p[1] << 8);
}

static inline uint32_t qc_le32(const uint8_t *p)
{
	return (uint32_t)qc_le16(p) | (uint32_t)qc_le16(p + 2) << 16;
}

/* Every field of @q (@len bytes) against the TDREPORT @r it quotes. */
static inline void quote_check_fields(const uint8_t *q, size_t len, const uint8_t *r)
{
	static const uint8_t zero[64];
	const uint8_t *b = q + QUOTE_BODY_OFF, *qe = q + QUOTE_QE_REPORT_OFF;
	const struct attest_pki *pki = attest_pki_get();

	assert_non_null(pki);
	/* header */
	assert_int_equal(qc_le16(q), 4);
	assert_int_equal(qc_le16(q + 2), 2);	/* ECDSA-256 with P-256 */
	assert_int_equal(qc_le32(q + 4), 0x81); /* TDX */
	assert_memory_equal(q + 8, zero, 4);	/* reserved */
	assert_memory_equal(q + 12,
			    "\x93\x9A\x72\x33\xF7\x9C\x4C\xA9\x94\x0A\x0D\xB3\x95\x7F\x06\x07",
			    16);	       /* Intel's QE vendor ID */
	assert_memory_equal(q + 28, zero, 20); /* user data */
	/* body: each field from its place in the TDREPORT */
	assert_memory_equal(b + 0, r + 264, 16);   /* TEE_TCB_SVN */
	assert_memory_equal(b + 16, r + 280, 48);  /* MRSEAM */
	assert_memory_equal(b + 64, r + 328, 48);  /* MRSIGNERSEAM */
	assert_memory_equal(b + 112, r + 376, 8);  /* SEAMATTRIBUTES */
	assert_memory_equal(b + 120, r + 512, 8);  /* TDATTRIBUTES */
	assert_memory_equal(b + 128, r + 520, 8);  /* XFAM */
	assert_memory_equal(b + 136, r + 528, 48); /* MRTD */
	assert_memory_equal(b + 184, r + 576, 48); /* MRCONFIGID */
	assert_memory_equal(b + 232, r + 624, 48); /* MROWNER */
	assert_memory_equal(b + 280, r + 672, 48); /* MROWNERCONFIG */
	for (int i = 0; i < 4; i++)
		assert_memory_equal(b + 328 + 48 * i, r + 720 + 48 * i, 48); /* RTMRi */
	assert_memory_equal(b + 520, r + 128, 64);			     /* REPORTDATA */
	/* signature data */
	assert_int_equal(qc_le32(q + 632), len - 636);
	assert_memory_equal(q + 700, pki->ak_pub, 64);
	assert_int_equal(qc_le16(q + 764), 6); /* QE report certification data */
	assert_int_equal(qc_le32(q + 766), len - 770);
	/* the QE's SGX report body */
	assert_memory_equal(qe + 0, pki->cpusvn, 16);
	assert_int_equal(qc_le32(qe + 16), 0); /* MISCSELECT */
	assert_int_equal(qe[48], 0x11);	       /* ATTRIBUTES.FLAGS INIT | MODE64BIT */
	assert_memory_equal(qe + 64, pki->qe_mrenclave, 32);
	assert_memory_equal(qe + 128, pki->qe_mrsigner, 32);
	assert_int_equal(qc_le16(qe + 256), PKI_QE_ISVPRODID);
	assert_int_equal(qc_le16(qe + 258), PKI_QE_ISVSVN);
	assert_memory_equal(qe + 352, zero, 32); /* REPORTDATA's second half */
	assert_int_equal(qc_le16(q + 1218), 32); /* QE authentication data */
	for (int i = 0; i < 32; i++)
		assert_int_equal(q[1220 + i], i);
	assert_int_equal(qc_le16(q + 1252), 5); /* PCK certificate chain */
	assert_int_equal(qc_le32(q + 1254), len - 1258);
	assert_int_equal(len - 1258, pki->pck_chain_len);
	assert_memory_equal(q + 1258, pki->pck_chain_pem, pki->pck_chain_len);
}

/* ---- the openssl command line ---- */

static inline void qc_write(const char *dir, const char *name, const void *p, size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static inline char *qc_read(const char *dir, const char *name, size_t *n)
{
	char path[512], *buf;
	FILE *f;
	long len;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	if (n)
		*n = (size_t)len;
	return buf;
}

/* Run a shell command in @dir; its output (stdout and stderr) into @out; its status. */
static inline int qc_sh(const char *dir, char *out, size_t cap, const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	FILE *p;
	size_t n = 0;
	int st;

	n = (size_t)snprintf(cmd, sizeof(cmd), "cd '%s' && { ", dir);
	va_start(ap, fmt);
	n += (size_t)vsnprintf(cmd + n, sizeof(cmd) - n, fmt, ap);
	va_end(ap);
	snprintf(cmd + n, sizeof(cmd) - n, "; } 2>&1");
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, cap - 1, p);
	out[n] = 0;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define QC_OK(dir, ...)                                                                            \
	do {                                                                                       \
		char qc_out_[8192];                                                                \
		int qc_st_ = qc_sh(dir, qc_out_, sizeof(qc_out_), __VA_ARGS__);                    \
		if (qc_st_)                                                                        \
			fail_msg("%s: status %d: %s", #__VA_ARGS__, qc_st_, qc_out_);              \
	} while (0)

#define QC_FAILS(dir, ...)                                                                         \
	do {                                                                                       \
		char qc_out_[8192];                                                                \
		assert_int_not_equal(qc_sh(dir, qc_out_, sizeof(qc_out_), __VA_ARGS__), 0);        \
	} while (0)

/* DER ECDSA-Sig-Value of raw r || s, written here (not by the project's code). */
static inline size_t qc_sig_der(const uint8_t rs[64], uint8_t *der)
{
	uint8_t body[72];
	size_t n = 0;

	for (int half = 0; half < 2; half++) {
		const uint8_t *v = rs + 32 * half;
		size_t skip = 0;

		while (skip < 31 && !v[skip])
			skip++;
		body[n++] = 0x02;
		body[n++] = (uint8_t)(32 - skip + (v[skip] & 0x80 ? 1 : 0));
		if (v[skip] & 0x80)
			body[n++] = 0;
		memcpy(body + n, v + skip, 32 - skip);
		n += 32 - skip;
	}
	der[0] = 0x30;
	der[1] = (uint8_t)n;
	memcpy(der + 2, body, n);
	return n + 2;
}

static inline void qc_write_sig(const char *dir, const char *name, const uint8_t rs[64])
{
	uint8_t der[80];

	qc_write(dir, name, der, qc_sig_der(rs, der));
}

static inline uint8_t qc_nibble(char c)
{
	return (uint8_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
}

/*
 * A signed collateral document {"NAME":BODY,"signature":"HEX"}: BODY into @body_name, the
 * signature as DER into @sig_name.
 */
static inline void qc_split_json(const char *dir, const char *doc, const char *body_name,
				 const char *sig_name)
{
	const char *b = strchr(doc, ':') + 1, *s = strstr(doc, ",\"signature\":\"");
	uint8_t rs[64];

	assert_non_null(s);
	qc_write(dir, body_name, b, (size_t)(s - b));
	s += strlen(",\"signature\":\"");
	for (int i = 0; i < 64; i++)
		rs[i] = (uint8_t)(qc_nibble(s[2 * i]) << 4 | qc_nibble(s[2 * i + 1]));
	assert_int_equal(s[128], '"');
	qc_write_sig(dir, sig_name, rs);
}

/* SubjectPublicKeyInfo of a P-256 key: the fixed DER prefix, 0x04, X || Y. */
static const uint8_t qc_spki_p256[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2A, 0x86, 0x48,
				       0xCE, 0x3D, 0x02, 0x01, 0x06, 0x08, 0x2A, 0x86, 0x48,
				       0xCE, 0x3D, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04};

/*
 * Verify @q with openssl against the root and collateral that @export_dir holds (written by
 * attest_pki_export or `tdxsim attest-collateral`); files of its own go to @dir.
 */
static inline void quote_check_openssl(const uint8_t *q, size_t len, const char *export_dir,
				       const char *dir)
{
	const char *chain = (const char *)q + QUOTE_PCK_CHAIN_OFF, *end;
	const char *names[3] = {"leaf.pem", "ca.pem", "quote_root.pem"};
	uint8_t spki[sizeof(qc_spki_p256) + 64], hash_in[96], *hash;
	char *doc;
	size_t n;

	qc_write(dir, "quote.bin", q, len);
	/* the PCK chain: leaf, platform CA, root */
	for (int i = 0; i < 3; i++) {
		end = strstr(chain, "-----END CERTIFICATE-----\n");
		assert_non_null(end);
		end += strlen("-----END CERTIFICATE-----\n");
		qc_write(dir, names[i], chain, (size_t)(end - chain));
		chain = end;
	}
	assert_ptr_equal(chain, (const char *)q + len);
	QC_OK(dir, "cmp quote_root.pem '%s/root_ca.pem'", export_dir);
	QC_OK(dir,
	      "openssl verify -x509_strict -CAfile '%s/root_ca.pem' -untrusted ca.pem leaf.pem",
	      export_dir);
	QC_OK(dir,
	      "openssl crl -inform DER -in '%s/root_ca_crl.der' -out root_crl.pem && "
	      "openssl crl -inform DER -in '%s/pck_crl.der' -out pck_crl.pem && "
	      "openssl verify -x509_strict -crl_check_all -CAfile '%s/root_ca.pem' "
	      "-CRLfile root_crl.pem -CRLfile pck_crl.pem -untrusted ca.pem leaf.pem",
	      export_dir, export_dir, export_dir);
	QC_OK(dir,
	      "openssl crl -inform DER -in '%s/root_ca_crl.der' -CAfile '%s/root_ca.pem' -noout "
	      "2>&1 | grep -x 'verify OK'",
	      export_dir, export_dir);
	QC_OK(dir,
	      "cat ca.pem '%s/root_ca.pem' > ca_root.pem && openssl crl -inform DER -in "
	      "'%s/pck_crl.der' -CAfile ca_root.pem -noout 2>&1 | grep -x 'verify OK'",
	      export_dir, export_dir);
	QC_OK(dir,
	      "openssl x509 -in '%s/pck_crl_issuer_chain.pem' > crl_issuer.pem && cmp ca.pem "
	      "crl_issuer.pem",
	      export_dir);
	/* the PCK certificate's SGX extension: FMSPC, PCE-ID, SGX type, PCESVN, CPUSVN */
	QC_OK(dir,
	      "off=$(openssl asn1parse -in leaf.pem | grep -A1 ':1.2.840.113741.1.13.1$' | "
	      "tail -1 | cut -d: -f1) && openssl asn1parse -in leaf.pem -strparse $off > ext.txt "
	      "&& grep -A1 ':1.2.840.113741.1.13.1.4$' ext.txt | grep -q '%s' && "
	      "grep -A1 ':1.2.840.113741.1.13.1.3$' ext.txt | grep -q 'HEX DUMP\\]:0000$' && "
	      "grep -A1 ':1.2.840.113741.1.13.1.5$' ext.txt | grep -q 'ENUMERATED *:00$' && "
	      "grep -A1 ':1.2.840.113741.1.13.1.2.17$' ext.txt | grep -q 'INTEGER *:0B$' && "
	      "grep -A1 ':1.2.840.113741.1.13.1.2.18$' ext.txt | grep -q "
	      "'HEX DUMP\\]:03030202030100050000000000000000$' && "
	      "test $(grep -c ':1.2.840.113741.1.13.1.2.[0-9]*$' ext.txt) = 18",
	      PKI_FMSPC);
	/* the PCK key signed the QE report */
	qc_write(dir, "qe_report.bin", q + QUOTE_QE_REPORT_OFF, QUOTE_QE_REPORT_LEN);
	qc_write_sig(dir, "qe_report_sig.der", q + QUOTE_QE_SIG_OFF);
	QC_OK(dir, "openssl x509 -in leaf.pem -pubkey -noout > pck_pub.pem && openssl dgst "
		   "-sha256 -verify pck_pub.pem -signature qe_report_sig.der qe_report.bin");
	/* the attestation key signed header and body */
	memcpy(spki, qc_spki_p256, sizeof(qc_spki_p256));
	memcpy(spki + sizeof(qc_spki_p256), q + QUOTE_AK_OFF, 64);
	qc_write(dir, "ak.der", spki, sizeof(spki));
	qc_write(dir, "signed.bin", q, QUOTE_SIG_DATA_LEN_OFF);
	qc_write_sig(dir, "ak_sig.der", q + QUOTE_SIG_OFF);
	QC_OK(dir, "openssl pkey -pubin -inform DER -in ak.der -out ak.pem && openssl dgst "
		   "-sha256 -verify ak.pem -signature ak_sig.der signed.bin");
	/* ... and not a byte else: one flipped byte of the body fails */
	QC_FAILS(dir, "cp signed.bin bad.bin && printf '\\x5a' | dd of=bad.bin bs=1 seek=200 "
		      "conv=notrunc status=none && openssl dgst -sha256 -verify ak.pem "
		      "-signature ak_sig.der bad.bin");
	/* the QE report data binds the attestation key and the authentication data */
	memcpy(hash_in, q + QUOTE_AK_OFF, 64);
	memcpy(hash_in + 64, q + QUOTE_QE_AUTH_OFF, 32);
	qc_write(dir, "qe_hash_in.bin", hash_in, sizeof(hash_in));
	QC_OK(dir, "openssl dgst -sha256 -binary qe_hash_in.bin > qe_hash.bin");
	hash = (uint8_t *)qc_read(dir, "qe_hash.bin", &n);
	assert_int_equal(n, 32);
	assert_memory_equal(hash, q + QUOTE_QE_REPORT_OFF + 320, 32);
	free(hash);
	/* the collateral: TCB signing chain, TCB info and QE identity signatures */
	QC_OK(dir,
	      "openssl x509 -in '%s/tcb_info_issuer_chain.pem' > tcb.pem && openssl verify "
	      "-x509_strict -CAfile '%s/root_ca.pem' tcb.pem && cmp '%s/tcb_info_issuer_chain.pem' "
	      "'%s/qe_identity_issuer_chain.pem' && openssl x509 -in tcb.pem -pubkey -noout > "
	      "tcb_pub.pem && openssl x509 -in tcb.pem -noout -subject | grep -q 'CN = Intel SGX "
	      "TCB Signing'",
	      export_dir, export_dir, export_dir, export_dir);
	doc = qc_read(export_dir, "tcb_info.json", NULL);
	assert_non_null(strstr(doc, "{\"tcbInfo\":{\"id\":\"TDX\",\"version\":3,"));
	assert_non_null(strstr(doc, "\"tdxtcbcomponents\":["));
	assert_non_null(strstr(doc, "\"fmspc\":\"" PKI_FMSPC "\""));
	qc_split_json(dir, doc, "tcb_info_body.json", "tcb_info_sig.der");
	free(doc);
	QC_OK(dir, "openssl dgst -sha256 -verify tcb_pub.pem -signature tcb_info_sig.der "
		   "tcb_info_body.json");
	doc = qc_read(export_dir, "qe_identity.json", NULL);
	assert_non_null(strstr(doc, "{\"enclaveIdentity\":{\"id\":\"TD_QE\",\"version\":2,"));
	qc_split_json(dir, doc, "qe_identity_body.json", "qe_identity_sig.der");
	free(doc);
	QC_OK(dir, "openssl dgst -sha256 -verify tcb_pub.pem -signature qe_identity_sig.der "
		   "qe_identity_body.json");
	/* a root of the same name and another key is not trusted */
	QC_OK(dir, "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
		   "-keyout other.key -out other_root.pem -days 2 -subj '/CN=Intel SGX Root "
		   "CA/O=Intel Corporation/L=Santa Clara/ST=CA/C=US' 2>/dev/null");
	QC_FAILS(dir, "openssl verify -CAfile other_root.pem -untrusted ca.pem leaf.pem");
}

#endif /* TESTS_VMM_QUOTE_CHECK_H */
