// SPDX-License-Identifier: MIT
#include "seamcall.h"

/* Use the machine's gate for SEAMCALL when it has one; tdx_seamcall_set_gate(false) forces
 * the opcode (tdh.c). */
bool seamcall_use_gate = true;
