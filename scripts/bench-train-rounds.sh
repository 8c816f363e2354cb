#!/usr/bin/env bash
# Compares `transformer-cli bench train` with PyTorch on the same step
# (scripts/bench-train-pytorch.py), alternating the two for each preset, for several rounds, and
# prints each preset's median ms/step, the ratio of the medians (PyTorch's time over ours: how
# many times faster we are), our median fraction of the FMA peak, and each round's ratio.
# The 2-core cloud VMs this project is measured on drift by tens of per cent from minute to
# minute; alternating keeps each pair within a few seconds of each other, and which side goes
# first alternates from round to round.
#
#   scripts/bench-train-rounds.sh [--rounds N] [--threads N] [--steps N] [--preset P ...]
#                                 (defaults: 3 rounds, 2 threads, 10 steps, preset small)
#
# Needs torch (pip install torch). The binary is the checkout's .build/release/transformer-cli;
# BIN=path overrides it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${BIN:-$root/.build/release/transformer-cli}"
rounds=3
threads=2
steps=10
presets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="${2:?--rounds needs a count}"; shift 2 ;;
    --threads) threads="${2:?--threads needs a count}"; shift 2 ;;
    --steps) steps="${2:?--steps needs a count}"; shift 2 ;;
    --preset)
      preset="${2:?--preset needs a name}"
      # A preset named twice is timed once a round, as the medians' header says.
      [[ " ${presets[*]-} " == *" $preset "* ]] || presets+=("$preset")
      shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-train-rounds: unknown argument '$1' (see --help)" >&2; exit 1 ;;
  esac
done
[ "${#presets[@]}" -gt 0 ] || presets=(small)
for value in "$rounds" "$threads" "$steps"; do
  [[ "$value" =~ ^[1-9][0-9]*$ ]] \
    || { echo "bench-train-rounds: --rounds, --threads and --steps need a positive integer, got '$value'" >&2; exit 1; }
done
for preset in "${presets[@]}"; do
  case "$preset" in
    tiny|small|base) ;;
    *) echo "bench-train-rounds: --preset must be tiny, small or base, got '$preset'" >&2; exit 1 ;;
  esac
done
[ -x "$bin" ] || { echo "bench-train-rounds: no binary at $bin (swift build -c release)" >&2; exit 1; }
python3 -c 'import torch' 2>/dev/null \
  || { echo "bench-train-rounds: needs torch (pip install torch)" >&2; exit 1; }
log="$(mktemp)"
trap 'rm -f "$log" "$log.err"' EXIT
ours() {
  "$bin" bench train --preset "$1" --steps "$steps" --threads "$threads" --json 2>"$log.err" \
    || { echo "bench-train-rounds: bench train failed on $1: $(tail -n 1 "$log.err")" >&2; exit 1; }
}
theirs() {
  python3 "$root/scripts/bench-train-pytorch.py" --preset "$1" --steps "$steps" \
    --threads "$threads" --json 2>"$log.err" | grep '^{' \
    || { echo "bench-train-rounds: PyTorch failed on $1: $(tail -n 1 "$log.err")" >&2; exit 1; }
}
for round in $(seq 1 "$rounds"); do
  for preset in "${presets[@]}"; do
    if [ $((round % 2)) -eq 1 ]; then
      a="$(ours "$preset")"; b="$(theirs "$preset")"
    else
      b="$(theirs "$preset")"; a="$(ours "$preset")"
    fi
    printf '%s\t%s\t%s\t%s\n' "$round" "$preset" "$a" "$b" >> "$log"
  done
  echo "bench-train-rounds: round $round of $rounds done" >&2
done
python3 - "$log" "$rounds" <<'PY'
import json, statistics, sys
log, rounds = sys.argv[1], int(sys.argv[2])
ours, theirs, fractions, order = {}, {}, {}, []
for line in open(log):
    _, preset, a, b = line.rstrip("\n").split("\t")
    if preset not in ours:
        order.append(preset); ours[preset] = []; theirs[preset] = []; fractions[preset] = []
    a, b = json.loads(a), json.loads(b)
    ours[preset].append(a["ms_per_step"])
    theirs[preset].append(b["ms_per_step"])
    fractions[preset].append(a["peak_fraction"])
torch = json.loads(open(log).readline().split("\t")[3]).get("torch", "?")
print(f"bench train against PyTorch {torch}, ms/step, medians of {rounds} alternating rounds; "
      "ratio = PyTorch / ours")
print(f"{'preset':>7}{'ours':>9}{'PyTorch':>9}{'ratio':>7}{'of peak':>9}  rounds (PyTorch/ours)")
for preset in order:
    a, b = statistics.median(ours[preset]), statistics.median(theirs[preset])
    each = " ".join(f"{y / x:.2f}" for x, y in zip(ours[preset], theirs[preset]))
    fraction = statistics.median(fractions[preset])
    print(f"{preset:>7}{a:9.1f}{b:9.1f}{b / a:7.2f}{100 * fraction:8.1f}%  {each}")
PY
