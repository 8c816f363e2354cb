#!/usr/bin/env python3
"""Draws `bench attention --json` lines (scripts/bench-attention.sh) as an SVG: time and peak
memory against sequence length, one line per kernel, both axes logarithmic.

    scripts/bench-attention.sh > attention.jsonl
    python3 scripts/plot-attention.py attention.jsonl docs/attention-long.svg

Standard lengths that were skipped or refused are simply absent from its line.
"""
import json
import math
import sys

COLORS = {"standard": "#d62728", "memory_efficient": "#1f77b4"}
LABELS = {"standard": "standard", "memory_efficient": "memory-efficient"}


def panel(x0, y0, width, height, runs, key, title, unit):
    lengths = sorted({r["length"] for r in runs})
    values = [r[key] for r in runs]
    lx0, lx1 = math.log2(lengths[0]), math.log2(lengths[-1])
    ly0 = math.floor(math.log10(min(values)))
    ly1 = math.ceil(math.log10(max(values)))
    def px(length):
        return x0 + (math.log2(length) - lx0) / max(lx1 - lx0, 1e-9) * width
    def py(value):
        return y0 + height - (math.log10(value) - ly0) / max(ly1 - ly0, 1e-9) * height
    out = [f'<text x="{x0 + width / 2}" y="{y0 - 12}" text-anchor="middle" font-size="14">{title}</text>',
           f'<rect x="{x0}" y="{y0}" width="{width}" height="{height}" fill="none" stroke="#888"/>']
    for length in lengths:
        x = px(length)
        out.append(f'<line x1="{x:.1f}" y1="{y0}" x2="{x:.1f}" y2="{y0 + height}" stroke="#eee"/>')
        out.append(f'<text x="{x:.1f}" y="{y0 + height + 16}" text-anchor="middle" font-size="11">{length}</text>')
    for decade in range(ly0, ly1 + 1):
        y = py(10 ** decade)
        out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + width}" y2="{y:.1f}" stroke="#eee"/>')
        out.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{10 ** decade:g}</text>')
    out.append(f'<text x="{x0 + width / 2}" y="{y0 + height + 34}" text-anchor="middle" font-size="12">length T = S</text>')
    out.append(f'<text x="{x0 - 48}" y="{y0 + height / 2}" text-anchor="middle" font-size="12" '
               f'transform="rotate(-90 {x0 - 48} {y0 + height / 2})">{unit}</text>')
    for kind in ("standard", "memory_efficient"):
        points = sorted((r["length"], r[key]) for r in runs if r["kind"] == kind)
        if not points:
            continue
        path = " ".join(f"{px(l):.1f},{py(v):.1f}" for l, v in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="{COLORS[kind]}" stroke-width="2"/>')
        for l, v in points:
            out.append(f'<circle cx="{px(l):.1f}" cy="{py(v):.1f}" r="3" fill="{COLORS[kind]}"/>')
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: plot-attention.py RUNS.jsonl OUT.svg")
    with open(sys.argv[1]) as f:
        runs = [json.loads(line) for line in f if line.startswith("{")]
    first = runs[0]
    mode = ("causal, " if first["causal"] else "") + ("forward + backward" if first["backward"] else "forward")
    width, height = 900, 400
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="15">self-attention, '
           f'H {first["heads"]}, K {first["head_size"]}, B {first["batch"]}, {mode} (medians)</text>']
    svg += panel(80, 60, 330, 260, runs, "ms", "time per call", "ms")
    svg += panel(530, 60, 330, 260, runs, "peak_rss_mb", "peak resident memory", "MB")
    for index, kind in enumerate(("standard", "memory_efficient")):
        x = 300 + index * 190
        svg.append(f'<line x1="{x}" y1="{height - 14}" x2="{x + 24}" y2="{height - 14}" stroke="{COLORS[kind]}" stroke-width="2"/>')
        svg.append(f'<text x="{x + 30}" y="{height - 10}" font-size="12">{LABELS[kind]}</text>')
    svg.append("</svg>")
    with open(sys.argv[2], "w") as f:
        f.write("\n".join(svg) + "\n")


if __name__ == "__main__":
    main()
