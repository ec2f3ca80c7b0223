// SPDX-License-Identifier: MIT
/* Software quotes: format, round trip, every byte covered, PEM keys, malformed input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "vmm/quote.h"

static uint8_t report[TDXSIM_QUOTE_REPORT_LEN];

static int setup(void **state)
{
	struct quote_signer *s = quote_signer_new();

	assert_non_null(s);
	for (size_t i = 0; i < sizeof(report); i++)
		report[i] = (uint8_t)(i * 7 + 1);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	quote_signer_free(*state);
	return 0;
}

static void test_layout(void **state)
{
	struct quote_signer *s = *state;
	uint8_t q[2048];

	assert_int_equal(TDXSIM_QUOTE_LEN, 1249);
	assert_int_equal(quote_generate(s, report, q, sizeof(q)), 1249);
	assert_memory_equal(q, "TDXSIMQ1", 8);
	assert_int_equal(q[8] | q[9] << 8, 1);	    /* version */
	assert_int_equal(q[10] | q[11] << 8, 32);   /* header_len */
	assert_int_equal(q[12] | q[13] << 8, 1024); /* report_len */
	assert_int_equal(q[16] | q[17] << 8, 1);    /* sig_alg */
	assert_int_equal(q[18] | q[19] << 8, 96);   /* sig_len */
	assert_int_equal(q[20] | q[21] << 8, 1);    /* key_alg */
	assert_int_equal(q[22] | q[23] << 8, 97);   /* key_len */
	assert_int_equal(q[24] | q[25] << 8, 1249); /* total_len */
	assert_memory_equal(q + 32, report, 1024);
	assert_memory_equal(q + 1152, quote_signer_pubkey(s), 97);
	assert_int_equal(q[1152], 0x04);
	assert_int_equal(quote_generate(s, report, q, 1248), -ENOSPC);
}

static void test_round_trip(void **state)
{
	struct quote_signer *s = *state, *other = quote_signer_new();
	uint8_t q[TDXSIM_QUOTE_LEN], out[TDXSIM_QUOTE_REPORT_LEN];

	assert_non_null(other);
	assert_int_equal(quote_generate(s, report, q, sizeof(q)), TDXSIM_QUOTE_LEN);
	assert_int_equal(quote_verify(q, sizeof(q), NULL, out), 0);
	assert_memory_equal(out, report, sizeof(out));
	assert_int_equal(quote_verify(q, sizeof(q), quote_signer_pubkey(s), NULL), 0);
	/* good signature, but not by the key the verifier trusts */
	assert_int_equal(quote_verify(q, sizeof(q), quote_signer_pubkey(other), NULL),
			 -EKEYREJECTED);
	quote_signer_free(other);
}

/* Every byte is covered: flipping any one fails (malformed or bad signature). */
static void test_flipped_bytes(void **state)
{
	struct quote_signer *s = *state;
	uint8_t q[TDXSIM_QUOTE_LEN];

	assert_int_equal(quote_generate(s, report, q, sizeof(q)), TDXSIM_QUOTE_LEN);
	for (size_t i = 0; i < sizeof(q); i++) {
		int ret;

		q[i] ^= 0x01;
		ret = quote_verify(q, sizeof(q), NULL, NULL);
		if (i < TDXSIM_QUOTE_HDR_LEN)
			assert_int_equal(ret, -EINVAL);
		else if (i < TDXSIM_QUOTE_KEY_OFF)
			assert_int_equal(ret, -EBADMSG);
		else
			assert_true(ret == -EINVAL || ret == -EBADMSG); /* off-curve or wrong key */
		q[i] ^= 0x01;
	}
	/* a report byte: exactly -EBADMSG */
	q[TDXSIM_QUOTE_REPORT_OFF + 128] ^= 0x80;
	assert_int_equal(quote_verify(q, sizeof(q), NULL, NULL), -EBADMSG);
	q[TDXSIM_QUOTE_REPORT_OFF + 128] ^= 0x80;
	assert_int_equal(quote_verify(q, sizeof(q), NULL, NULL), 0);
}

static void test_malformed(void **state)
{
	struct quote_signer *s = *state;
	uint8_t q[TDXSIM_QUOTE_LEN + 1];

	assert_int_equal(quote_generate(s, report, q, sizeof(q)), TDXSIM_QUOTE_LEN);
	assert_int_equal(quote_verify(q, TDXSIM_QUOTE_LEN - 1, NULL, NULL), -EINVAL);
	assert_int_equal(quote_verify(q, TDXSIM_QUOTE_LEN + 1, NULL, NULL), -EINVAL);
	assert_int_equal(quote_verify(NULL, TDXSIM_QUOTE_LEN, NULL, NULL), -EINVAL);
	/* the all-zero signature (r = s = 0) is not a signature */
	memset(q + TDXSIM_QUOTE_SIG_OFF, 0, TDXSIM_QUOTE_SIG_LEN);
	assert_int_equal(quote_verify(q, TDXSIM_QUOTE_LEN, NULL, NULL), -EBADMSG);
}

static void test_pem(void **state)
{
	struct quote_signer *s = *state, *loaded;
	char path[] = "/tmp/tdxsim-quote-key-XXXXXX";
	uint8_t q[TDXSIM_QUOTE_LEN];
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(quote_signer_save_pem(s, path), 0);
	loaded = quote_signer_load_pem(path);
	assert_non_null(loaded);
	assert_memory_equal(quote_signer_pubkey(loaded), quote_signer_pubkey(s), 97);
	assert_int_equal(quote_generate(loaded, report, q, sizeof(q)), TDXSIM_QUOTE_LEN);
	assert_int_equal(quote_verify(q, sizeof(q), quote_signer_pubkey(s), NULL), 0);
	quote_signer_free(loaded);
	/* not a key */
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("not a key\n", f);
	fclose(f);
	assert_null(quote_signer_load_pem(path));
	/* an EC key on another curve is refused */
	EVP_PKEY *p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_non_null(p256);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PrivateKey(f, p256, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
	EVP_PKEY_free(p256);
	assert_null(quote_signer_load_pem(path));
	unlink(path);
	assert_null(quote_signer_load_pem("/nonexistent/key.pem"));
	assert_int_equal(quote_signer_save_pem(s, "/nonexistent/key.pem"), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flipped_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pem, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
