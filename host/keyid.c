// SPDX-License-Identifier: MIT
/*
 * TDX KeyIDs [ABI §7]. IA32_MKTME_KEYID_PARTITIONING (MSR 0x87) splits the KeyID
 * space: bits 31:0 = MK-TME KeyIDs (1..nr_mktme after KeyID 0), bits 63:32 = TDX private
 * KeyIDs, which follow them. The first TDX KeyID is the global one (the module's own
 * data, programmed by TDH.SYS.KEY.CONFIG); the others go to guests, one per TD.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "platform/platform.h"

#include "tdx_internal.h"

static pthread_mutex_t keyid_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned int tdx_global_keyid;
static unsigned int tdx_guest_keyid_start;
static unsigned int tdx_nr_guest_keyids;
static unsigned char *keyid_used; /* one byte per guest KeyID */

/* The MSR, as the machine's configuration holds it (it has no RDMSR for host code). */
static uint64_t rdmsr_keyid_partitioning(void)
{
	const struct machine_config *cfg = platform_config();

	if (!cfg)
		return 0;
	return (uint64_t)cfg->tdx_keyids << 32 | cfg->mktme_keyids;
}

int tdx_keyids_init(void)
{
	uint64_t msr = rdmsr_keyid_partitioning();
	uint32_t nr_mktme = (uint32_t)msr, nr_tdx = (uint32_t)(msr >> 32);

	/* one for the module, at least one for a guest */
	if (nr_tdx < 2) {
		tdx_pr("initialization failed: TDX is disabled by the BIOS (%u TDX KeyIDs)",
		       nr_tdx);
		return -ENODEV;
	}
	pthread_mutex_lock(&keyid_lock);
	free(keyid_used);
	keyid_used = calloc(nr_tdx - 1, 1);
	if (!keyid_used) {
		pthread_mutex_unlock(&keyid_lock);
		return -ENOMEM;
	}
	tdx_global_keyid = nr_mktme + 1;
	tdx_guest_keyid_start = tdx_global_keyid + 1;
	tdx_nr_guest_keyids = nr_tdx - 1;
	pthread_mutex_unlock(&keyid_lock);
	tdx_pr("BIOS enabled: private KeyID range [%u, %u)", nr_mktme + 1, nr_mktme + 1 + nr_tdx);
	return 0;
}

void tdx_keyids_exit(void)
{
	pthread_mutex_lock(&keyid_lock);
	free(keyid_used);
	keyid_used = NULL;
	tdx_global_keyid = tdx_guest_keyid_start = tdx_nr_guest_keyids = 0;
	pthread_mutex_unlock(&keyid_lock);
}

unsigned int tdx_get_global_keyid(void)
{
	return tdx_global_keyid;
}

int tdx_guest_keyid_alloc(void)
{
	int ret = -ENOSPC;

	pthread_mutex_lock(&keyid_lock);
	if (!keyid_used)
		ret = -ENODEV;
	for (unsigned int i = 0; keyid_used && i < tdx_nr_guest_keyids; i++) {
		if (!keyid_used[i]) {
			keyid_used[i] = 1;
			ret = (int)(tdx_guest_keyid_start + i);
			break;
		}
	}
	pthread_mutex_unlock(&keyid_lock);
	return ret;
}

void tdx_guest_keyid_free(unsigned int keyid)
{
	pthread_mutex_lock(&keyid_lock);
	if (keyid_used && keyid >= tdx_guest_keyid_start &&
	    keyid - tdx_guest_keyid_start < tdx_nr_guest_keyids)
		keyid_used[keyid - tdx_guest_keyid_start] = 0;
	pthread_mutex_unlock(&keyid_lock);
}
