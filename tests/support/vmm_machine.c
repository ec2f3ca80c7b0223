// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "host/page_alloc.h"
#include "host/tdx_host.h"
#include "module/tdx_module.h"
#include "platform/platform.h"
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
	struct tdx_module_params params = {0};

	tdx_log_set_sink(NULL, NULL);
	if (platform_boot(mc))
		return -1;
	platform_claim_signals();
	if (page_alloc_init() || tdx_module_load(&params) || tdx_init() || tdx_enable())
		return -1;
	return 0;
}

void vmm_machine_down(void)
{
	tdx_exit();
	tdx_module_unload();
	page_alloc_exit();
	platform_shutdown();
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
