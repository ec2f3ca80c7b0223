/* SPDX-License-Identifier: MIT */
/*
 * insn_oracle.h - the guest MMIO decoder compared with Zydis (rules in insn_oracle.c). Used by
 * tests/guest/test_insn_zydis.c and fuzz/fuzz_insn_decode.c.
 */
#ifndef TESTS_GUEST_INSN_ORACLE_H
#define TESTS_GUEST_INSN_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <Zydis/Zydis.h>

#include <tdxguest/insn.h>

struct insn_oracle_stats {
	unsigned long compared;	      /* byte strings given to both decoders */
	unsigned long agreed;	      /* we accept, Zydis agrees on every field */
	unsigned long both_reject;    /* neither decodes an MMIO form */
	unsigned long zydis_other;    /* Zydis decodes something that is not one of our forms */
	unsigned long ours_rep;	      /* Zydis decodes our form, we refuse on purpose: REP */
	unsigned long ours_string;    /* ... MOVS */
	unsigned long lock;	      /* LOCK: both reject */
	unsigned long regop;	      /* register operand: both see no memory operand */
	unsigned long truncated;      /* both need more bytes */
	unsigned long too_long;	      /* both refuse > 15 bytes */
	unsigned long guard_prefixes; /* truncated decodes next to a PROT_NONE page */
	unsigned long zydis_bug_592;  /* agreed except where Zydis 4.0 is wrong (insn_oracle.c) */
};
extern struct insn_oracle_stats insn_oracle_st;

/* Set up the Zydis decoder (64-bit mode). 0 on success. */
int insn_oracle_init(void);

/*
 * Decode buf[0..n) with both decoders and apply the rules. Returns NULL when they agree, else
 * what differs. Our result goes to *err and *in (either may be NULL).
 */
const char *insn_oracle_compare(const uint8_t *buf, size_t n, enum insn_err *err,
				struct insn_mmio *in);

#endif /* TESTS_GUEST_INSN_ORACLE_H */
