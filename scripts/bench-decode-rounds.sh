#!/usr/bin/env bash
# Compares `transformer-cli bench decode` (small preset, greedy or beam search) with CTranslate2
# float32 on the same work (scripts/bench-decode-ctranslate2.py), alternating the two at each
# batch size, for several rounds, and prints each batch size's median sentences/s and the ratio
# of the medians.
# The 2-core cloud VMs this project is measured on drift by tens of per cent from minute to
# minute; alternating keeps each pair within a few seconds of each other.
#
#   scripts/bench-decode-rounds.sh [--rounds N] [--threads N] [--batch B ...] [--scores]
#                                  [--beam K]
#                                  (defaults: 5 rounds, 2 threads, batches 1 and 100, beam 1)
# --scores makes both sides compute each step's log-softmax (bench decode --scores,
# return_scores=True); without it neither does. --beam K above 1 times beam search with K
# hypotheses a sentence, which always scores them.
#
# Needs ctranslate2 (pip install ctranslate2==4.8.5). The binary is the checkout's
# .build/release/transformer-cli; BIN=path overrides it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${BIN:-$root/.build/release/transformer-cli}"
rounds=5
threads=2
batches=()
scores=()
beam=1
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="${2:?--rounds needs a count}"; shift 2 ;;
    --threads) threads="${2:?--threads needs a count}"; shift 2 ;;
    --batch) batches+=("${2:?--batch needs a size}"); shift 2 ;;
    --scores) scores=(--scores); shift ;;
    --beam) beam="${2:?--beam needs a size}"; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-decode-rounds: unknown argument '$1' (see --help)" >&2; exit 1 ;;
  esac
done
[ "${#batches[@]}" -gt 0 ] || batches=(1 100)
for value in "$rounds" "$threads" "$beam" "${batches[@]}"; do
  [[ "$value" =~ ^[1-9][0-9]*$ ]] \
    || { echo "bench-decode-rounds: --rounds, --threads, --beam and --batch need a positive integer, got '$value'" >&2; exit 1; }
done
[ -x "$bin" ] || { echo "bench-decode-rounds: no binary at $bin (swift build -c release)" >&2; exit 1; }
python3 -c 'import ctranslate2' 2>/dev/null \
  || { echo "bench-decode-rounds: needs ctranslate2 (pip install ctranslate2==4.8.5)" >&2; exit 1; }
log="$(mktemp)"
trap 'rm -f "$log" "$log.err"' EXIT
for round in $(seq 1 "$rounds"); do
  for batch in "${batches[@]}"; do
    ours="$("$bin" bench decode --preset small --beam "$beam" --batch "$batch" --sentences 100 \
      --threads "$threads" --json ${scores[@]+"${scores[@]}"})"
    theirs="$(python3 "$root/scripts/bench-decode-ctranslate2.py" --preset small --batch "$batch" \
      --beam "$beam" --compute-type float32 --threads "$threads" --json ${scores[@]+"${scores[@]}"} \
      2>"$log.err" | grep '^{')" \
      || { echo "bench-decode-rounds: CTranslate2 failed at batch $batch: $(tail -n 1 "$log.err")" >&2; exit 1; }
    printf '%s\t%s\t%s\t%s\n' "$round" "$batch" "$ours" "$theirs" >> "$log"
  done
  echo "bench-decode-rounds: round $round of $rounds done" >&2
done
python3 - "$log" "$rounds" <<'PY'
import json, statistics, sys
log, rounds = sys.argv[1], int(sys.argv[2])
ours, theirs, order = {}, {}, []
for line in open(log):
    _, batch, a, b = line.rstrip("\n").split("\t")
    if batch not in ours:
        order.append(batch); ours[batch] = []; theirs[batch] = []
    ours[batch].append(json.loads(a)["sentences_per_s"])
    theirs[batch].append(json.loads(b)["sentences_per_s"])
first = json.loads(open(log).readline().split("\t")[2])
search = "greedy decoding" if first["beam"] == 1 else f"beam search (beam {first['beam']})"
print(f"{search}, small preset, {'with' if first.get('scores') else 'no'} scores, sentences/s, "
      f"medians of {rounds} alternating rounds")
print(f"{'batch':>6}{'ours':>9}{'CT2 f32':>9}{'ratio':>7}  rounds (ours/CT2)")
for batch in order:
    a, b = statistics.median(ours[batch]), statistics.median(theirs[batch])
    each = " ".join(f"{x / y:.2f}" for x, y in zip(ours[batch], theirs[batch]))
    print(f"{batch:>6}{a:9.1f}{b:9.1f}{a / b:7.2f}  {each}")
PY
