// SPDX-License-Identifier: MIT
/*
 * fuzz_insn_decode - the guest MMIO decoder (guest/lib/insn_decode.c, built for the host)
 * against Zydis.
 *
 * The input is the instruction: the decoder gets exactly the fuzzer's bytes, in a heap buffer
 * of that size, so ASan reports any read past the end. For every input the two decoders must
 * agree by the rules of tests/guest/insn_oracle.c (for what we accept: length, access and
 * operand size, register, direction, addressing, immediate; for what we reject: a reason
 * Zydis shares or one we chose on purpose). On top of that, for an accepted instruction:
 *  - every proper prefix of it is INSN_ERR_TRUNCATED (decoded again from a buffer of exactly
 *    that size), and the decode of a longer buffer is the same;
 *  - insn_mmio_load() only changes the destination register, and insn_mmio_store_value() fits
 *    the access size.
 * A disagreement prints the reason and the bytes, then aborts (libFuzzer saves the input).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "insn_oracle.h"

static void die(const char *why, const uint8_t *buf, size_t n)
{
	fprintf(stderr, "fuzz_insn_decode: %s; bytes (%zu):", why, n);
	for (size_t i = 0; i < n && i < 32; i++)
		fprintf(stderr, " %02x", buf[i]);
	fprintf(stderr, "\n");
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return insn_oracle_init();
}

/* Decode exactly buf[0..n) from a heap copy of that size. */
static enum insn_err decode_exact(const uint8_t *buf, size_t n, struct insn_mmio *out)
{
	uint8_t *p = malloc(n ? n : 1);
	enum insn_err err;

	if (!p)
		abort();
	memcpy(p, buf, n);
	memset(out, 0, sizeof(*out)); /* padding too: the results are compared with memcmp */
	err = insn_decode_mmio(p, n, out);
	free(p);
	return err;
}

static void check_semantics(const struct insn_mmio *in, const uint8_t *data, size_t size)
{
	uint64_t gpr[16], before[16];
	uint64_t val = 0, mask;

	for (int i = 0; i < 16; i++)
		gpr[i] = before[i] = 0x0123456789abcdefULL * (uint64_t)(i + 1);
	memcpy(&val, data, size < 8 ? size : 8);
	mask = in->size >= 8 ? ~0ULL : (1ULL << (8 * in->size)) - 1;

	if (in->kind == INSN_MMIO_WRITE || in->kind == INSN_MMIO_WRITE_IMM) {
		if (insn_mmio_store_value(in, gpr) & ~mask)
			die("store value wider than the access", data, size);
		return;
	}
	if (in->reg < 0 || in->reg > 15)
		die("load without a destination register", data, size);
	insn_mmio_load(in, gpr, ~val);
	for (int i = 0; i < 16; i++)
		if (i != in->reg && gpr[i] != before[i])
			die("load changed a register other than the destination", data, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct insn_mmio in, full, again;
	enum insn_err err;
	uint8_t *p = malloc(size ? size : 1);
	const char *why;

	if (!p)
		abort();
	memcpy(p, data, size);
	/* Exactly the fuzzer's bytes: an over-read is a heap-buffer-overflow. */
	why = insn_oracle_compare(p, size, &err, &in);
	free(p);
	if (why)
		die(why, data, size);
	if (err != INSN_OK)
		return 0;
	if (in.len < 1 || in.len > INSN_MAX_LEN || in.len > size)
		die("accepted length out of range", data, size);
	for (size_t k = 0; k < in.len; k++)
		if (decode_exact(data, k, &again) != INSN_ERR_TRUNCATED)
			die("a proper prefix of an accepted instruction is not TRUNCATED", data, k);
	if (decode_exact(data, size, &full) != INSN_OK ||
	    decode_exact(data, in.len, &again) != INSN_OK || memcmp(&again, &full, sizeof(full)))
		die("the instruction alone decodes differently", data, size);
	check_semantics(&in, data, size);
	return 0;
}
