#!/usr/bin/env python3
"""Produce the expected BLEU and chrF values that the Swift tests compare against.

The project never needs sacreBLEU to build or test: this script is run by hand, and its
output (the expected.json files) is committed as numbers.

    pip install sacrebleu==2.6.0
    python3 scripts/make-bleu-vectors.py                          # all cases
    python3 scripts/make-bleu-vectors.py --write-generated-inputs  # also rewrite realistic-200

For every case directory under Tests/MetricsTests/Fixtures/bleu/ that holds hyp.txt and
ref*.txt (written by hand, except realistic-200 which generate_realistic() makes), it writes
expected.json with sacreBLEU's corpus BLEU and chrF under its defaults: the full-precision
numbers from the Python API, the score strings (`str(score)`, two decimals), and the exact
text lines that the `sacrebleu` command prints (`-f text`, one decimal: its --width default).
The tokenizer-13a directory holds inputs.json (hand-written lines) and gets expected.json with
sacreBLEU's 13a tokenization of each.

Files are read the way the sacrebleu command reads them: UTF-8, lines split at "\\n" only
(so "\\r" stays in the line), each line stripped of trailing whitespace.
"""

import argparse
import json
import random
import subprocess
import sys
from pathlib import Path

import sacrebleu
from sacrebleu.metrics import BLEU, CHRF
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

# The version the Swift port claims in its signatures (SacreBLEUSignature.version).
EXPECTED_VERSION = "2.6.0"

FIXTURES = Path(__file__).resolve().parent.parent / "Tests/MetricsTests/Fixtures/bleu"


def read_lines(path):
    """Lines as `sacrebleu` reads them (smart_open with newline="\\n", then rstrip)."""
    with open(path, encoding="utf-8", newline="\n") as handle:
        return [line.rstrip() for line in handle]


def run_cli(hyp, refs, metric):
    """The line `sacrebleu REF... -i HYP -m METRIC -f text` prints."""
    command = [sys.executable, "-m", "sacrebleu", *map(str, refs), "-i", str(hyp),
               "-m", metric, "-f", "text"]
    result = subprocess.run(command, capture_output=True, text=True, encoding="utf-8",
                            check=True)
    return result.stdout.rstrip("\n")


def score_case(case):
    hyp_path = case / "hyp.txt"
    ref_paths = sorted(case.glob("ref*.txt"))
    hyps = read_lines(hyp_path)
    refs = [read_lines(path) for path in ref_paths]

    bleu = BLEU()
    bleu_score = bleu.corpus_score(hyps, refs)
    bleu_signature = str(bleu.get_signature())
    bleu_line = run_cli(hyp_path, ref_paths, "bleu")
    # The command and the API must agree, or the case is reading its files differently. The
    # command prints the score with one decimal (its --width default), str() with two.
    assert bleu_line == bleu_score.format(width=1, signature=bleu_signature), (case, bleu_line)

    chrf = CHRF()
    chrf_score = chrf.corpus_score(hyps, refs)
    chrf_signature = str(chrf.get_signature())
    chrf_line = run_cli(hyp_path, ref_paths, "chrf")
    assert chrf_line == chrf_score.format(width=1, signature=chrf_signature), (case, chrf_line)

    return {
        "sacrebleu_version": sacrebleu.__version__,
        "hypothesis_lines": len(hyps),
        "references": [path.name for path in ref_paths],
        "bleu": {
            "score": bleu_score.score,
            "precisions": bleu_score.precisions,
            "bp": bleu_score.bp,
            "ratio": bleu_score.ratio,
            "hyp_len": bleu_score.sys_len,
            "ref_len": bleu_score.ref_len,
            "counts": list(bleu_score.counts),
            "totals": list(bleu_score.totals),
            "description": str(bleu_score),
            "signature": bleu_signature,
            "text_line": bleu_line,
        },
        "chrf": {
            "score": chrf_score.score,
            "description": str(chrf_score),
            "signature": chrf_signature,
            "text_line": chrf_line,
        },
    }


def tokenize_inputs(directory):
    inputs = json.loads((directory / "inputs.json").read_text(encoding="utf-8"))
    tokenizer = Tokenizer13a()
    # BLEU strips trailing whitespace before tokenizing (BLEU._preprocess_segment); the Swift
    # tokenizer does the same, so the vectors include that step.
    cases = [{"input": line, "output": tokenizer(line.rstrip())} for line in inputs]
    return {"sacrebleu_version": sacrebleu.__version__, "cases": cases}


def generate_realistic(directory, count=200, seed=13):
    """Writes ~200 translation-like sentence pairs: a reference made from templates and a
    hypothesis that perturbs it the way a mediocre system would (synonyms, dropped phrases,
    swapped order, lost punctuation, number formatting). Deterministic for a given seed."""
    rng = random.Random(seed)
    subjects = ["The government", "The committee", "The company", "Local residents",
                "The minister", "Scientists", "The city council", "Our correspondent",
                "The central bank", "Several witnesses", "The new coach", "Farmers"]
    verbs = [("announced", "said"), ("rejected", "refused"), ("approved", "accepted"),
             ("criticised", "condemned"), ("welcomed", "praised"), ("proposed", "suggested"),
             ("discussed", "debated"), ("postponed", "delayed")]
    objects = ["the plan to build a new bridge", "a law on renewable energy",
               "the budget for next year", "the decision of the court",
               "a report on air pollution", "the proposal to raise taxes",
               "changes to the school system", "the agreement with its neighbours",
               "the results of the election", "a new strategy for public transport"]
    times = ["on Monday", "last week", "in March", "after a long debate",
             "earlier this year", "on Friday evening", "two days ago"]
    places = ["in Berlin", "in the capital", "at a press conference", "in parliament",
              "in a statement", "during the summit"]
    extras = ["Prices rose by {a}.{b} percent.", "About {n},000 people attended.",
              "The project will cost {m} million euros.", "\"It is a good day,\" she said.",
              "Critics called it \"a mistake\".", "The vote was {x}-{y}."]
    synonyms = {"the": "a", "new": "fresh", "plan": "project", "law": "bill",
                "report": "study", "decision": "ruling", "changes": "reforms",
                "residents": "inhabitants", "people": "persons", "attended": "came",
                "cost": "require", "mistake": "error", "week": "weekend"}

    def perturb(words):
        words = [synonyms[w] if w in synonyms and rng.random() < 0.45 else w for w in words]
        if len(words) > 6 and rng.random() < 0.5:
            i = rng.randrange(len(words) - 1)
            words[i], words[i + 1] = words[i + 1], words[i]
        if len(words) > 8 and rng.random() < 0.4:
            del words[rng.randrange(len(words))]
        return words

    refs, hyps = [], []
    for _ in range(count):
        verb, synonym = rng.choice(verbs)
        time, place = rng.choice(times), rng.choice(places)
        ref = f"{rng.choice(subjects)} {verb} {rng.choice(objects)} {time} {place}."
        if rng.random() < 0.4:
            ref += " " + rng.choice(extras).format(
                a=rng.randrange(1, 9), b=rng.randrange(10), n=rng.randrange(2, 40),
                m=rng.randrange(5, 900), x=rng.randrange(20, 60), y=rng.randrange(0, 20))
        words = ref.split()
        if rng.random() < 0.5:
            words = [synonym if w == verb else w for w in words]
        hyp = " ".join(perturb(words))
        if rng.random() < 0.25:
            hyp = hyp.replace(f" {time}", "", 1)
        if rng.random() < 0.1:
            hyp = hyp.rstrip(".")
        if rng.random() < 0.05:
            hyp = hyp.replace(",000", "000")
        refs.append(ref)
        hyps.append(hyp)
    (directory / "ref.txt").write_text("\n".join(refs) + "\n", encoding="utf-8")
    (directory / "hyp.txt").write_text("\n".join(hyps) + "\n", encoding="utf-8")


def write_json(path, value):
    text = json.dumps(value, indent=2, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write-generated-inputs", action="store_true",
                        help="rewrite realistic-200/hyp.txt and ref.txt before scoring")
    args = parser.parse_args()

    if sacrebleu.__version__ != EXPECTED_VERSION:
        sys.exit(f"sacreBLEU {sacrebleu.__version__} found, but the Swift port and its "
                 f"signatures claim {EXPECTED_VERSION}.\nHINT: pip install "
                 f"sacrebleu=={EXPECTED_VERSION}, or update SacreBLEUSignature.version too.")

    if args.write_generated_inputs:
        generate_realistic(FIXTURES / "realistic-200")

    for case in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        if (case / "inputs.json").exists():
            write_json(case / "expected.json", tokenize_inputs(case))
            print(f"{case.name}: tokenizer vectors")
        elif (case / "hyp.txt").exists():
            expected = score_case(case)
            write_json(case / "expected.json", expected)
            print(f"{case.name}: {expected['bleu']['description']} | "
                  f"{expected['chrf']['description']}")


if __name__ == "__main__":
    main()
