#!/usr/bin/env python3
"""A length-stratified split of the toy corpus for the length-generalisation experiment.

Chains toy sentences into one sentence of k clauses: English "A and B and C", Korean
"A 그리고 B 그리고 C". Training and validation pairs have 1 or 2 clauses (from the toy train
and valid splits); the test files test-k.{en,ko} have exactly k clauses, k = 1, 2, 3, 4, 6, 8,
built from the toy test split, so no test clause was seen in training. Deterministic (seeded).

    python3 scripts/make-clause-corpus.py            # writes data/toy-clauses/
    transformer-cli train --config configs/toy-clauses.json --set model.positions=rope
"""
import os
import random
import sys

SOURCE = "data/toy"
OUTPUT = sys.argv[1] if len(sys.argv) > 1 else "data/toy-clauses"
LOWER = {"They", "He", "She", "We", "You", "It", "The", "A", "An", "My", "His", "Her", "Our",
         "Their", "This", "That", "Yesterday", "Today", "Tomorrow"}


def read(name):
    with open(os.path.join(SOURCE, name), encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def lower_first(clause):
    word, _, rest = clause.partition(" ")
    return (word.lower() + (" " + rest if rest else "")) if word in LOWER else clause


def chain(pairs):
    english = pairs[0][0] + "".join(" and " + lower_first(e) for e, _ in pairs[1:])
    korean = " 그리고 ".join(k for _, k in pairs)
    return english, korean


def write(name, pairs):
    for side, language in ((0, "en"), (1, "ko")):
        path = os.path.join(OUTPUT, f"{name}.{language}")
        temporary = path + ".tmp"
        with open(temporary, "w", encoding="utf-8") as f:
            f.write("".join(pair[side] + "\n" for pair in pairs))
        os.replace(temporary, path)


def main():
    random.seed(2017)
    os.makedirs(OUTPUT, exist_ok=True)
    for split, count in (("train", 20000), ("valid", 500)):
        pool = list(zip(read(f"{split}.en"), read(f"{split}.ko")))
        write(split, [chain(random.sample(pool, random.choice((1, 2)))) for _ in range(count)])
    test = list(zip(read("test.en"), read("test.ko")))
    for k in (1, 2, 3, 4, 6, 8):
        write(f"test-{k}", [chain(random.sample(test, k)) for _ in range(200)])
    print(f"wrote {OUTPUT}: train 20000, valid 500, test-k 200 each for k = 1, 2, 3, 4, 6, 8")


if __name__ == "__main__":
    main()
