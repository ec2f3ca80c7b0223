// SPDX-License-Identifier: MIT
/*
 * no_cpuid_faulting COMMAND [ARGS...]: run COMMAND as on a host whose kernel has no CPUID
 * faulting. A seccomp filter makes arch_prctl(ARCH_GET_CPUID) and arch_prctl(ARCH_SET_CPUID)
 * fail with ENODEV, which is what such a kernel answers (docs/MACHINE.md), and COMMAND and
 * every process it starts inherit the filter. The `no_cpuid_faulting` test setup wraps each
 * test with it, so that the CPUID_TRAP_AUTO path of those hosts runs in `make check` on any
 * host, this one included.
 */
#include <asm/prctl.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The arch_prctl codes of CPUID faulting; the kernel's others (FS/GS base, ...) pass. */
static struct sock_filter filter[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_arch_prctl, 0, 4),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH_GET_CPUID, 1, 0),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH_SET_CPUID, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENODEV),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};

int main(int argc, char **argv)
{
	struct sock_fprog prog = {sizeof(filter) / sizeof(filter[0]), filter};

	if (argc < 2) {
		fprintf(stderr, "usage: %s COMMAND [ARGS...]\n", argv[0]);
		return 125;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		fprintf(stderr, "no_cpuid_faulting: seccomp filter: %s\n", strerror(errno));
		return 125;
	}
	/* The filter must be what the command sees; a wrapper that hid nothing proves nothing. */
	if (syscall(SYS_arch_prctl, ARCH_GET_CPUID, 0) != -1 || errno != ENODEV) {
		fprintf(stderr, "no_cpuid_faulting: ARCH_GET_CPUID still answers\n");
		return 125;
	}
	execvp(argv[1], argv + 1);
	fprintf(stderr, "no_cpuid_faulting: %s: %s\n", argv[1], strerror(errno));
	return 127;
}
