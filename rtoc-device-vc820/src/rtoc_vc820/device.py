"""``VC820``: a Voltcraft VC820 / HoldPeak VC820-family multimeter on its serial cable.

The meter sends its display about twice a second, one way, whether anyone
listens or not. Each :meth:`VC820.sample` reads what arrived since the last
one, cuts it into frames (:class:`~rtoc_vc820.protocol.FrameAssembler`),
decodes them and streams the newest valid one, stamped with the time it was
read. At the default 2 Hz, that is every frame the meter sends; at a lower
rate the older frames of a batch are checked but not stored.

What goes wrong, and what the user sees (once, through :class:`rtoc.link.Link`):

* no complete frame for ``timeout`` seconds (meter off, cable pulled, meter's
  RS232 not switched on): one warning; the port is closed and opened again
  with back-off until frames arrive, then an info event says it is back;
* the port disappears (USB adapter unplugged): the same;
* a torn or garbled frame, or noise between frames: dropped with a warning
  (at most one a minute), never stored;
* "0L" (overload): no value stored, a warning per signal at most once a minute.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, ClassVar

import serial

from rtoc.device import Device, DeviceError
from rtoc.events import Priority, RepeatFilter
from rtoc.link import ConnectionLost, Link
from rtoc_vc820.protocol import BAUDRATE, BadFrame, FrameAssembler, Reading, decode

if TYPE_CHECKING:
    from rtoc.logger import Logger

#: Seconds between reads while waiting for the first frame after opening the port.
_WAIT_STEP = 0.05
#: How often the same overload, or a low battery, is reported again (seconds).
OVERLOAD_REPEAT = 60.0
BATTERY_REPEAT = 600.0


class VC820(Device):
    """Voltcraft VC820 / HoldPeak VC820-family multimeter (FS9721_LP3 chip), read over its
    optically isolated RS232/USB cable at 2400 baud.

    Streams one signal named after what the function knob measures ("Voltage DC",
    "Current AC", "Resistance", "Capacitance", "Frequency", "Temperature", "Duty cycle",
    "Diode", "Continuity", "hFE"), in base SI units (V, A, Ω, F, Hz, %, °C).
    """

    name: ClassVar[str] = "VC820"
    #: Samples per second; the meter sends about 2 frames a second.
    samplerate = 2.0
    #: The serial port of the meter's cable.
    port = "/dev/ttyUSB0"
    #: Seconds without a complete frame before the meter counts as lost.
    timeout = 3.0

    def __init__(self, logger: Logger | None = None, name: str | None = None) -> None:
        super().__init__(logger, name)
        self._link: Link[serial.Serial] = Link(
            self, self._open, what=lambda: self.port, max_delay=5.0
        )
        self._assembler = FrameAssembler()
        self._pending: list[bytes] = []  # frames read while opening, not yet decoded
        self._last_frame_at = 0.0  # time.monotonic() of the newest complete frame
        self._latest: Reading | None = None
        self._stopping = threading.Event()
        self._overloads = RepeatFilter(OVERLOAD_REPEAT)
        self._battery = RepeatFilter(BATTERY_REPEAT)

    # -- functions -----------------------------------------------------------------------

    def display(self) -> str:
        """The meter's display now, as text, e.g. "-1.234 mV DC AUTO" or "0L MΩ"."""
        self._link.require(self._take)
        if self._latest is None:
            raise DeviceError(f"{self.name}: no valid frame from {self.port} yet")
        return self._latest.describe()

    # -- lifecycle -----------------------------------------------------------------------

    def on_start(self) -> None:
        if not self.timeout > 0:
            raise DeviceError(
                f"{self.name}.timeout is the seconds without data before the meter counts as "
                f"lost, and must be > 0 (the meter sends every 0.5 s; 3 is usual), "
                f"got {self.timeout!r}"
            )
        if not str(self.port).strip():
            raise DeviceError(f"{self.name}.port must name a serial port, e.g. /dev/ttyUSB0")

    def stop(self, timeout: float = 5.0) -> None:
        """End sampling; also ends a wait for the meter's first frame at once."""
        self._stopping.set()
        try:
            super().stop(timeout)
        finally:  # sampling has ended: display() may wait for a frame again
            self._stopping.clear()

    def on_stop(self) -> None:
        self._link.close()

    def sample(self) -> None:
        self._link.poll(self._take)

    # -- the connection ------------------------------------------------------------------

    def _open(self) -> serial.Serial:
        """Open the port and wait until the meter's first complete frame arrives.

        Opening succeeds only when the meter is heard, so that the Link says
        "connected again" when frames flow, not when a port of a switched-off
        meter opens.
        """
        port = serial.Serial()
        port.port = self.port
        port.baudrate = BAUDRATE
        port.bytesize = serial.EIGHTBITS
        port.parity = serial.PARITY_NONE
        port.stopbits = serial.STOPBITS_ONE
        port.timeout = 0  # reads return what has arrived, never wait
        # the cable's optocoupler is powered from DTR; RTS must be low (as sigrok sets it)
        port.dtr = True
        port.rts = False
        port.open()
        try:
            port.reset_input_buffer()  # what queued while nobody listened is old
            self._assembler = FrameAssembler()
            self._pending = []
            self._latest = None
            received = 0
            deadline = time.monotonic() + self.timeout
            while not self._pending:
                data = _read_available(port)
                received += len(data)
                self._pending = self._assembler.feed(data)
                if self._pending or self._stopping.is_set():
                    break
                if time.monotonic() >= deadline:
                    heard = (
                        f"{received} bytes arrived but formed no frame (wrong port?)"
                        if received
                        else "nothing arrived (is the meter on, with RS232 switched on?)"
                    )
                    raise ConnectionLost(f"no frame from the meter in {self.timeout:g} s: {heard}")
                self._stopping.wait(_WAIT_STEP)
        except BaseException:
            port.close()
            raise
        self._last_frame_at = time.monotonic()
        return port

    def _take(self, port: serial.Serial) -> Reading | None:
        """Read what arrived, stream the newest valid frame; raise for garbage or silence."""
        frames = self._pending + self._assembler.feed(_read_available(port))
        self._pending = []
        now = time.monotonic()
        if frames:
            self._last_frame_at = now
        elif now - self._last_frame_at > self.timeout and not self._stopping.is_set():
            raise ConnectionLost(
                f"no frame from the meter for {now - self._last_frame_at:.1f} s "
                "(switched off or cable pulled?)"
            )
        problems = []
        newest = None
        for frame in frames:
            try:
                newest = decode(frame)
            except BadFrame as error:
                problems.append(str(error))
        if newest is not None:
            self._show(newest, time.time())
        skipped = self._assembler.take_skipped()
        if skipped:
            problems.append(f"skipped {skipped} bytes of torn frames or line noise")
        if problems:
            raise BadFrame("; ".join(problems))
        return newest

    # -- what a reading becomes ----------------------------------------------------------

    def _show(self, reading: Reading, x: float) -> None:
        previous, self._latest = self._latest, reading
        signal = reading.signal
        for flag, meaning in (("hold", "display held (HOLD)"), ("rel", "relative mode (REL)")):
            now_on = getattr(reading, flag)
            if now_on != (getattr(previous, flag) if previous is not None else False):
                self.event(f"{meaning} {'on' if now_on else 'off'}", signal, id=flag, x=x)
        if reading.battery_low:
            held_back = self._battery.admit("battery")
            if held_back is not None:
                self.event(
                    f"the meter's battery is low{RepeatFilter.suffix(held_back)}",
                    signal,
                    priority=Priority.WARNING,
                    id="battery",
                    x=x,
                )
        if reading.value is None:
            held_back = self._overloads.admit(signal)
            if held_back is not None:
                self.event(
                    f"overload ({reading.text} {reading.display_unit}): "
                    f"no value stored{RepeatFilter.suffix(held_back)}",
                    signal,
                    priority=Priority.WARNING,
                    id="overload",
                    x=x,
                )
            return
        self.stream(reading.value, signal, unit=reading.unit, x=x)


def _read_available(port: serial.Serial) -> bytes:
    """Every byte that has arrived; b"" when none. A vanished port raises SerialException."""
    # read at least 1 so that a hung-up port is noticed (in_waiting may just say 0)
    return port.read(max(1, port.in_waiting))
