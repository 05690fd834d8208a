"""MATLAB ``.mat`` files, version 5 (scipy, the ``rtoc-core[mat]`` extra).

rtoc writes one variable, ``signals``: a struct array with the fields
``device``, ``name``, ``unit``, ``x`` and ``y`` (``signals(1).y`` in MATLAB),
and reads it back bit for bit. Of other files it reads every numeric vector,
and each column of a numeric matrix (``M_1``, ``M_2``...), also inside
structs (``s_field``). A vector called time, t, x... gives the timestamps of
the vectors as long as it (unix seconds); others count samples. Cell arrays,
text and empty variables are not signals: they are listed as skipped.
Version 7.3 files (HDF5) are read the same way through h5py (the
``rtoc-core[mat73]`` extra, :mod:`rtoc.io.mat_hdf5`); rtoc writes version 5.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rtoc.events import Event
from rtoc.io import mat_hdf5
from rtoc.io.csv_sniff import TIME_NAMES
from rtoc.io.formats import (
    BadRow,
    Block,
    ExportSignal,
    FileFormatError,
    ImportOptions,
    Target,
    require,
)

FIELDS = ("device", "name", "unit", "x", "y")


class MatFormat:
    name = "mat"
    suffixes = (".mat",)
    extra = "mat"

    def write(
        self, target: Target, signals: Iterable[ExportSignal], events: Sequence[Event]
    ) -> None:
        sio = require("scipy.io", "mat", "write .mat")
        signals = list(signals)
        table = np.empty(len(signals), dtype=[(field, object) for field in FIELDS])
        for i, s in enumerate(signals):
            x = np.asarray(s.x, np.float64)
            y = np.asarray(s.y, np.float64)
            table[i] = (s.device, s.name, s.unit, x, y)
        sio.savemat(target, {"signals": table}, do_compression=False, oned_as="column")

    def read(self, path: Path, options: ImportOptions) -> Iterator[Block]:
        variables = _variables(path)
        signals = variables.get("signals")
        if _is_rtoc_layout(signals):
            yield from _rtoc_blocks(path, signals)
            return
        vectors: dict[str, np.ndarray] = {}
        skipped: list[BadRow] = []
        for name, value in variables.items():
            _collect(name, value, vectors, skipped)
        time_name = options.time_column or next(
            (name for name in vectors if name.casefold() in TIME_NAMES), None
        )
        if time_name is not None and time_name not in vectors:
            raise FileFormatError(path, f"no numeric variable {time_name!r} for the time")
        times = vectors.pop(time_name) if time_name else None
        first = True
        for name, values in vectors.items():
            same = times is not None and len(times) == len(values)
            x = times if same else np.arange(len(values), dtype=np.float64)
            yield Block(x, {name: values}, skipped=skipped if first else ())
            first = False
        if first and skipped:
            yield Block(np.empty(0), {}, skipped=skipped)


def _variables(path: Path) -> dict[str, Any]:
    """The file's variables, by name, as scipy's ``loadmat(simplify_cells=True)`` gives them."""
    try:
        if mat_hdf5.is_hdf5(path):
            return mat_hdf5.load(path)
        sio = require("scipy.io", "mat", "read .mat")
        data = sio.loadmat(path, simplify_cells=True)
    except (ValueError, OSError, TypeError, NotImplementedError) as error:
        raise FileFormatError(path, f"not a MATLAB file rtoc can read: {error}") from None
    return {k: v for k, v in data.items() if not k.startswith("__")}


def _is_rtoc_layout(value: Any) -> bool:
    items = value if isinstance(value, list) else [value]
    return bool(items) and all(
        isinstance(item, dict) and {"device", "name", "x", "y"} <= item.keys() for item in items
    )


def _rtoc_blocks(path: Path, signals: Any) -> Iterator[Block]:
    for item in signals if isinstance(signals, list) else [signals]:
        label = f"{item['device']}.{item['name']}"
        x = np.atleast_1d(np.asarray(item["x"], np.float64))
        y = np.atleast_1d(np.asarray(item["y"], np.float64))
        if x.shape != y.shape:
            raise FileFormatError(path, f"signal {label}: x has {x.size} values, y {y.size}")
        unit = item.get("unit")
        yield Block(
            x, {label: y}, qualified=True, units={label: unit if isinstance(unit, str) else ""}
        )


def _collect(name: str, value: Any, vectors: dict[str, np.ndarray], skipped: list[BadRow]) -> None:
    """Numeric vectors and matrix columns under ``name``, structs walked into."""
    if isinstance(value, dict):
        for field, inner in value.items():
            _collect(f"{name}_{field}", inner, vectors, skipped)
        return
    if isinstance(value, mat_hdf5.Unreadable):
        skipped.append(BadRow(None, name, f"{value.kind}: not imported"))
        return
    if isinstance(value, (int, float, bool)) and not isinstance(value, bool):
        value = np.array([value])
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "biuf" or not value.size:
        kind = "a cell array" if isinstance(value, list) or _is_cell(value) else "not numbers"
        skipped.append(BadRow(None, name, f"{kind}: not imported"))
        return
    values = value.astype(np.float64)
    if values.ndim <= 1:
        vectors[name] = np.atleast_1d(values)
    elif values.ndim == 2:
        columns = values if values.shape[0] >= values.shape[1] else values.T
        for i in range(columns.shape[1]):
            vectors[f"{name}_{i + 1}"] = columns[:, i]
    else:
        skipped.append(BadRow(None, name, f"a {values.ndim}-dimensional array: not imported"))


def _is_cell(value: Any) -> bool:
    return isinstance(value, np.ndarray) and value.dtype == object
