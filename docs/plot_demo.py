"""Draw what ``rtoc run --demo`` recorded as an SVG chart (docs/demo.svg in the README).

    rtoc --home /tmp/demo run --demo --duration 40
    python docs/plot_demo.py /tmp/demo docs/demo.svg

It reads the embedded store the way any tool would, through the storage API.
"""

from __future__ import annotations

import sys
from html import escape
from pathlib import Path

import numpy as np

from rtoc.storage.sqlite import SQLiteStorage

PANELS = [  # (device, signal, colour)
    [("Generator", "Sine", "#1f77b4"), ("Generator", "Square", "#ff7f0e")],
    [("System", "CPU", "#2ca02c"), ("System", "Memory", "#d62728")],
]
WIDTH, PANEL_HEIGHT, MARGIN = 760, 170, 48
CAPTION = "rtoc run --demo, read back from rtoc.sqlite"


def polyline(x, y, x_range, y_range, top, colour):
    (x0, x1), (y0, y1) = x_range, y_range
    px = MARGIN + (x - x0) / max(x1 - x0, 1e-9) * (WIDTH - 2 * MARGIN)
    py = top + PANEL_HEIGHT - 20 - (y - y0) / max(y1 - y0, 1e-9) * (PANEL_HEIGHT - 40)
    points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py, strict=True))
    return f'<polyline fill="none" stroke="{colour}" stroke-width="1.6" points="{points}"/>'


def render(home: Path) -> str:
    storage = SQLiteStorage(home / "rtoc.sqlite")
    data = {(d, s): storage.read(d, s) for panel in PANELS for d, s, _ in panel}
    units = {info.key: info.unit for info in storage.signals()}
    storage.close()
    t0 = min(float(samples.x.min()) for samples in data.values() if len(samples.x))
    t1 = max(float(samples.x.max()) for samples in data.values() if len(samples.x))
    height = len(PANELS) * PANEL_HEIGHT + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
    ]
    for index, panel in enumerate(PANELS):
        top = 10 + index * PANEL_HEIGHT
        values = np.concatenate([data[(d, s)].y for d, s, _ in panel])
        low, high = float(values.min()), float(values.max())
        pad = (high - low) * 0.1 or 1.0
        y_range = (low - pad, high + pad)
        parts.append(
            f'<rect x="{MARGIN}" y="{top}" width="{WIDTH - 2 * MARGIN}" '
            f'height="{PANEL_HEIGHT - 20}" fill="none" stroke="#bbb"/>'
        )
        parts.append(f'<text x="4" y="{top + 14}">{y_range[1]:.3g}</text>')
        parts.append(f'<text x="4" y="{top + PANEL_HEIGHT - 22}">{y_range[0]:.3g}</text>')
        for k, (device, signal, colour) in enumerate(panel):
            x, y = data[(device, signal)]
            parts.append(polyline(x, y, (t0, t1), y_range, top, colour))
            label = escape(f"{device}.{signal} [{units.get((device, signal), '')}]")
            parts.append(
                f'<text x="{MARGIN + 8 + 190 * k}" y="{top + 16}" fill="{colour}">{label}</text>'
            )
    parts.append(
        f'<text x="{MARGIN}" y="{height - 8}">0 s</text>'
        f'<text x="{WIDTH - MARGIN - 40}" y="{height - 8}">{t1 - t0:.0f} s</text>'
        f'<text x="{WIDTH / 2 - 120}" y="{height - 8}">{CAPTION}</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts)


if __name__ == "__main__":
    Path(sys.argv[2]).write_text(render(Path(sys.argv[1])))
