/* SPDX-License-Identifier: MIT */
/* Shared between the files of host/: not for users of the TDX host API. */
#ifndef TDXSIM_HOST_TDX_INTERNAL_H
#define TDXSIM_HOST_TDX_INTERNAL_H

#include <stdbool.h>

#include "tdx_host.h"

int tdx_keyids_init(void);
void tdx_keyids_exit(void);

int tdx_hotplug_init(void);
void tdx_hotplug_exit(void);

/*
 * For the hotplug callbacks, on the LP concerned, with the hotplug lock held for writing
 * (so no tdx_enable/tdx_disable runs):
 * - tdx_lp_online(): LP.INIT this CPU if the module needs it (VMXON + LP.INIT + VMXOFF).
 * - tdx_lp_may_offline(): -EBUSY if this is the last online CPU of its package and the
 *   module has keys programmed there.
 */
int tdx_lp_online(unsigned int cpu);
int tdx_lp_may_offline(unsigned int cpu);

/* Remember the status that failed the bring-up (the first one counts). */
void tdx_note_failure(uint64_t status);

/* VMX operation for a piece of TDX work: on if it was off; put turns it off again. */
int tdx_vmx_get(bool *turned_on);
void tdx_vmx_put(bool turned_on);

#endif
