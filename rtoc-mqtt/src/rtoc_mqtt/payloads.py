"""Reading payloads: plain numbers (a whole batch at once), JSON objects, RTOC's TCP JSON."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from typing import Any, NamedTuple

import numpy as np


class PayloadError(ValueError):
    """A payload that holds no sample where one is expected; the message says what is wrong."""


class Block(NamedTuple):
    """Samples of one signal from one RTOC payload; ``x`` None: stamp them on arrival."""

    signal: str
    unit: str | None
    x: np.ndarray | None
    y: np.ndarray


def numbers(payloads: list[bytes]) -> tuple[np.ndarray, list[int]]:
    """The payloads as float64 and the indexes of those that are no number (left out).

    The batch is converted in one step; only a batch with a bad payload in it
    is looked at one by one.
    """
    try:
        return np.array(payloads, dtype=np.bytes_).astype(np.float64), []
    except ValueError:
        pass
    values, bad = [], []
    for index, payload in enumerate(payloads):
        try:
            values.append(float(payload))
        except ValueError:
            bad.append(index)
    return np.array(values, dtype=np.float64), bad


def describe(payload: bytes) -> str:
    """A short, printable view of a bad payload for a warning."""
    text = payload[:40].decode("utf-8", "replace")
    return repr(text) + ("..." if len(payload) > 40 else "")


def _load(payload: bytes) -> Any:
    try:
        return json.loads(payload)
    except (ValueError, UnicodeDecodeError) as error:
        raise PayloadError(f"not JSON: {error}") from None


def _at(data: Any, path: str) -> Any:
    """The item at a dotted path: keys of objects, indexes of lists."""
    for key in path.split("."):
        if isinstance(data, dict) and key in data:
            data = data[key]
        elif isinstance(data, list) and _index(key, len(data)):
            data = data[int(key)]
        else:
            raise PayloadError(f"no {path!r} in the JSON payload")
    return data


def _index(key: str, length: int) -> bool:
    return key.lstrip("-").isdigit() and -length <= int(key) < length


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PayloadError(f"{what} is not a number: {json.dumps(value)[:40]}")
    return float(value)


def _time(value: Any, path: str) -> float:
    """Unix seconds, or an ISO 8601 text (UTC when it names no zone)."""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise PayloadError(
                f"{path!r} is neither unix seconds nor ISO 8601: {value[:40]!r}"
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.timestamp()
    seconds = _number(value, repr(path))
    if not math.isfinite(seconds):
        raise PayloadError(f"{path!r} is not a finite time")
    return seconds


def json_value(payload: bytes, value_path: str, time_path: str) -> tuple[float | None, float]:
    """(time or None for the arrival time, value) of a JSON payload."""
    data = _load(payload)
    value = _number(_at(data, value_path), repr(value_path))
    return (_time(_at(data, time_path), time_path) if time_path else None), value


def _texts(data: dict[str, Any], key: str) -> list[str] | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    raise PayloadError(f"{key} must be a text or a list of texts")


def _array(data: dict[str, Any], key: str) -> np.ndarray:
    value = data[key]
    array = np.asarray(value if isinstance(value, list) else [value])
    if array.ndim != 1 or array.dtype.kind not in "fiu":
        raise PayloadError(f"{key} must be a number or a flat list of numbers")
    return array.astype(np.float64, copy=False)


def rtoc_blocks(payload: bytes) -> tuple[str, list[Block]]:
    """(dname, blocks) of RTOC's TCP JSON ``{"y", "sname", "dname", "x", "unit"}``.

    ``y`` holds one value per name in ``sname``, or many values of one name
    with ``x`` their times; a missing ``x`` is the arrival time.
    """
    data = _load(payload)
    if not isinstance(data, dict) or "y" not in data:
        raise PayloadError('an RTOC payload is an object with "y" (and "sname")')
    unknown = set(data) - {"x", "y", "sname", "dname", "unit"}
    if unknown:
        raise PayloadError(f"unknown key(s) {', '.join(sorted(unknown))} in an RTOC payload")
    names = _texts(data, "sname")
    if not names:
        raise PayloadError("sname: the signal name(s) of y are missing")
    units = _texts(data, "unit")
    device = data.get("dname") or ""
    if not isinstance(device, str):
        raise PayloadError("dname must be a text")
    ys = _array(data, "y")
    xs = None if data.get("x") in (None, []) else _array(data, "x")
    if xs is not None and (len(xs) != len(ys) or not np.isfinite(xs).all()):
        raise PayloadError(f"x must be {len(ys)} finite times, one per value of y")
    if units is not None and len(units) not in (1, len(names)):
        raise PayloadError(f"unit has {len(units)} entries but sname has {len(names)}")
    if len(names) == 1:
        return device, [Block(names[0], units[0] if units else None, xs, ys)]
    if len(names) != len(ys):
        raise PayloadError(f"sname has {len(names)} names but y has {len(ys)} values")
    return device, [
        Block(
            name,
            None if units is None else units[0 if len(units) == 1 else index],
            None if xs is None else xs[index : index + 1],
            ys[index : index + 1],
        )
        for index, name in enumerate(names)
    ]
