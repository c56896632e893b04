#!/bin/sh
# Runs the chainsnap folder the chart installs in a bare Debian root (debootstrap minbase: glibc,
# no libcurl, no OpenSSL 3 libssl; its libzstd/liblz4 hidden during the test) with chroot: `chainsnap --version`, then a file://
# snapshot restore inside the root, compared with the source tree. Also checks that every
# library the loader maps (other than glibc) comes from the bundle, not from the root.
#
# The root is cached in PACKAGE/.build-chroot/bookworm-minbase (first run: a minbase
# debootstrap, ~40 MB download and 1-3 minutes; later runs reuse it and take seconds).
# Exit 77 (skip) with a message only when debootstrap cannot run here (not root, no
# debootstrap, no mirror reachable).
# Usage: scripts/test-minimal-root.sh PATH/TO/chainsnap
set -eu
bin=$(readlink -f "$1")
pkg=$(cd "$(dirname "$0")/.." && pwd)
cache=${CHAINSNAP_CHROOT_CACHE:-$pkg/.build-chroot}
root=$cache/bookworm-minbase
skip() { echo "SKIP: $*"; exit 77; }

if [ ! -x "$root/bin/sh" ]; then
  [ "$(id -u)" = 0 ] || skip "debootstrap and chroot need root (uid $(id -u))"
  command -v debootstrap >/dev/null || skip "debootstrap is not installed (apt-get install debootstrap)"
  # The Debian mirror this machine's apt uses.
  mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null \
    | awk '/^URIs:/ { print $2; exit } /^deb / { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }')
  mirror=${mirror:-http://deb.debian.org/debian}
  echo "building $root (debootstrap --variant=minbase bookworm $mirror; cached for later runs)"
  rm -rf "$root.partial"
  mkdir -p "$cache"
  if ! debootstrap --variant=minbase bookworm "$root.partial" "$mirror" > "$cache/debootstrap.log" 2>&1; then
    tail -5 "$cache/debootstrap.log"
    rm -rf "$root.partial"
    skip "debootstrap could not build a root from $mirror (log: $cache/debootstrap.log)"
  fi
  mv "$root.partial" "$root"
fi
[ "$(id -u)" = 0 ] || skip "chroot needs root (uid $(id -u))"

# The root must not have the libraries the bundle brings (else the test proves nothing). minbase
# has no libcurl, libssl3 or nghttp2; its apt needs libzstd1 and liblz4-1, which are hidden
# (renamed) for the duration of the test and put back afterwards.
for l in libcurl.so.4 libssl.so.3 libnghttp2.so.14; do
  if ls "$root"/usr/lib/*/"$l" "$root"/lib/*/"$l" >/dev/null 2>&1; then echo "FAIL: the minimal root has $l"; exit 1; fi
done
hidden=""
work=/opt/chainsnap-test-$$
tmp=$root/tmp/chainsnap-test-$$
cleanup() {
  umount "$root/proc" 2>/dev/null || true
  rm -rf "$root$work" "$tmp"
  for f in $hidden; do mv "$f.hidden-by-test" "$f"; done
}
trap cleanup EXIT INT TERM
for f in "$root"/usr/lib/*/libzstd.so* "$root"/usr/lib/*/liblz4.so*; do
  [ -e "$f" ] || [ -L "$f" ] || continue
  mv "$f" "$f.hidden-by-test"
  hidden="$hidden $f"
done
mkdir -p "$root/opt" "$tmp"
# Exactly what the chart's install-chainsnap step copies: the bundle folder.
"$pkg/scripts/bundle-chainsnap.sh" "$bin" "$root$work" >/dev/null
mount -t proc proc "$root/proc"

echo "== chainsnap --version in the minimal root"
chroot "$root" "$work/chainsnap" --version

echo "== libraries the loader maps"
foreign=$(chroot "$root" env LD_TRACE_LOADED_OBJECTS=1 "$work/chainsnap" | awk '/=>/ { print $1, $3 }' \
  | grep -v -E "^(libc|libm|libpthread|libdl|librt|libresolv|libutil)\.so|^linux-vdso|ld-linux" | grep -v " $work/lib/" || true)
if [ -n "$foreign" ]; then echo "FAIL: libraries not from the bundle:"; echo "$foreign"; exit 1; fi
echo "all non-glibc libraries from $work/lib"

echo "== file:// snapshot restore in the minimal root"
mkdir -p "$tmp/src/mainnet" "$tmp/store"
head -c 3000000 /dev/urandom > "$tmp/src/mainnet/000001.ldb"
echo "manifest" > "$tmp/src/mainnet/MANIFEST-000001"
"$bin" snapshot create "$tmp/src" --to "file://$tmp/store" --network test >/dev/null 2>&1
inside=/tmp/chainsnap-test-$$
chroot "$root" "$work/chainsnap" snapshot restore --from "file://$inside/store" "$inside/restored"
if ! diff -r -x .chainsnap-restore.json "$tmp/src" "$tmp/restored"; then echo "FAIL: restored tree differs from the source"; exit 1; fi
echo "PASSED: chainsnap runs in a bare Debian root and restores a snapshot"
