/* SPDX-License-Identifier: MIT */
/* What the guests of test_guest_rt.c and the test share. */
#ifndef TDXSIM_TESTS_GUEST_RT_H
#define TDXSIM_TESTS_GUEST_RT_H

/* The scenario, in boot option bits 15:8 (the guest's initial RCX). */
#define GRT_SCN_SHIFT 8

/*
 * split_guest.c: an MMIO page at the first GPA past the TD's 64 MiB (the test's recorder),
 * after a page of the TD's own memory the guest converts to shared, so an access can start
 * in mapped memory and run into the MMIO page.
 */
#define GRT_SPLIT_MMIO_GPA 0x4000000ULL
#define GRT_SPLIT_PREV_GPA (GRT_SPLIT_MMIO_GPA - 0x1000)
#define GRT_SPLIT_OK	   0 /* within the MMIO page: 8 bytes at 0, 4 bytes at 0xFFC, store */
#define GRT_SPLIT_LOAD	   1 /* an 8-byte load at 4 bytes before the MMIO page */
#define GRT_SPLIT_STORE	   2 /* a 4-byte store at 2 bytes before it */
#define GRT_SPLIT_VALUE(off, size)                                                                 \
	((0x8877665544332211ULL + (off)) & ((size) == 8 ? ~0ULL : (1ULL << (8 * (size))) - 1))

#endif
