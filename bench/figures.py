"""How every bench script reports: one JSON line per figure on stdout."""

from __future__ import annotations

import json


def emit(
    figure: str, value: float, unit: str, target: str, digits: int = 3, **extra: object
) -> None:
    """Print ``{"figure", "value", "unit", "target", ...extra}`` as one line, at once."""
    line = {"figure": figure, "value": round(value, digits), "unit": unit, "target": target}
    print(json.dumps({**line, **extra}), flush=True)
