#!/bin/sh
# The demo: what tdxsim does today, end to end, with a line of explanation per step.
set -eu
build=${1:-build}
tdxsim="$build/tools/tdxsim"
hello="$build/examples/hello.elf"

echo "== 1. The host brings the TDX module up on a simulated laptop (8 LPs, 16 GiB)"
echo "      (SYS.INIT, LP.INIT on every CPU, TDMRs and PAMTs, SYS.CONFIG, KEY.CONFIG, TDMR.INIT)"
"$tdxsim" host-init --machine laptop
echo
echo "== 2. The MRTD of a guest image, computed without a machine (docs/TDX-ABI.md §9: PAGE.ADD and"
echo "      16 x MR.EXTEND of every page of examples/guests/hello.c and of the reset page)"
echo "   \$ tdxsim measure $hello"
"$tdxsim" measure "$hello"
echo
echo "== 3. The same guest built into a TD and run: MNG.CREATE ... MR.FINALIZE, VP.ENTER loop."
echo "      Serial output on stdout; the summary (the module's MRTD, exits by reason) on stderr."
echo "      Port I/O and MMIO go through #VE, as in a TD guest kernel's runtime path."
echo "   \$ tdxsim run $hello"
"$tdxsim" run "$hello" 2>&1 | grep -v '^tdx: '
echo
echo "== 4. Again with 4 vCPUs and the direct (TDVMCALL, no #VE) I/O and MMIO paths;"
echo "      main() runs on vCPU 0, vCPUs 1-3 wait in the SDK's wake-up mailbox"
echo "   \$ tdxsim run $hello --vcpus 4 --io-path direct --mmio-path direct"
"$tdxsim" run "$hello" --vcpus 4 --io-path direct --mmio-path direct 2>&1 | grep -v '^tdx: '
echo
echo "== 5. 4 vCPUs at work (examples/guests/smp.c): vCPU 0 starts 1-3 through the ACPI"
echo "      wake-up mailbox, each counts the primes in a quarter of [0, 100000) and prints it,"
echo "      the APs ring vCPU 0 with an IPI (x2APIC ICR -> #VE -> TDVMCALL<WRMSR> -> posted"
echo "      interrupt), vCPU 0 waits in STI;TDVMCALL<HLT>. Halts and IPIs in the summary."
echo "   \$ tdxsim run $build/examples/smp.elf --vcpus 4"
"$tdxsim" run "$build/examples/smp.elf" --vcpus 4 2>&1 | grep -v '^tdx: '
echo
echo "== 6. MMIO both ways (examples/guests/mmio.c): the PCI test device found through config"
echo "      mechanism #1, its BAR read and written at 1/2/4/8 bytes by touching the shared page"
echo "      (EPT violation -> #VE -> decode -> TDVMCALL<#VE.RequestMMIO>) and by the direct call"
echo "   \$ tdxsim run $build/examples/mmio.elf"
"$tdxsim" run "$build/examples/mmio.elf" 2>&1 | grep -v '^tdx: '
echo
echo "== 7. Attestation (examples/guests/attest.c): TDG.MR.REPORT with the guest's REPORTDATA,"
echo "      TDG.MR.RTMR.EXTEND of RTMR 2, then TDVMCALL<GetQuote> on a page converted to shared"
echo "      (MapGPA); the VMM signs the TDREPORT with a local ECDSA P-384 key (a software quote,"
echo "      not rooted in Intel). The MRTD in the report is the one tdxsim prints below it."
echo "   \$ tdxsim run $build/examples/attest.elf"
"$tdxsim" run "$build/examples/attest.elf" 2>&1 | grep -v '^tdx: '
echo
echo "== 8. What a trap costs: SEAMCALL and TDCALL by trap and by gate, and a world switch,"
echo "      each against a bare SIGSEGV round trip measured in the same run"
"$build/bench/bench_platform" 20000
