/* SPDX-License-Identifier: MIT */
/*
 * tdx/tdx.h - the architectural Intel TDX ABI, as plain C: everything the
 * host, the VMM, the software module and the guest share. No logic beyond
 * tiny inline helpers. Freestanding: needs only <stdint.h>, <stdbool.h>
 * and <stddef.h>, so guest code built with -ffreestanding
 * -mgeneral-regs-only can include it.
 *
 * The facts and their public sources (Intel TDX module 1.5.01 source, Linux,
 * the GHCI, Intel's specifications) are in docs/TDX-ABI.md, whose legend
 * explains the citations: [ABI §N] is its section N, [M ...] the module
 * source, [L ...] Linux.
 */
#ifndef TDX_TDX_H
#define TDX_TDX_H

#include "tdx/args.h"	  /* struct tdx_module_args */
#include "tdx/leaves.h"	  /* TDH_* / TDG_* leaves, leaf word, opcodes */
#include "tdx/status.h"	  /* TDX_* status codes, operand IDs, helpers */
#include "tdx/ghci.h"	  /* TDVMCALL sub-functions, R10 statuses, mask */
#include "tdx/vmx.h"	  /* exit reasons, vectors, struct ve_info, IO qual */
#include "tdx/metadata.h" /* field IDs, TDX_FEATURES0, TDCS fields */
#include "tdx/td.h"	  /* ATTRIBUTES, CONFIG_FLAGS, states, PAMT, levels */
#include "tdx/structs.h"  /* TDMR_INFO, TD_PARAMS, TDREPORT, ... */

#endif /* TDX_TDX_H */
