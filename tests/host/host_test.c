// SPDX-License-Identifier: MIT
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/page_alloc.h"
#include "host/tdx_host.h"

#include "host_test.h"

static bool booted;
static char *logbuf;
static size_t loglen, logcap;
static pthread_mutex_t loglock = PTHREAD_MUTEX_INITIALIZER;

static void sink(const char *line, void *arg)
{
	size_t n = strlen(line);

	(void)arg;
	pthread_mutex_lock(&loglock);
	if (loglen + n + 2 > logcap) {
		size_t cap = (loglen + n + 2) * 2;
		char *p = realloc(logbuf, cap);

		if (!p) {
			pthread_mutex_unlock(&loglock);
			return;
		}
		logbuf = p;
		logcap = cap;
	}
	memcpy(logbuf + loglen, line, n);
	loglen += n;
	logbuf[loglen++] = '\n';
	logbuf[loglen] = 0;
	pthread_mutex_unlock(&loglock);
}

void log_capture_start(void)
{
	pthread_mutex_lock(&loglock);
	loglen = 0;
	if (logbuf)
		logbuf[0] = 0;
	pthread_mutex_unlock(&loglock);
	tdx_log_set_sink(sink, NULL);
}

void log_capture_stop(void)
{
	tdx_log_set_sink(NULL, NULL);
	pthread_mutex_lock(&loglock);
	free(logbuf);
	logbuf = NULL;
	loglen = logcap = 0;
	pthread_mutex_unlock(&loglock);
}

const char *log_text(void)
{
	return logbuf ? logbuf : "";
}

bool log_has(const char *line)
{
	const char *t = log_text();
	size_t n = strlen(line);

	for (const char *p = t; (p = strstr(p, line)); p++) {
		if ((p == t || p[-1] == '\n') && p[n] == '\n')
			return true;
	}
	return false;
}

bool log_has_substr(const char *s)
{
	return strstr(log_text(), s) != NULL;
}

unsigned int log_count_substr(const char *s)
{
	unsigned int n = 0;

	for (const char *p = log_text(); (p = strstr(p, s)); p++)
		n++;
	return n;
}

void log_dump(void)
{
	fprintf(stderr, "---- tdx log ----\n%s-----------------\n", log_text());
}

int host_test_boot(const struct machine_config *cfg, const struct tdx_module_params *params,
		   bool load)
{
	int ret;

	platform_claim_signals();
	ret = platform_boot(cfg);
	if (ret)
		return ret;
	platform_claim_signals();
	ret = page_alloc_init();
	if (ret)
		goto err_platform;
	if (load) {
		ret = tdx_module_load(params);
		if (ret)
			goto err_pages;
	}
	log_capture_start();
	ret = tdx_init();
	if (ret)
		goto err_module;
	booted = true;
	return 0;

err_module:
	log_capture_stop();
	tdx_module_unload();
err_pages:
	page_alloc_exit();
err_platform:
	platform_shutdown();
	return ret;
}

int host_test_boot_preset(const char *preset)
{
	struct machine_config cfg;
	int ret = machine_preset(preset, &cfg);

	if (ret)
		return ret;
	return host_test_boot(&cfg, NULL, true);
}

void host_test_shutdown(void)
{
	booted = false;
	tdx_exit();
	tdx_module_inject_clear();
	tdx_module_unload();
	page_alloc_exit();
	platform_shutdown();
	log_capture_stop();
}

int host_test_teardown(void **state)
{
	(void)state;
	if (booted)
		host_test_shutdown();
	return 0;
}
