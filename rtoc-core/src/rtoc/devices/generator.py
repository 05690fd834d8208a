"""``Generator``: RTOC's default "Funktionsgenerator", a source of test signals.

It needs no hardware, so it is what the demo records and what a new user
starts first to see data arrive.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from rtoc.device import Device

if TYPE_CHECKING:
    from rtoc.logger import Logger

#: The waveforms :func:`waveform_value` knows.
WAVEFORMS = ("sine", "square", "sawtooth", "triangle", "noise")


def check_waveform(kind: str) -> str:
    """Return ``kind`` normalised to one of :data:`WAVEFORMS`, or raise ValueError."""
    normalised = str(kind).strip().lower()
    if normalised not in WAVEFORMS:
        raise ValueError(f"unknown waveform {kind!r}; choose one of: {', '.join(WAVEFORMS)}")
    return normalised


def waveform_value(
    kind: str,
    t: ArrayLike,
    amplitude: float = 1.0,
    frequency: float = 1.0,
    offset: float = 0.0,
    phase: float = 0.0,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """The value of a waveform at time(s) ``t`` (seconds), with ``t``'s shape.

    Every periodic waveform starts its cycle like ``sin``: 0 and rising at
    ``t = 0`` (square: ``+amplitude`` for the first half cycle), so the
    waveforms of one generator are in phase. ``phase`` (radians) shifts the
    cycle forward; ``offset`` is added last. ``noise`` is uniform in
    ``offset ± amplitude``, drawn from ``rng`` (pass a seeded
    ``numpy.random.default_rng(seed)`` for repeatable noise).
    """
    kind = check_waveform(kind)
    times = np.asarray(t, dtype=np.float64)
    if kind == "noise":
        generator = rng if rng is not None else np.random.default_rng()
        return generator.uniform(-amplitude, amplitude, times.shape) + offset
    # the position within the cycle, 0 <= cycle < 1; taking it modulo 1 before
    # scaling by 2*pi keeps precision for unix-time-sized t
    cycle = np.mod(frequency * times + phase / (2 * np.pi), 1.0)
    if kind == "sine":
        unit = np.sin(2 * np.pi * cycle)
    elif kind == "square":
        unit = np.where(cycle < 0.5, 1.0, -1.0)
    elif kind == "sawtooth":
        unit = 2 * np.mod(cycle + 0.5, 1.0) - 1
    else:  # triangle
        unit = 1 - 4 * np.abs(np.mod(cycle + 0.25, 1.0) - 0.5)
    return amplitude * unit + offset


class Generator(Device):
    """Function generator: streams "Sine", "Square" and "Wave" (the selected waveform).

    All three share ``amplitude`` (V), ``frequency`` (Hz), ``offset`` (V) and
    ``phase`` (radians); ``waveform`` picks the shape of "Wave".
    """

    samplerate = 10.0
    waveform = "sine"
    amplitude = 1.0
    frequency = 0.1
    offset = 0.0
    phase = 0.0

    def __init__(
        self, logger: Logger | None = None, name: str | None = None, *, seed: int | None = None
    ) -> None:
        super().__init__(logger, name)
        self._rng = np.random.default_rng(seed)

    def set_waveform(self, kind: str) -> None:
        """Select the shape of "Wave": sine, square, sawtooth, triangle or noise."""
        self.set_parameter("waveform", kind)

    def validate_parameter(self, name: str, value: Any) -> Any:
        if name == "waveform":
            return check_waveform(value)
        return super().validate_parameter(name, value)

    def sample(self) -> None:
        now = time.time()
        shape = (self.amplitude, self.frequency, self.offset, self.phase)
        values = [
            float(waveform_value("sine", now, *shape)),
            float(waveform_value("square", now, *shape)),
            float(waveform_value(self.waveform, now, *shape, rng=self._rng)),
        ]
        self.stream(values, ["Sine", "Square", "Wave"], unit="V", x=now)
