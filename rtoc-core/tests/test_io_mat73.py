"""MATLAB v7.3 files: HDF5 in MATLAB's layout behind its 512-byte header, written by h5py."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import scipy.io

from rtoc.io.formats import MissingExtra
from rtoc.io.ingest import read_file
from rtoc.io.mat import MatFormat

h5py = pytest.importorskip("h5py", reason="h5py (rtoc-core[mat73]) is not installed")

HEADER = (
    b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Sun Dec  6 12:00:00 2026 "
    b"HDF5 schema 1.00 ."
)


def matlab_v73(path, fill) -> None:
    """An HDF5 file with a 512-byte userblock holding MATLAB's header, as ``save -v7.3`` writes."""
    with h5py.File(path, "w", userblock_size=512) as file:
        fill(file)
    with open(path, "r+b") as out:
        out.write(HEADER.ljust(116, b" ") + bytes(8) + b"\x00\x02IM")


def array(group, name, matlab_value, kind="double"):
    """A MATLAB array: stored transposed (MATLAB is column-major), its class as an attribute."""
    data = np.asarray(matlab_value)
    data = data.reshape(1, -1) if data.ndim == 1 else data  # a 1-D value is a row vector
    dataset = group.create_dataset(name, data=data.T)
    dataset.attrs["MATLAB_class"] = np.bytes_(kind)
    return dataset


def text(group, name, value):
    return array(group, name, np.array([[ord(c) for c in value]], dtype=np.uint16), "char")


def references(file, group, name, values, kind=None):
    """A 1-by-N array of references into ``#refs#`` (a cell, or a struct array's field)."""
    refs = file.require_group("#refs#")
    targets = []
    for value in values:
        number = f"r{len(refs)}"
        if isinstance(value, str):
            targets.append(text(refs, number, value).ref)
        else:
            targets.append(array(refs, number, value).ref)
    dataset = group.create_dataset(name, data=np.array([targets], dtype=h5py.ref_dtype).T)
    if kind:
        dataset.attrs["MATLAB_class"] = np.bytes_(kind)


def signals_of(path):
    with read_file(path, MatFormat(), device="D") as parsed:
        found = {key: parsed.samples(key) for key in parsed.signals}
        units = {key: s.unit for key, s in parsed.signals.items()}
        return found, units, sorted(bad.describe(path.name) for bad in parsed.skipped)


def test_v73_vectors_matrix_columns_struct_fields_and_what_is_skipped(tmp_path):
    path = tmp_path / "lab.mat"

    def fill(file):
        array(file, "t", [[10.0], [11.0], [12.0]])  # a column vector
        array(file, "U", [1.0, 2.0, 3.0])  # a row vector
        array(file, "M", np.array([[1, 2], [3, 4], [5, 6]], dtype=np.int16), "int16")
        run = file.create_group("run")
        run.attrs["MATLAB_class"] = np.bytes_("struct")
        array(run, "T", [20.5, 21.0, 21.5])
        text(run, "note", "warm")
        references(file, file, "c", [[1.0], "text"], kind="cell")
        array(file, "other", np.arange(5.0))
        array(file, "flag", np.array([1, 0, 1], dtype=np.uint8), "logical")
        empty = array(file, "nothing", np.array([0, 0], dtype=np.uint64))
        empty.attrs["MATLAB_empty"] = np.uint8(1)
        pair = np.dtype([("real", "<f8"), ("imag", "<f8")])
        array(file, "z", np.array([(1.0, 2.0)], dtype=pair))
        sparse = file.create_group("S")
        sparse.attrs["MATLAB_class"] = np.bytes_("double")
        sparse.attrs["MATLAB_sparse"] = np.uint64(3)

    matlab_v73(path, fill)
    with pytest.raises(NotImplementedError, match="HDF reader"):  # scipy knows the header too
        scipy.io.loadmat(path)
    found, _, skipped = signals_of(path)
    assert found[("D", "U")][0].tolist() == [10.0, 11.0, 12.0]
    assert found[("D", "U")][1].tolist() == [1.0, 2.0, 3.0]
    assert found[("D", "M_1")][1].tolist() == [1.0, 3.0, 5.0]
    assert found[("D", "M_2")][1].tolist() == [2.0, 4.0, 6.0]
    assert found[("D", "run_T")][1].tolist() == [20.5, 21.0, 21.5]
    assert found[("D", "flag")][1].tolist() == [1.0, 0.0, 1.0]
    assert found[("D", "other")][0].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]  # not as long as t
    assert set(found) == {("D", n) for n in ("U", "M_1", "M_2", "run_T", "flag", "other")}
    assert skipped == [
        "lab.mat column 'S': a double (sparse): not imported",
        "lab.mat column 'c': a cell array: not imported",
        "lab.mat column 'nothing': not numbers: not imported",
        "lab.mat column 'run_note': not numbers: not imported",
        "lab.mat column 'z': complex numbers: not imported",
    ]


def test_v73_struct_array_in_rtoc_s_layout_reads_bit_for_bit(tmp_path):
    """rtoc's export (a struct array ``signals``) saved again by MATLAB with ``-v7.3``."""
    rng = np.random.default_rng(7)
    x = 1.7e9 + np.cumsum(rng.random(200))
    u = rng.normal(size=200)
    i = np.array([np.inf, -0.0, 1e-310])
    path = tmp_path / "export73.mat"

    def fill(file):
        signals = file.create_group("signals")
        signals.attrs["MATLAB_class"] = np.bytes_("struct")
        for field, values in {
            "device": ["PSU", "PSU"],
            "name": ["U", "I"],
            "unit": ["V", ""],
            "x": [x.reshape(-1, 1), x[:3].reshape(-1, 1)],
            "y": [u.reshape(-1, 1), i.reshape(-1, 1)],
        }.items():
            references(file, signals, field, values)

    matlab_v73(path, fill)
    found, units, skipped = signals_of(path)
    assert not skipped and units == {("PSU", "U"): "V", ("PSU", "I"): ""}
    assert found[("PSU", "U")][0].tobytes() == x.tobytes()
    assert found[("PSU", "U")][1].tobytes() == u.tobytes()
    assert found[("PSU", "I")][1].tobytes() == i.tobytes()


def test_v73_without_h5py_names_the_extra(tmp_path, monkeypatch):
    path = tmp_path / "lab.mat"
    matlab_v73(path, lambda file: array(file, "U", [1.0]))
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(MissingExtra, match=r"install 'rtoc-core\[mat73\]' to read MATLAB v7\.3"):
        read_file(path, MatFormat())
