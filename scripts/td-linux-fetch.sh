#!/bin/sh
# Debian's TDX guest kernel, for booting Linux as a TD (docs/LINUX-BOOT.md).
#
# Downloads the newest linux-image-6.12.*-cloud-amd64-unsigned of bookworm-backports from the
# Debian mirror this machine's apt already uses, checks that its configuration has
# CONFIG_INTEL_TDX_GUEST=y, and extracts (dpkg-deb -x, nothing installed, nothing compiled)
# into DIR:
#   vmlinuz         the bzImage
#   config          the kernel's configuration (/boot/config-*)
#   modules/*.ko    the TDX guest driver (tdx-guest) and the modules it needs (tsm, configfs),
#                   as their "depends=" module information says, decompressed
#   modules/order   their file names in the order to load them (dependencies first)
#   release         the kernel release (uname -r), package and version on three lines
# A DIR that already holds all of them is left as it is unless --refresh is given.
#
# Usage: scripts/td-linux-fetch.sh [--refresh] [DIR]
#   DIR defaults to $TDXSIM_CACHE_DIR/linux, else ${XDG_CACHE_HOME:-$HOME/.cache}/tdxsim/linux.
# Exit status: 0 done; 1 a failure; 77 the mirror cannot be reached (no network), which the
# tests take as "skipped".
set -eu

refresh=0
if [ "${1:-}" = "--refresh" ]; then
	refresh=1
	shift
fi
cache=${TDXSIM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tdxsim}
dir=${1:-$cache/linux}
suite=bookworm-backports
pkg_pattern='^linux-image-6\.12\.[0-9.+~a-z-]*-cloud-amd64-unsigned$'
# The module wanted; its module information names what it needs.
module=tdx-guest

say() { echo "td-linux-fetch: $*"; }
die() {
	echo "td-linux-fetch: $*" >&2
	exit 1
}

have_all() {
	[ -s "$dir/vmlinuz" ] && [ -s "$dir/config" ] && [ -s "$dir/release" ] &&
		[ -s "$dir/modules/order" ] && [ -s "$dir/modules/$module.ko" ]
}

if [ "$refresh" = 0 ] && have_all; then
	say "$(sed -n 2,3p "$dir/release" | tr '\n' ' ')already in $dir"
	exit 0
fi

for tool in apt-get apt-cache dpkg-deb; do
	command -v "$tool" >/dev/null || die "$tool is missing: this script needs Debian's apt and dpkg"
done

# The mirror: the URI apt uses for this machine's Debian release (its codename suite, not
# -security or -updates), whichever form the sources are written in (apt-get indextargets
# reads both). Never a host name of our own.
# shellcheck disable=SC1091
codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
# shellcheck disable=SC2016 # apt-get expands $(FIELD), not the shell
targets=$(apt-get indextargets --format '$(TARGET_OF) $(REPO_URI) $(RELEASE)' 2>/dev/null |
	sort -u)
mirror=$(printf '%s\n' "$targets" | awk -v c="$codename" '$1 == "deb" && $3 == c { print $2; exit }')
[ -n "$mirror" ] ||
	mirror=$(printf '%s\n' "$targets" | awk '$1 == "deb" && $3 ~ /^[a-z]+$/ && $2 ~ /debian\/?$/ { print $2; exit }')
[ -n "$mirror" ] || die "no Debian mirror in this machine's apt sources (apt-get indextargets)"
mirror=${mirror%/}

keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$keyring" ] || die "$keyring is missing (Debian's debian-archive-keyring package)"

# apt with a state of its own, so the machine's sources, lists and status stay untouched:
# one source (the backports suite of the same mirror), its own lists, cache and an empty
# dpkg status (nothing is installed; apt-get download needs no dependencies).
work=$(mktemp -d "${TMPDIR:-/tmp}/td-linux-fetch.XXXXXX")
trap 'rm -rf "$work" "${new:-}"' EXIT
trap 'exit 130' INT TERM
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/etc/preferences.d" \
	"$work/etc/sources.list.d" "$work/deb"
: >"$work/status"
echo "deb [signed-by=$keyring] $mirror $suite main" >"$work/etc/sources.list"
apt() {
	"$@" -o Dir::Etc="$work/etc" -o Dir::Etc::SourceList="$work/etc/sources.list" \
		-o Dir::Etc::SourceParts="$work/etc/sources.list.d" \
		-o Dir::Etc::PreferencesParts="$work/etc/preferences.d" \
		-o Dir::State::Lists="$work/lists" -o Dir::State::status="$work/status" \
		-o Dir::Cache="$work/cache" -o Debug::NoLocking=1 -o APT::Sandbox::User=root \
		-o Acquire::Languages=none -o APT::Architecture=amd64 -o APT::Architectures=amd64
}

say "mirror $mirror (from this machine's apt sources), suite $suite"
t0=$(date +%s)
if ! apt apt-get update -q=2 >"$work/update.log" 2>&1 ||
	grep -q '^\(E\|Err\|W: Failed\)' "$work/update.log"; then
	sed 's/^/  /' "$work/update.log" >&2
	echo "td-linux-fetch: cannot read $suite from $mirror (no network?)" >&2
	exit 77
fi
name=$(apt apt-cache pkgnames linux-image-6.12. | grep -E "$pkg_pattern" | sort -V | tail -n 1)
[ -n "$name" ] || die "no package matching $pkg_pattern in $suite"
version=$(apt apt-cache show "$name" | sed -n 's/^Version: //p' | sort -V | tail -n 1)
say "downloading $name $version"
if ! (cd "$work/deb" && apt apt-get download -q=2 "$name=$version") >"$work/download.log" 2>&1; then
	sed 's/^/  /' "$work/download.log" >&2
	echo "td-linux-fetch: cannot download $name from $mirror (no network?)" >&2
	exit 77
fi
deb=$(ls "$work/deb"/*.deb)
size=$(stat -c %s "$deb")
t1=$(date +%s)
say "$(basename "$deb"): $size bytes in $((t1 - t0)) s"

dpkg-deb -x "$deb" "$work/x"
release=$(ls "$work/x/lib/modules")
[ -f "$work/x/boot/vmlinuz-$release" ] || die "the package has no /boot/vmlinuz-$release"
grep -qx 'CONFIG_INTEL_TDX_GUEST=y' "$work/x/boot/config-$release" ||
	die "$name is not built with CONFIG_INTEL_TDX_GUEST=y: it cannot run as a TD"

# The package has no modules.dep (depmod makes it at install); each module's .modinfo section
# names the modules it needs ("depends=tsm"), and modules are found by file name, where '-'
# and '_' are the same. A module is loaded after everything it needs.
moddir=$work/x/lib/modules/$release
mkdir -p "$work/ko"
: >"$work/order"
# need TOOL PACKAGE: the tool a compressed module needs, or a sentence naming its package.
need() {
	command -v "$1" >/dev/null || die "$1 is missing: Debian's $2 package (make deps installs it)"
}

add_module() { # NAME: decompress it and what it needs into $work/ko, append to $work/order
	grep -qx "$1.ko" "$work/order" && return 0
	f=$(find "$moddir/kernel" -name "$1.ko*" -o -name "$(echo "$1" | tr _- -_).ko*" | head -n 1)
	[ -n "$f" ] || die "the package has no module $1"
	ko=$(basename "$f" | sed 's/\.ko.*$//').ko
	case "$f" in
	*.ko) cp "$f" "$work/ko/$ko" ;;
	*.ko.xz) need xz xz-utils && xz -dc "$f" >"$work/ko/$ko" ;;
	*.ko.zst) need zstd zstd && zstd -qdc "$f" >"$work/ko/$ko" ;;
	*.ko.gz) need gzip gzip && gzip -dc "$f" >"$work/ko/$ko" ;;
	*) die "$f is not a module" ;;
	esac
	for d in $(tr '\0' '\n' <"$work/ko/$ko" | sed -n 's/^depends=//p' | tr ',' ' '); do
		(add_module "$d") # a subshell: f and ko stay this call's
	done
	echo "$ko" >>"$work/order"
}
add_module "$module"

# Everything is put together beside DIR and then moved into place, so a reader (another
# build's test running the same script) sees the old DIR or the new one, never half of one.
new=$dir.new.$$
rm -rf "$new"
mkdir -p "$new/modules"
cp "$work/ko"/*.ko "$work/order" "$new/modules/"
cp "$work/x/boot/vmlinuz-$release" "$new/vmlinuz"
cp "$work/x/boot/config-$release" "$new/config"
printf '%s\n%s\n%s\n' "$release" "$name" "$version" >"$new/release"
rm -rf "$dir.old.$$"
[ -e "$dir" ] && mv "$dir" "$dir.old.$$"
mv "$new" "$dir"
rm -rf "$dir.old.$$"
say "$release: vmlinuz, config and modules ($(tr '\n' ' ' <"$dir/modules/order")) in $dir"
