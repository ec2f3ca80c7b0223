// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "platform/platform.h"
#include "vmm/vmm_internal.h" /* tdxsim_boot_config */
#include "vmm_machine.h"

int vmm_machine_up(void)
{
	struct machine_config mc;

	if (machine_preset("laptop", &mc))
		return -1;
	return vmm_machine_up_cfg(&mc);
}

int vmm_machine_up_cfg(const struct machine_config *mc)
{
	char err[512];

	if (tdxsim_boot_config(mc, NULL, err, sizeof(err))) {
		fprintf(stderr, "vmm_machine_up: %s\n", err);
		return -1;
	}
	return 0;
}

void vmm_machine_down(void)
{
	tdxsim_shutdown();
}

int vmm_machine_setup(void **state)
{
	(void)state;
	return vmm_machine_up();
}

int vmm_machine_teardown(void **state)
{
	(void)state;
	vmm_machine_down();
	return 0;
}

void serial_capture_sink(void *opaque, const char *buf, size_t len)
{
	struct serial_capture *s = opaque;

	if (s->len + len < sizeof(s->buf)) {
		memcpy(s->buf + s->len, buf, len);
		s->len += len;
		s->buf[s->len] = 0;
	}
}

int vmm_command(const char *cmd, char *out, size_t cap)
{
	FILE *f = popen(cmd, "r");
	size_t n;
	int st;

	if (!f)
		return -1;
	n = fread(out, 1, cap - 1, f);
	out[n] = 0;
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
