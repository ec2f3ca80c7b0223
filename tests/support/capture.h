/* SPDX-License-Identifier: MIT */
/*
 * Test helpers for what a test cannot reach through an API: the process's standard error (the
 * platform reports some faults there) and environment variables (TDXSIM_CPUID), both put
 * back as they were.
 */
#ifndef TDXSIM_TESTS_SUPPORT_CAPTURE_H
#define TDXSIM_TESTS_SUPPORT_CAPTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct stderr_capture {
	FILE *file;
	int saved_fd;
};

/* From here on, what is written to fd 2 goes to a temporary file. 0 or -1. */
static inline int stderr_capture_start(struct stderr_capture *c)
{
	fflush(stderr);
	c->saved_fd = -1;
	c->file = tmpfile();
	if (!c->file)
		return -1;
	c->saved_fd = dup(STDERR_FILENO);
	if (c->saved_fd < 0 || dup2(fileno(c->file), STDERR_FILENO) < 0) {
		if (c->saved_fd >= 0)
			close(c->saved_fd);
		fclose(c->file);
		return -1;
	}
	return 0;
}

/* fd 2 back as it was; what it received in buf (NUL-terminated, truncated to len - 1). */
static inline size_t stderr_capture_end(struct stderr_capture *c, char *buf, size_t len)
{
	size_t n;

	fflush(stderr);
	dup2(c->saved_fd, STDERR_FILENO);
	close(c->saved_fd);
	rewind(c->file);
	n = fread(buf, 1, len - 1, c->file);
	buf[n] = 0;
	fclose(c->file);
	return n;
}

/* Set an environment variable (unset it when value is NULL); the old value for env_restore. */
static inline char *env_swap(const char *name, const char *value)
{
	const char *old = getenv(name);
	char *saved = old ? strdup(old) : NULL;

	if (value)
		setenv(name, value, 1);
	else
		unsetenv(name);
	return saved;
}

static inline void env_restore(const char *name, char *saved)
{
	if (saved)
		setenv(name, saved, 1);
	else
		unsetenv(name);
	free(saved);
}

#endif
