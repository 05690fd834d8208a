"""A simulated VC820 on a pseudo-terminal: real FS9721 frames at 2400-baud pacing.

Open the printed path with pyserial (or ``rtoc run --device VC820 --set
VC820.port=PATH``) as if it were the meter's cable::

    python -m rtoc_vc820.simulator                 # 1.2 V DC, slowly varying
    python -m rtoc_vc820.simulator --cycle         # turns the knob every 10 frames
    python -m rtoc_vc820.simulator --frames rec.txt --link /tmp/ttyVC820

From Python (tests)::

    with Simulator(speed=5) as meter:      # 5x faster: a frame every 0.1 s
        meter.show("-1.234", "mV", dc=True, auto=True)
        meter.tear()                        # the next frame is cut short
        meter.send_raw(b"\\x00\\xff")         # noise on the line
        meter.pause(); meter.resume()       # meter off and on again
        meter.unplug(); meter.plug()        # the port disappears, and comes back
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import math
import os
import signal
import threading
import time
import tty
from collections.abc import Iterable, Iterator
from pathlib import Path

from rtoc_vc820.protocol import BYTE_TIME, FRAME_LENGTH, BadFrame, check_indices, encode

#: Seconds between two frames of a real meter (about 2 frames a second).
FRAME_INTERVAL = 0.5
#: Below this many seconds per byte, bytes are written in one go instead of one by one.
_PACING_FLOOR = 0.0005


def load_frames(path: str | Path) -> list[bytes]:
    """Frames recorded as text: one frame a line in hex ("17 28 35 ..."), ``#`` comments."""
    frames = []
    for number, line in enumerate(Path(path).read_text().splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            frame = bytes.fromhex(text)
            check_indices(frame)
        except (ValueError, BadFrame) as error:
            raise ValueError(f"{path}:{number}: not a 14-byte frame in hex: {error}") from None
        frames.append(frame)
    return frames


class Simulator:
    """A meter on a pseudo-terminal, sending a frame every ``interval / speed`` seconds.

    Each byte takes ``BYTE_TIME / speed`` on the line, as at 2400 baud. ``frames``
    (played in a loop) or :meth:`show` say what the display shows; by default
    "0.000 V DC AUTO". ``link``: also make this path a symlink to the pty (like a
    udev rule's /dev/serial/by-id/... name), kept pointing at the new pty after
    :meth:`plug`.
    """

    def __init__(
        self,
        frames: Iterable[bytes] | None = None,
        *,
        interval: float = FRAME_INTERVAL,
        speed: float = 1.0,
        link: str | Path | None = None,
    ) -> None:
        if not interval > 0 or not speed > 0:
            raise ValueError(f"interval and speed must be > 0, got {interval!r} and {speed!r}")
        self.interval = interval
        self.speed = speed
        self.link = Path(link) if link is not None else None
        self._lock = threading.Lock()
        self._frames: Iterator[bytes] = iter(())
        self._raw = bytearray()
        self._tear_next: int | None = None
        self._paused = False
        self._master: int | None = None
        self._slave: int | None = None
        self._pty_path = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: Frames written (whole or torn) since start.
        self.frames_sent = 0
        if frames is None:
            self.show("0.000", "V", dc=True, auto=True)
        else:
            self.play(frames)

    # -- what the meter shows ------------------------------------------------------------

    def show(self, text: str, unit: str = "V", **flags: bool | int) -> None:
        """Show this from the next frame on (arguments as :func:`rtoc_vc820.protocol.encode`)."""
        self.play([encode(text, unit, **flags)])  # type: ignore[arg-type]

    def play(self, frames: Iterable[bytes], loop: bool = True) -> None:
        """Send these frames, in a loop or once (then the meter is silent)."""
        if isinstance(frames, (list, tuple)):  # a recording: may hold garbage on purpose
            frames = [bytes(frame) for frame in frames]
            source: Iterator[bytes] = itertools.cycle(frames) if loop else iter(frames)
        else:  # a generator: played as it comes
            source = iter(frames)
        with self._lock:
            self._frames = source

    # -- faults ------------------------------------------------------------------------------

    def send_raw(self, data: bytes) -> None:
        """Send these bytes (noise, a torn frame ...) just before the next frame."""
        with self._lock:
            self._raw += data

    def tear(self, keep: int = 7) -> None:
        """Cut the next frame after ``keep`` bytes (a byte lost on the line or a torn frame)."""
        if not 0 <= keep < FRAME_LENGTH:
            raise ValueError(f"keep 0..{FRAME_LENGTH - 1} bytes of a frame, got {keep}")
        with self._lock:
            self._tear_next = keep

    def pause(self) -> None:
        """The meter is switched off: nothing is sent, the port stays."""
        with self._lock:
            self._paused = True

    def resume(self) -> None:
        """The meter is on again."""
        with self._lock:
            self._paused = False

    def unplug(self) -> None:
        """The cable is pulled: the pty is closed and its path disappears."""
        with self._lock:
            for fd in (self._master, self._slave):
                if fd is not None:
                    with contextlib.suppress(OSError):
                        os.close(fd)
            self._master = self._slave = None

    def plug(self) -> None:
        """The cable is back: a new pty (a new path; ``link`` follows it)."""
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no line editing: bytes pass as they are
        os.set_blocking(master, False)  # a full queue drops bytes (a UART overruns), never blocks
        path = os.ttyname(slave)
        with self._lock:
            old = (self._master, self._slave)
            self._master, self._slave, self._pty_path = master, slave, path
        for fd in old:
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        if self.link is not None:
            temporary = self.link.with_name(f".{self.link.name}.{os.getpid()}")
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
            temporary.symlink_to(path)
            os.replace(temporary, self.link)

    @property
    def path(self) -> str:
        """Where to connect: ``link`` if given, else the pty's path."""
        return str(self.link) if self.link is not None else self._pty_path

    # -- running -------------------------------------------------------------------------

    def start(self) -> Simulator:
        if self._thread is not None:
            return self
        if self._master is None:
            self.plug()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="vc820-simulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sending and close the pty (its path disappears)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        self.unplug()
        if self.link is not None:
            with contextlib.suppress(FileNotFoundError):
                self.link.unlink()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _run(self) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            if self._stop.wait(max(0.0, next_at - time.monotonic())):
                return
            period = self.interval / self.speed
            next_at = max(next_at + period, time.monotonic())
            with self._lock:
                if self._paused or self._master is None:
                    continue
                frame = next(self._frames, None)
                data = bytes(self._raw)
                self._raw.clear()
                if frame is not None:
                    if self._tear_next is not None:
                        frame, self._tear_next = frame[: self._tear_next], None
                    data += frame
                    self.frames_sent += 1
            self._write_paced(data)

    def _write_paced(self, data: bytes) -> None:
        """Write ``data`` as a 2400-baud line would deliver it (``speed`` times faster)."""
        byte_time = BYTE_TIME / self.speed
        if byte_time < _PACING_FLOOR:
            self._write(data)
            return
        start = time.monotonic()
        for index in range(len(data)):
            self._write(data[index : index + 1])
            delay = start + (index + 1) * byte_time - time.monotonic()
            if delay > 0 and self._stop.wait(delay):
                return

    def _write(self, data: bytes) -> None:
        with self._lock:  # the fd is not closed (and its number reused) meanwhile
            if self._master is None or not data:
                return
            # BlockingIOError: nobody reads and the queue is full, the bytes are lost
            # as on a real line; OSError: the pty is going away
            with contextlib.suppress(OSError):
                os.write(self._master, data)


# -- the command line -------------------------------------------------------------------


def drifting_voltage(start: float = 1.2) -> Iterator[bytes]:
    """A DC voltage wandering slowly around ``start`` volts (auto range)."""
    for count in itertools.count():
        volts = start + 0.05 * math.sin(count / 20)
        yield encode(f"{volts:.3f}", "V", dc=True, auto=True)


#: What ``--cycle`` shows, 10 frames each: (text, unit, flags).
KNOB = (
    ("1.234", "V", {"dc": True, "auto": True}),
    ("230.1", "V", {"ac": True, "auto": True}),
    ("12.34", "mA", {"dc": True}),
    ("4.701", "kΩ", {"auto": True}),
    ("0L", "MΩ", {"auto": True}),
    ("0.021", "Ω", {"beep": True}),
    ("0.583", "V", {"diode": True}),
    ("2.200", "µF", {}),
    ("50.00", "Hz", {"auto": True}),
    ("49.9", "%", {}),
    ("23", "°C", {}),
)


def turning_knob(frames_each: int = 10) -> Iterator[bytes]:
    """Every function of the meter in turn, ``frames_each`` frames each, forever."""
    for text, unit, flags in itertools.cycle(KNOB):
        frame = encode(text, unit, **flags)
        yield from itertools.repeat(frame, frames_each)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m rtoc_vc820.simulator",
        description="A simulated VC820 multimeter on a pseudo-terminal, until Ctrl-C.",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--cycle", action="store_true", help="turn the knob every 10 frames")
    source.add_argument("--frames", metavar="FILE", help="play recorded frames (hex, one a line)")
    parser.add_argument("--speed", type=float, default=1.0, help="play this many times faster")
    parser.add_argument("--link", metavar="PATH", help="also make PATH a symlink to the pty")
    args = parser.parse_args(argv)
    if args.frames:
        frames: Iterable[bytes] = load_frames(args.frames)
    elif args.cycle:
        frames = turning_knob()
    else:
        frames = drifting_voltage()
    simulator = Simulator(frames, speed=args.speed, link=args.link)
    # SIGTERM (kill, systemd) ends it as cleanly as Ctrl-C: the pty and the link go away
    signal.signal(signal.SIGTERM, _interrupt)
    with simulator:
        print(f"VC820 simulator on {simulator.path} (2400 baud 8N1); Ctrl-C to stop.")
        print(f"Try: rtoc run --device VC820 --set VC820.port={simulator.path}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    main()
