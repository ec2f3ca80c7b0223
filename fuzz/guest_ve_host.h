/* SPDX-License-Identifier: MIT */
/* guest_ve_host.h - the reset hook of the host-built guest #VE path (guest_ve_host.c). */
#ifndef FUZZ_GUEST_VE_HOST_H
#define FUZZ_GUEST_VE_HOST_H

/* Forget the cached GPA width and the fatal-in-progress flag: a fresh vCPU for each input. */
void guest_ve_reset(void);

#endif
