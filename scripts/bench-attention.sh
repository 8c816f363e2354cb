#!/usr/bin/env bash
# Times self-attention with both kernels over a range of lengths, one process per run so that
# each peak_rss_mb is that run's own (VmHWM is per process). Prints one JSON line per run
# (`transformer-cli bench attention --json`), which scripts/plot-attention.py draws.
#
#   scripts/bench-attention.sh [LENGTH ...] > attention.jsonl
#
# Defaults: lengths 512 … 16384, H 8, K 64, B 1, causal, forward + backward, 3 timed runs.
# Environment: BIN (the binary, default .build/release/transformer-cli), CAUSAL=0 for full
# attention, BACKWARD=0 for the forward only, REPEATS, THREADS (default 2), and STANDARD_MAX
# (default 8192): longer standard runs are skipped (16384 needs 17 GB of [B, H, T, S]
# matrices on a shared machine). A standard run that cannot fit is refused by the binary and
# reported on stderr; the loop goes on.
set -u
BIN=${BIN:-.build/release/transformer-cli}
STANDARD_MAX=${STANDARD_MAX:-8192}
REPEATS=${REPEATS:-3}
THREADS=${THREADS:-2}
LENGTHS=("$@")
[ ${#LENGTHS[@]} -eq 0 ] && LENGTHS=(512 1024 2048 4096 8192 16384)
FLAGS=(--heads 8 --head-size 64 --batch 1 --repeats "$REPEATS" --threads "$THREADS" --json)
[ "${CAUSAL:-1}" = 1 ] && FLAGS+=(--causal)
[ "${BACKWARD:-1}" = 1 ] && FLAGS+=(--backward)

for length in "${LENGTHS[@]}"; do
  for kind in standard memory_efficient; do
    if [ "$kind" = standard ] && [ "$length" -gt "$STANDARD_MAX" ]; then
      echo "skipped: standard at length $length (above STANDARD_MAX=$STANDARD_MAX)" >&2
      continue
    fi
    "$BIN" bench attention --length "$length" --kind "$kind" "${FLAGS[@]}" ||
      echo "failed: $kind at length $length" >&2
  done
done
