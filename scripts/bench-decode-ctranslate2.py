#!/usr/bin/env python3
"""CTranslate2's speed on the decoding `transformer-cli bench decode` times, on the same CPU.

    pip install ctranslate2==4.8.5
    python3 scripts/bench-decode-ctranslate2.py                      # batch 1 and 100, float32, int8
    python3 scripts/bench-decode-ctranslate2.py --batch 1 --compute-type float32 --json
    python3 scripts/bench-decode-ctranslate2.py --beam 4 --batch 1 --batch 25   # beam search

CTranslate2 is the engine people pick for fast CPU inference of Transformer translation models.
The script builds a CTranslate2 `TransformerSpec` of a `bench train` preset (small: 3 + 3
layers, 8 heads, d_model 256, d_ff 1024, vocabulary 8000, post-norm, ReLU, the target embedding
tied to the output projection) with random weights, saves it once per compute type in a
temporary directory, and times greedy decoding (beam 1; `--beam K` for beam search with K
hypotheses a sentence) of `--sentences` random sources of 24 tokens (23 random pieces and </s>)
with exactly 24 output tokens (min and max decoding length 24, so </s> is never produced),
`--batch` sentences per `translate_batch` call, `--threads` intra-op threads, one warm-up batch
first. This is the work of

    transformer-cli bench decode --preset small --beam K --batch B --sentences 100 --threads 2

Without scores (`return_scores=False`, CTranslate2's default) each step takes the largest logit,
as `bench decode` does; `--scores` asks for them (`return_scores=True`: a log-softmax over the
vocabulary every step), the work of `bench decode --scores`. Beam search always scores its
hypotheses (both engines), so `--beam` above 1 implies `--scores`.

Prints sentences/s and ms per generated token per (compute type, batch); --json prints one
object per line like `bench decode --json` with "engine" and "compute_type" added.

Facts that cost time to find: a model loaded on the main thread leaves a second OpenMP pool
alive that starves the first (issue 16 saw int8 at batch 1 fall from 163 to 15 sentences/s), so
every model is loaded on a short-lived thread. CT2_VERBOSE=1 (set unless already set) makes
CTranslate2 log the CPU and the instruction set it chose on stderr.
Only for side-by-side figures: the project never needs CTranslate2.
"""
import argparse
import json
import os
import sys
import tempfile
import threading
import time

PRESETS = {
    # name: (layers, d_model, heads, d_ff, vocabulary), as BenchTrainPreset.
    "tiny": (2, 128, 4, 512, 1000),
    "small": (3, 256, 8, 1024, 8000),
    "base": (6, 512, 8, 2048, 8000),
}
SOURCE_LENGTH = 24  # tokens, </s> included
OUTPUT_LENGTH = 24  # generated tokens


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="small", choices=sorted(PRESETS))
    parser.add_argument("--batch", type=int, action="append",
                        help="sentences per translate_batch call; repeatable (default: 1 and 100)")
    parser.add_argument("--compute-type", action="append", dest="compute_types",
                        help="CTranslate2 compute type; repeatable (default: float32 and int8)")
    parser.add_argument("--sentences", type=int, default=100, help="sentences timed (default 100)")
    parser.add_argument("--threads", type=int, default=2, help="intra-op threads (default 2)")
    parser.add_argument("--beam", type=int, default=1,
                        help="hypotheses a sentence: 1 greedy search (default), above 1 beam search")
    parser.add_argument("--seed", type=int, default=0x5EED)
    parser.add_argument("--scores", action="store_true",
                        help="return_scores=True: a log-softmax every step (bench decode --scores)")
    parser.add_argument("--json", action="store_true", help="print JSON lines")
    arguments = parser.parse_args()
    for name in ("sentences", "threads", "beam"):
        if getattr(arguments, name) < 1:
            parser.error(f"--{name} must be a positive integer")
    # Beam search ranks hypotheses by their scores: it computes them whatever is asked.
    arguments.scores = arguments.scores or arguments.beam > 1
    arguments.batch = arguments.batch or [1, 100]
    if any(b < 1 for b in arguments.batch):
        parser.error("--batch must be a positive integer")
    arguments.compute_types = arguments.compute_types or ["float32", "int8"]
    return arguments


def vocabulary(size):
    """CTranslate2's special tokens first (ids 0-3 as ours: padding, unknown, <s>, </s>)."""
    return ["<blank>", "<unk>", "<s>", "</s>"] + [f"w{i}" for i in range(4, size)]


def build_spec(ctranslate2, numpy, preset, seed):
    """A post-norm ReLU TransformerSpec of `preset` with random weights."""
    from ctranslate2.specs import common_spec, transformer_spec

    layers, d, heads, ff, size = PRESETS[preset]
    generator = numpy.random.default_rng(seed)

    def weight(rows, columns):  # CTranslate2 stores linear weights [out, in]
        scale = (6.0 / (rows + columns)) ** 0.5
        return generator.uniform(-scale, scale, (rows, columns)).astype(numpy.float32)

    def linear(spec, rows, columns, bias=True):
        spec.weight = weight(rows, columns)
        if bias:
            spec.bias = numpy.zeros(rows, dtype=numpy.float32)

    def norm(spec):
        spec.gamma = numpy.ones(d, dtype=numpy.float32)
        spec.beta = numpy.zeros(d, dtype=numpy.float32)

    def attention(spec, self_attention):
        norm(spec.layer_norm)
        if self_attention:
            linear(spec.linear[0], 3 * d, d)  # fused query, key, value
            linear(spec.linear[1], d, d)
        else:
            linear(spec.linear[0], d, d)  # query
            linear(spec.linear[1], 2 * d, d)  # fused key, value (projected once per batch)
            linear(spec.linear[2], d, d)

    def feed_forward(spec):
        norm(spec.layer_norm)
        linear(spec.linear_0, ff, d)
        linear(spec.linear_1, d, ff)

    spec = transformer_spec.TransformerSpec.from_config(
        (layers, layers), heads, pre_norm=False, activation=common_spec.Activation.RELU)
    embeddings = weight(size, d)  # tied: source, target and output projection, as ours
    spec.encoder.embeddings[0].weight = embeddings
    for layer in spec.encoder.layer:
        attention(layer.self_attention, True)
        feed_forward(layer.ffn)
    spec.decoder.embeddings.weight = embeddings
    spec.decoder.projection.weight = embeddings
    for layer in spec.decoder.layer:
        attention(layer.self_attention, True)
        attention(layer.attention, False)
        feed_forward(layer.ffn)
    tokens = vocabulary(size)
    spec.register_source_vocabulary(tokens)
    spec.register_target_vocabulary(tokens)
    return spec


def load(ctranslate2, path, compute_type, threads):
    """Loads a Translator on a short-lived thread (see the module notes) and returns it."""
    result = {}

    def body():
        try:
            result["translator"] = ctranslate2.Translator(
                path, device="cpu", compute_type=compute_type, intra_threads=threads,
                inter_threads=1)
        except Exception as error:  # reported on the main thread
            result["error"] = error

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    if "error" in result:
        sys.exit(f"Error: loading the {compute_type} model: {result['error']}")
    return result["translator"]


def sources(numpy, count, size, seed):
    generator = numpy.random.default_rng(seed + 1)
    ids = generator.integers(4, size, (count, SOURCE_LENGTH - 1))
    return [[f"w{i}" for i in row] + ["</s>"] for row in ids]


def measure(translator, inputs, batch, beam, scores):
    """(sentences/s, ms per generated token) of decoding `inputs` `batch` at a time with `beam`
    hypotheses each (the best one returned)."""

    def decode(chunk):
        results = translator.translate_batch(
            chunk, beam_size=beam, max_batch_size=batch, min_decoding_length=OUTPUT_LENGTH,
            max_decoding_length=OUTPUT_LENGTH, return_scores=scores)
        lengths = {len(result.hypotheses[0]) for result in results}
        if lengths != {OUTPUT_LENGTH}:
            sys.exit(f"Error: expected {OUTPUT_LENGTH} output tokens, got lengths {lengths}")
        return OUTPUT_LENGTH * len(chunk)

    decode(inputs[:batch])  # warm-up
    tokens = 0
    start = time.perf_counter()
    for first in range(0, len(inputs), batch):
        tokens += decode(inputs[first:first + batch])
    seconds = time.perf_counter() - start
    return len(inputs) / seconds, seconds * 1000 / tokens


def main():
    arguments = parse_arguments()
    os.environ.setdefault("CT2_VERBOSE", "1")
    try:
        import ctranslate2
    except ImportError:
        sys.exit("Error: ctranslate2 is not installed; pip install ctranslate2==4.8.5")
    import numpy

    size = PRESETS[arguments.preset][4]
    inputs = sources(numpy, arguments.sentences, size, arguments.seed)
    supported = ctranslate2.get_supported_compute_types("cpu")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-ct2-") as directory:
        for compute_type in arguments.compute_types:
            if compute_type not in supported:
                sys.exit(f"Error: --compute-type {compute_type}: this CPU supports {sorted(supported)}")
            path = os.path.join(directory, compute_type)
            spec = build_spec(ctranslate2, numpy, arguments.preset, arguments.seed)
            spec.validate()  # converts the arrays, as the converters do before optimizing
            spec.optimize(quantization=compute_type)
            os.makedirs(path)
            spec.save(path)
            translator = load(ctranslate2, path, compute_type, arguments.threads)
            for batch in arguments.batch:
                per_second, per_token = measure(
                    translator, inputs, batch, arguments.beam, arguments.scores)
                record = {
                    "engine": "ctranslate2", "compute_type": compute_type,
                    "preset": arguments.preset, "batch": batch, "beam": arguments.beam,
                    "threads": arguments.threads, "scores": arguments.scores,
                    "sentences_per_s": round(per_second, 2), "ms_per_token": round(per_token, 4),
                }
                if arguments.json:
                    print(json.dumps(record, separators=(",", ":")), flush=True)
                rows.append(record)
            del translator
    if not arguments.json:
        search = "greedy" if arguments.beam == 1 else f"beam {arguments.beam}"
        print(f"CTranslate2 {ctranslate2.__version__}, preset {arguments.preset}, {search}, "
              f"{'with' if arguments.scores else 'no'} scores, {arguments.threads} threads, "
              f"{arguments.sentences} sentences of {OUTPUT_LENGTH} tokens")
        print(f"{'compute type':<13}{'batch':>6}{'sentences/s':>13}{'ms/token':>11}")
        for row in rows:
            print(f"{row['compute_type']:<13}{row['batch']:>6}{row['sentences_per_s']:>13.2f}"
                  f"{row['ms_per_token']:>11.4f}")


if __name__ == "__main__":
    main()
