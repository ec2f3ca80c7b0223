/* SPDX-License-Identifier: MIT */
/* Helpers shared by the host tests: boot a machine with the module, capture the TDX log. */
#ifndef TDXSIM_TESTS_HOST_TEST_H
#define TDXSIM_TESTS_HOST_TEST_H

#include <stdbool.h>
#include <stddef.h>

#include "platform/platform.h"
#include "module/tdx_module.h"

/* Boot cfg, page allocator, module (params may be NULL; no module when !load), tdx_init. */
int host_test_boot(const struct machine_config *cfg, const struct tdx_module_params *params,
		   bool load);
int host_test_boot_preset(const char *preset);
void host_test_shutdown(void);
/* cmocka teardown: shut down what a failed test left booted */
int host_test_teardown(void **state);

/* The captured log: lines joined with '\n'. */
void log_capture_start(void);
void log_capture_stop(void);
const char *log_text(void);
bool log_has(const char *line); /* exact line */
bool log_has_substr(const char *s);
unsigned int log_count_substr(const char *s);
void log_dump(void);

#endif
