#!/bin/sh
# A busybox initramfs for Debian's TDX guest kernel (docs/LINUX-BOOT.md): Debian's static
# busybox, the project's static tdreport program (examples/linux/tdreport.c), the TDX guest
# driver's modules from scripts/td-linux-fetch.sh and an /init that
#   mounts /dev, /proc, /sys and configfs, loads the modules (modules/order),
#   prints the CPU flags of /proc/cpuinfo and whether tdx_guest is among them,
#   gets a TDREPORT with a fixed REPORTDATA through /dev/tdx_guest (and a quote through
#   configfs-tsm) and prints its MRTD in hex,
#   and powers off (poweroff -f).
# Every line /init prints starts with "tdx-init: " so a test can pick them out of the console.
#
# Usage: scripts/td-initramfs.sh TDREPORT [KERNEL_DIR [OUT]]
#   TDREPORT    the static tdreport binary (build/examples/tdreport)
#   KERNEL_DIR  what td-linux-fetch.sh made (its default directory if not given)
#   OUT         the gzip'd newc cpio archive (default KERNEL_DIR/initramfs.cpio.gz)
set -eu

die() {
	echo "td-initramfs: $*" >&2
	exit 1
}

[ $# -ge 1 ] || die "usage: td-initramfs.sh TDREPORT [KERNEL_DIR [OUT]]"
tdreport=$1
cache=${TDXSIM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tdxsim}
kdir=${2:-$cache/linux}
out=${3:-$kdir/initramfs.cpio.gz}
busybox=${BUSYBOX:-/bin/busybox}

command -v cpio >/dev/null || die "cpio is missing (Debian's cpio package; make deps installs it)"
[ -x "$busybox" ] || die "$busybox is missing (Debian's busybox-static package; make deps installs it)"
# Nothing in the archive may need a program interpreter: it has no libc. (A busybox from
# Debian's busybox package, not busybox-static, would.)
dynamic() { readelf -l "$1" 2>/dev/null | grep -q 'program interpreter'; }
dynamic "$busybox" && die "$busybox is dynamically linked: install Debian's busybox-static"
[ -x "$tdreport" ] || die "$tdreport is missing (meson compile builds examples/tdreport)"
dynamic "$tdreport" && die "$tdreport is dynamically linked: it must be built with -static"
[ -s "$kdir/modules/order" ] || die "$kdir has no modules/order: run scripts/td-linux-fetch.sh first"

root=$(mktemp -d "${TMPDIR:-/tmp}/td-initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
trap 'exit 130' INT TERM
chmod 755 "$root"
mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" "$root/tmp" "$root/lib/modules"
cp "$busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$tdreport" "$root/bin/tdreport"
while read -r m; do
	cp "$kdir/modules/$m" "$root/lib/modules/"
done <"$kdir/modules/order"
cp "$kdir/modules/order" "$root/lib/modules/order"

cat >"$root/init" <<'EOF'
#!/bin/sh
# The TD's first process (scripts/td-initramfs.sh). No /dev/console exists in the archive
# (making device nodes needs root), so the console is opened once devtmpfs is mounted.
/bin/busybox mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo "tdx-init: init after $(cut -d ' ' -f 1 /proc/uptime) s of uptime, kernel $(uname -r)"
for m in $(cat /lib/modules/order); do
	insmod "/lib/modules/$m" && echo "tdx-init: loaded $m" || echo "tdx-init: insmod $m failed"
done
mount -t configfs configfs /sys/kernel/config 2>/dev/null
echo "tdx-init: vCPUs online $(cat /sys/devices/system/cpu/online)"
flags=$(grep -m 1 '^flags' /proc/cpuinfo | cut -d : -f 2)
echo "tdx-init: cpu flags:$flags"
case " $flags " in
*" tdx_guest "*) echo "tdx-init: tdx_guest: yes" ;;
*) echo "tdx-init: tdx_guest: no" ;;
esac
tdreport --quote >/tmp/tdreport.out 2>&1
status=$?
sed 's/^/tdx-init: /' /tmp/tdreport.out
echo "tdx-init: tdreport status $status"
echo "tdx-init: powering off after $(cut -d ' ' -f 1 /proc/uptime) s of uptime"
poweroff -f
EOF
chmod 755 "$root/init"

mkdir -p "$(dirname "$out")"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9n >"$out.tmp"
mv "$out.tmp" "$out"
echo "td-initramfs: $out ($(stat -c %s "$out") bytes)"
