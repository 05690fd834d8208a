"""A simulated {{ cookiecutter.device_name }}: for tests, and to try the driver.

Run it, and rtoc's device finds it at its default address, 127.0.0.1:5025::

    python -m {{ cookiecutter.package_name }}.simulator
    python -m {{ cookiecutter.package_name }}.simulator --port 0

(``--port 0``: any free port, printed at start). It speaks the protocol
described in the ``device`` module. Tests use :class:`Simulator` directly:
``stop()`` switches the instrument off (every connection drops, new ones are
refused), ``start()`` switches it on again on the same port, and
``garbage = "#?!"`` makes it answer every command with that.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import socket
import threading
import time

from .device import DEFAULT_PORT, OFFSET_RANGE, SIGNAL, UNIT

DEVICE = "{{ cookiecutter.device_name }}"

#: The reading swings around BASE by SWING over PERIOD seconds (before the offset).
BASE = 21.0
SWING = 1.0
PERIOD = 10.0


class Simulator:
    """The instrument: a TCP server answering one line per command line."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        #: The port it listens on (the free one chosen, once started with port 0).
        self.port = port
        #: Added to every reading; set by the ``OFFS`` command.
        self.offset = 0.0
        #: When set, the answer to every command (a broken instrument).
        self.garbage: str | None = None
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- switching it on and off ---------------------------------------------------

    def start(self) -> Simulator:
        """Listen (again: on the same port after :meth:`stop`); returns self."""
        if self._thread is not None:
            return self
        listener = socket.create_server((self.host, self.port))
        listener.settimeout(0.1)  # so the accepting thread notices stop() on every platform
        self.port = listener.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._accept, args=(listener, self._stop), name="simulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and drop every connection, as a switched-off instrument would."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        thread.join()  # the listener is closed when this returns
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by its client
                connection.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- what the instrument does --------------------------------------------------

    def reading(self) -> float:
        """The current reading, offset included."""
        return BASE + SWING * math.sin(2 * math.pi * time.time() / PERIOD) + self.offset

    def answer(self, command: str) -> str:
        """The answer line (without line end) to one command line."""
        if self.garbage is not None:
            return self.garbage
        if command == "MEAS?":
            return f"{self.reading():.3f}"
        if command.startswith("OFFS "):
            try:
                offset = float(command[5:])
            except ValueError:
                return "ERR offset is not a number"
            low, high = OFFSET_RANGE
            if not low <= offset <= high:  # also refuses nan
                return "ERR offset out of range"
            self.offset = offset
            return "OK"
        return f"ERR unknown command {command[:40]!r}"

    # -- the server ----------------------------------------------------------------

    def _accept(self, listener: socket.socket, stop: threading.Event) -> None:
        with listener:
            while not stop.is_set():
                try:
                    connection, _ = listener.accept()
                except TimeoutError:
                    continue
                except OSError:
                    return
                with self._lock:
                    self._connections.add(connection)
                threading.Thread(
                    target=self._serve, args=(connection,), name="simulator-client", daemon=True
                ).start()

    def _serve(self, connection: socket.socket) -> None:
        try:
            with connection, connection.makefile("rb") as lines:
                for line in lines:
                    command = line.decode("ascii", errors="replace").strip()
                    answer = self.answer(command).encode("ascii", errors="replace")
                    connection.sendall(answer + b"\n")
        except OSError:  # the client went away, or stop() cut the line
            pass
        finally:
            with self._lock:
                self._connections.discard(connection)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m {{ cookiecutter.package_name }}.simulator",
        description=f"A simulated {DEVICE} for rtoc, on a TCP port.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="port (0: any free one); %(default)s"
    )
    options = parser.parse_args(argv)
    with Simulator(options.host, options.port) as simulator:
        print(
            f"Simulated {DEVICE} ({SIGNAL} in {UNIT}) listening on "
            f"{simulator.host}:{simulator.port}; Ctrl-C to stop.",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)


if __name__ == "__main__":
    main()
