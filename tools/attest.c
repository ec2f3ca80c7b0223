// SPDX-License-Identifier: MIT
/*
 * tdxsim attest-collateral DIR: write the root certificate of tdxsim's attestation PKI and
 * the collateral a DCAP verifier needs for its quotes (CRLs, TCB info, QE identity, their
 * issuer chains) into DIR (docs/VMM.md "Quotes").
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <tdxsim/tdxsim.h>

#include "tools.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tdxsim attest-collateral DIR\n\n"
		"Write the root CA certificate of tdxsim's quotes and their collateral into DIR\n"
		"(created if missing): root_ca.pem/.der, root_ca_crl.der, pck_crl.der,\n"
		"pck_crl_issuer_chain.pem, tcb_info.json, tcb_info_issuer_chain.pem,\n"
		"qe_identity.json, qe_identity_issuer_chain.pem, pck_chain.pem, collateral.json.\n"
		"A DCAP verifier told to trust root_ca.pem verifies the quotes of any tdxsim run\n"
		"with the same %s (unset: a fixed default). The root is not Intel's.\n"
		"Exit status 0, or 125 on a usage error or when DIR cannot be written.\n",
		TDXSIM_ATTEST_SEED_ENV);
}

int cmd_attest_collateral(int argc, char **argv)
{
	int ret;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc != 2 || argv[1][0] == '-') {
		usage(stderr);
		return TDXSIM_EXIT_TOOL;
	}
	ret = tdxsim_attest_export(argv[1]);
	if (ret) {
		fprintf(stderr, "tdxsim: attest-collateral: %s: %s\n", argv[1], strerror(-ret));
		return TDXSIM_EXIT_TOOL;
	}
	printf("%s: root_ca.pem, root_ca.der, root_ca_crl.der, pck_crl.der, "
	       "pck_crl_issuer_chain.pem, tcb_info.json, tcb_info_issuer_chain.pem, "
	       "qe_identity.json, qe_identity_issuer_chain.pem, pck_chain.pem, collateral.json\n",
	       argv[1]);
	return 0;
}
