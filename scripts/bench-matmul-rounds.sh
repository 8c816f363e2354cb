#!/usr/bin/env bash
# Compares `transformer-cli bench matmul` with numpy (OpenBLAS at its best kernel, see
# scripts/bench-matmul-numpy.py) shape by shape, alternating the two on each shape, for several
# rounds, and prints each shape's median GFLOPS and the ratio of the medians. On a machine whose
# speed drifts by tens of per cent from minute to minute (the 2-core cloud VMs this project is
# measured on), timing every shape of one side and then every shape of the other compares
# different minutes; alternating per shape keeps each pair within a few seconds.
#
#   scripts/bench-matmul-rounds.sh [--rounds N] [--threads N]    (defaults: 3 rounds, 2 threads)
#
# Needs numpy (and threadpoolctl to name the kernel). The binary is the checkout's
# .build/release/transformer-cli; BIN=path overrides it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${BIN:-$root/.build/release/transformer-cli}"
rounds=3
threads=2
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="${2:?--rounds needs a count}"; shift 2 ;;
    --threads) threads="${2:?--threads needs a count}"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-matmul-rounds: unknown argument '$1' (see --help)" >&2; exit 1 ;;
  esac
done
for value in "$rounds" "$threads"; do
  [[ "$value" =~ ^[1-9][0-9]*$ ]] \
    || { echo "bench-matmul-rounds: --rounds and --threads need a positive integer, got '$value'" >&2; exit 1; }
done
[ -x "$bin" ] || { echo "bench-matmul-rounds: no binary at $bin (swift build -c release)" >&2; exit 1; }
# The shapes are `bench matmul`'s own defaults, and the FMA peak its measurement, read from one
# quick pass of it: the first line printed is the peak, then one spec per shape.
mapfile -t listing < <("$bin" bench matmul --json --repeats 1 --threads "$threads" \
  | python3 -c '
import json, sys
for i, line in enumerate(sys.stdin):
    r = json.loads(line)
    if i == 0:
        print(r["peak_gflops"])
    flags = ",".join(f for f, on in (("ta", r["trans_a"]), ("tb", r["trans_b"])) if on)
    m, k, n, b = r["m"], r["k"], r["n"], r["batch"]
    batch = f"x{b}" if b > 1 else ""
    print(f"{m}x{k}x{n}{batch}" + (f":{flags}" if flags else ""))
')
[ "${#listing[@]}" -gt 1 ] || { echo "bench-matmul-rounds: bench matmul listed no shapes" >&2; exit 1; }
peak="${listing[0]}"
shapes=("${listing[@]:1}")
log="$(mktemp)"
trap 'rm -f "$log" "$log.err"' EXIT
for round in $(seq 1 "$rounds"); do
  for shape in "${shapes[@]}"; do
    ours="$("$bin" bench matmul --json --no-peak --threads "$threads" --shape "$shape")"
    theirs="$(printf '%s\n' "$ours" | python3 "$root/scripts/bench-matmul-numpy.py" 2>"$log.err")" \
      || { echo "bench-matmul-rounds: numpy failed on $shape: $(tail -n 1 "$log.err")" >&2; exit 1; }
    printf '%s\t%s\t%s\t%s\n' "$round" "$shape" "$ours" "$theirs" >> "$log"
  done
  echo "bench-matmul-rounds: round $round of $rounds done" >&2
done
grep -m1 '^numpy:' "$log.err" || echo "numpy: kernel not reported"
python3 - "$log" "$peak" "$rounds" <<'PY'
import json, math, statistics, sys
log, peak, rounds = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
ours, theirs, order = {}, {}, []
for line in open(log):
    _, shape, a, b = line.rstrip("\n").split("\t")
    if shape not in ours:
        order.append(shape); ours[shape] = []; theirs[shape] = []
    ours[shape].append(json.loads(a)["gflops"]); theirs[shape].append(json.loads(b)["gflops"])
print(f"GFLOPS, medians of {rounds} alternating rounds; FMA peak {peak:.1f}")
print(f"{'shape':<18}{'ours':>8}{'numpy':>8}{'ratio':>7}{'ours/peak':>11}{'numpy/peak':>12}  rounds (ours/numpy)")
ratios = []
for s in order:
    a, b = statistics.median(ours[s]), statistics.median(theirs[s])
    ratios.append(a / b)
    each = " ".join(f"{x / y:.2f}" for x, y in zip(ours[s], theirs[s]))
    print(f"{s:<18}{a:8.1f}{b:8.1f}{a / b:7.2f}{a / peak:10.1%}{b / peak:11.1%}  {each}")
geo = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
print(f"ours/numpy (ratio of medians): geomean {geo:.2f}, lowest {min(ratios):.2f} over {len(ratios)} shapes")
PY
