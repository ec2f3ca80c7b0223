// SPDX-License-Identifier: MIT
/*
 * The TDX log: one line per message, "tdx: " first, as the kernel's pr_fmt makes them.
 * Lines go to stderr unless a sink takes them, so tests can assert exact messages and
 * tools can decorate them.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include "tdx_host.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static tdx_log_fn log_sink;
static void *log_sink_arg;

void tdx_log_set_sink(tdx_log_fn fn, void *arg)
{
	pthread_mutex_lock(&log_lock);
	log_sink = fn;
	log_sink_arg = arg;
	pthread_mutex_unlock(&log_lock);
}

void tdx_pr(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "tdx: ");
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);

	/* one lock for both, so lines from different LPs never interleave */
	pthread_mutex_lock(&log_lock);
	if (log_sink)
		log_sink(line, log_sink_arg);
	else
		fprintf(stderr, "%s\n", line);
	pthread_mutex_unlock(&log_lock);
}
