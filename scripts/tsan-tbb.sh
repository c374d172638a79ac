#!/usr/bin/env bash
# File: scripts/tsan-tbb.sh
#
# Builds oneTBB with ThreadSanitizer for the "tsan" preset and prints the
# directory to pass as -DTBB_DIR=... . Debian's libtbb is not instrumented, so
# TSan cannot see the synchronisation inside it (task hand-off, joins, the
# parallel_pipeline token passing) and reports every result written by a worker
# and read after the join as a race, in doppel's own code. With TBB built from
# Debian's own source package (same version as libtbb-dev) and instrumented,
# those edges are visible and no suppression is needed (docs/reliability.md).
#
#   bash scripts/tsan-tbb.sh [DIR]     # default DIR: build-tsan-tbb
# Idempotent: an existing build in DIR is reused. Run as root (as CI does); needs the
# Debian archive (apt-get source), cmake, ninja, g++ and xz-utils.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(realpath -m "${1:-build-tsan-tbb}")
config="$dir/install/lib/cmake/TBB"
if [ -f "$config/TBBConfig.cmake" ]; then echo "$config"; exit 0; fi
mkdir -p "$dir/apt/lists/partial" "$dir/apt/parts" "$dir/src"
# A private source list: the machine's apt configuration is left untouched.
cat >"$dir/apt/parts/debian-src.sources" <<'SOURCES'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
# The download goes to a directory of ours, which apt's unprivileged _apt user
# cannot write: download as the caller (root in CI) instead of warning about it.
apt_opts=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$dir/apt/parts"
  -o Dir::State::Lists="$dir/apt/lists" -o APT::Sandbox::User=root)
version=$(dpkg-query -W -f='${source:Version}' libtbb-dev)
apt-get update -qq "${apt_opts[@]}" >&2
(cd "$dir/src" && apt-get source --download-only -qq "${apt_opts[@]}" "onetbb=$version" >&2)
tar -xf "$dir"/src/onetbb_*.orig.tar.* -C "$dir/src"
tbb_src=$(find "$dir/src" -maxdepth 1 -type d -name 'oneTBB-*' | head -1)
# TBB_STRICT=OFF: gcc warns that TSan does not model atomic_thread_fence, and
# TBB's strict mode would turn that warning into an error.
cmake -S "$tbb_src" -B "$dir/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTBB_TEST=OFF \
  -DTBB_EXAMPLES=OFF -DTBBMALLOC_BUILD=OFF -DTBB_STRICT=OFF -DTBB_SANITIZE=thread \
  -DCMAKE_INSTALL_PREFIX="$dir/install" >&2
cmake --build "$dir/build" -j"$(nproc)" >&2
cmake --install "$dir/build" >&2
echo "$config"
