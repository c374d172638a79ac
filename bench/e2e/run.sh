#!/usr/bin/env bash
# File: bench/e2e/run.sh
#
# The end-to-end benchmark: one command that builds doppel (or reuses a build),
# builds or reuses a corpus, and measures in one run
#
#   F1     read + decompress + JSON parse          (doppel-floors f1)
#   F2     F1 + normalise + tokenise + hash shingles (doppel-floors f2)
#   F3     F2 + every distinct text's sorted shingle set kept in memory, as
#          exact verification needs them                (doppel-floors f3)
#   F4     F3 + the containment index over those sets   (doppel-floors f4)
#   F5     the other design's F4: sets sorted but only their bottom-k prefixes
#          kept, then the documents of the index's pairs read again and their
#          sets kept                                   (doppel-floors f5)
#   dedup  the whole `doppel dedup`, default settings, exact verification
#
# on the same input, then prints wall time, MB/s (document text), MB/s per core,
# documents/s, peak RSS (also per document and per input MB), dedup's ratio to
# each floor, and the clusters and pairs found (faster must never mean "found
# less"). Unless --no-archive, everything (command, versions, CPU, raw numbers,
# the table) is written to bench/runs/<date>-<machine>/.
#
# F3 and F4 are this design's own floor (see bench/e2e/floors.cpp): F2 / F4 is
# the most of F2's throughput dedup could reach if everything else were free;
# F2 / F5 the same for a design that keeps only the candidates' sets.
#
# Usage: bash bench/e2e/run.sh [options] [-- extra flags for doppel dedup]
#   --build DIR     build directory (default: build-bench); configured and built
#                   as Release unless --no-build
#   --no-build      use DIR as it is
#   --corpus PATH   input to measure (repeatable: all of them form one run);
#                   default: the generated corpus below
#   --gen-mb N      size of the generated or replicated corpus in MB of text
#                   (default 1024)
#   --replicate     measure real text instead of the generated corpus: the
#                   English corpora of ../shared/corpora (Gutenberg books and
#                   six news sets, 231 MB) grown to --gen-mb by
#                   doppel-replicate (bench/e2e/replicate.cpp): round 0 as
#                   they are, later rounds with every word mapped through a
#                   per-round permutation of the vocabulary, one document in
#                   20 given a planted copy (exact, near or contained)
#   --replicate-from PATH  a source for --replicate in place of those
#                   (repeatable; implies --replicate)
#   --cache DIR     where generated corpora are kept between runs
#                   (default: $DOPPEL_BENCH_CACHE or ~/.cache/doppel-bench)
#   --threads N     worker threads for F2 to F5 and dedup (default: all cores)
#   --out-dir DIR   dedup writes its outputs to DIR/doppel-bench-out (removed
#                   before each run).
#                   Default: a directory in /dev/shm when that is a RAM file
#                   system with room for twice the input, else in $TMPDIR. The
#                   floors read the input from the page cache, so by default
#                   dedup's outputs do not go to a disk either: on a VM disk the
#                   final fsync of a 0.8 GB kept.jsonl alone took 0.5-1.5 s,
#                   varying from run to run. Name a directory on disk to include it.
#   --repeat N      run each measurement N times and keep the fastest (default 1)
#   --label NAME    names the run in the archive (default: the corpus)
#   --archive DIR   archive directory (default: bench/runs/<date>-<machine>)
#   --no-archive
#
# Needs: cmake, ninja, a C++ compiler (scripts/setup.sh), GNU time, awk.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$root/build-bench"
do_build=1
corpora=()
gen_mb=1024
replicate=0
replicate_from=()
cache="${DOPPEL_BENCH_CACHE:-$HOME/.cache/doppel-bench}"
threads="$(nproc)"
repeat=1
label=""
archive=""
do_archive=1
out_dir=""
extra=()
invocation=("$@")

while (($#)); do
  case "$1" in
    --build) build="$(realpath -m "$2")"; shift 2 ;;
    --no-build) do_build=0; shift ;;
    --corpus) corpora+=("$(realpath "$2")"); shift 2 ;;
    --gen-mb) gen_mb="$2"; shift 2 ;;
    --replicate) replicate=1; shift ;;
    --replicate-from) replicate=1; replicate_from+=("$(realpath "$2")"); shift 2 ;;
    --cache) cache="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --out-dir) out_dir="$(realpath -m "$2")/doppel-bench-out"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    --label) label="$2"; shift 2 ;;
    --archive) archive="$(realpath -m "$2")"; shift 2 ;;
    --no-archive) do_archive=0; shift ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//;/^set -e/d'; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

log() { echo "bench: $*" >&2; }
[ -x /usr/bin/time ] || { echo "run.sh: needs GNU time (/usr/bin/time; apt-get install time)" >&2; exit 2; }

if ((do_build)); then
  log "building $build (Release)"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDOPPEL_DEVELOPER_MODE=ON >/dev/null
  cmake --build "$build" --target doppel_cli gen-corpus doppel-floors doppel-replicate >/dev/null
fi
doppel="$build/doppel"
floors="$build/bench/doppel-floors"
gen="$build/tools/gen-corpus"
replicator="$build/bench/doppel-replicate"
for b in "$doppel" "$floors"; do [ -x "$b" ] || { echo "run.sh: $b is missing (build first)" >&2; exit 2; }; done

# cached_corpus DIR WHAT TOOL ARGS...: unless DIR/docs.jsonl exists, runs
# TOOL --out DIR.tmp ARGS (WHAT names the work in the log), then moves DIR.tmp to DIR.
cached_corpus() {
  local dir="$1" what="$2" tool="$3"; shift 3
  [ ! -s "$dir/docs.jsonl" ] || return 0
  [ -x "$tool" ] || { echo "run.sh: $tool is missing (build first)" >&2; exit 2; }
  log "$what in $dir (once; reused afterwards)"
  mkdir -p "$(dirname "$dir")"
  "$tool" --out "$dir.tmp" "$@" >&2
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
}

if ((replicate)) && ((${#corpora[@]} > 0)); then
  echo "run.sh: --corpus and --replicate exclude each other (see --help)" >&2; exit 2
fi
if ((replicate)); then
  if ((${#replicate_from[@]} == 0)); then
    shared="$root/../shared/corpora"
    for c in gutenberg_en reuters21578 bbc_news reuters_c50 ag_news_test 20newsgroups_bydate fakehealth_news; do
      [ -s "$shared/$c/docs.jsonl.zst" ] || { echo "run.sh: --replicate needs $shared/$c/docs.jsonl.zst (or name sources with --replicate-from)" >&2; exit 2; }
      replicate_from+=("$(realpath "$shared/$c/docs.jsonl.zst")")
    done
    corpus_dir="$cache/replicated-en-${gen_mb}mb-seed1"
  else
    corpus_dir="$cache/replicated-$(printf '%s\n' "${replicate_from[@]}" | md5sum | cut -c1-8)-${gen_mb}mb-seed1"
  fi
  cached_corpus "$corpus_dir" "replicating ${replicate_from[*]} to ${gen_mb} MB" "$replicator" \
    --target-mb "$gen_mb" --seed 1 "${replicate_from[@]}"
  corpora=("$corpus_dir/docs.jsonl")
  [ -n "$label" ] || label="$(basename "$corpus_dir" -seed1)"
fi
if ((${#corpora[@]} == 0)); then
  corpus_dir="$cache/gen-${gen_mb}mb-seed1"
  cached_corpus "$corpus_dir" "generating a ${gen_mb} MB corpus" "$gen" --target-mb "$gen_mb" --seed 1
  corpora=("$corpus_dir/docs.jsonl")
  [ -n "$label" ] || label="gen-${gen_mb}mb"
fi
[ -n "$label" ] || label="$(basename "$(dirname "${corpora[0]}")")"

work="$(mktemp -d)"
input_files_bytes="$(du -cbL "${corpora[@]}" | tail -1 | cut -f1)"
if [ -z "$out_dir" ]; then
  out_dir="$work/out"
  shm_free="$(df -B1 --output=avail /dev/shm 2>/dev/null | tail -1 || echo 0)"
  if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] && ((shm_free > 2 * input_files_bytes)); then
    out_dir="$(mktemp -d /dev/shm/doppel-bench-out.XXXXXX)"
  fi
fi
out_fs="$(stat -f -c %T "$(dirname "$out_dir")" 2>/dev/null || echo '?')"
trap 'rm -rf "$work"; case "$out_dir" in /dev/shm/doppel-bench-out.*) rm -rf "$out_dir" ;; esac' EXIT

# time_run NAME CMD...: runs CMD --repeat times; keeps the fastest run's
# wall/user/sys/RSS in $work/NAME.time and its stdout in $work/NAME.out.
time_run() {
  local name="$1"; shift
  local best=""
  for ((i = 1; i <= repeat; i++)); do
    # Every run writes into an empty directory: replacing an earlier run's
    # outputs would add the cost of deleting them (0.2 s for a 0.8 GB kept.jsonl).
    rm -rf "$out_dir"
    sync
    /usr/bin/time -f "%e %U %S %M" -o "$work/try.time" "$@" >"$work/try.out" 2>"$work/try.err" || {
      local rc=$?
      # doppel dedup exits 1 when records were rejected; anything else is a failure.
      if [ "$rc" -ne 1 ] || [ "$name" != dedup ]; then cat "$work/try.err" >&2; exit "$rc"; fi
    }
    # GNU time puts "Command exited with non-zero status 1" before its numbers.
    sed -i '/^Command /d' "$work/try.time"
    local wall; wall="$(awk '{print $1}' "$work/try.time")"
    log "$name run $i: ${wall} s"
    if [ -z "$best" ] || awk -v a="$wall" -v b="$best" 'BEGIN{exit !(a < b)}'; then
      best="$wall"
      cp "$work/try.time" "$work/$name.time"
      cp "$work/try.out" "$work/$name.out"
      [ "$name" != dedup ] || cp "$out_dir/summary.json" "$work/summary.json"
    fi
  done
}

log "input: ${corpora[*]}"
log "threads: $threads, repeat: $repeat, dedup outputs in $out_dir ($out_fs)"
# Warm the page cache so that every measurement reads the input alike.
find -L "${corpora[@]}" -type f -exec cat {} + >/dev/null
time_run f1 "$floors" f1 --threads "$threads" "${corpora[@]}"
time_run f2 "$floors" f2 --threads "$threads" "${corpora[@]}"
time_run f3 "$floors" f3 --threads "$threads" "${corpora[@]}"
time_run f4 "$floors" f4 --threads "$threads" "${corpora[@]}"
time_run f5 "$floors" f5 --threads "$threads" "${corpora[@]}"
time_run dedup "$doppel" dedup "${corpora[@]}" -o "$out_dir" -q --progress never --threads "$threads" "${extra[@]}"

# A corpus with planted copies (gen-corpus's, doppel-replicate's) says how many
# of them dedup found: doppel eval on the outputs that the last run left.
planted_line=""
corpus_dir="$(dirname "${corpora[0]}")"
if ((${#corpora[@]} == 1)) && [ -s "$corpus_dir/planted.jsonl" ] && [ -s "$corpus_dir/truth.jsonl" ]; then
  # Exit status 1: some documents are missing from the run (dedup rejected them, e.g. empty ones).
  "$doppel" eval --truth "$corpus_dir/truth.jsonl" --planted "$corpus_dir/planted.jsonl" --run "$out_dir" --json \
    >"$work/eval.json" 2>/dev/null || [ $? -eq 1 ]
  planted_line="planted copies found: $(grep -o '"[a-z]*":{"found":[0-9]*,"total":[0-9]*' "$work/eval.json" |
    sed 's/"\([a-z]*\)":{"found":\([0-9]*\),"total":\([0-9]*\)/\1 \2\/\3/' | paste -sd, - | sed 's/,/, /g')"
fi

# Numbers: JSON fields pulled out with sed (no jq needed).
field() { sed -n "s/.*\"$2\":\\([0-9.eE+-]*\\).*/\\1/p" "$1" | head -1; }
text_bytes="$(field "$work/f1.out" text_bytes)"
docs="$(field "$work/f1.out" documents)"
shingles="$(field "$work/f2.out" shingles)"
clusters="$(field "$work/summary.json" clusters_with_duplicates)"
pairs="$(field "$work/summary.json" pairs)"
kept="$(field "$work/summary.json" kept)"
sketch="$(sed -n 's/.*"sketch":"\([a-z]*\)".*/\1/p' "$work/summary.json")"
cpu="$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
cores="$(nproc)"

table="$(
  awk -v tb="$text_bytes" -v docs="$docs" -v thr="$threads" -v f1="$(cat "$work/f1.time")" \
      -v f2="$(cat "$work/f2.time")" -v f3="$(cat "$work/f3.time")" -v f4="$(cat "$work/f4.time")" \
      -v f5="$(cat "$work/f5.time")" \
      -v dd="$(cat "$work/dedup.time")" 'BEGIN {
    split(f1, a); split(f2, b); split(f3, e); split(f4, f); split(f5, g); split(dd, c)
    # GNU time reports 0.00 s for a tiny input; count it as its resolution.
    if (a[1] < 0.01) a[1] = 0.01; if (b[1] < 0.01) b[1] = 0.01; if (c[1] < 0.01) c[1] = 0.01
    if (e[1] < 0.01) e[1] = 0.01; if (f[1] < 0.01) f[1] = 0.01; if (g[1] < 0.01) g[1] = 0.01
    mb = tb / 1e6
    printf "| run | wall s | MB/s | MB/s per core | docs/s | CPU s (user+sys) | peak RSS MB | dedup / floor |\n"
    printf "|---|---:|---:|---:|---:|---:|---:|---:|\n"
    row("F1 read + decompress + parse", a, 1, c[1] / a[1])
    row("F2 F1 + normalise + tokenise + hash shingles", b, thr, c[1] / b[1])
    row("F3 F2 + exact sets kept", e, thr, c[1] / e[1])
    row("F4 F3 + containment index", f, thr, c[1] / f[1])
    row("F5 F4 keeping only candidate sets (read again)", g, thr, c[1] / g[1])
    row("doppel dedup", c, thr, 1)
    printf "\nthis design'"'"'s ceiling: F4 runs at %.0f%% of F2'"'"'s throughput (F3: %.0f%%); dedup could not go past it however fast the rest became\nthe design keeping only candidate sets (F5): %.0f%% of F2'"'"'s throughput\n", 100 * b[1] / f[1], 100 * b[1] / e[1], 100 * b[1] / g[1]
  }
  function row(name, t, cores_used, ratio) {
    printf "| %s | %.2f | %.0f | %.0f | %.0f | %.2f | %.0f | %s |\n", name, t[1], mb / t[1], mb / t[1] / cores_used,
      docs / t[1], t[2] + t[3], t[4] / 1024, (name == "doppel dedup") ? "" : sprintf("%.2fx time, dedup at %.0f%% of its throughput", ratio, 100 / ratio)
  }'
)"
rss_kb="$(awk '{print $4}' "$work/dedup.time")"
summary="$(awk -v rss="$rss_kb" -v docs="$docs" -v tb="$text_bytes" -v clusters="$clusters" -v pairs="$pairs" \
  -v kept="$kept" -v shingles="$shingles" 'BEGIN {
  printf "dedup peak RSS: %.0f bytes per document, %.2f MB per input MB (%.0f bytes per shingle)\n", rss * 1024 / docs,
    rss * 1024 / tb, rss * 1024 / shingles
  printf "found: %s clusters with duplicates, %s verified pairs, %s documents kept of %s\n", clusters, pairs, kept, docs
}')"
[ -z "$planted_line" ] || summary+=$'\n'"$planted_line"
# Where dedup's time went, from its own summary.json (the fastest run's).
stages="$(sed -n 's/.*"runtime":{[^}]*"seconds":{\([^}]*\)}.*/\1/p' "$work/summary.json" | tr -d '"' |
  awk -F, '{ for (i = 1; i <= NF; i++) { split($i, kv, ":"); printf "%s%s %.2f s", (i > 1 ? ", " : ""), kv[1], kv[2] } }')"

report="$(cat <<EOF
corpus: $label (${corpora[*]}): $docs documents, $(awk -v b="$text_bytes" 'BEGIN{printf "%.1f", b/1e6}') MB of text, $(awk -v b="$input_files_bytes" 'BEGIN{printf "%.1f", b/1e6}') MB of input files, $shingles shingles
machine: $cpu, $cores cores; threads: $threads; sketch: ${sketch:-?}; best of $repeat; dedup outputs on $out_fs

$table

$summary
dedup stages: $stages
EOF
)"
echo "$report"

if ((do_archive)); then
  machine="$(echo "$cpu" | tr 'A-Z' 'a-z' | sed 's/(r)//g;s/(tm)//g;s/[^a-z0-9]\+/-/g;s/^-//;s/-$//' | cut -c1-32)-${cores}core"
  [ -n "$archive" ] || archive="$root/bench/runs/$(date +%Y-%m-%d)-$machine"
  mkdir -p "$archive"
  base="$archive/$label"
  {
    echo "bash bench/e2e/run.sh ${invocation[*]:-}"
    echo "# expanded: corpus=${corpora[*]} threads=$threads repeat=$repeat extra=${extra[*]:-}"
  } >"$base.command.txt"
  {
    echo "doppel: $("$doppel" --version) (git $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet 2>/dev/null || echo ', with local changes'))"
    echo "compiler: $(c++ --version | head -1)"
    echo "kernel: $(uname -srm)"
    dpkg-query -W -f='${Package} ${Version}\n' libzstd1 libsimdjson14 libtbb12 libutf8proc2 libxxhash0 2>/dev/null || true
  } >"$base.versions.txt"
  lscpu >"$base.cpu.txt"
  {
    echo "f1 $(cat "$work/f1.time") $(cat "$work/f1.out")"
    echo "f2 $(cat "$work/f2.time") $(cat "$work/f2.out")"
    echo "f3 $(cat "$work/f3.time") $(cat "$work/f3.out")"
    echo "f4 $(cat "$work/f4.time") $(cat "$work/f4.out")"
    echo "f5 $(cat "$work/f5.time") $(cat "$work/f5.out")"
    echo "dedup $(cat "$work/dedup.time") $(tr -d '\n' <"$work/summary.json")"
    echo "# columns: name wall_s user_s sys_s peak_rss_kb output"
  } >"$base.raw.txt"
  echo "$report" >"$base.table.md"
  log "archived in $archive/$label.*"
fi
