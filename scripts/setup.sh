#!/usr/bin/env bash
# Installs doppel's build dependencies from Debian bookworm packages.
# Safe to re-run: only missing packages are installed. Needs root (or sudo).
set -euo pipefail
packages=(build-essential cmake ninja-build pkg-config git zstd
  libxxhash-dev libzstd-dev zlib1g-dev libsimdjson-dev libutf8proc-dev
  libfmt-dev libcli11-dev libtbb-dev libgtest-dev libgmock-dev libbenchmark-dev time
  clang-14 libclang-rt-14-dev xz-utils)  # clang + libFuzzer, and TBB's source, for the CI's fuzz and TSan stages
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
