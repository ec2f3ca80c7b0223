/* SPDX-License-Identifier: MIT */
/*
 * Exception fixups for host code, as the kernel's _ASM_EXTABLE_FAULT: an #UD or #GP raised
 * by an instruction in [start, end) resumes at `fixup` with the trap number in RAX. Entries
 * are self-relative, so they need no relocation.
 *
 * In assembly:       TDXSIM_EXTABLE(1b, 2b, 3f)
 * In inline asm:     TDXSIM_EXTABLE_STR("1b", "2b", "3f")
 */
#ifndef TDXSIM_PLATFORM_EXTABLE_H
#define TDXSIM_PLATFORM_EXTABLE_H

/* The macros are assembler syntax. */
/* clang-format off */
#ifdef __ASSEMBLER__
#define TDXSIM_EXTABLE(start, end, fixup)                                                  \
	.pushsection tdxsim_extable, "a";                                                  \
	.balign 4;                                                                         \
	.long (start) - .;                                                                  \
	.long (end) - .;                                                                    \
	.long (fixup) - .;                                                                  \
	.popsection
#else
#define TDXSIM_EXTABLE_STR(start, end, fixup)                                              \
	".pushsection tdxsim_extable, \"a\"\n\t.balign 4\n\t.long " start " - .\n\t"       \
	".long " end " - .\n\t.long " fixup " - .\n\t.popsection\n\t"
#endif
/* clang-format on */

#endif
