#!/usr/bin/env python3
"""Cross-checks transformer-cli's safetensors files against Hugging Face's safetensors library.

1. Writes Tests/CheckpointsTests/Fixtures/python-written.safetensors with safetensors.numpy; the Swift
   test SafeTensorsFixtureTests reads it and checks every value bit for bit.
2. Reads Tests/CheckpointsTests/Fixtures/swift-written.safetensors (written by our SafeTensorsFile; the
   Swift tests check that our writer still produces exactly those bytes) and checks that this
   library accepts it and finds the same tensors and metadata.

Both files hold the tensors `expected()` builds, which the Swift tests build the same way.

    pip install safetensors numpy
    python3 scripts/check-safetensors.py

The project never needs Python to build or test: the fixtures are committed.
"""
import json
import pathlib
import sys

import numpy as np
import safetensors
from safetensors import safe_open
from safetensors.numpy import save, save_file

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "CheckpointsTests" / "Fixtures"
METADATA = {"format": "transformer-cli-test", "step": "42"}


def expected():
    """The fixture tensors; keep in step with SafeTensorsFixtureTests.expectedTensors()."""
    return {
        # 0.25 · i − 1 for i = 0…11: exact in Float32.
        "embedding.weight": (np.arange(12, dtype=np.float32) * 0.25 - 1).reshape(3, 4),
        # Signed zero, the smallest subnormal, the largest finite value and −∞ must survive.
        "layer.bias": np.array(
            [0.0, -0.0, np.float32(1.4e-45), np.float32(3.4028235e38), -np.inf], dtype=np.float32
        ),
        "scale": np.array(np.float32(3.14159274), dtype=np.float32),  # shape []
        "unused": np.zeros((2, 0), dtype=np.float32),
    }


def same_bits(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a.view(np.uint32), b.view(np.uint32))


def split(file_bytes):
    """A safetensors file as (header length, parsed header, data bytes)."""
    length = int.from_bytes(file_bytes[:8], "little")
    return length, json.loads(file_bytes[8 : 8 + length]), file_bytes[8 + length :]


def main():
    tensors = expected()
    FIXTURES.mkdir(parents=True, exist_ok=True)
    python_file = FIXTURES / "python-written.safetensors"
    save_file(tensors, str(python_file), metadata=METADATA)
    python_file.chmod(0o644)  # save_file creates the file readable by its owner only
    print(f"wrote {python_file.relative_to(FIXTURES.parent.parent.parent)} "
          f"with safetensors {safetensors.__version__}, numpy {np.__version__}")

    swift_file = FIXTURES / "swift-written.safetensors"
    if not swift_file.exists():
        print(f"{swift_file} is missing; run the CheckpointsTests once to write it")
        return 1
    failures = 0
    with safe_open(str(swift_file), framework="np") as handle:
        if handle.metadata() != METADATA:
            print(f"metadata differs: {handle.metadata()} != {METADATA}")
            failures += 1
        names = set(handle.keys())
        if names != set(tensors):
            print(f"tensor names differ: {sorted(names)} != {sorted(tensors)}")
            failures += 1
        for name in sorted(names & set(tensors)):
            if not same_bits(handle.get_tensor(name), tensors[name]):
                print(f"tensor {name} differs: {handle.get_tensor(name)} != {tensors[name]}")
                failures += 1
    # Not required by the format, but a sign that both writers agree on every detail (compact
    # JSON, offsets, space padding): the same tensors in name order give the same header and data.
    # Compared parsed, because the Rust library writes "__metadata__" keys in hash order.
    identical = split(save(tensors, metadata=METADATA)) == split(swift_file.read_bytes())
    print(f"read {swift_file.name}: {'OK' if failures == 0 else f'{failures} problem(s)'}; "
          f"same header and data as safetensors' own output: {identical}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
