/* SPDX-License-Identifier: MIT */
/*
 * guest_mem.h - what mem_guest.c (built with the SDK, run on the real module) and
 * test_guest_mem.c agree on: scenarios, GPAs, the data patterns and the test port. Plain C
 * with <stdint.h> only, so it builds freestanding and hosted.
 */
#ifndef TESTS_GUEST_GUEST_MEM_H
#define TESTS_GUEST_GUEST_MEM_H

#include <stdint.h>

/* The scenario in boot option bits 15:8 (tdx_boot_regs[1]). */
#define GTM_SHIFT	 8
#define GTM_ACCEPT	 1  /* ACCEPT statuses, the accept loop and its 2M -> 4K fallback */
#define GTM_VE_ACCEPT	 2  /* a pending page touched: #VE, accepted by the runtime */
#define GTM_VE_NO_ACCEPT 3  /* the same with tdx_accept_on_ve off: fatal */
#define GTM_CONVERT	 4  /* private -> shared -> private with data checked on both sides */
#define GTM_RETRY	 5  /* MapGPA of a long range: RETRY and the resume GPA */
#define GTM_BAD_MAP_GPA	 6  /* MapGPA with bad arguments: exact R10 and R11 */
#define GTM_ATTEST	 7  /* VP.INFO, TDREPORT, RTMR, GetQuote, GetTdVmCallInfo */
#define GTM_ACCEPT_2M	 8  /* 2M accepts the VMM AUGs at 2M, the 4K fallback, MapGPA of them */
#define GTM_ACCEPT_2M_4K 9  /* the 2M accept on a host without free 2M-aligned memory */
#define GTM_CONVERT_SPIN 10 /* GTM_CONVERT while vCPU 1 spins in guest code, never exiting */

/* TD memory: the VMM's default, 64 MiB. GPAs below are untouched before their scenario. */
#define GTM_MEMORY	    (64ULL << 20)
#define GTM_ACCEPT_GPA	    (48ULL << 20) /* 2M aligned: 4K, 2M, mismatch */
#define GTM_TOUCH_GPA	    (52ULL << 20) /* touched without ACCEPT */
#define GTM_CONVERT_GPA	    (40ULL << 20)
#define GTM_CONVERT_PAGES   4
#define GTM_RETRY_GPA	    (20ULL << 20)
#define GTM_RETRY_PAGES	    200		  /* > 3 chunks of 64 pages */
#define GTM_MAILBOX_GPA	    (44ULL << 20) /* attest: two pages converted to shared */
#define GTM_MAILBOX_PAGES   2
#define GTM_MAILBOX_REPORT  0	 /* the first TDREPORT (1024 B) */
#define GTM_MAILBOX_REPORT2 1024 /* the TDREPORT after the RTMR extends */
#define GTM_MAILBOX_QUOTE   2048 /* the quote (DCAP, about 4 KiB) */
#define GTM_QUOTE_MAX	    (GTM_MAILBOX_PAGES * 4096 - GTM_MAILBOX_QUOTE)
#define GTM_MAP_GPA_CHUNK   64 /* pages the VMM converts per MapGPA call (vmm/map_gpa.c) */
/* GTM_ACCEPT_2M(_4K): TD memory 63 MiB, so that the last 2M range is only half inside. */
#define GTM_2M_MEMORY  (63ULL << 20)
#define GTM_2M_GPA     (24ULL << 20) /* 2M aligned, accepted as one 2M page */
#define GTM_2M_END_GPA (62ULL << 20) /* [62, 64) MiB: the 2M ACCEPT falls back to 4K */

/* GTM_CONVERT: the guest writes a pattern into the shared pages, does OUT to GTM_PORT; the
 * test checks it through the VMM's mapping and writes its answer; IN from GTM_PORT gives the
 * test's count of wrong bytes. */
#define GTM_PORT 0x520

static inline uint8_t gtm_guest_byte(uint64_t page, uint64_t off)
{
	return (uint8_t)(0x5A ^ (page * 0x1F) ^ (off * 7));
}

static inline uint8_t gtm_host_byte(uint64_t page, uint64_t off)
{
	return (uint8_t)(0xC3 + page * 0x29 + off * 13);
}

/* GTM_ATTEST: REPORTDATA byte i, and the RTMR extension data. */
static inline uint8_t gtm_reportdata(unsigned int i)
{
	return (uint8_t)(3 * i + 1);
}

static inline uint8_t gtm_rtmr_data(unsigned int index, unsigned int i)
{
	return (uint8_t)(0x40 * index + i);
}

#endif
