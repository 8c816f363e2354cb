#!/usr/bin/env python3
"""PyTorch's time for the step `transformer-cli bench train` times, on the same CPU.

    pip install torch
    python3 scripts/bench-train-pytorch.py --preset small --threads 2 [--json]

Same benchmark as `bench train`: the preset's model (post-norm nn.Transformer, ReLU, dropout
0.1, tied embeddings, sinusoidal positions), a fixed synthetic batch of 64 pairs with source
and target length 24 (no padding), label-smoothed cross-entropy (0.1), Adam (0.9, 0.98, 1e-9);
a step is forward, loss, backward and the Adam update. Median of 10 steps after 3 warm-up
steps. Prints ms/step and target tokens/s (--json: one object like `bench train --json`).
Only for side-by-side figures: the project never needs torch.
"""
import argparse
import json
import resource
import statistics
import time

import torch
import torch.nn as nn

from pytorch_reference import PRESETS, ScaledEmbedding

class Seq2Seq(nn.Module):
    def __init__(self, d, heads, ff, enc, dec, vocab):
        super().__init__()
        self.embedding = ScaledEmbedding(vocab, d)
        self.transformer = nn.Transformer(
            d_model=d, nhead=heads, num_encoder_layers=enc, num_decoder_layers=dec,
            dim_feedforward=ff, dropout=0.1, batch_first=True)
        self.dropout = nn.Dropout(0.1)

    def embed(self, ids):
        return self.dropout(self.embedding(ids))

    def forward(self, source, target):
        mask = self.transformer.generate_square_subsequent_mask(target.shape[1])
        hidden = self.transformer(self.embed(source), self.embed(target), tgt_mask=mask,
                                  tgt_is_causal=True)
        return self.embedding.logits(hidden)  # tied pre-softmax projection


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", choices=PRESETS, default="small")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    d, heads, ff, enc, dec, vocab = PRESETS[args.preset]
    model = Seq2Seq(d, heads, ff, enc, dec, vocab)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.9, 0.98), eps=1e-9)
    loss_function = nn.CrossEntropyLoss(label_smoothing=0.1)
    batch, length = 64, 24
    source = torch.randint(4, vocab, (batch, length))
    target = torch.randint(4, vocab, (batch, length + 1))
    times = []
    for step in range(3 + args.steps):
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        logits = model(source, target[:, :-1])
        loss = loss_function(logits.reshape(-1, vocab), target[:, 1:].reshape(-1))
        loss.backward()
        optimizer.step()
        if step >= 3:
            times.append(time.perf_counter() - start)
    ms = statistics.median(times) * 1000
    tokens_per_s = batch * length / (ms / 1000)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if args.json:
        print(json.dumps({"preset": args.preset, "threads": args.threads,
                          "ms_per_step": round(ms, 1), "tokens_per_s": round(tokens_per_s, 1),
                          "peak_rss_mb": round(peak_mb), "torch": torch.__version__},
                         separators=(",", ":")))  # compact, as transformer-cli --json
    else:
        print(f"pytorch {torch.__version__} bench train: preset {args.preset}, "
              f"{args.threads} threads: {ms:.1f} ms/step, {tokens_per_s:.0f} target tokens/s, "
              f"peak RSS {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
