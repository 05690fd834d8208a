"""MATLAB v7.3 ``.mat`` files (HDF5) through h5py, the ``rtoc-core[mat73]`` extra.

A v7.3 file is HDF5 behind a 512-byte header (``MATLAB 7.3 MAT-file...``).
Each variable is a dataset, or a group for a struct, with its MATLAB class
in the attribute ``MATLAB_class``; arrays are stored transposed (MATLAB is
column-major), text as UTF-16 code units, cells and the fields of struct
arrays as references into ``#refs#``. :func:`load` turns the file into what
``scipy.io.loadmat(path, simplify_cells=True)`` gives for a v5 file
(numbers as arrays, structs as dicts, struct arrays and cells as lists,
text as str), so :mod:`rtoc.io.mat` reads both the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from rtoc.io.formats import require

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
USERBLOCK = 512
NUMERIC = {
    "double",
    "single",
    "logical",
    *(f"{sign}int{bits}" for sign in ("", "u") for bits in (8, 16, 32, 64)),
}


class Unreadable:
    """A variable that is not numbers (sparse, complex, objects): listed as skipped."""

    def __init__(self, kind: str) -> None:
        self.kind = kind


def is_hdf5(path: Path) -> bool:
    """A v7.3 file: HDF5's signature at the start or behind MATLAB's 512-byte header."""
    with open(path, "rb") as file:
        head = file.read(len(HDF5_SIGNATURE))
        file.seek(USERBLOCK)
        behind = file.read(len(HDF5_SIGNATURE))
    return HDF5_SIGNATURE in (head, behind)


def load(path: Path) -> dict[str, Any]:
    """Every variable of the file by name (``#refs#`` and ``#subsystem#`` left out)."""
    h5py = require("h5py", "mat73", "read MATLAB v7.3 (HDF5) .mat files")
    with h5py.File(path, "r") as file:
        return {name: _value(file, item) for name, item in file.items() if not name.startswith("#")}


def _class(item: Any) -> str:
    kind = item.attrs.get("MATLAB_class", b"")
    return kind.decode() if isinstance(kind, bytes) else str(kind)


def _value(file: Any, item: Any) -> Any:
    import h5py

    kind = _class(item)
    if isinstance(item, h5py.Group):
        if kind not in ("struct", ""):
            return Unreadable(
                f"a {kind} ({'sparse' if 'MATLAB_sparse' in item.attrs else 'object'})"
            )
        return _struct(file, item)
    if item.attrs.get("MATLAB_empty", 0):
        return "" if kind == "char" else np.empty(0)
    if item.dtype == h5py.ref_dtype:
        values = [_value(file, file[ref]) for ref in np.asarray(item).T.ravel()]
        return values  # a cell array (or an element of a struct array's field, unpacked above)
    data = np.asarray(item).T
    if kind == "char":
        return "".join(map(chr, data.ravel(order="F"))) if data.ndim <= 2 else Unreadable("text")
    if kind not in NUMERIC or data.dtype.kind not in "biuf":
        return Unreadable("complex numbers" if data.dtype.names else kind or "not numbers")
    if data.ndim == 2 and 1 in data.shape:
        return data.ravel()
    return data


def _struct(file: Any, group: Any) -> Any:
    """A scalar struct as a dict; a struct array (fields of references) as a list of dicts."""
    import h5py

    fields = {name: group[name] for name in group}
    referenced = [
        item
        for item in fields.values()
        if isinstance(item, h5py.Dataset) and item.dtype == h5py.ref_dtype and not _class(item)
    ]
    if fields and len(referenced) == len(fields):
        columns = {name: _value(file, item) for name, item in fields.items()}
        count = min(len(values) for values in columns.values())
        items = [{name: values[i] for name, values in columns.items()} for i in range(count)]
        return items[0] if count == 1 else items
    return {name: _value(file, item) for name, item in fields.items()}
