// SPDX-License-Identifier: MIT
/*
 * A host program, built as a shared library, a dynamic PIE and a non-PIE executable: ELF
 * files that are not tdxsim guests (test_elf.c).
 */
int host_prog_value(void);

int host_prog_value(void)
{
	return 42;
}

int main(void)
{
	return host_prog_value() - 42;
}
