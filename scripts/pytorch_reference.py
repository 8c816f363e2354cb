"""What scripts/bench-train-pytorch.py, scripts/bench-decode-pytorch.py and
scripts/pytorch_golden.py share: the presets of `transformer-cli bench train` / `bench decode`,
the sinusoidal positions and the tied, scaled embedding (Vaswani et al. §3.4–3.5), and the
position variants beyond the paper (rotary embedding, ALiBi slopes). Needs torch; the project
itself never imports it."""
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


def rotary(x, offset=0):
    """RoPE (Su et al. 2021, eq. 34) as Sources/Tensors/RotaryEmbedding.swift: the interleaved
    pairs (x[2i], x[2i+1]) of row t of x [..., L, K] rotated by (offset + t)·θ_i,
    θ_i = 10000^(−2i/K); cos and sin computed in float64 and rounded once. (GPT-NeoX/Llama's
    rotate_half pairs i with i + K/2 instead: a different convention.)"""
    k = x.shape[-1]
    theta = 10000.0 ** (-torch.arange(0, k, 2, dtype=torch.float64) / k)  # [K/2]
    angle = torch.arange(offset, offset + x.shape[-2], dtype=torch.float64)[:, None] * theta
    cos, sin = angle.cos().float(), angle.sin().float()  # [L, K/2]
    even, odd = x[..., 0::2], x[..., 1::2]
    return torch.stack((even * cos - odd * sin, even * sin + odd * cos), -1).flatten(-2)


def alibi_slopes(heads):
    """ALiBi's head slopes (Press et al. 2022): 2^(−8h/H) for H a power of two, else those of
    the nearest lower power of two followed by every other slope of twice as many heads."""

    def power_of_two(n):
        start = 2.0 ** (-8.0 / n)
        return [start ** (i + 1) for i in range(n)]

    lower = 2 ** int(math.floor(math.log2(heads)))
    if lower == heads:
        return power_of_two(heads)
    return power_of_two(lower) + power_of_two(2 * lower)[0::2][: heads - lower]


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
