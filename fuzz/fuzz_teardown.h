/* SPDX-License-Identifier: MIT */
/*
 * The end of a module fuzzer's input: every TD the PAMT knows is torn down in KVM's order
 * (td_teardown() of tests/module/td_teardown.c), then the PAMT must hold no TD page and no
 * HKID may be assigned (fuzz_seamcall_seq, fuzz_tdcall_seq); and the invariant checkers both
 * run between calls.
 */
#ifndef TDXSIM_FUZZ_TEARDOWN_H
#define TDXSIM_FUZZ_TEARDOWN_H

#include <stddef.h>

/*
 * NULL when every TD went and the PAMT is clean; else what failed, with details in buf. The
 * TDs are found in the PAMT pages the incremental PAMT checker keeps as active (all PAMT pages
 * with FUZZ_CHECK_FULL=1; both, compared, with FUZZ_CHECK_COMPARE=1), after a check.
 */
const char *fuzz_teardown_all(char *buf, size_t buflen);

/*
 * The module's invariants now: NULL, or which checker (PAMT, Secure EPT) failed, details in
 * buf. After fuzz_checks_start() (once the machine is built) they run incrementally, looking
 * at what changed since the previous check (tdx_pamt_check_changed); FUZZ_CHECK_FULL=1 in
 * the environment keeps the full checks.
 */
const char *fuzz_invariants_broken(char *buf, size_t buflen);
void fuzz_checks_start(void);

#endif
