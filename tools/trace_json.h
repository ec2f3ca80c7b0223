/* SPDX-License-Identifier: MIT */
#ifndef TDXSIM_TRACE_JSON_H
#define TDXSIM_TRACE_JSON_H

/*
 * tdxsim run --trace-json FILE (tools/trace_json.c, docs/VMM.md "Trace pictures"): the VMM's
 * --trace lines, read from a pipe by a thread of their own as they come, written out as
 * Chrome/Perfetto trace events (JSON object format) with one track per vCPU.
 */
#include <stdio.h>

struct trace_json;

struct trace_json_opts {
	const char *guest;	 /* the guest image's path: the process's name */
	unsigned int nr_vcpus;	 /* a track each, named "vCPU N" */
	unsigned int shared_bit; /* the GPA's shared bit (47 or 51): MapGPA's direction */
};

/*
 * Start converting into @out, which belongs to the converter from then on. *vmm_file: where
 * the VMM writes its lines (vmm_td_config.trace_file), the write end of a pipe. @tee (NULL:
 * none): --trace's file, which gets every line too, whole lines by write(2) as the VMM
 * writes them. The first events (the process, its tracks) are written before this returns.
 * Call it with SIGINT and SIGTERM blocked: the thread inherits the mask. NULL with errno.
 */
struct trace_json *trace_json_start(FILE *out, FILE *tee, const struct trace_json_opts *o,
				    FILE **vmm_file);

/*
 * Once the VMM is done with *vmm_file (after vmm_td_destroy, or when no TD was made): close
 * it, convert the rest, end the slices still open at the trace's end, close the event array
 * and @out. Returns 0 or the errno of the first failed write of the JSON file; *tee_errno
 * gets the tee's. Frees @tj.
 */
int trace_json_finish(struct trace_json *tj, int *tee_errno);

/*
 * Leaving at once (a second SIGINT or SIGTERM: the process _exits without waiting for the
 * TD): what was converted so far, the open slices ended, the array closed and flushed. From
 * any thread; the converter writes nothing more after it.
 */
void trace_json_abandon(struct trace_json *tj);

#endif
