// SPDX-License-Identifier: MIT
/*
 * Compiled as the guest SDK's library is (-ffreestanding -mgeneral-regs-only, no libc
 * headers on the include path): proves tdx.h needs only the compiler's own
 * headers, and gives the host test a few helper results computed in that
 * mode to compare with.
 */
#include "tdx/tdx.h"
#include "tdxsim/boot.h"

#include "freestanding.h"

uint64_t abi_fs_status_code(void)
{
	return tdx_status_code(TDX_OPERAND_BUSY | TDX_OPERAND_ID_RCX);
}

uint32_t abi_fs_field_code(void)
{
	return md_field_id_field_code(MD_FIELD_ID_MAX_TDMRS);
}

unsigned int abi_fs_io_size(uint64_t qual)
{
	return tdx_io_qual_size(qual);
}

uint64_t abi_fs_args_rsi(const struct tdx_module_args *args)
{
	return args->rsi;
}

size_t abi_fs_sizeof_tdreport(void)
{
	return sizeof(struct tdreport);
}

uint64_t abi_fs_boot_opts(uint32_t flags)
{
	return TDXSIM_BOOT_OPTS_VALID(TDXSIM_BOOT_OPTS(flags)) ? TDXSIM_BOOT_OPTS(flags) : 0;
}
