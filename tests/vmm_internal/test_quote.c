// SPDX-License-Identifier: MIT
/*
 * DCAP quotes (vmm/quote.c, vmm/attest_pki.c): every field against the TDREPORT, the same
 * bytes in every run, tdxsim's own verifier (every flipped byte caught, another root
 * refused), bad TDREPORTs refused, and the quote and the exported collateral verified by the
 * openssl command line (tests/vmm_internal/quote_check.h); `tdxsim attest-collateral` (argv[1]).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/sha.h>

#include "tests/vmm_internal/quote_check.h"
#include "vmm/attest_pki.h"
#include "vmm/quote.h"

static const char *tdxsim_path;
static uint8_t report[QUOTE_TDREPORT_LEN];

/* A TDREPORT as TDG.MR.REPORT lays it out [ABI §9], fields filled with patterns. */
static void make_report(uint8_t *r)
{
	memset(r, 0, QUOTE_TDREPORT_LEN);
	r[0] = 0x81; /* REPORTTYPE: TDX, subtype 0, version 0 */
	for (int i = 0; i < 64; i++)
		r[128 + i] = (uint8_t)(0xA0 + i); /* REPORTDATA */
	r[256] = 0xFF;				  /* TEE_TCB_INFO.VALID */
	r[264] = 5;				  /* TEE_TCB_SVN */
	r[265] = 1;
	for (int i = 280; i < 384; i++) /* MRSEAM, MRSIGNERSEAM, ATTRIBUTES */
		r[i] = (uint8_t)(i * 3);
	for (int i = 512; i < 912; i++) /* TDINFO to RTMR3 */
		r[i] = (uint8_t)(i * 7 + 1);
	SHA384(r + 256, 256, r + 32);
	SHA384(r + 512, 512, r + 80);
}

static int setup(void **state)
{
	struct quote_signer *s = quote_signer_new();

	assert_non_null(s);
	make_report(report);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	quote_signer_free(*state);
	return 0;
}

static uint8_t *new_quote(struct quote_signer *s, size_t *len)
{
	uint8_t *q;

	*len = quote_signer_quote_len(s);
	q = malloc(*len + 1);
	assert_non_null(q);
	assert_int_equal(quote_generate(s, report, q, *len + 1), (long)*len);
	return q;
}

static void test_layout(void **state)
{
	struct quote_signer *s = *state;
	size_t len;
	uint8_t *q = new_quote(s, &len);

	/* the PEM chain of three P-256 certificates: a bit over 2 KiB */
	assert_in_range(len, QUOTE_PCK_CHAIN_OFF + 2000, QUOTE_PCK_CHAIN_OFF + 3500);
	quote_check_fields(q, len, report);
	assert_memory_equal(q + QUOTE_AK_OFF, quote_signer_pubkey(s), 64);
	assert_int_equal(quote_generate(s, report, q, len - 1), -ENOSPC);
	free(q);
}

/* Keys, certificates and signatures are deterministic: the same report, the same bytes. */
static void test_deterministic(void **state)
{
	struct quote_signer *s = *state, *other = quote_signer_new();
	size_t len, len2;
	uint8_t *q = new_quote(s, &len), *q2 = new_quote(other, &len2);

	assert_int_equal(len, len2);
	assert_memory_equal(q, q2, len);
	free(q2);
	quote_signer_free(other);
	free(q);
}

static void test_round_trip(void **state)
{
	struct quote_signer *s = *state;
	const struct attest_pki *pki = attest_pki_get();
	unsigned char *der = NULL, *ca_der = NULL;
	int der_len = i2d_X509(pki->root, &der), ca_len = i2d_X509(pki->ca, &ca_der);
	uint8_t body[QUOTE_BODY_LEN];
	size_t len;
	uint8_t *q = new_quote(s, &len);

	assert_int_equal(quote_verify(q, len, NULL, 0, body), 0);
	assert_memory_equal(body, q + QUOTE_BODY_OFF, QUOTE_BODY_LEN);
	assert_int_equal(quote_verify(q, len, der, (size_t)der_len, NULL), 0);
	/* the platform CA is no trust anchor; garbage is no certificate */
	assert_int_equal(quote_verify(q, len, ca_der, (size_t)ca_len, NULL), -EKEYREJECTED);
	assert_int_equal(quote_verify(q, len, q, 100, NULL), -EINVAL);
	OPENSSL_free(der);
	OPENSSL_free(ca_der);
	free(q);
}

/* Every byte is covered: flipping any one fails, a body byte with exactly -EBADMSG. */
static void test_flipped_bytes(void **state)
{
	struct quote_signer *s = *state;
	size_t len;
	uint8_t *q = new_quote(s, &len);

	for (size_t i = 0; i < len; i++) {
		int ret;

		q[i] ^= 0x01;
		ret = quote_verify(q, len, NULL, 0, NULL);
		if (ret == 0)
			fail_msg("flipping byte %zu went unnoticed", i);
		if ((i >= QUOTE_BODY_OFF && i < QUOTE_SIG_DATA_LEN_OFF) ||
		    (i >= QUOTE_QE_REPORT_OFF && i < QUOTE_QE_AUTH_SIZE_OFF) ||
		    (i >= QUOTE_QE_AUTH_OFF && i < QUOTE_PCK_TYPE_OFF))
			assert_int_equal(ret, -EBADMSG);
		if (i < QUOTE_BODY_OFF && i >= 28) /* user data: signed, not checked */
			assert_int_equal(ret, -EBADMSG);
		q[i] ^= 0x01;
	}
	assert_int_equal(quote_verify(q, len, NULL, 0, NULL), 0);
	free(q);
}

static void test_malformed(void **state)
{
	struct quote_signer *s = *state;
	size_t len;
	uint8_t *q = new_quote(s, &len);

	assert_int_equal(quote_verify(q, len - 1, NULL, 0, NULL), -EINVAL);
	assert_int_equal(quote_verify(q, len + 1, NULL, 0, NULL), -EINVAL);
	assert_int_equal(quote_verify(NULL, len, NULL, 0, NULL), -EINVAL);
	assert_int_equal(quote_verify(q, QUOTE_PCK_CHAIN_OFF, NULL, 0, NULL), -EINVAL);
	/* the all-zero signature (r = s = 0) is not a signature */
	memset(q + QUOTE_SIG_OFF, 0, 64);
	assert_int_equal(quote_verify(q, len, NULL, 0, NULL), -EBADMSG);
	free(q);
}

/* What is not a TDX TDREPORT with consistent hashes gets no quote. */
static void test_bad_report(void **state)
{
	struct quote_signer *s = *state;
	static const int bad[][2] = {
		{0, 0x81},    {1, 0x01}, {2, 0x02},
		{3, 0x01},    {4, 0x01}, {15, 0x80}, /* REPORTTYPE, reserved */
		{40, 0x01},			     /* TEE_TCB_INFO_HASH */
		{100, 0x01},			     /* TEE_INFO_HASH */
		{300, 0x01},			     /* MRSEAM under the hash */
		{600, 0x01},			     /* MRCONFIGID under the hash */
		{1000, 0x01},			     /* TDINFO's reserved end, under the hash */
	};
	size_t len = quote_signer_quote_len(s);
	uint8_t *q = malloc(len);

	assert_non_null(q);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		make_report(report);
		report[bad[i][0]] ^= (uint8_t)bad[i][1];
		assert_int_equal(quote_generate(s, report, q, len), -EINVAL);
	}
	/* version 1 (a service-TD hash present) is a TDREPORT too */
	make_report(report);
	report[2] = 1;
	assert_int_equal(quote_generate(s, report, q, len), (long)len);
	make_report(report);
	free(q);
}

static void test_openssl(void **state)
{
	struct quote_signer *s = *state;
	char exp[] = "/tmp/tdxsim-collateral-XXXXXX", work[] = "/tmp/tdxsim-quote-XXXXXX";
	char out[4096];
	size_t len;
	uint8_t *q = new_quote(s, &len);

	assert_non_null(mkdtemp(exp));
	assert_non_null(mkdtemp(work));
	assert_int_equal(attest_pki_export(exp), 0);
	quote_check_openssl(q, len, exp, work);
	/* the command exports the same files, and a seed of one's own gives another root */
	if (tdxsim_path) {
		QC_OK(work, "'%s' attest-collateral cmd && diff -r cmd '%s'", tdxsim_path, exp);
		QC_OK(work,
		      "TDXSIM_ATTEST_SEED=mine '%s' attest-collateral mine > /dev/null && ! cmp -s "
		      "mine/root_ca.pem cmd/root_ca.pem && openssl verify -CAfile mine/root_ca.pem "
		      "-untrusted ca.pem leaf.pem; test $? = 2",
		      tdxsim_path);
		assert_int_equal(
			qc_sh(work, out, sizeof(out), "'%s' attest-collateral", tdxsim_path), 125);
	}
	assert_int_equal(qc_sh(work, out, sizeof(out), "rm -rf '%s' '%s'", exp, work), 0);
	free(q);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deterministic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flipped_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_report, setup, teardown),
		cmocka_unit_test_setup_teardown(test_openssl, setup, teardown),
	};

	if (argc > 1)
		tdxsim_path = realpath(argv[1], NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
