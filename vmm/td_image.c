// SPDX-License-Identifier: MIT
/*
 * What a TD keeps of its image once built (vmm/elf.c reads and lays it out): its name and
 * symbols, to name RIPs in messages; the pages no segment loads (stack guard pages), to
 * name an EPT violation there; and where a debugger finds its code.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/debug.h"
#include "vmm_internal.h"

#define ERR(...) snprintf(err, errlen, __VA_ARGS__)

/*
 * The image's name and symbols, for messages that name a RIP (vmm_rip_describe). An image
 * without a symbol table is named by offset alone.
 */
void vmm_image_load_symbols(struct vmm_td *td, const char *path)
{
	const char *slash = strrchr(path, '/');
	uint8_t *buf;
	size_t len;

	snprintf(td->image_name, sizeof(td->image_name), "%s", slash ? slash + 1 : path);
	if (vmm_read_file(path, &buf, &len))
		return;
	vmm_symbols_parse(buf, len, &td->syms);
	free(buf);
}

/*
 * The pages inside the image that no PT_LOAD covers (the guard pages of tdxguest.ld's
 * stacks): never added, and never AUGed either (vmm_image_hole).
 */
int vmm_image_record_holes(struct vmm_td *td, const struct vmm_image *img, char *err, size_t errlen)
{
	unsigned int p = 0;

	for (uint64_t gpa = img->low_gpa; gpa < img->high_gpa; gpa += PAGE_SIZE) {
		while (p < img->nr && img->pages[p].gpa < gpa)
			p++;
		if (p < img->nr && img->pages[p].gpa == gpa)
			continue;
		if (td->nr_holes % 16 == 0) {
			uint64_t *n = realloc(td->holes, (td->nr_holes + 16) * sizeof(*n));

			if (!n) {
				ERR("out of memory");
				return -ENOMEM;
			}
			td->holes = n;
		}
		td->holes[td->nr_holes++] = gpa;
	}
	return 0;
}

enum vmm_stop_reason vmm_image_hole(const struct vmm_td *td, uint64_t gpa, const char *access,
				    char *what, size_t len)
{
	const char *sym;
	uint64_t page = gpa & PAGE_MASK, off;
	unsigned int ap;
	char c;

	for (unsigned int i = 0;; i++) {
		if (i == td->nr_holes)
			return VMM_STOP_NONE;
		if (td->holes[i] == page)
			break;
	}
	/* The symbol at the page above names the stack the guard is below. */
	sym = vmm_symbols_lookup(td->syms, page + PAGE_SIZE - VMM_IMAGE_GPA, &off);
	if (sym && !off && !strcmp(sym, "__stack_bottom")) {
		snprintf(what, len,
			 "stack overflow: GPA 0x%llx is the guard page below the boot stack",
			 (unsigned long long)gpa);
		return VMM_STOP_STACK_OVERFLOW;
	}
	if (sym && !off && sscanf(sym, "__tdx_ap_stack_%u%c", &ap, &c) == 1) {
		snprintf(what, len,
			 "stack overflow: GPA 0x%llx is the guard page below the AP stack of vCPU "
			 "%u",
			 (unsigned long long)gpa, ap);
		return VMM_STOP_STACK_OVERFLOW;
	}
	snprintf(what, len, "%s of GPA 0x%llx, a page of the image no segment loads", access,
		 (unsigned long long)gpa);
	return VMM_STOP_EPT_VIOLATION;
}

/*
 * Tell a debugger where the image is (vmm/debug.h): its executable pages in the window, and
 * the path it was read from, absolute so that a debugger in another directory finds it.
 */
void vmm_image_debug_loaded(struct vmm_td *td, const char *path, const struct vmm_image *img)
{
	uintptr_t base = td_window_base(td->window);

	td->text_lo = td->text_hi = 0;
	for (unsigned int i = 0; i < img->nr; i++) {
		if (!img->pages[i].exec || img->pages[i].gpa < img->low_gpa ||
		    img->pages[i].gpa >= img->high_gpa)
			continue;
		if (!td->text_hi || base + img->pages[i].gpa < td->text_lo)
			td->text_lo = base + img->pages[i].gpa;
		if (base + img->pages[i].gpa + 4096 > td->text_hi)
			td->text_hi = base + img->pages[i].gpa + 4096;
	}
	td->debug_path = realpath(path, NULL);
	if (!td->debug_path)
		td->debug_path = strdup(path);
	tdxsim_debug_image_event(TDXSIM_DEBUG_IMAGE_LOADED, td->debug_path ? td->debug_path : path,
				 vmm_td_image_base(td), td->text_lo, td->text_hi);
}
