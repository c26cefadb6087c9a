#!/usr/bin/env python3
"""Throughput against N, log-log, from bench-hyperscan's tables, as one SVG.

Reads the markdown tables `run.sh` prints (one file for the random-token corpus, one
for `--shapes`) and writes an SVG with one panel per text (clean, noise, hits): ours,
Hyperscan and aho-corasick (best of its kinds), one line style per corpus. Standard
library only, so it runs wherever Python 3 does. Usually run through `plot.sh`.

    python3 plot.py random.md shapes.md > ../docs/redaction-throughput.svg
"""

import math
import sys

TOOLS = [("ours", "#d62728"), ("Hyperscan", "#1f77b4"), ("aho-corasick", "#2ca02c")]
CORPORA = [("random tokens", ""), ("real shapes", "6,4")]
TEXTS = ["clean", "noise", "hits"]


def read(path):
    """{(text, tool): [(N, MiB/s)]} from one run's first table (later ones are skipped)."""
    series = {}
    header = None
    with open(path) as f:
        for line in f:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if cells[:2] == ["N", "text"]:
                if header is not None:
                    break  # the next table (the writer's floors)
                header = cells  # columns are found by name
                continue
            if header is None or len(cells) != len(header) or not cells[0].isdigit():
                continue
            n, text = int(cells[0]), cells[1]
            for tool, _ in TOOLS:
                series.setdefault((text, tool), []).append((n, float(cells[header.index(tool)])))
    return series


def main():
    runs = [read(p) for p in sys.argv[1:3]]
    w, h, pad = 330, 300, 55
    panels = [t for t in TEXTS if any((t, "ours") in r for r in runs)]
    values = [v for r in runs for pts in r.values() for _, v in pts if v > 0]
    ns = [n for r in runs for pts in r.values() for n, _ in pts]
    lo_v = 10 ** math.floor(math.log10(min(values)))
    hi_v = 10 ** math.ceil(math.log10(max(values)))
    lo_n, hi_n = min(ns), max(ns)
    out = []
    width = len(panels) * w + 40
    out.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h + 70}" '
        'font-family="sans-serif" font-size="11">'
    )
    out.append(f'<rect width="{width}" height="{h + 70}" fill="white"/>')

    def x(n, left):
        if hi_n == lo_n:
            return left + pad
        return left + pad + (math.log10(n) - math.log10(lo_n)) / (
            math.log10(hi_n) - math.log10(lo_n)
        ) * (w - pad - 15)

    def y(v):
        return 25 + (1 - (math.log10(v) - math.log10(lo_v)) / (
            math.log10(hi_v) - math.log10(lo_v)
        )) * (h - pad)

    for i, text in enumerate(panels):
        left = 20 + i * w
        out.append(f'<text x="{left + w / 2}" y="15" text-anchor="middle" font-weight="bold">{text} text</text>')
        # Axes and grid: decades of MiB/s, and each N measured.
        v = lo_v
        while v <= hi_v:
            out.append(f'<line x1="{left + pad}" x2="{left + w - 15}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#ddd"/>')
            out.append(f'<text x="{left + pad - 4}" y="{y(v) + 4:.1f}" text-anchor="end">{v:g}</text>')
            v *= 10
        for n in sorted(set(ns)):
            out.append(f'<text x="{x(n, left):.1f}" y="{h - pad + 40}" text-anchor="middle">{n:,}</text>')
        out.append(f'<text x="{left + w / 2}" y="{h - pad + 55}" text-anchor="middle">N (secrets)</text>')
        if i == 0:
            out.append(f'<text transform="translate({left + 12},{h / 2}) rotate(-90)" text-anchor="middle">MiB/s</text>')
        for run, (corpus, dash) in zip(runs, CORPORA):
            for tool, color in TOOLS:
                pts = sorted(run.get((text, tool), []))
                if not pts:
                    continue
                path = " ".join(f"{x(n, left):.1f},{y(max(v, lo_v)):.1f}" for n, v in pts)
                style = f' stroke-dasharray="{dash}"' if dash else ""
                out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"{style}/>')
    # Legend.
    lx, ly = 30, h + 55
    for tool, color in TOOLS:
        out.append(f'<line x1="{lx}" x2="{lx + 20}" y1="{ly}" y2="{ly}" stroke="{color}" stroke-width="2"/>')
        out.append(f'<text x="{lx + 24}" y="{ly + 4}">{tool}</text>')
        lx += 120
    for corpus, dash in CORPORA:
        style = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<line x1="{lx}" x2="{lx + 20}" y1="{ly}" y2="{ly}" stroke="black" stroke-width="2"{style}/>')
        out.append(f'<text x="{lx + 24}" y="{ly + 4}">{corpus}</text>')
        lx += 130
    out.append("</svg>")
    print("\n".join(out))


if __name__ == "__main__":
    main()
