"""What scripts/bench-train-pytorch.py, scripts/bench-decode-pytorch.py and
scripts/pytorch_golden.py share: the presets of `transformer-cli bench train` / `bench decode`,
the sinusoidal positions and the tied, scaled embedding (Vaswani et al. §3.4–3.5). Needs torch;
the project itself never imports it."""
import math

import torch
import torch.nn as nn

PRESETS = {
    # d_model, heads, d_ff, encoder layers, decoder layers, vocabulary
    "tiny": (128, 4, 512, 2, 2, 1000),
    "small": (256, 8, 1024, 3, 3, 8000),
    "base": (512, 8, 2048, 6, 6, 8000),
}


def sinusoidal_positions(max_len, d):
    """PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(…) (§3.5): [max_len, d] float32,
    computed in float64 and rounded once, as Sources/Tensors/PositionalEncoding.swift does."""
    position = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)
    rate = 10000.0 ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    pe = torch.zeros(max_len, d, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(position * rate)
    pe[:, 1::2] = torch.cos(position * rate[: d // 2])
    return pe.float()


class ScaledEmbedding(nn.Module):
    """E[id]·√d + PE[position], with E also the tied pre-softmax projection."""

    def __init__(self, vocab, d, max_len=128):
        super().__init__()
        self.d = d
        self.table = nn.Embedding(vocab, d)
        nn.init.normal_(self.table.weight, std=d**-0.5)
        self.register_buffer("pe", sinusoidal_positions(max_len, d))

    def forward(self, ids, offset=0):
        return self.table(ids) * math.sqrt(self.d) + self.pe[offset : offset + ids.shape[1]]

    def logits(self, hidden):
        return hidden @ self.table.weight.t()
