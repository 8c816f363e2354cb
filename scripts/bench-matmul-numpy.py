#!/usr/bin/env python3
"""Times numpy's matmul on the shapes that `transformer-cli bench matmul --json` measured.

Reads our JSON lines on stdin and prints the same lines, in the same key order, with "gflops"
replaced by numpy's (float32, OpenBLAS or whatever BLAS numpy links):

    transformer-cli bench matmul --json --threads 2 | python3 scripts/bench-matmul-numpy.py
    transformer-cli bench matmul --json | python3 scripts/bench-matmul-numpy.py --compare

--compare prints an aligned table of both results and their ratio instead of JSON lines.

The work is the same as ours: operands are stored as our kernel receives them (A as K x M when
"trans_a", B as N x K when "trans_b") and handed to numpy as transposed views (`.T`), so BLAS gets
the transposed operand flags rather than a copied matrix; C is preallocated (`out=`); the time is
the median of repeated runs after one warm-up, with enough runs for about 0.5 s (at least 5).

Threads: BLAS reads its thread count when numpy is imported, so all lines are read first and
OPENBLAS_NUM_THREADS, OMP_NUM_THREADS and MKL_NUM_THREADS are set from their "threads" field
(or from --threads). Lines with differing "threads" values are timed with the first one, and a
warning is printed on stderr.

OpenBLAS at its best: some machines set OPENBLAS_CORETYPE (e.g. Haswell) and OPENBLAS_L2_SIZE,
which pin OpenBLAS to an older kernel (its AVX2 one on an AVX-512 machine). OpenBLAS reads them
once, when it loads, so the script removes both from its environment and re-executes itself
before anything is read or imported; only this process is affected. --keep-coretype keeps them.
The kernel OpenBLAS chose (threadpoolctl's "architecture") is printed on stderr, or in the
--compare table's title; without threadpoolctl (`pip install threadpoolctl`) it says so.
"""

import argparse
import json
import math
import os
import sys
import time

KEYS = ["m", "k", "n", "batch", "trans_a", "trans_b", "threads", "gflops"]
# Present when `bench matmul` measured the machine's FMA peak; numpy's fraction is of that peak.
PEAK_KEYS = ["peak_gflops", "peak_fraction"]

# Variables that pin OpenBLAS's kernel choice or cache sizes; read by OpenBLAS when it loads.
PINNING_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
# Set on the re-executed process: what was removed, for the report (and so it never loops).
REMOVED_MARKER = "BENCH_MATMUL_NUMPY_UNSET"


def unpin_openblas():
    """Removes PINNING_VARIABLES and re-executes this script when any was set.

    Must run before numpy is imported and before stdin is read: the new process inherits the
    unread stdin. Popping from os.environ alone would do while numpy is not yet loaded; the
    re-exec makes it hold even if something imported numpy earlier (a sitecustomize, say).
    """
    removed = [f"{name}={os.environ.pop(name)}" for name in PINNING_VARIABLES if name in os.environ]
    if removed:
        os.environ[REMOVED_MARKER] = " ".join(removed)
        sys.stdout.flush()
        os.execv(sys.executable, [sys.executable] + sys.argv)


def blas_description(numpy):
    """'OpenBLAS 0.3.31 (kernel Haswell, 2 threads)', or what is known without threadpoolctl."""
    try:
        import threadpoolctl
    except ImportError:
        return f"numpy {numpy.__version__} (kernel unknown: pip install threadpoolctl to see it)"
    parts = []
    for info in threadpoolctl.threadpool_info():
        if info.get("user_api") != "blas":
            continue
        name = {"openblas": "OpenBLAS", "mkl": "MKL", "blis": "BLIS"}.get(
            info.get("internal_api"), info.get("internal_api", "BLAS"))
        parts.append(f"{name} {info.get('version')} (kernel {info.get('architecture', '?')}, "
                     f"{info.get('num_threads')} threads)")
    return ", ".join(parts) or f"numpy {numpy.__version__} (no BLAS found by threadpoolctl)"


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, help="BLAS threads (default: the lines' field)")
    parser.add_argument("--repeats", type=int, help="timed runs per shape (default: ~0.5 s, >= 5)")
    parser.add_argument("--compare", action="store_true", help="print a comparison table")
    parser.add_argument("--keep-coretype", action="store_true",
                        help="keep OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE if set")
    arguments = parser.parse_args()
    if arguments.threads is not None and arguments.threads < 1:
        parser.error("--threads must be a positive integer")
    if arguments.repeats is not None and arguments.repeats < 1:
        parser.error("--repeats must be a positive integer")
    return arguments


def read_records(stream):
    """Our JSON lines as dicts; exits with a one-line error naming the first bad line."""
    records = []
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            sys.exit(f"Error: stdin line {number}: not JSON ({error.msg})")
        if not isinstance(record, dict):
            sys.exit(f"Error: stdin line {number}: not a JSON object")
        missing = [key for key in KEYS if key not in record]
        if missing:
            sys.exit(f"Error: stdin line {number}: missing keys {missing}; expected {KEYS}")
        records.append(record)
    return records


def set_blas_threads(threads):
    # Must happen before numpy is imported: OpenBLAS sizes its thread pool when it loads.
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(threads)


def measure(numpy, record, repeats, seed=0x5EED):
    """numpy's GFLOPS for one record: 2*m*k*n*batch / median seconds."""
    m, k, n, batch = (int(record[key]) for key in ("m", "k", "n", "batch"))
    transpose_a, transpose_b = bool(record["trans_a"]), bool(record["trans_b"])
    generator = numpy.random.default_rng(seed)
    leading = (batch,) if batch > 1 else ()

    def operand(rows, columns, transposed):
        stored = (columns, rows) if transposed else (rows, columns)
        values = generator.random(leading + stored, dtype=numpy.float32) * 2 - 1
        # A view, not a copy: BLAS receives the stored matrix with its transpose flag.
        return numpy.swapaxes(values, -1, -2) if transposed else values

    a = operand(m, k, transpose_a)
    b = operand(k, n, transpose_b)
    c = numpy.empty(leading + (m, n), dtype=numpy.float32)

    def timed_run():
        start = time.perf_counter()
        numpy.matmul(a, b, out=c)
        return time.perf_counter() - start

    warm_up = timed_run()
    count = repeats or min(100_000, max(5, math.ceil(0.5 / max(warm_up, 1e-9))))
    times = sorted(timed_run() for _ in range(count))
    middle = len(times) // 2
    median = times[middle] if len(times) % 2 else (times[middle - 1] + times[middle]) / 2
    return 2.0 * m * k * n * batch / median / 1e9 if median > 0 else 0.0


def json_line(record, gflops):
    # The same layout as ours: compact, keys in order, two decimals (three for the fraction).
    fields = []
    peak = record.get("peak_gflops")
    for key in KEYS + (PEAK_KEYS if peak is not None else []):
        value = record.get(key)
        if key == "gflops":
            fields.append(f'"gflops":{gflops:.2f}')
        elif key == "peak_gflops":
            fields.append(f'"peak_gflops":{float(peak):.2f}')
        elif key == "peak_fraction":
            fields.append(f'"peak_fraction":{gflops / float(peak) if float(peak) > 0 else 0:.3f}')
        elif isinstance(value, bool):
            fields.append(f'"{key}":{"true" if value else "false"}')
        else:
            fields.append(f'"{key}":{int(value)}')
    return "{" + ",".join(fields) + "}"


def print_table(rows, threads, blas):
    peaks = [float(record["peak_gflops"]) for record, _ in rows if "peak_gflops" in record]
    peak = peaks[0] if peaks and peaks[0] > 0 else None
    header = ("shape", "batch", "transA", "transB", "ours", "numpy", "ours/numpy")
    if peak:
        header += ("ours/peak", "numpy/peak")
    cells = []
    ratios = []
    for record, theirs in rows:
        ours = float(record["gflops"])
        ratio = f"{ours / theirs:.2f}" if theirs > 0 else "-"
        if ours > 0 and theirs > 0:
            ratios.append(ours / theirs)
        row = (
            f'{record["m"]}x{record["k"]}x{record["n"]}', str(record["batch"]),
            str(bool(record["trans_a"])).lower(), str(bool(record["trans_b"])).lower(),
            f"{ours:.2f}", f"{theirs:.2f}", ratio)
        if peak:
            row += (f"{ours / peak:.1%}", f"{theirs / peak:.1%}")
        cells.append(row)
    widths = [max(len(row[column]) for row in [header] + cells) for column in range(len(header))]
    left = {0, 2, 3}
    print(f"GFLOPS on {threads} threads; numpy: {blas}")
    if peak:
        print(f"FMA peak (ours, measured by bench matmul): {peak:.2f} GFLOPS")
    for row in [header] + cells:
        parts = [cell.ljust(width) if column in left else cell.rjust(width)
                 for column, (cell, width) in enumerate(zip(row, widths))]
        print("  ".join(parts).rstrip())
    if ratios:
        geomean = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
        print(f"ours/numpy: geomean {geomean:.2f}, lowest {min(ratios):.2f} over {len(ratios)} shapes")


def main():
    arguments = parse_arguments()
    if not arguments.keep_coretype:
        unpin_openblas()
    records = read_records(sys.stdin)
    if not records:
        sys.exit("Error: no JSON lines on stdin; pipe 'transformer-cli bench matmul --json' in")
    threads = arguments.threads or int(records[0]["threads"])
    if arguments.threads is None and any(int(r["threads"]) != threads for r in records):
        print(f"warning: lines differ in \"threads\"; timing all with {threads}", file=sys.stderr)
    set_blas_threads(threads)
    import numpy  # after set_blas_threads, deliberately

    blas = blas_description(numpy)
    removed = os.environ.get(REMOVED_MARKER)
    note = f"; unset for this process: {removed}" if removed else ""
    print(f"numpy: {blas}{note}", file=sys.stderr)

    rows = []
    for record in records:
        theirs = measure(numpy, record, arguments.repeats)
        if arguments.compare:
            rows.append((record, theirs))
        else:
            print(json_line(dict(record, threads=threads), theirs), flush=True)
    if arguments.compare:
        print_table(rows, threads, blas + note)


if __name__ == "__main__":
    main()
