"""The {{ cookiecutter.device_name }}, read over a line-based TCP protocol.

Each command is one line of ASCII, answered by one line::

    MEAS?          ->  21.503     the current reading (the signal below, in its unit)
    OFFS 1.5       ->  OK         add 1.5 to every reading from now on
    anything else  ->  ERR ...

``python -m {{ cookiecutter.package_name }}.simulator`` speaks it on 127.0.0.1:5025.
Replace :class:`Connection` and the commands with your instrument's own; keep
every exchange inside ``self._link`` so that lost connections, garbage and
recovery are handled the way rtoc users expect (see ``rtoc.link``).
"""

from __future__ import annotations

import math
import socket

import rtoc
from rtoc.device import DeviceError
from rtoc.link import BadAnswer, ConnectionLost, Link

SIGNAL = "{{ cookiecutter.signal_name }}"
UNIT = "{{ cookiecutter.unit }}"
#: Where the instrument listens unless the ``address`` parameter says otherwise.
DEFAULT_PORT = 5025
DEFAULT_ADDRESS = f"127.0.0.1:{DEFAULT_PORT}"
#: Offsets the instrument accepts, in {{ cookiecutter.unit }}.
OFFSET_RANGE = (-100.0, 100.0)
#: Seconds to wait for the instrument to answer one command.
TIMEOUT = 1.0
#: Longest answer line accepted, in bytes.
MAX_LINE = 256


def split_address(address: str) -> tuple[str, int]:
    """``"host:port"`` as ``(host, port)``; ValueError says what is wrong."""
    host, _, port = address.rpartition(":")  # no colon: host is ""
    if not host or not port.isdecimal() or not 0 < int(port) < 65536:
        raise ValueError(f"address {address!r} is not HOST:PORT, e.g. {DEFAULT_ADDRESS}")
    return host, int(port)


class Connection:
    """One open TCP connection to the instrument: a command line out, an answer line back."""

    def __init__(self, address: str) -> None:
        self._socket = socket.create_connection(split_address(address), timeout=TIMEOUT)
        self._lines = self._socket.makefile("rb")

    def ask(self, command: str) -> str:
        """Send ``command``, return the answer line without its line end.

        Raises :class:`ConnectionLost` when the line breaks: the link reconnects.
        """
        self._socket.sendall(command.encode("ascii") + b"\n")
        line = self._lines.readline(MAX_LINE)
        if not line:
            raise ConnectionLost("the instrument closed the connection")
        if not line.endswith(b"\n"):  # cut off or too long: start over on a fresh line
            raise ConnectionLost(f"incomplete answer {line[:40]!r}")
        return line.decode("ascii", errors="replace").strip()

    def close(self) -> None:
        self._lines.close()
        self._socket.close()


def read_value(connection: Connection) -> float:
    """One reading; BadAnswer (the link drops it) when the answer is not one, e.g. ``ERR``."""
    answer = connection.ask("MEAS?")
    try:
        value = float(answer)
    except ValueError:
        raise BadAnswer(f"not a number: {answer!r}") from None
    if not math.isfinite(value):
        raise BadAnswer(f"not a finite number: {answer!r}")
    return value


class {{ cookiecutter.class_name }}(rtoc.Device):
    """{{ cookiecutter.description | wordwrap(88, wrapstring="\n    ") }}

    {% filter wordwrap(88, wrapstring="\n    ") -%}
    Streams "{{ cookiecutter.signal_name }}" in {{ cookiecutter.unit }} from the instrument at ``address`` (HOST:PORT).
    {%- endfilter %}
    """

    samplerate = 2.0
    #: HOST:PORT of the instrument (a parameter: settable with rtoc run --set).
    address = DEFAULT_ADDRESS

    def __init__(self, logger=None, name=None) -> None:
        super().__init__(logger, name)
        # Opened on first use; ``address`` is read whenever it (re)connects.
        self._link: Link[Connection] = Link(
            self, open=lambda: Connection(self.address), what=lambda: self.address
        )

    def sample(self) -> None:
        value = self._link.poll(read_value)
        if value is not None:
            self.stream(value, SIGNAL, unit=UNIT)

    def set_offset(self, offset: float) -> None:
        """Make the instrument add ``offset`` (-100 to 100) to every reading."""
        try:
            value = float(offset)
        except (TypeError, ValueError):
            raise DeviceError(f"{self.name}.set_offset takes a number, got {offset!r}") from None
        low, high = OFFSET_RANGE
        if isinstance(offset, bool) or not low <= value <= high:  # also refuses nan
            raise DeviceError(
                f"{self.name}.set_offset takes {low:g} to {high:g} {UNIT}, got {offset!r}"
            )
        answer = self._link.require(lambda connection: connection.ask(f"OFFS {value!r}"))
        if answer != "OK":
            raise DeviceError(f"{self.name}: the instrument refused offset {value!r}: {answer!r}")

    def on_stop(self) -> None:
        self._link.close()
