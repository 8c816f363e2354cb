#!/usr/bin/env python3
"""Writes the synthetic long-sequence task of configs/long-copy.json: reverse a string of digits.

Each source line is N random digits separated by spaces (one BPE piece per digit: a vocabulary
of 300 pieces has nothing to merge across words), N uniform in [--min-length, --max-length];
its target is the same digits in reverse order, so the first target piece depends on the last
source piece: every length needs attention across the whole input.

    python3 scripts/make-long-copy.py [--out data/long-copy] [--train 200] [--valid 8]

Files: train.src, train.tgt, valid.src, valid.tgt (about 3.5 MB with the defaults; not committed,
/data/long-copy/ is in .gitignore). Seeded: the same arguments give the same files.
"""
import argparse
import os
import random


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="data/long-copy")
    parser.add_argument("--train", type=int, default=200, help="training pairs")
    parser.add_argument("--valid", type=int, default=8, help="validation pairs")
    parser.add_argument("--min-length", type=int, default=512)
    parser.add_argument("--max-length", type=int, default=8000, help="at most max_length of the config")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    if not 1 <= args.min_length <= args.max_length:
        parser.error("need 1 <= --min-length <= --max-length")
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    for split, count in (("train", args.train), ("valid", args.valid)):
        with open(os.path.join(args.out, f"{split}.src"), "w") as source, open(
            os.path.join(args.out, f"{split}.tgt"), "w"
        ) as target:
            for _ in range(count):
                digits = [str(rng.randrange(10)) for _ in range(rng.randint(args.min_length, args.max_length))]
                source.write(" ".join(digits) + "\n")
                target.write(" ".join(reversed(digits)) + "\n")
    print(f"wrote {args.train} + {args.valid} pairs to {args.out}/")


if __name__ == "__main__":
    main()
