// SPDX-License-Identifier: MIT
/*
 * The TD's trace file (--trace): whole JSON lines, buffered and written by write(2); the
 * host's SEAMCALLs for the TD, through struct tdx_td's hook. Lines of TD exits, TDCALLs and
 * #VEs are formatted by the run loop (vcpu.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm_internal.h"

/*
 * The trace goes to the file in whole lines only: each line is formatted on its own, added
 * to td->trace_buf, and the buffer goes out by write(2) when the next line does not fit, so
 * that a tdxsim killed at any moment (even by SIGKILL) leaves no half JSON line. The first
 * write error is kept (vmm_td_trace_error) and the trace stops there. trace_lock held.
 */
static void trace_flush_locked(struct vmm_td *td)
{
	FILE *f = td->cfg.trace_file;
	size_t done = 0;

	if (!td->trace_len)
		return;
	if (!td->trace_errno && fflush(f)) /* whatever the embedder wrote through stdio first */
		td->trace_errno = errno ? errno : EIO;
	while (!td->trace_errno && done < td->trace_len) {
		ssize_t n = write(fileno(f), td->trace_buf + done, td->trace_len - done);

		if (n > 0)
			done += (size_t)n;
		else if (n < 0 && errno != EINTR)
			td->trace_errno = errno;
		else if (!n)
			td->trace_errno = EIO;
	}
	td->trace_len = 0;
}

void vmm_trace_flush(struct vmm_td *td)
{
	if (!td->cfg.trace_file)
		return;
	pthread_mutex_lock(&td->trace_lock);
	trace_flush_locked(td);
	pthread_mutex_unlock(&td->trace_lock);
}

void vmm_trace(struct vmm_td *td, const char *fmt, ...)
{
	char line[4096], *l = line;
	size_t cap = sizeof(line), len;
	va_list ap;
	int n;

	if (!td->cfg.trace_file)
		return;
	n = snprintf(l, cap, "{\"t_ns\":%llu,", (unsigned long long)(vmm_now_ns() - td->t0));
	len = (size_t)n;
	va_start(ap, fmt);
	n = vsnprintf(l + len, cap - len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (len + (size_t)n + 3 > cap) { /* longer than any line the VMM writes: on the heap */
		cap = len + (size_t)n + 3;
		l = malloc(cap);
		if (!l)
			return;
		memcpy(l, line, len);
		va_start(ap, fmt);
		vsnprintf(l + len, cap - len, fmt, ap);
		va_end(ap);
	}
	len += (size_t)n;
	memcpy(l + len, "}\n", 3);
	len += 2;
	pthread_mutex_lock(&td->trace_lock);
	if (td->trace_len + len > sizeof(td->trace_buf))
		trace_flush_locked(td);
	if (len > sizeof(td->trace_buf)) { /* a line larger than the buffer: alone */
		if (!td->trace_errno && write(fileno(td->cfg.trace_file), l, len) != (ssize_t)len)
			td->trace_errno = errno ? errno : EIO;
	} else if (!td->trace_errno) {
		memcpy(td->trace_buf + td->trace_len, l, len);
		td->trace_len += len;
	}
	pthread_mutex_unlock(&td->trace_lock);
	if (l != line)
		free(l);
}

int vmm_td_trace_error(const struct vmm_td *td)
{
	return td->trace_errno;
}

/*
 * The host's SEAMCALLs for this TD (struct tdx_td's hook): one line each, the leaf by name,
 * its status and the inputs RCX, RDX and R8.
 */
void vmm_trace_seamcall(struct vmm_td *td, uint64_t leaf, uint64_t status, uint64_t rcx,
			uint64_t rdx, uint64_t r8)
{
	const char *name = tdh_leaf_name(leaf & 0xFFFF);

	vmm_trace(td,
		  "\"lp\":%d,\"seamcall\":\"%s\",\"status\":\"0x%llx\",\"rcx\":\"0x%llx\","
		  "\"rdx\":\"0x%llx\",\"r8\":\"0x%llx\"",
		  lp_current(), name ? name : "?", (unsigned long long)status,
		  (unsigned long long)rcx, (unsigned long long)rdx, (unsigned long long)r8);
}

static void trace_seamcall(void *arg, uint64_t leaf, const struct tdx_module_args *in,
			   uint64_t status)
{
	vmm_trace_seamcall(arg, leaf, status, in->rcx, in->rdx, in->r8);
}

void vmm_trace_seamcalls(struct vmm_td *td)
{
	if (td->cfg.trace_file) {
		td->htd.trace = trace_seamcall;
		td->htd.trace_arg = td;
	}
}
