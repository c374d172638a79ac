#!/usr/bin/env bash
# File: fuzz/run.sh
#
# Runs libFuzzer targets for a bounded time each and fails if any of them finds
# a crash, a broken property (they abort), a timeout or a memory blow-up.
#
#   fuzz/run.sh [-t SECONDS] [-j PARALLEL] [-b BUILD_DIR] [-w WORK_DIR] [TARGET...]
#
#   -t  seconds per target (default 60)
#   -j  targets run at the same time (default 1); each uses one core
#   -b  build directory configured with -DDOPPEL_FUZZ=ON (default build-fuzz)
#   -w  where corpora grown by this run and crash artifacts go (default: a new
#       temporary directory). fuzz/corpus/<target>/ seeds every run and is never
#       written to.
#   TARGET  fuzz_jsonl, fuzz_dedup, ... (default: every fuzz/fuzz_*.cpp)
#
# Extra libFuzzer flags can be passed in FUZZ_FLAGS (e.g. FUZZ_FLAGS=-runs=10000000).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60 parallel=1 build=build-fuzz work=""
while getopts "t:j:b:w:" opt; do
  case "$opt" in
    t) seconds=$OPTARG ;;
    j) parallel=$OPTARG ;;
    b) build=$OPTARG ;;
    w) work=$OPTARG ;;
    *) sed -n '4,18p' "$0" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
targets=("$@")
if ((${#targets[@]} == 0)); then
  for f in fuzz/fuzz_*.cpp; do targets+=("$(basename "$f" .cpp)"); done
fi
[ -n "$work" ] || work=$(mktemp -d "${TMPDIR:-/tmp}/doppel-fuzz.XXXXXX")
mkdir -p "$work"

run_one() {
  local t=$1 bin="$build/fuzz/$1"
  if [ ! -x "$bin" ]; then
    echo "fuzz: $bin is missing (configure with -DDOPPEL_FUZZ=ON and build)" >"$work/$t.log"
    return 2
  fi
  mkdir -p "$work/$t.corpus" "$work/$t.artifacts"
  # -timeout: one input running this long is a hang; -rss_limit_mb: a blow-up.
  # The grown corpus comes first (written), the checked-in seeds second (read).
  # shellcheck disable=SC2086
  "$bin" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=3072 -print_final_stats=1 \
    -artifact_prefix="$work/$t.artifacts/" ${FUZZ_FLAGS:-} \
    "$work/$t.corpus" "fuzz/corpus/$t" >"$work/$t.log" 2>&1
}

summary() {
  local t=$1 rc=$2 log="$work/$1.log"
  local execs cov ft
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  if ((rc == 0)); then
    printf 'fuzz: %-15s ok      %10s executions, %5s edges, %6s features\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}"
  else
    printf 'fuzz: %-15s FAILED  (exit %s) after %s executions; log %s, artifacts %s\n' "$t" "$rc" \
      "${execs:-?}" "$log" "$work/$t.artifacts"
    grep -E 'property violated|ERROR:|SUMMARY:|^    [a-z]' "$log" | head -20 | sed 's/^/      /'
  fi
}

echo "fuzz: ${#targets[@]} targets, ${seconds}s each, $parallel at a time; work dir $work"
failed=0
pids=() names=()
flush() {  # waits for the running batch and reports it in target order
  local i rc
  for i in "${!pids[@]}"; do
    rc=0
    wait "${pids[$i]}" || rc=$?
    summary "${names[$i]}" "$rc"
    ((rc == 0)) || failed=1
  done
  pids=() names=()
}
for t in "${targets[@]}"; do
  run_one "$t" &
  pids+=($!) names+=("$t")
  if ((${#pids[@]} >= parallel)); then flush; fi
done
flush
exit "$failed"
