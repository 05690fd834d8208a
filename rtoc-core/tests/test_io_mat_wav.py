"""MATLAB and WAV files, written by scipy.io and the standard wave module."""

from __future__ import annotations

import wave

import numpy as np
import pytest
import scipy.io
import scipy.io.wavfile

from rtoc.io.formats import ExportSignal, FileFormatError
from rtoc.io.ingest import read_file
from rtoc.io.mat import MatFormat
from rtoc.io.wav import WavFormat


def signals_of(path, importer, device="D"):
    with read_file(path, importer, device=device) as parsed:
        found = {key: parsed.samples(key) for key in parsed.signals}
        units = {key: s.unit for key, s in parsed.signals.items()}
        return found, units, [bad.describe(path.name) for bad in parsed.skipped]


def test_mat_round_trip_bit_for_bit(tmp_path):
    rng = np.random.default_rng(5)
    x = 1.7e9 + np.cumsum(rng.random(500))
    exported = [
        ExportSignal("PSU", "U", "V", x, rng.normal(size=500)),
        ExportSignal("PSU", "I", "", x[:3], np.array([np.inf, -0.0, 1e-310])),
    ]
    path = tmp_path / "out.mat"
    MatFormat().write(path, exported, [])
    found, units, skipped = signals_of(path, MatFormat())
    assert not skipped and units == {("PSU", "U"): "V", ("PSU", "I"): ""}
    for signal in exported:
        got_x, got_y = found[(signal.device, signal.name)]
        assert got_x.tobytes() == signal.x.tobytes() and got_y.tobytes() == signal.y.tobytes()


def test_mat_of_vectors_matrices_structs_and_cells(tmp_path):
    path = tmp_path / "lab.mat"
    scipy.io.savemat(
        path,
        {
            "t": np.array([10.0, 11.0, 12.0]),
            "U": np.array([[1.0], [2.0], [3.0]]),  # a column vector
            "M": np.array([[1, 2], [3, 4], [5, 6]], dtype=np.int16),
            "run": {"T": np.array([20.5, 21.0, 21.5]), "note": "warm"},
            "c": np.array([np.array([1.0]), "text"], dtype=object),  # a cell array
            "other": np.arange(5.0),
        },
    )
    found, _, skipped = signals_of(path, MatFormat())
    assert found[("D", "U")][0].tolist() == [10.0, 11.0, 12.0]
    assert found[("D", "U")][1].tolist() == [1.0, 2.0, 3.0]
    assert found[("D", "M_2")][1].tolist() == [2.0, 4.0, 6.0]
    assert found[("D", "run_T")][1].tolist() == [20.5, 21.0, 21.5]
    assert found[("D", "other")][0].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]  # not as long as t
    assert skipped == [
        "lab.mat column 'run_note': not numbers: not imported",
        "lab.mat column 'c': a cell array: not imported",
    ]


def test_a_file_that_is_not_matlab_is_refused(tmp_path):
    path = tmp_path / "fake.mat"
    path.write_bytes(b"hello" * 100)
    with pytest.raises(FileFormatError, match=r"fake\.mat: not a MATLAB file"):
        read_file(path, MatFormat())


def write_wav(path, channels: int, width: int, rate: int, frames: bytes) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.setframerate(rate)
        out.writeframes(frames)


def test_wav_16_bit_stereo_and_24_bit_mono(tmp_path):
    stereo = np.array([[0, -32768], [16384, 32767]], dtype="<i2")
    write_wav(tmp_path / "s.wav", 2, 2, 8000, stereo.tobytes())
    found, _, _ = signals_of(tmp_path / "s.wav", WavFormat())
    assert found[("D", "ch1")][0].tolist() == [0.0, 1 / 8000]
    assert found[("D", "ch1")][1].tolist() == [0.0, 0.5]
    assert found[("D", "ch2")][1].tolist() == [-1.0, 32767 / 32768]
    samples = [-(1 << 23), 1, (1 << 23) - 1]
    frames = b"".join(value.to_bytes(3, "little", signed=True) for value in samples)
    write_wav(tmp_path / "m.wav", 1, 3, 100, frames)
    found, _, _ = signals_of(tmp_path / "m.wav", WavFormat())
    assert found[("D", "audio")][1].tolist() == [v / (1 << 23) for v in samples]


def test_wav_export_resamples_and_reads_back(tmp_path):
    x = np.arange(0, 1, 1 / 1000)
    y = np.sin(2 * np.pi * 5 * x)
    path = tmp_path / "tone.wav"
    WavFormat().write(path, [ExportSignal("G", "sine", "", x, y)], [])
    rate, data = scipy.io.wavfile.read(path)
    assert rate == 1000 and data.dtype == np.float32
    found, _, _ = signals_of(path, WavFormat())  # float WAV: through scipy
    got_x, got_y = found[("D", "audio")]
    assert np.allclose(got_x, x) and np.allclose(got_y, y, atol=1e-6)


def test_a_broken_wav_is_refused(tmp_path):
    path = tmp_path / "broken.wav"
    path.write_bytes(b"RIFF")
    with pytest.raises(FileFormatError, match=r"broken\.wav: not a WAV file"):
        read_file(path, WavFormat())
