/* SPDX-License-Identifier: MIT */
/*
 * A minimal loader of guest ELF images for the tests (the VMM has the real one): each
 * PT_LOAD segment goes to private pages of a TD window at load_gpa + p_vaddr.
 */
#ifndef TDXSIM_TESTS_GUEST_ELF_LOAD_H
#define TDXSIM_TESTS_GUEST_ELF_LOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "platform/platform.h"

struct elf_image {
	uint64_t entry_gpa;
	uint64_t low_gpa, high_gpa; /* [low, high) covered by PT_LOAD pages */
	unsigned int nr_pages;
};

/*
 * Load path into w at load_gpa, taking backing pages from hpa_pool upwards. With dirty, the
 * part of each segment past p_filesz is filled with 0xA5 instead of zeros (to see the crt
 * clear .bss). 0 or -errno.
 */
int elf_load(struct td_window *w, const char *path, uint64_t load_gpa, uint64_t hpa_pool,
	     bool dirty, struct elf_image *img);

#endif
