/* SPDX-License-Identifier: MIT */
/*
 * tests/support/quote_body.h - a verified quote's TD quote body (tdxsim_quote_verify) against
 * the TDREPORT it quotes, field by field [ABI §12.1], through the public headers alone.
 */
#ifndef TESTS_SUPPORT_QUOTE_BODY_H
#define TESTS_SUPPORT_QUOTE_BODY_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <tdx/structs.h>
#include <tdxsim/tdxsim.h>

static inline void quote_body_check(const struct tdxsim_quote *q, const struct tdreport *r)
{
	const struct tdxsim_quote_body *b = &q->body;

	assert_int_equal(q->version, 4);
	assert_int_equal(q->att_key_type, 2); /* ECDSA-256 with P-256 */
	assert_int_equal(q->tee_type, 0x81);  /* TDX */
	assert_memory_equal(b->tee_tcb_svn, r->tee_tcb_info.tee_tcb_svn, 16);
	assert_memory_equal(b->mrseam, r->tee_tcb_info.mrseam, 48);
	assert_memory_equal(b->mrsignerseam, r->tee_tcb_info.mrsignerseam, 48);
	assert_memory_equal(b->seamattributes, &r->tee_tcb_info.attributes, 8);
	assert_memory_equal(b->tdattributes, &r->tdinfo.attributes, 8);
	assert_memory_equal(b->xfam, &r->tdinfo.xfam, 8);
	assert_memory_equal(b->mrtd, r->tdinfo.mrtd, 48);
	assert_memory_equal(b->mrconfigid, r->tdinfo.mrconfigid, 48);
	assert_memory_equal(b->mrowner, r->tdinfo.mrowner, 48);
	assert_memory_equal(b->mrownerconfig, r->tdinfo.mrownerconfig, 48);
	assert_memory_equal(b->rtmr, r->tdinfo.rtmr, sizeof(b->rtmr));
	assert_memory_equal(b->reportdata, r->reportmac.reportdata, 64);
}

#endif /* TESTS_SUPPORT_QUOTE_BODY_H */
