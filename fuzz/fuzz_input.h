/* SPDX-License-Identifier: MIT */
/*
 * Reading a libFuzzer input as a stream of little-endian values; missing bytes read as 0, so
 * every input, however short, decodes to something (the fuzzers of module/ and vmm/).
 */
#ifndef TDXSIM_FUZZ_INPUT_H
#define TDXSIM_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct fuzz_input {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t in_u8(struct fuzz_input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static inline uint64_t in_u64(struct fuzz_input *in)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < 8; i++)
		v |= (uint64_t)in_u8(in) << (8 * i);
	return v;
}

/* Fill len bytes (zeros past the end). */
static inline void in_bytes(struct fuzz_input *in, void *buf, size_t len)
{
	size_t k = len < in->n ? len : in->n;

	memcpy(buf, in->p, k);
	memset((uint8_t *)buf + k, 0, len - k);
	in->p += k;
	in->n -= k;
}

#endif
