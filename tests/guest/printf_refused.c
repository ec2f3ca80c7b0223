// SPDX-License-Identifier: MIT
/*
 * Compiled, not run (tests/guest/meson.build, test printf_refused): with -Werror=format each
 * BAD_n line must be refused by the format(printf) attribute of the SDK's printing functions,
 * and the file without any of them must compile.
 */
#include "tdxguest/tdxguest.h"

int f(const void *p, long l)
{
	char buf[16];
	int n = tdx_printf("%d %s %p %ld\n", 1, "ok", p, l);

	n += tdx_snprintf(buf, sizeof(buf), "%zu", sizeof(buf));
#ifdef BAD_1
	n += tdx_printf("[%+d] [%s]\n", 5, 6); /* an int for %s */
#endif
#ifdef BAD_2
	n += tdx_printf("%d\n", l); /* a long for %d */
#endif
#ifdef BAD_3
	n += tdx_printf("%+p\n", p); /* a flag %p does not take */
#endif
#ifdef BAD_4
	tdx_panic(1, "%s", 42); /* tdx_panic is checked too */
#endif
#ifdef BAD_5
	n += tdx_snprintf(buf, sizeof(buf), "%d %d", 1); /* an argument short */
#endif
	return n;
}
