#!/usr/bin/env python3
"""Our Transformer rebuilt from PyTorch's own layers: load any transformer-cli checkpoint into
PyTorch, and write the golden values the Swift test PyTorchGoldenTests checks (as llm.c's
test_gpt2.c checks GPT-2 against PyTorch).

The model is built from the configuration in model.safetensors' metadata (`model.configuration`):
nn.Embedding tables times √D plus sinusoidal positions, nn.Linear projections with explicit
heads, nn.LayerNorm (ε 1e-5) after (post-norm) or before (pre-norm, plus a final norm per stack)
each sub-layer, ReLU or exact GELU, tied or untied embeddings, and the variants beyond the paper:
`positions` learned (an nn.Embedding [P, D] per stack, `encoder.positions`/`decoder.positions`),
rope (self-attention queries and keys rotated, interleaved pairs, pytorch_reference.rotary) or
alibi (−m_h·|i − j| on self-attention scores); `kv_heads` G < H key/value heads, each read by
H/G query heads. Cross-attention is never rotated or biased. With `architecture` decoder-only,
one causal stack of layers without cross-attention over `source </s> <s> target` (the forward
takes and returns the encoder–decoder shapes: logits of the target positions). Module names are
our tensor
names, so `model.state_dict()` keys are the checkpoint's; only the nn.Linear weights are
transposed, since we store them [in, out] and PyTorch [out, in]. Dropout is never applied.

    pip install torch safetensors numpy

    # Greedy translation: BPE pieces in (from `transformer-cli bpe encode`), pieces out.
    echo 'Ich gehe zur Schule .' | transformer-cli bpe encode --model runs/x/best/bpe.model \\
      | python3 scripts/pytorch_golden.py runs/x/best --translate \\
      | transformer-cli bpe decode --model runs/x/best/bpe.model

    # The logits [T, V] of one sentence as JSON, from ids (the source ends with </s> = 2, the
    # target prefix starts with <s> = 1).
    python3 scripts/pytorch_golden.py runs/x/best --logits --source-ids 57,912,2 --target-ids 1,88

    # In Python (run from scripts/ or with it on sys.path):
    from pytorch_golden import load_checkpoint
    model = load_checkpoint("runs/x/best")        # a directory or a .safetensors file
    logits = model(source_ids, target_input_ids)  # LongTensor [B, S], [B, T] → [B, T, V]

    # Regenerate the golden values of Tests/NNTests/Fixtures/PyTorchGolden/*/golden.safetensors
    # from the committed checkpoints there (written by our code; see PyTorchGoldenModel.swift).
    python3 scripts/pytorch_golden.py --write-fixture

--write-fixture runs one padded batch in float32 and saves, per checkpoint: `logits` [B, T, V],
`loss` (label-smoothed as our CrossEntropy.swift does, which is PyTorch's convention:
q = (1 − ε)·onehot + ε/V), `gradient.<name>` for every parameter in our layout, and a 10-step
trajectory (`trajectory.loss`, `trajectory.gradient_norm`) of torch.optim.Adam steps taken as
our Trainer.step() takes them: global-norm clipping folded in as max_norm/norm (not
clip_grad_norm_'s max_norm/(norm + 1e-6)), the learning rate of our schedule for that step.
The batch and the training settings go into the file's metadata, where the Swift test reads
them. The project never needs Python to build or test: the fixtures are committed.
"""

import argparse
import json
import math
import pathlib
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors import safe_open

from pytorch_reference import alibi_slopes, rotary, sinusoidal_positions

PAD, BOS, EOS, UNK = 0, 1, 2, 3
ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests" / "NNTests" / "Fixtures" / "PyTorchGolden"


# MARK: The model (names as in Sources/NN; B batch, S source, T target, D width, H heads)


class MultiHeadAttention(nn.Module):
    """softmax(Q·Kᵀ/√K + bias)·V per head, K = D/H; masked keys get −∞ (§3.2.2). With
    kv_heads G < H, key/value are [D, G·K] and query head h reads key/value head h // (H/G);
    `rotary` rotates q and k by position, `slopes` adds ALiBi's −m_h·|i − j|."""

    def __init__(self, d, heads, kv_heads=None, rotary=False, slopes=None):
        super().__init__()
        self.heads, self.kv_heads = heads, kv_heads or heads
        kv_width = d // heads * self.kv_heads
        self.query = nn.Linear(d, d)
        self.key, self.value = nn.Linear(d, kv_width), nn.Linear(d, kv_width)
        self.output = nn.Linear(d, d)
        self.rotary = rotary
        self.slopes = None if slopes is None else torch.tensor(slopes, dtype=torch.float32)

    def forward(self, x, memory, visible):  # x [B, T, D], memory [B, S, D], visible [B, T, S]
        b, t, d = x.shape
        k_width = d // self.heads

        def split(y, heads):  # [B, L, heads·K] → [B, heads, L, K]
            return y.view(b, y.shape[1], heads, k_width).transpose(1, 2)

        q = split(self.query(x), self.heads)
        k, v = split(self.key(memory), self.kv_heads), split(self.value(memory), self.kv_heads)
        if self.rotary:
            q, k = rotary(q), rotary(k)
        repeats = self.heads // self.kv_heads  # [B, G, S, K] → [B, H, S, K]
        k, v = k.repeat_interleave(repeats, dim=1), v.repeat_interleave(repeats, dim=1)
        scores = q @ k.transpose(-1, -2) / math.sqrt(k_width)  # [B, H, T, S]
        if self.slopes is not None:
            i, j = torch.arange(t)[:, None], torch.arange(memory.shape[1])[None, :]
            scores = scores - self.slopes[:, None, None] * (i - j).abs().float()
        scores = scores.masked_fill(~visible[:, None], float("-inf"))
        heads = scores.softmax(-1) @ v  # [B, H, T, K]
        return self.output(heads.transpose(1, 2).reshape(b, t, d))


class FeedForward(nn.Module):
    def __init__(self, d, f, activation):
        super().__init__()
        self.inner, self.outer = nn.Linear(d, f), nn.Linear(f, d)
        self.activation = F.relu if activation == "relu" else F.gelu  # exact (erf) GELU

    def forward(self, x):
        return self.outer(self.activation(self.inner(x)))


class Layer(nn.Module):
    """An encoder layer (self-attention, feed-forward) or, with cross-attention, a decoder layer."""

    def __init__(self, c, decoder):
        super().__init__()
        d = c["d_model"]
        self.pre = c["norm"] == "pre"
        positions, kv = c.get("positions", "sinusoidal"), c.get("kv_heads", c["heads"])
        slopes = alibi_slopes(c["heads"]) if positions == "alibi" else None
        self.self_attention = MultiHeadAttention(d, c["heads"], kv, positions == "rope", slopes)
        self.self_attention_norm = nn.LayerNorm(d, eps=1e-5)
        if decoder:  # cross-attention: no rotation, no bias
            self.cross_attention = MultiHeadAttention(d, c["heads"], kv)
            self.cross_attention_norm = nn.LayerNorm(d, eps=1e-5)
        self.feed_forward = FeedForward(d, c["d_ff"], c["activation"])
        self.feed_forward_norm = nn.LayerNorm(d, eps=1e-5)

    def residual(self, x, norm, sublayer):
        if self.pre:
            return x + sublayer(norm(x))  # x + Sublayer(LayerNorm(x))
        return norm(x + sublayer(x))  # LayerNorm(x + Sublayer(x)), §3.1

    def forward(self, x, self_visible, memory=None, memory_visible=None):
        x = self.residual(
            x, self.self_attention_norm, lambda y: self.self_attention(y, y, self_visible)
        )
        if memory is not None:
            x = self.residual(
                x,
                self.cross_attention_norm,
                lambda y: self.cross_attention(y, memory, memory_visible),
            )
        return self.residual(x, self.feed_forward_norm, self.feed_forward)


class Stack(nn.Module):
    def __init__(self, c, count, decoder):
        super().__init__()
        self.layers = nn.ModuleList(Layer(c, decoder) for _ in range(count))
        if c.get("positions") == "learned":  # `encoder.positions.weight`, [P, D]
            self.positions = nn.Embedding(c["max_positions"], c["d_model"])
        if c["norm"] == "pre":
            self.final_norm = nn.LayerNorm(c["d_model"], eps=1e-5)

    def forward(self, x, *masks_and_memory):
        for layer in self.layers:
            x = layer(x, *masks_and_memory)
        return self.final_norm(x) if hasattr(self, "final_norm") else x


class Transformer(nn.Module):
    """The encoder–decoder of Sources/NN/Transformer.swift, or its decoder-only form; `c` is its
    configuration JSON."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        self.decoder_only = c.get("architecture", "encoder-decoder") == "decoder-only"
        v, d = c["vocabulary_size"], c["d_model"]
        # The names of the source table, the target table and the output projection ([V, D],
        # used as x·Wᵀ); one shared table when tied.
        if c["tie_embeddings"]:
            self.embedding = nn.Embedding(v, d)
            self.tables = ("embedding",) * 3
        elif self.decoder_only:  # one input table for source and target pieces
            self.embedding, self.output_projection = nn.Embedding(v, d), nn.Embedding(v, d)
            self.tables = ("embedding", "embedding", "output_projection")
        else:
            self.source_embedding, self.target_embedding = nn.Embedding(v, d), nn.Embedding(v, d)
            self.output_projection = nn.Embedding(v, d)
            self.tables = ("source_embedding", "target_embedding", "output_projection")
        self.register_buffer(
            "positions", sinusoidal_positions(c["max_positions"], d), persistent=False
        )
        if not self.decoder_only:
            self.encoder = Stack(c, c["encoder_layers"], decoder=False)
        # Decoder-only: the decoder's layers without cross-attention.
        self.decoder = Stack(c, c["decoder_layers"], decoder=not self.decoder_only)

    def embed(self, role, ids):  # E[ids]·√D + PE (§3.4–3.5), + P (learned), or + nothing
        tokens = getattr(self, self.tables[role])(ids) * math.sqrt(self.c["d_model"])
        kind = self.c.get("positions", "sinusoidal")
        if kind == "sinusoidal":
            return tokens + self.positions[: ids.shape[1]]
        if kind == "learned":
            stack = self.decoder if role == 1 else self.encoder
            return tokens + stack.positions.weight[: ids.shape[1]]
        if kind in ("rope", "alibi"):
            return tokens  # positions act inside self-attention
        sys.exit(f"unknown positions {kind!r} in the checkpoint's configuration")

    def encode(self, source_ids, source_lengths):  # → [B, S, D]
        keys = key_mask(source_lengths, source_ids.shape[1])  # [B, 1, S]
        return self.encoder(self.embed(0, source_ids), keys)

    def decode(self, target_ids, target_lengths, memory, source_lengths):  # → [B, T, V]
        t = target_ids.shape[1]
        causal = torch.ones(t, t, dtype=torch.bool).tril()  # query t sees keys ≤ t
        self_visible = key_mask(target_lengths, t) & causal  # [B, T, T]
        memory_visible = key_mask(source_lengths, memory.shape[1])  # [B, 1, S]
        states = self.decoder(self.embed(1, target_ids), self_visible, memory, memory_visible)
        return states @ getattr(self, self.tables[2]).weight.t()

    def forward(self, source_ids, target_ids, source_lengths=None, target_lengths=None):
        source_lengths = full_lengths(source_ids) if source_lengths is None else source_lengths
        target_lengths = full_lengths(target_ids) if target_lengths is None else target_lengths
        if self.decoder_only:
            return self.decode_only(source_ids, target_ids, source_lengths, target_lengths)
        memory = self.encode(source_ids, source_lengths)
        return self.decode(target_ids, target_lengths, memory, source_lengths)

    def decode_only(self, source_ids, target_ids, source_lengths, target_lengths):
        """Decoder-only: each row joined as `source </s> <s> target` without padding in between
        (Sources/NN/DecoderOnlySequence.swift), one causal pass, and the logits of the target
        positions S_b + t gathered back into [B, T, V] (zero past a row's end)."""
        b, t = target_ids.shape
        source_lengths, target_lengths = [int(n) for n in source_lengths], [int(n) for n in target_lengths]
        lengths = [s + n for s, n in zip(source_lengths, target_lengths)]
        length = max(lengths)
        ids = torch.full((b, length), PAD, dtype=torch.long)
        for row, (s, n) in enumerate(zip(source_lengths, target_lengths)):
            ids[row, :s] = source_ids[row, :s]
            ids[row, s : s + n] = target_ids[row, :n]
        causal = torch.ones(length, length, dtype=torch.bool).tril()
        states = self.decoder(self.embed(1, ids), key_mask(lengths, length) & causal)
        logits = states @ getattr(self, self.tables[2]).weight.t()  # [B, L, V]
        result = logits.new_zeros(b, t, logits.shape[-1])
        for row, s in enumerate(source_lengths):
            n = min(t, length - s)
            result[row, :n] = logits[row, s : s + n]
        return result


def key_mask(lengths, keys):
    """[B, 1, keys]: True where key s < lengths[b] (padding keys are never attended to)."""
    return (torch.arange(keys)[None, :] < torch.as_tensor(lengths)[:, None])[:, None, :]


def full_lengths(ids):
    return torch.full((ids.shape[0],), ids.shape[1])


def linear_weight_names(model):
    """The parameters stored [in, out] by us and [out, in] by nn.Linear."""
    return {
        f"{name}.weight" for name, module in model.named_modules() if isinstance(module, nn.Linear)
    }


def checkpoint_directory(path):
    """The directory of a checkpoint given as its directory or as one of its files."""
    path = pathlib.Path(path)
    return path if path.is_dir() else path.parent


def load_checkpoint(path):
    """The model of a checkpoint directory (its model.safetensors) or of a .safetensors file,
    in eval mode, float32."""
    file = (
        checkpoint_directory(path) / "model.safetensors"
        if not str(path).endswith(".safetensors")
        else pathlib.Path(path)
    )
    with safe_open(str(file), framework="pt") as f:
        metadata = f.metadata() or {}
        if "model.configuration" not in metadata:
            sys.exit(
                f"{file}: no model.configuration in the metadata\n"
                "HINT: is it a transformer-cli checkpoint?"
            )
        model = Transformer(json.loads(metadata["model.configuration"]))
        stored = {name: f.get_tensor(name) for name in f.keys()}
    transposed = linear_weight_names(model)
    expected = {name for name, _ in model.named_parameters()}
    if set(stored) != expected:
        sys.exit(
            f"{file}: tensors differ from the configuration's model: missing "
            f"{sorted(expected - set(stored))}, unexpected {sorted(set(stored) - expected)}"
        )
    state = {name: (t.t() if name in transposed else t).contiguous() for name, t in stored.items()}
    model.load_state_dict(state)
    return model.eval()


def label_smoothed_loss(logits, targets, epsilon, padding_id):
    """Mean over non-padding targets of (1 − ε)·(−log p_y) + ε·(−(1/V)·Σ_v log p_v):
    PyTorch's nn.CrossEntropyLoss(label_smoothing=ε) and our CrossEntropy.swift; not fairseq's
    ε/(V − 1) on the non-targets."""
    log_p = logits.log_softmax(-1)
    nll = -log_p.gather(-1, targets.clamp(min=0)[..., None])[..., 0]
    rows = (1 - epsilon) * nll + epsilon * -log_p.mean(-1)
    counted = targets != padding_id
    return rows[counted].sum() / counted.sum()


# MARK: Translation and logits


def read_pieces(path):
    """The pieces of a transformer-cli BPE model file, in id order."""
    lines = pathlib.Path(path).read_text(encoding="utf-8").split("\n")
    for i, line in enumerate(lines):
        if line.startswith("pieces "):
            return lines[i + 1 : i + 1 + int(line.split()[1])]
    sys.exit(f"{path}: no 'pieces N' line\nHINT: is it a transformer-cli BPE model?")


def bpe_model(directory, side):
    for name in (f"{side}.bpe.model", "bpe.model"):
        if (directory / name).exists():
            return read_pieces(directory / name)
    sys.exit(
        f"{directory}: no {side}.bpe.model or bpe.model\n"
        "HINT: --translate needs a checkpoint directory"
    )


@torch.no_grad()
def greedy(model, source, max_length):
    """Greedy decoding of one sentence (ids, </s> appended), never picking <pad> or <s>, as our
    GreedySearch does; recomputes the prefix every step (no cache)."""
    source_ids = torch.tensor([source + [EOS]])
    output = []
    for _ in range(max_length):
        target = torch.tensor([[BOS] + output])
        logits = model(source_ids, target)
        token = int(logits[0, -1, EOS:].argmax()) + EOS
        if token == EOS:
            break
        output.append(token)
    return output


def translate(path):
    directory = checkpoint_directory(path)
    model = load_checkpoint(path)
    source_pieces, target_pieces = bpe_model(directory, "source"), bpe_model(directory, "target")
    ids = {piece: i for i, piece in enumerate(source_pieces)}
    for line in sys.stdin:
        source = [ids.get(piece, UNK) for piece in line.split()]
        positions = model.c["max_positions"]
        if model.decoder_only:  # the source gets half the positions, the target the rest
            source = source[: positions // 2 - 1]
            positions -= len(source) + 1
        limit = max(1, min(positions - 1, len(source) + 50))
        print(" ".join(target_pieces[i] for i in greedy(model, source, limit)), flush=True)


@torch.no_grad()
def print_logits(path, source_ids, target_ids):
    model = load_checkpoint(path)
    logits = model(torch.tensor([source_ids]), torch.tensor([target_ids]))[0]
    print(json.dumps([[round(x, 6) for x in row] for row in logits.tolist()]))


# MARK: Golden values

# One padded batch, B 3, S 7, T 6: sources end with </s>, target inputs start with <s>.
SOURCE_IDS = [[5, 17, 9, 22, 11, 8, 2], [14, 6, 20, 2, 0, 0, 0], [7, 19, 12, 4, 2, 0, 0]]
TARGET_OUTPUT_IDS = [[10, 21, 3, 16, 13, 2], [18, 9, 2, 0, 0, 0], [23, 5, 15, 11, 2, 0]]

# The run config's `training` keys; each checkpoint directory's golden values use its own.
ADAM = {
    "adam_beta1": 0.9,
    "adam_beta2": 0.98,
    "adam_eps": 1e-9,
    "label_smoothing": 0.1,
    "steps": 10,
}
TRAINING = {
    "post-norm-untied": {
        **ADAM,
        "schedule": "noam",
        "lr_scale": 0.2,
        "warmup_steps": 4,
        "max_steps": 10,
        "clip_norm": 0.0,
    },
    "pre-norm-tied": {
        **ADAM,
        "schedule": "linear",
        "peak_lr": 0.01,
        "warmup_steps": 3,
        "max_steps": 10,
        "clip_norm": 0.5,
    },
    "decoder-only": {
        **ADAM,
        "schedule": "linear",
        "peak_lr": 0.01,
        "warmup_steps": 3,
        "max_steps": 10,
        "clip_norm": 0.5,
    },
    "rope-gqa": {
        **ADAM,
        "schedule": "inverse_sqrt",
        "peak_lr": 0.01,
        "warmup_steps": 3,
        "max_steps": 10,
        "clip_norm": 1.0,
    },
}


def golden_batch():
    def lengths(rows, end):
        return [row.index(end) + 1 for row in rows]

    target_lengths = lengths(TARGET_OUTPUT_IDS, EOS)
    target_inputs = [
        ([BOS] + row[: n - 1] + [PAD] * len(row))[: len(row)]
        for row, n in zip(TARGET_OUTPUT_IDS, target_lengths)
    ]
    return {
        "source_ids": [i for row in SOURCE_IDS for i in row],
        "target_input_ids": [i for row in target_inputs for i in row],
        "target_output_ids": [i for row in TARGET_OUTPUT_IDS for i in row],
        "source_lengths": lengths(SOURCE_IDS, EOS),
        "target_lengths": target_lengths,
    }


def learning_rate(t, s, d_model):
    """Sources/NN/LearningRateSchedule.swift at optimiser step t ≥ 1."""
    warmup = max(s["warmup_steps"], 1)
    if s["schedule"] == "noam":
        return s["lr_scale"] / math.sqrt(d_model) * min(t**-0.5, t * warmup**-1.5)
    if t < warmup:
        return s["peak_lr"] * t / warmup
    if s["schedule"] == "inverse_sqrt":
        return s["peak_lr"] * math.sqrt(warmup / t)
    return s["peak_lr"] * max(0.0, 1 - (t - warmup) / max(s["max_steps"] - warmup, 1))


def write_safetensors(path, tensors, metadata):
    """A float32 safetensors file with its header's keys sorted, so that the same values give
    the same bytes (safetensors.numpy.save_file orders the metadata at random)."""
    header, offset = {"__metadata__": metadata}, 0
    for name in sorted(tensors):
        size = tensors[name].astype("<f4").nbytes
        header[name] = {
            "dtype": "F32",
            "shape": list(tensors[name].shape),
            "data_offsets": [offset, offset + size],
        }
        offset += size
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned
    with open(path, "wb") as file:
        file.write(len(text).to_bytes(8, "little") + text)
        for name in sorted(tensors):
            file.write(np.ascontiguousarray(tensors[name], dtype="<f4").tobytes())


def write_fixture(directory):
    model = load_checkpoint(directory)
    c, settings, batch = model.c, TRAINING[directory.name], golden_batch()
    b = len(batch["source_lengths"])
    source = torch.tensor(batch["source_ids"]).view(b, -1)
    target_in = torch.tensor(batch["target_input_ids"]).view(b, -1)
    target_out = torch.tensor(batch["target_output_ids"]).view(b, -1)
    lengths = torch.tensor(batch["source_lengths"]), torch.tensor(batch["target_lengths"])

    def loss_and_logits():
        logits = model(source, target_in, *lengths)
        return (
            label_smoothed_loss(logits, target_out, settings["label_smoothing"], c["padding_id"]),
            logits,
        )

    loss, logits = loss_and_logits()
    reference = F.cross_entropy(
        logits.reshape(-1, c["vocabulary_size"]),
        target_out.reshape(-1),
        ignore_index=c["padding_id"],
        label_smoothing=settings["label_smoothing"],
    )
    assert torch.allclose(loss, reference, rtol=1e-6), (loss, reference)
    loss.backward()
    transposed = linear_weight_names(model)
    tensors = {"logits": logits.detach().numpy(), "loss": loss.detach().numpy()}
    for name, p in model.named_parameters():
        gradient = p.grad.t() if name in transposed else p.grad
        tensors[f"gradient.{name}"] = gradient.contiguous().numpy().copy()

    parameters = [p for _, p in model.named_parameters()]
    adam = torch.optim.Adam(
        parameters,
        lr=0.0,
        betas=(settings["adam_beta1"], settings["adam_beta2"]),
        eps=settings["adam_eps"],
        foreach=False,
    )
    losses, norms = [], []
    for step in range(1, settings["steps"] + 1):
        adam.zero_grad(set_to_none=True)
        loss, _ = loss_and_logits()
        loss.backward()
        norm = math.sqrt(sum(float((p.grad.double() ** 2).sum()) for p in parameters))
        if settings["clip_norm"] > 0 and norm > settings["clip_norm"]:
            for p in parameters:
                p.grad.mul_(settings["clip_norm"] / norm)
        for group in adam.param_groups:
            group["lr"] = learning_rate(step, settings, c["d_model"])
        adam.step()
        losses.append(float(loss.detach()))
        norms.append(norm)
    tensors["trajectory.loss"] = np.array(losses, dtype=np.float32)
    tensors["trajectory.gradient_norm"] = np.array(norms, dtype=np.float32)
    metadata = {
        "batch": json.dumps(batch),
        "training": json.dumps(settings),
        "generator": f"scripts/pytorch_golden.py --write-fixture, torch {torch.__version__}",
    }
    path = directory / "golden.safetensors"
    write_safetensors(path, tensors, metadata)
    print(
        f"wrote {path.relative_to(ROOT)}: loss {float(tensors['loss']):.6f}, trajectory "
        + " ".join(f"{x:.4f}" for x in losses)
        + ", gradient norms "
        + " ".join(f"{x:.3f}" for x in norms)
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "checkpoint", nargs="?", help="a checkpoint directory or model.safetensors file"
    )
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument(
        "--translate", action="store_true", help="greedy: BPE pieces on stdin, pieces on stdout"
    )
    mode.add_argument(
        "--logits", action="store_true", help="print the logits [T, V] of --source-ids/--target-ids"
    )
    mode.add_argument(
        "--write-fixture",
        action="store_true",
        help=f"write golden.safetensors in {FIXTURES.relative_to(ROOT)}/*/",
    )
    parser.add_argument(
        "--only", choices=sorted(TRAINING), help="with --write-fixture: only this checkpoint"
    )
    parser.add_argument("--source-ids", help="comma-separated, ending with </s> (2)")
    parser.add_argument("--target-ids", help="comma-separated, starting with <s> (1)")
    args = parser.parse_args()
    torch.manual_seed(0)
    if args.write_fixture:
        for name in [args.only] if args.only else TRAINING:
            write_fixture(FIXTURES / name)
        return
    if args.checkpoint is None:
        parser.error("give a checkpoint directory or file")
    if args.translate:
        translate(args.checkpoint)
    else:
        if not (args.source_ids and args.target_ids):
            parser.error("--logits needs --source-ids and --target-ids")
        ids = [[int(x) for x in s.split(",")] for s in (args.source_ids, args.target_ids)]
        print_logits(args.checkpoint, *ids)


if __name__ == "__main__":
    main()
