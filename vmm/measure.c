// SPDX-License-Identifier: MIT
/*
 * The MRTD: predicted from the image without a machine (vmm_td_measure, by the module's own
 * computation, tdx_mrtd_*), and read back from a built TD (vmm_td_mrtd, TDH.MNG.RD).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "host/tdx_host.h"
#include "module/tdx_module.h"
#include "vmm_internal.h"

#define ERR(...) snprintf(err, errlen, __VA_ARGS__)

/* TDH.MNG.RD field: MRTD, 6 x 8 bytes [M td_scope fields]. */
#define VMM_MD_TDCS_MRTD 0x1310000300000000ULL

/* Per page what TDH.MEM.PAGE.ADD and its 16 TDH.MR.EXTENDs hash, in the build's order. */
int vmm_td_measure(const struct vmm_td_config *cfg, const char *path, uint8_t mrtd[48], char *err,
		   size_t errlen)
{
	struct vmm_image img;
	struct tdx_mrtd *m;
	int ret = vmm_image_load(path, &img, err, errlen);

	if (ret)
		return ret;
	ret = vmm_config_check(cfg, &img, err, errlen);
	if (ret)
		goto out;
	m = tdx_mrtd_start();
	if (!m) {
		ERR("out of memory");
		ret = -ENOMEM;
		goto out;
	}
	for (unsigned int p = 0; p < img.nr; p++) {
		tdx_mrtd_page_add(m, img.pages[p].gpa);
		for (unsigned int i = 0; i < 16; i++)
			tdx_mrtd_extend(m, img.pages[p].gpa + 256 * i, img.pages[p].data + 256 * i);
	}
	tdx_mrtd_finalize(m, mrtd);
out:
	vmm_image_free(&img);
	return ret;
}

struct mrtd_args {
	struct vmm_td *td;
	uint8_t *mrtd;
};

static long mrtd_fn(void *arg)
{
	struct mrtd_args *m = arg;

	for (unsigned int i = 0; i < 6; i++) {
		uint64_t v;

		if (tdh_mng_rd(&m->td->htd, VMM_MD_TDCS_MRTD + i, &v))
			return -EIO;
		memcpy(m->mrtd + 8 * i, &v, 8);
	}
	return 0;
}

int vmm_td_mrtd(struct vmm_td *td, uint8_t mrtd[48])
{
	struct mrtd_args m = {.td = td, .mrtd = mrtd};

	return (int)lp_run_on(0, mrtd_fn, &m);
}
