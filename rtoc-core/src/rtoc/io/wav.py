"""WAV: each channel a signal, x from the sample rate.

Reading needs nothing for integer PCM (the standard library's ``wave``;
8, 16, 24 and 32 bit), and scipy (``rtoc-core[wav]``) for float WAVs.
Values are scaled to -1..1 (a 16-bit sample s is s / 32768, exactly), and x
counts seconds from the file's start: a WAV file has no clock time.

Writing resamples every signal (linear interpolation) onto one grid from the
first to the last timestamp of all of them, at the rate of the first
signal's median sampling interval (at most 192 kHz), and writes one float32
channel per signal (scipy). Gaps (NaN) become 0.
"""

from __future__ import annotations

import wave
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from rtoc.events import Event
from rtoc.files import write_atomically_binary
from rtoc.io.formats import Block, ExportSignal, FileFormatError, ImportOptions, Target, require

FRAMES = 1 << 20
MAX_RATE = 192_000


class WavFormat:
    name = "wav"
    suffixes = (".wav",)
    extra = None  # integer PCM needs nothing; float WAVs and writing need rtoc-core[wav]

    def read(self, path: Path, options: ImportOptions) -> Iterator[Block]:
        try:
            file = wave.open(str(path), "rb")  # noqa: SIM115 (closed below, after the errors)
        except wave.Error as error:
            if "unknown format: 3" in str(error):  # IEEE float
                yield from _read_float(path)
                return
            raise FileFormatError(path, f"not a WAV file rtoc can read: {error}") from None
        except EOFError:
            raise FileFormatError(path, "not a WAV file: it ends before its header") from None
        with file:
            channels, width, rate = file.getnchannels(), file.getsampwidth(), file.getframerate()
            labels = _labels(channels)
            done = 0
            while frames := file.readframes(FRAMES):
                values = _pcm(frames, width).reshape(-1, channels)
                x = (done + np.arange(len(values))) / rate
                done += len(values)
                yield Block(x, {label: values[:, i] for i, label in enumerate(labels)})

    def write(
        self, target: Target, signals: Iterable[ExportSignal], events: Sequence[Event]
    ) -> None:
        wavfile = require("scipy.io.wavfile", "wav", "write .wav")
        signals = list(signals)
        if not signals or not any(len(s.x) for s in signals):
            raise ValueError("a WAV file needs at least one sample")
        steps = np.diff(signals[0].x)
        step = float(np.median(steps[steps > 0])) if (steps > 0).any() else 1.0
        rate = max(1, min(MAX_RATE, round(1 / step)))
        start = min(float(np.nanmin(s.x)) for s in signals if len(s.x))
        end = max(float(np.nanmax(s.x)) for s in signals if len(s.x))
        grid = start + np.arange(int((end - start) * rate) + 1) / rate
        data = np.column_stack(
            [np.nan_to_num(np.interp(grid, s.x, s.y), nan=0.0) for s in signals]
        ).astype(np.float32)
        if isinstance(target, Path):
            with write_atomically_binary(target) as file:
                wavfile.write(file, rate, data)
        else:
            wavfile.write(target, rate, data)


def _labels(channels: int) -> list[str]:
    return ["audio"] if channels == 1 else [f"ch{i + 1}" for i in range(channels)]


def _pcm(frames: bytes, width: int) -> np.ndarray:
    """Little-endian PCM samples scaled to -1..1."""
    if width == 1:
        return (np.frombuffer(frames, np.uint8).astype(np.float64) - 128.0) / 128.0
    if width == 3:
        raw = np.frombuffer(frames, np.uint8).reshape(-1, 3).astype(np.int32)
        values = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
        values = np.where(values >= 1 << 23, values - (1 << 24), values)
        return values / float(1 << 23)
    kind = {2: "<i2", 4: "<i4"}[width]
    return np.frombuffer(frames, kind).astype(np.float64) / float(1 << (8 * width - 1))


def _read_float(path: Path) -> Iterator[Block]:
    wavfile = require("scipy.io.wavfile", "wav", "read float .wav files")
    rate, data = wavfile.read(path, mmap=True)
    data = data.reshape(len(data), -1)
    labels = _labels(data.shape[1])
    for start in range(0, len(data), FRAMES):
        part = np.asarray(data[start : start + FRAMES], dtype=np.float64)
        x = (start + np.arange(len(part))) / rate
        yield Block(x, {label: part[:, i] for i, label in enumerate(labels)})
