#!/bin/sh
# Makes a chainsnap folder that runs on any glibc Linux with CA certificates and nothing else:
#   OUT/chainsnap        the binary, DT_RPATH=$ORIGIN/lib
#   OUT/lib/*.so*        every shared library it needs except glibc's own (libcurl and its
#                        dependencies, zstd, lz4, OpenSSL, zlib, libstdc++, the Swift runtime when
#                        not linked statically), each with RUNPATH=$ORIGIN
# The Dockerfile installs this folder as /opt/chainsnap/bin and the chart's install-chainsnap
# init container copies exactly that folder into the node container.
# Usage: scripts/bundle-chainsnap.sh PATH/TO/chainsnap OUT   (needs ldd and patchelf)
set -eu
bin=$1 out=$2
command -v patchelf >/dev/null || { echo "bundle-chainsnap: patchelf is missing (apt-get install patchelf)" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out/lib"
cp "$bin" "$out/chainsnap"
chmod 0755 "$out/chainsnap"
# glibc (and the kernel's vDSO) come from the host image; everything else is bundled.
ldd "$bin" | awk '/=> \// { print $1, $3 }' | while read -r name path; do
  case "$name" in
    libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|libresolv.so.*|libutil.so.*|ld-linux*|libanl.so.*) continue ;;
  esac
  cp -L "$path" "$out/lib/$name"
  chmod 0644 "$out/lib/$name"
  patchelf --set-rpath '$ORIGIN' "$out/lib/$name"
done
# DT_RPATH (not RUNPATH) so it also applies to the libraries' own dependencies.
patchelf --force-rpath --set-rpath '$ORIGIN/lib' "$out/chainsnap"
echo "bundle-chainsnap: $out/chainsnap + $(ls "$out/lib" | wc -l) libraries ($(du -sh "$out" | cut -f1))"
