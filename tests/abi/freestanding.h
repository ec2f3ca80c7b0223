/* SPDX-License-Identifier: MIT */
#ifndef TESTS_ABI_FREESTANDING_H
#define TESTS_ABI_FREESTANDING_H

#include <stddef.h>
#include <stdint.h>

struct tdx_module_args;

uint64_t abi_fs_status_code(void);
uint32_t abi_fs_field_code(void);
unsigned int abi_fs_io_size(uint64_t qual);
uint64_t abi_fs_args_rsi(const struct tdx_module_args *args);
size_t abi_fs_sizeof_tdreport(void);
uint64_t abi_fs_boot_opts(uint32_t flags);

#endif
