/* SPDX-License-Identifier: MIT */
/*
 * Checking a stop message that names a guest RIP (vmm/stop.c): the exact text around
 * "0x<RIP> = <image>+0x<offset> <symbol+0x<n>>", the offset equal to the RIP minus the
 * image base, the image and symbol names, and n. For cmocka tests (include cmocka.h first).
 */
#ifndef TDXSIM_TESTS_STOP_MESSAGE_H
#define TDXSIM_TESTS_STOP_MESSAGE_H

#include <stdio.h>
#include <string.h>

#include <tdxsim/vmm.h>

/*
 * @msg must be @prefix, then the RIP in words, then @suffix; the symbol @sym at offset
 * @sym_off (any offset when @sym_off < 0: C code whose layout the compiler chooses).
 * @base is the image base (vmm_td_image_base) or 0 to skip that check.
 */
static inline void expect_rip_msg(const char *msg, uintptr_t base, const char *prefix,
				  const char *image, const char *sym, long long sym_off,
				  const char *suffix)
{
	size_t pl = strlen(prefix);
	unsigned long long rip, off, n;
	char img[64], name[64];
	int used = 0;

	if (strncmp(msg, prefix, pl))
		fail_msg("message \"%s\" does not start with \"%s\"", msg, prefix);
	if (sscanf(msg + pl, "0x%llx = %63[^+]+0x%llx <%63[^+]+0x%llx>%n", &rip, img, &off, name,
		   &n, &used) != 5 ||
	    !used)
		fail_msg("message \"%s\": no \"0xRIP = IMAGE+0xOFF <SYMBOL+0xN>\" after \"%s\"",
			 msg, prefix);
	assert_string_equal(img, image);
	assert_string_equal(name, sym);
	if (base)
		assert_int_equal(rip - base, off);
	if (sym_off >= 0)
		assert_int_equal(n, sym_off);
	assert_string_equal(msg + pl + used, suffix);
}

#endif
