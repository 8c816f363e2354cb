#!/usr/bin/env bash
# Trains the Multi30K English→German recipe for a fixed wall-clock budget, then translates
# test_2016_flickr with beam search (into RUN_DIR/test-beamK.txt), scores it, and prints one
# summary line (also written as JSON to RUN_DIR/bench-multi30k.json).
#
#   scripts/bench-multi30k.sh [--minutes N] [--config FILE] [--data DIR] [--output RUN_DIR]
#                             [--average N] [--beam K] [--alpha A] [--threads N]
#                             [--set path=value ...]
#
#   --minutes   training.max_time_minutes (default 40)
#   --config    the recipe (default: the checkout's configs/multi30k-en-de.json)
#   --data      the directory with train/val/test_2016_flickr .en/.de (default: the checkout's
#               data/multi30k if it has them, else ../shared/data/multi30k beside the checkout)
#   --output    the run directory (default runs/multi30k-en-de-bench); replaced if it exists
#   --average   average the newest N step checkpoints too (default 5; 0 = off; fewer if fewer
#               were saved, none if under 2); the final model is whichever of best/ and the
#               average scores higher on val (same beam)
#   --beam, --alpha   test decoding: beam size (default 4) and length penalty α, or a
#               comma-separated list of them (default 0.6,1.0,1.5,2.0): each α is scored on val
#               with every candidate checkpoint and test is decoded with the pair that scores
#               highest there (sacreBLEU's default 13a BLEU and chrF2)
#   --set       more config overrides, passed to `train`
#
# The time limit counts training steps and validations; learning the BPE model before, and the
# final validation, test decoding and averaging after, come on top (the wall time says how much).
# With the recipe's training.max_steps "auto" the trainer plans the steps that fit the budget at
# the end of its warm-up and re-plans them once halfway through the decay (earlier when the
# first plan falls behind); the line reports the final planned steps and the part of the budget
# used up to the stop.
# Relative paths are taken from the current directory. The binary is the checkout's
# .build/release/transformer-cli, built if missing; BIN=path overrides it.
set -euo pipefail

fail() { echo "bench-multi30k: $*" >&2; exit 1; }

root="$(cd "$(dirname "$0")/.." && pwd)"
minutes=40
config="$root/configs/multi30k-en-de.json"
data=""
run=runs/multi30k-en-de-bench
average=5
beam=4
alphas=0.6,1.0,1.5,2.0
threads=()
overrides=()
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes="${2:?--minutes needs a value}"; shift 2 ;;
    --config) config="${2:?--config needs a file}"; shift 2 ;;
    --data) data="${2:?--data needs a directory}"; shift 2 ;;
    --output) run="${2:?--output needs a directory}"; shift 2 ;;
    --average) average="${2:?--average needs a count}"; shift 2 ;;
    --beam) beam="${2:?--beam needs a size}"; shift 2 ;;
    --alpha) alphas="${2:?--alpha needs a value}"; shift 2 ;;
    --threads) threads=(--threads "${2:?--threads needs a count}"); shift 2 ;;
    --set) overrides+=(--set "${2:?--set needs path=value}"); shift 2 ;;
    -h|--help) sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) fail "unknown argument '$1' (see --help)" ;;
  esac
done
[[ "$minutes" =~ ^[0-9]+([.][0-9]+)?$ ]] || fail "--minutes must be a number, got '$minutes'"
[[ "$average" =~ ^[0-9]+$ ]] || fail "--average must be a whole number, got '$average'"
[[ "$alphas" =~ ^[0-9]+([.][0-9]+)?(,[0-9]+([.][0-9]+)?)*$ ]] \
  || fail "--alpha must be a number or a comma-separated list of numbers, got '$alphas'"
IFS=, read -r -a alpha_list <<<"$alphas"
alpha="${alpha_list[0]}"
[ -f "$config" ] || fail "no such config file '$config'"

files="train.en train.de val.en val.de test_2016_flickr.en test_2016_flickr.de"
has_data() { for f in $files; do [ -f "$1/$f" ] || return 1; done; }
if [ -z "$data" ]; then
  for candidate in "$root/data/multi30k" "$root/../shared/data/multi30k"; do
    if has_data "$candidate"; then data="$candidate"; break; fi
  done
  [ -n "$data" ] || fail "no Multi30K data in data/multi30k or ../shared/data/multi30k; run scripts/download-multi30k.sh"
fi
has_data "$data" || fail "'$data' lacks one of: $files"
data="$(cd "$data" && pwd)"

bin="${BIN:-$root/.build/release/transformer-cli}"
if [ ! -x "$bin" ]; then
  echo "bench-multi30k: building $bin" >&2
  swift build -c release --package-path "$root" >&2
fi

# Peak memory of a command: GNU time where it exists, else the train summary's own figure.
timed() {
  if [ -x /usr/bin/time ]; then /usr/bin/time -f '%M' -o "$1" "${@:2}"; else "${@:2}"; fi
}

rm -rf "$run"
mkdir -p "$(dirname "$run")"
log="$run.train.log"
start=$(date +%s)
echo "bench-multi30k: training for $minutes minutes into $run (log: $log)" >&2
timed "$run.train.rss" "$bin" train --config "$config" "${threads[@]}" \
  --set data.train_source="$data/train.en" --set data.train_target="$data/train.de" \
  --set data.valid_source="$data/val.en" --set data.valid_target="$data/val.de" \
  --set data.test_source="$data/test_2016_flickr.en" \
  --set data.test_target="$data/test_2016_flickr.de" \
  --set training.max_time_minutes="$minutes" --set output.dir="$run" \
  "${overrides[@]}" >"$log" 2>&1 || { tail -5 "$log" >&2; fail "training failed (see $log)"; }
trained=$(date +%s)

# A member of a one-member-a-line JSON file (summary.json) or of a one-line JSON object.
member() { sed -n "s/.*\"$2\": *\([^,}]*\).*/\1/p" "$1" | head -1 | tr -d '"'; }

bleu_of() {  # checkpoint source reference alpha → BLEU with the test beam
  "$bin" eval --bleu --json "${threads[@]}" --checkpoint "$1" --source "$2" --reference "$3" \
    --beam "$beam" --alpha "$4" >"$run/eval.tmp" || fail "eval of $1 failed"
  member "$run/eval.tmp" bleu
}

final="$run/best"
chosen="best"
# A short budget may leave fewer step checkpoints than --average asks for: average those
# there are (two at least), and say so in the line.
saved=0
if [ -d "$run/checkpoints" ]; then
  saved=$(find "$run/checkpoints" -mindepth 1 -maxdepth 1 -type d | wc -l | tr -d ' ')
fi
if [ "$average" -gt "$saved" ]; then
  [ "$average" -gt 0 ] && echo "bench-multi30k: only $saved step checkpoints saved; averaging $saved" >&2
  average=$saved
fi
candidates=("$run/best")
if [ "$average" -ge 2 ]; then
  "$bin" average --last "$average" --output "$run/averaged" "$run" >&2 \
    || fail "averaging the last $average checkpoints failed"
  candidates+=("$run/averaged")
fi
# Every choice on val: best/ or the average, and α when more than one is given. The first
# candidate with the highest val BLEU wins, so a tie keeps best/ and the first α.
best_val=""
averaged_val=""
val_scores=""
if [ "${#candidates[@]}" -gt 1 ] || [ "${#alpha_list[@]}" -gt 1 ]; then
  top=""
  for candidate in "${candidates[@]}"; do
    for a in "${alpha_list[@]}"; do
      score=$(bleu_of "$candidate" "$data/val.en" "$data/val.de" "$a")
      name=$([ "$candidate" = "$run/best" ] && echo "best/" || echo "average of last $average")
      echo "bench-multi30k: val BLEU (beam $beam, alpha $a): $name $score" >&2
      val_scores+="${val_scores:+, }{\"checkpoint\": \"$name\", \"alpha\": $a, \"val_bleu\": $score}"
      if [ "$a" = "$alpha" ] || [ "${#alpha_list[@]}" -eq 1 ]; then
        if [ "$candidate" = "$run/best" ]; then best_val=$score; else averaged_val=$score; fi
      fi
      if [ -z "$top" ] || awk -v s="$score" -v t="$top" 'BEGIN { exit !(s > t) }'; then
        top=$score
        final=$candidate
        chosen_alpha=$a
      fi
    done
  done
  alpha=$chosen_alpha
  if [ "$final" = "$run/averaged" ]; then chosen="average of the last $average checkpoints"; fi
fi

hypotheses="$run/test-beam$beam.txt"
"$bin" translate "${threads[@]}" --checkpoint "$final" --input "$data/test_2016_flickr.en" \
  --output "$hypotheses" --beam "$beam" --alpha "$alpha" || fail "translating with $final failed"
"$bin" eval --bleu --chrf --json --hypothesis "$hypotheses" \
  --reference "$data/test_2016_flickr.de" >"$run/eval.tmp" || fail "scoring $hypotheses failed"
bleu=$(member "$run/eval.tmp" bleu)
chrf=$(member "$run/eval.tmp" chrf)
signature=$(sed -n 1p "$run/eval.tmp" | sed -n 's/.*"signature": *"\([^"]*\)".*/\1/p')
rm -f "$run/eval.tmp"
finished=$(date +%s)

summary="$run/summary.json"
[ -f "$summary" ] || fail "training wrote no $summary"
steps=$(member "$summary" steps)
epochs=$(member "$summary" epochs)
elapsed=$(member "$summary" elapsed_s)
planned=$(member "$summary" planned_steps)
used=$(member "$summary" budget_used)
speed=$(member "$summary" target_tokens_per_s)
peak_kb=$(cat "$run.train.rss" 2>/dev/null || true)
if [[ "$peak_kb" =~ ^[0-9]+$ ]]; then
  peak=$(awk -v k="$peak_kb" 'BEGIN { printf "%.0f", k * 1024 / 1e6 }')
else
  peak=$(member "$summary" peak_rss_mb)
fi
rm -f "$run.train.rss"
train_wall=$((trained - start))
total_wall=$((finished - start))

if [ -n "$planned" ]; then plan_text="planned: $planned"; else plan_text="planned: no, max_steps fixed"; fi
line=$(printf 'multi30k en-de test_2016_flickr: BLEU %s chrF2 %s (beam %s, alpha %s, %s) | %s epochs, %s steps (%s), %.1f%% of the %s-minute budget used, %.1f min training (%.1f min wall with BPE, averaging and decoding), %.0f target tokens/s, peak memory %s MB' \
  "$bleu" "$chrf" "$beam" "$alpha" "$chosen" "$epochs" "$steps" "$plan_text" \
  "$(awk -v u="${used:-0}" 'BEGIN { print 100 * u }')" "$minutes" \
  "$(awk -v s="$elapsed" 'BEGIN { print s / 60 }')" "$(awk -v s="$total_wall" 'BEGIN { print s / 60 }')" \
  "$speed" "$peak")
echo "$line"
cat >"$run/bench-multi30k.json.tmp" <<EOF
{
  "test_bleu": $bleu,
  "test_chrf": $chrf,
  "signature": "$signature",
  "beam": $beam,
  "alpha": $alpha,
  "checkpoint": "$chosen",
  "translations": "$hypotheses",
  "val_bleu_best": ${best_val:-null},
  "val_bleu_averaged": ${averaged_val:-null},
  "val_choices": [${val_scores}],
  "epochs": $epochs,
  "steps": $steps,
  "planned_steps": ${planned:-null},
  "budget_used": ${used:-null},
  "training_s": $elapsed,
  "train_command_wall_s": $train_wall,
  "wall_s": $total_wall,
  "target_tokens_per_s": $speed,
  "peak_rss_mb": ${peak:-null},
  "max_time_minutes": $minutes,
  "config": "$config",
  "data": "$data"
}
EOF
mv "$run/bench-multi30k.json.tmp" "$run/bench-multi30k.json"
