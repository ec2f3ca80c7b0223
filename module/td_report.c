// SPDX-License-Identifier: MIT
/*
 * The platform's report key. On TDX, SEAMREPORT MACs a TDREPORT with a key only the CPU
 * holds, and only the same platform can verify it (TDG.MR.VERIFYREPORT, or a quoting
 * enclave) [ABI §9]. tdxsim draws one at every module load from the OS's entropy.
 */
#include <sys/random.h>

#include "td.h"

void td_report_key_init(void)
{
	size_t got = 0;

	while (got < sizeof(tdxm.report_key)) {
		ssize_t n = getrandom(tdxm.report_key + got, sizeof(tdxm.report_key) - got, 0);

		if (n <= 0) {
			/* No entropy source: still unique per load, not secret. */
			for (; got < sizeof(tdxm.report_key); got++)
				tdxm.report_key[got] = (uint8_t)module_random64();
			return;
		}
		got += (size_t)n;
	}
}
