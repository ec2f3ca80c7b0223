// SPDX-License-Identifier: MIT
#include "seamcall.h"

/* Use the machine's gate for SEAMCALL when it has one (set false to force the opcode). */
bool seamcall_use_gate = true;
