"""``/download``: the selected signals and range as CSV, streamed in slices.

A long range is never held whole: each signal is read a slice of time at a
time and written as it is read. The login guard of :mod:`rtoc_web.auth`
covers this route like every other; the route checks the read role again.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator
from typing import Any

import flask
import numpy as np

from rtoc.frontend import LoggerView
from rtoc.users import PermissionDenied, Role
from rtoc_web.config import WebConfig
from rtoc_web.plotrange import BadInput, parse_last, parse_signals

#: Samples per slice: a slice is read, written and dropped before the next.
SLICE_SAMPLES = 100_000


def register(server: flask.Flask, view: LoggerView, auth: Any, config: WebConfig) -> None:
    @server.route("/download")
    def download() -> flask.Response:
        try:
            auth.require(Role.READ, "download signals")
        except PermissionDenied as error:
            return flask.Response(str(error), status=403, mimetype="text/plain")
        args = flask.request.args
        try:
            keys = parse_signals(args.getlist("signal"))
            if not keys:
                raise BadInput("choose at least one signal")
            start, end = _number(args.get("start")), _number(args.get("end"))
            last = parse_last(args["last"], config.maxLatest) if "last" in args else None
            if (start is None) != (end is None) or (start is not None and start > end):
                raise BadInput("give start and end (unix seconds, start before end) or last")
            known = {info.key: info for info in view.signal_infos()}
            missing = [f"{d}.{n}" for d, n in keys if (d, n) not in known]
            if missing:
                raise BadInput(f"no such signal: {', '.join(missing)}")
        except BadInput as error:
            return flask.Response(str(error), status=400, mimetype="text/plain")
        rows = _rows(view, keys, known, start, end, last)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", "_".join(f"{d}.{n}" for d, n in keys))[:80]
        return flask.Response(
            flask.stream_with_context(rows),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name or "signals"}.csv"'},
        )


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise BadInput(f"not a time in unix seconds: {text!r}") from None
    if not math.isfinite(value):
        raise BadInput(f"not a time in unix seconds: {text!r}")
    return value


def _rows(
    view: LoggerView,
    keys: list,
    known: dict,
    start: float | None,
    end: float | None,
    last: int | None,
) -> Iterator[str]:
    """CSV text: device, signal, unit, x (unix seconds), y; one signal after another."""
    yield "device,signal,unit,x,y\n"
    for device, name in keys:
        info = known[(device, name)]
        if start is None or end is None:
            data = view.read(device, name, last=last)
            yield _csv(device, name, data.unit, data.x, data.y)
            continue
        for low, high in _slices(info, start, end):
            data = view.read(device, name, low, high)
            keep = data.x < high if high < end else np.ones(len(data.x), dtype=bool)
            yield _csv(device, name, data.unit, data.x[keep], data.y[keep])


def _slices(info: Any, start: float, end: float) -> Iterator[tuple[float, float]]:
    """``start..end`` cut so each slice holds about SLICE_SAMPLES of the signal's samples
    (from its mean rate); the last slice ends at ``end``, the others before their end."""
    first = info.first if info.first is not None else start
    last = info.last if info.last is not None else end
    rate = info.count / max(last - first, 1e-9) if info.count else 0.0
    step = max(SLICE_SAMPLES / rate, 1e-3) if rate else end - start
    low = max(start, first) if info.first is not None else start
    high_end = min(end, last) if info.last is not None else end
    if low > high_end:
        return
    while True:
        high = min(low + step, high_end)
        yield low, (high if high < high_end else end)
        if high >= high_end:
            return
        low = high


def _csv(device: str, name: str, unit: str, x: np.ndarray, y: np.ndarray) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows(
        (device, name, unit, repr(float(a)), repr(float(b))) for a, b in zip(x, y, strict=True)
    )
    return out.getvalue()
