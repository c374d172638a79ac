#!/usr/bin/env bash
# File: bench/e2e/replicate_test.sh
#
# The test of doppel-replicate (run by ctest as doppel_replicate_smoke):
#   bash replicate_test.sh DOPPEL_REPLICATE DOPPEL SOURCE_DIR
# It grows SOURCE_DIR (the example corpus) into three rounds with a planted copy
# for every second document and checks that
#   - the same flags write byte-identical files, and another seed other ones;
#   - round 0 is the sources as they are, and later rounds are the same
#     number of documents, of the same lengths, in other words;
#   - every document has a truth line, and every planted copy's source exists;
#   - doppel dedup finds every planted copy (doppel eval: recall 1 per kind)
#     and never puts a document of one round with one of another, except a
#     planted copy with its own source.
set -euo pipefail
replicate="$1" doppel="$2" src="$3"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# The examples hold ~40 KB of text: 0.1 MB is a little over two rounds.
"$replicate" --out "$work/a" --target-mb 0.1 --plant-every 2 "$src" 2>"$work/log"
cat "$work/log"
"$replicate" --out "$work/b" --target-mb 0.1 --plant-every 2 "$src" 2>/dev/null
"$replicate" --out "$work/c" --target-mb 0.1 --plant-every 2 --seed 7 "$src" 2>/dev/null
for f in docs planted truth; do
  cmp -s "$work/a/$f.jsonl" "$work/b/$f.jsonl" || fail "$f.jsonl differs between two runs with the same flags"
done
! cmp -s "$work/a/docs.jsonl" "$work/c/docs.jsonl" || fail "--seed 7 wrote the same documents as --seed 1"

docs=$(wc -l <"$work/a/docs.jsonl")
[ "$docs" -eq "$(wc -l <"$work/a/truth.jsonl")" ] || fail "docs.jsonl and truth.jsonl differ in length"
plants=$(wc -l <"$work/a/planted.jsonl")
[ "$plants" -ge 6 ] || fail "only $plants planted copies"
for kind in exact near contained; do
  grep -q "\"kind\":\"$kind\"" "$work/a/planted.jsonl" || fail "no planted copy of kind $kind"
done
# Every planted source is a document.
sed -n 's/.*"b":"\([^"]*\)".*/\1/p' "$work/a/planted.jsonl" | sort -u >"$work/sources"
grep -o '"id":"[^"]*"' "$work/a/docs.jsonl" | sed 's/"id":"//;s/"$//' | sort -u >"$work/ids"
[ -z "$(comm -23 "$work/sources" "$work/ids")" ] || fail "planted copies of documents that were not written"

# Round 0 is the sources verbatim; round 1 has the same text lengths in other words.
"$doppel" dedup "$src" -o "$work/plain" -q --progress never >/dev/null
"$doppel" dedup "$work/a/docs.jsonl" -o "$work/out" -q --progress never >/dev/null
text_of() { grep "\"id\":\"$2\"," "$1" | sed 's/.*"text":"//;s/"}$//'; }
first=$(head -1 "$work/plain/kept.jsonl" | sed 's/^{"id":"\([^"]*\)".*/\1/')
text0=$(text_of "$work/a/docs.jsonl" "$first")
text1=$(text_of "$work/a/docs.jsonl" "r1:$first")
[ -n "$text0" ] && [ "$text0" = "$(text_of "$work/plain/kept.jsonl" "$first")" ] || fail "round 0 changed $first"
[ "${#text0}" -eq "${#text1}" ] || fail "round 1's $first has another length"
[ "$text0" != "$text1" ] || fail "round 1's $first is round 0's"

# doppel finds every planted copy.
"$doppel" eval --truth "$work/a/truth.jsonl" --planted "$work/a/planted.jsonl" --run "$work/out" --json >"$work/eval.json"
cat "$work/eval.json"
for kind in exact near contained; do
  grep -Eq "\"$kind\":\\{[^}]*\"recall\":1[,}]" "$work/eval.json" || fail "dedup missed planted copies of kind $kind"
done
# No cluster spans two rounds: each document's round (its id's "rN:" prefix, or
# round 0) is its representative's.
sed -n 's/.*"id":"\([^"]*\)".*"representative":"\([^"]*\)".*/\2 \1/p' "$work/out/clusters.jsonl" |
  awk '{ split($1, c, ":"); split($2, m, ":"); rc = (length(c) > 1) ? c[1] : "r0"; rm = (length(m) > 1) ? m[1] : "r0"
         if (rc != rm) { print "cluster " $1 " holds " $2 " of another round"; bad = 1 } }
       END { exit bad }' || fail "a cluster spans two rounds"
echo "ok: $docs documents, $plants planted copies"
