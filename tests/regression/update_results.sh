#!/usr/bin/env bash
# File: tests/regression/update_results.sh
#
# Regenerates tests/regression/results.csv, the quality table that
# tests/integration/regression_test.cpp guards: for every row below it builds
# the corpus, runs `doppel eval ... --csv` and writes corpus, settings and the
# scores. Commit the new table together with the change that moved the numbers.
#
#   tests/regression/update_results.sh [BUILD_DIR]     (default: build)
#
# A row is "CORPUS|SETTINGS":
#   CORPUS   "gen-corpus ARGS..."  a corpus made by BUILD_DIR/tools/gen-corpus with those arguments
#                                  (truth.jsonl, and planted.jsonl for recall per kind);
#            "shared:DIR/TRUTH"    ../shared/corpora/DIR/docs.jsonl.zst scored against TRUTH in that
#                                  folder (kept unchanged when ../shared is absent; the guard skips it)
#   SETTINGS flags for `doppel eval`: dedup flags (passed through to dedup) and eval flags such as
#            --field or --label-field; "defaults" for none. No commas.
# To add a row, add it to ROWS and run this script.
set -euo pipefail

ROWS=(
  "gen-corpus --docs 3000 --seed 7|defaults"
  "gen-corpus --docs 3000 --seed 7|--jaccard 0.9"
  "gen-corpus --docs 3000 --seed 7|--shingle char"
  "gen-corpus --docs 3000 --seed 7|--jaccard 0.95 --containment 0.95"
  "gen-corpus --docs 3000 --seed 7 --format txt|defaults"
  "gen-corpus --docs 3000 --seed 7 --max-words 300|defaults"
  "gen-corpus --scenario templates --docs 800 --seed 11|defaults"
  "gen-corpus --scenario templates --docs 800 --seed 11|--boilerplate off"
  "gen-corpus --scenario templates --docs 800 --seed 11|--source-field source --boilerplate-min-docs 100000"
  "shared:semeval2022_t8_sample/labelled_pairs.jsonl|--label-field overall --positive-max 1.5"
  "shared:semeval2022_t8_sample/labelled_pairs.jsonl|--level story --field story --label-field overall --positive-max 1.5"
  "shared:semeval2022_t8_sample/labelled_pairs.jsonl|--level story --story-threshold 0.15 --field story --label-field overall --positive-max 1.5"
)

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="$(cd "${1:-$repo/build}" && pwd)"
doppel="$build/doppel"
gen="$build/tools/gen-corpus"
shared="${DOPPEL_SHARED_DIR:-$repo/../shared}"
table="$repo/tests/regression/results.csv"
for tool in "$doppel" "$gen"; do
  [[ -x "$tool" ]] || { echo "update_results.sh: $tool not found; build first (cmake --build --preset release)" >&2; exit 2; }
done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# The score columns come from `doppel eval --csv` itself, so the table follows its CSV format.
header=""
lines=()

declare -A corpus_dir=()
n=0
for row in "${ROWS[@]}"; do
  corpus="${row%%|*}"
  settings="${row#*|}"
  read -r -a flags <<<"$([[ "$settings" == defaults ]] || echo "$settings")"
  if [[ "$corpus" == gen-corpus\ * ]]; then
    if [[ -z "${corpus_dir[$corpus]:-}" ]]; then
      n=$((n + 1))
      corpus_dir[$corpus]="$tmp/corpus$n"
      read -r -a gen_args <<<"${corpus#gen-corpus }"
      "$gen" --out "${corpus_dir[$corpus]}" "${gen_args[@]}" 2>/dev/null
    fi
    dir="${corpus_dir[$corpus]}"
    input="$dir/docs.jsonl"
    [[ -e "$input" ]] || input="$dir/docs.jsonl.zst"
    [[ -e "$input" ]] || input="$dir/docs"
    eval_args=(--truth "$dir/truth.jsonl" --planted "$dir/planted.jsonl" "$input")
  elif [[ "$corpus" == shared:* ]]; then
    rel="${corpus#shared:}"
    folder="$shared/corpora/${rel%%/*}"
    if [[ ! -d "$folder" ]]; then
      # Keep the stored row rather than lose it on a machine without ../shared.
      old="$(grep -F "$corpus,$settings," "$table" 2>/dev/null || true)"
      if [[ -n "$old" ]]; then lines+=("$old"); fi
      echo "update_results.sh: $folder not found; kept the stored row for $corpus" >&2
      continue
    fi
    eval_args=(--truth "$folder/${rel#*/}" "$folder/docs.jsonl.zst")
  else
    echo "update_results.sh: unknown corpus '$corpus'" >&2
    exit 2
  fi
  rc=0
  out="$("$doppel" eval "${eval_args[@]}" ${flags[@]+"${flags[@]}"} --csv)" || rc=$?
  if ((rc > 1)); then
    echo "update_results.sh: doppel eval failed for $corpus | $settings" >&2
    exit 2
  fi
  header="corpus,settings,$(head -n 1 <<<"$out")"
  lines+=("$corpus,$settings,$(tail -n 1 <<<"$out")")
  echo "$corpus | $settings: $(tail -n 1 <<<"$out")" >&2
done

[[ -n "$header" ]] || { echo "update_results.sh: no row could be computed" >&2; exit 2; }
printf '%s\n' "$header" "${lines[@]}" >"$tmp/results.csv"
mv "$tmp/results.csv" "$table"
echo "update_results.sh: wrote $table" >&2
