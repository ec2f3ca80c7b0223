#!/bin/sh
# The demo: what tdxsim does today, end to end, with a line of explanation per step.
set -eu
build=${1:-build}

echo "== 1. The host brings the TDX module up on a simulated laptop (8 LPs, 16 GiB)"
echo "      (SYS.INIT, LP.INIT on every CPU, TDMRs and PAMTs, SYS.CONFIG, KEY.CONFIG, TDMR.INIT)"
if [ -x "$build/tools/tdxsim" ]; then
	"$build/tools/tdxsim" host-init --preset laptop
else
	echo "   (tdxsim host-init is not built yet)"
fi
echo
echo "== 2. What a trap costs: SEAMCALL and TDCALL by trap and by gate, and a world switch,"
echo "      each against a bare SIGSEGV round trip measured in the same run"
"$build/bench/bench_platform" 20000
