/* SPDX-License-Identifier: MIT */
/* tdxguest/tdxguest.h - everything a guest program needs. */
#ifndef TDXGUEST_TDXGUEST_H
#define TDXGUEST_TDXGUEST_H

#include "tdxguest/tdx.h"
#include "tdxguest/io.h"
#include "tdxguest/mmio.h"
#include "tdxguest/ve.h"
#include "tdxguest/console.h"
#include "tdxguest/smp.h"
#include "tdxguest/mem.h"
#include "tdxguest/attest.h"

#endif
