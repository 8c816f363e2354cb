#!/usr/bin/env python3
"""PyTorch's speed on the decoding `transformer-cli bench decode` times, on the same CPU.

    pip install torch
    python3 scripts/bench-decode-pytorch.py --preset small --batch 100 --threads 2 [--json]

Same benchmark as `bench decode --beam 1`: the preset's model (post-norm, tied embeddings,
random weights), sources of 24 tokens, greedy search that generates exactly 24 tokens per
sentence (end of sentence suppressed), `--batch` sentences decoded together, batches repeated
until at least 20 sentences are timed, after one untimed warm-up batch. The decoder keeps a
preallocated key-value cache per layer and projects the encoder output to keys and values once
per batch, as ours does. Each step takes the largest logit, as `bench decode` does unless
`--scores`; with `--scores` both score the whole vocabulary with a log-softmax first. Prints
sentences/s and ms per generated token (--json: one object like `bench decode --json`).
Only for side-by-side figures: the project never needs torch.
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from pytorch_reference import PRESETS, ScaledEmbedding

class CachedDecoderLayer(nn.Module):
    """A post-norm decoder layer that runs one position at a time over a key-value cache."""

    def __init__(self, d, heads, ff):
        super().__init__()
        self.heads, self.size = heads, d // heads
        self.self_qkv = nn.Linear(d, 3 * d)
        self.self_out = nn.Linear(d, d)
        self.cross_q = nn.Linear(d, d)
        self.cross_kv = nn.Linear(d, 2 * d)
        self.cross_out = nn.Linear(d, d)
        self.inner = nn.Linear(d, ff)
        self.outer = nn.Linear(ff, d)
        self.norms = nn.ModuleList(nn.LayerNorm(d) for _ in range(3))

    def split(self, x):  # [B, T, D] -> [B, H, T, K]
        b, t, _ = x.shape
        return x.view(b, t, self.heads, self.size).transpose(1, 2)

    def memory(self, memory):
        k, v = self.cross_kv(memory).chunk(2, dim=-1)
        return self.split(k), self.split(v)

    def forward(self, x, cache_k, cache_v, position, memory_k, memory_v, memory_mask):
        b = x.shape[0]
        q, k, v = self.self_qkv(x).chunk(3, dim=-1)
        cache_k[:, :, position : position + 1] = self.split(k)
        cache_v[:, :, position : position + 1] = self.split(v)
        keys, values = cache_k[:, :, : position + 1], cache_v[:, :, : position + 1]
        attended = F.scaled_dot_product_attention(self.split(q), keys, values)
        x = self.norms[0](x + self.self_out(attended.transpose(1, 2).reshape(b, 1, -1)))
        attended = F.scaled_dot_product_attention(
            self.split(self.cross_q(x)), memory_k, memory_v, attn_mask=memory_mask)
        x = self.norms[1](x + self.cross_out(attended.transpose(1, 2).reshape(b, 1, -1)))
        return self.norms[2](x + self.outer(F.relu(self.inner(x))))


class Model(nn.Module):
    def __init__(self, d, heads, ff, enc, dec, vocab):
        super().__init__()
        self.embed = ScaledEmbedding(vocab, d)
        layer = nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, enc, enable_nested_tensor=False)
        self.decoder = nn.ModuleList(CachedDecoderLayer(d, heads, ff) for _ in range(dec))

    def greedy(self, source, steps, end_id=2, scores=False):
        b = source.shape[0]
        memory = self.encoder(self.embed(source))
        memory_kv = [layer.memory(memory) for layer in self.decoder]
        memory_mask = None  # no padding: every source is 24 tokens
        shape = (b, self.decoder[0].heads, steps, self.decoder[0].size)
        caches = [(torch.empty(shape), torch.empty(shape)) for _ in self.decoder]
        token = torch.ones(b, 1, dtype=torch.long)  # <s>
        output, score = [], torch.zeros(b)
        for position in range(steps):
            x = self.embed(token, position)
            for layer, (ck, cv), (mk, mv) in zip(self.decoder, caches, memory_kv):
                x = layer(x, ck, cv, position, mk, mv, memory_mask)
            logits = self.embed.logits(x[:, 0])
            if scores:
                logits = F.log_softmax(logits, dim=-1)
            logits[:, end_id] = -math.inf  # exactly `steps` tokens, as the bench
            best, token = logits.max(dim=-1, keepdim=True)
            score += best[:, 0]  # the log-probability only with `scores`
            output.append(token)
        return torch.cat(output, dim=1), score


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", choices=PRESETS, default="small")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--scores", action="store_true",
                        help="score each step with a log-softmax (as bench decode --scores)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    d, heads, ff, enc, dec, vocab = PRESETS[args.preset]
    model = Model(d, heads, ff, enc, dec, vocab).eval()
    length, steps = 24, 24

    def batch():
        source = torch.randint(4, vocab, (args.batch, length))
        source[:, -1] = 2  # </s>
        return source

    rounds = max(1, (20 + args.batch - 1) // args.batch)
    with torch.inference_mode():
        model.greedy(batch(), steps, scores=args.scores)
        inputs = [batch() for _ in range(rounds)]
        start = time.perf_counter()
        tokens = sum(model.greedy(source, steps, scores=args.scores)[0].numel() for source in inputs)
        seconds = time.perf_counter() - start
    sentences = rounds * args.batch
    result = {"preset": args.preset, "batch": args.batch, "beam": 1, "threads": args.threads,
              "scores": args.scores,
              "sentences_per_s": round(sentences / seconds, 2),
              "ms_per_token": round(seconds * 1000 / tokens, 4), "torch": torch.__version__}
    if args.json:
        print(json.dumps(result, separators=(",", ":")))  # compact, as transformer-cli --json
    else:
        print(f"pytorch {torch.__version__} bench decode: preset {args.preset}, batch "
              f"{args.batch}, {args.threads} threads: {result['sentences_per_s']} sentences/s, "
              f"{result['ms_per_token']} ms/token")


if __name__ == "__main__":
    main()
