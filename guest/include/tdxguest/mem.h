/* SPDX-License-Identifier: MIT */
/*
 * tdxguest/mem.h - private memory: TDG.MEM.PAGE.ACCEPT, MapGPA and the private <-> shared
 * conversions (Linux arch/x86/coco/tdx: tdx_accept_memory, tdx_map_gpa,
 * set_memory_decrypted/encrypted).
 *
 * A private page the VMM added with TDH.MEM.PAGE.AUG is PENDING until the guest accepts it;
 * accepting zeroes it. A page the VMM has not added yet makes the ACCEPT an EPT-violation TD
 * exit: the VMM adds it and the TDCALL runs again, so the guest never sees the difference.
 *
 * Conversions: to shared = MapGPA with the shared bit set (the VMM removes the private pages,
 * their contents are lost, and backs the shared GPAs with its own memory); to private =
 * MapGPA without it, then ACCEPT of every page (which reads as zeros afterwards).
 */
#ifndef TDXGUEST_MEM_H
#define TDXGUEST_MEM_H

#include "tdx/status.h"
#include "tdx/td.h"
#include "tdxguest/tdx.h"

/*
 * TDG.MEM.PAGE.ACCEPT of one page: RCX = gpa | level (TDX_PS_4K or TDX_PS_2M). Returns the
 * module's status as is: 0, TDX_PAGE_ALREADY_ACCEPTED + level of the mapped leaf,
 * TDX_PAGE_SIZE_MISMATCH + level, TDX_OPERAND_INVALID | RCX, TDX_OPERAND_BUSY | RCX.
 */
u64 tdx_accept_page(u64 gpa, unsigned int level);

/*
 * Accept [start, end) (4 KiB aligned): 2M pages where the range allows (2M aligned, 2M
 * left), 4K otherwise. A 2M accept answered with PAGE_SIZE_MISMATCH (the VMM mapped that
 * range with 4K pages) is retried as 512 4K accepts, as the Linux guest's accept loop falls
 * back to the next smaller size. PAGE_ALREADY_ACCEPTED counts as done. Returns 0, or the
 * first other status (the range is then accepted up to the failing page).
 */
u64 tdx_accept_memory(u64 start, u64 end);

/*
 * Run-time switch, off by default: a #VE for an EPT violation on a private GPA (a PENDING
 * page, in a TD without SEPT_VE_DISABLE) accepts that 4K page and re-executes the access.
 * Off, such a #VE is fatal, as in the Linux guest, which panics: a pending page there means
 * the VMM added memory the guest did not ask for.
 */
extern bool tdx_accept_on_ve;
/* #VE accepts done by the switch (statistics, tests). */
extern u64 tdx_ve_accept_count;

/*
 * TDVMCALL<MapGPA> of [gpa, gpa + size) (the shared bit in gpa selects the direction). On
 * RETRY the VMM returns in R11 the GPA to go on from; it must lie in the range still to do
 * (else the call fails), and three RETRYs in a row without progress fail too, as in Linux's
 * tdx_map_gpa(). Returns the final GHCI status (R10); on failure *fail_gpa (if not NULL)
 * gets the VMM's R11, or the GPA the guest gave up at.
 */
u64 tdx_map_gpa(u64 gpa, u64 size, u64 *fail_gpa);

/*
 * Convert npages pages at private GPA gpa (shared bit clear) to shared: MapGPA to shared.
 * The private contents are lost; use the pages through __va(gpa | tdx_shared_mask()).
 * Returns the GHCI status.
 */
u64 tdx_set_memory_shared(u64 gpa, u64 npages);

/*
 * Convert them back to private: MapGPA to private, then accept every page (zeros). Returns
 * the GHCI status of the MapGPA if it failed, else the accept's TDX status (0 = done).
 */
u64 tdx_set_memory_private(u64 gpa, u64 npages);

#endif /* TDXGUEST_MEM_H */
