"""``Heliotherm``: a Heliotherm heat pump (RCG2 controller) over Modbus TCP, as an rtoc device.

Each sample reads the input registers 10..75 and the holding registers
100..127 in two requests (the register map is in :mod:`rtoc_heliotherm.protocol`)
and streams every value that makes sense. The connection goes through
:class:`rtoc.link.Link`: pyModbusTCP's ``ModbusClient`` answers ``None`` on
any failure, and ``last_error`` / ``last_except`` / ``is_open`` tell which:

* no connection, a timeout, the socket closed: :class:`rtoc.link.ConnectionLost`
  (one warning per outage, retried with back-off, an info event when back);
* a Modbus exception answer or a torn frame on an open socket: the answer is
  garbage (:class:`rtoc.link.BadAnswer`), dropped with a warning;
* one value that cannot be true (a missing sensor reads -50.0 °C, 0x8000 is
  -3276.8 °C): only that value is dropped, the others are stored. A warning
  says when a register starts reading invalid values, an info event when it
  reads valid ones again; nothing in between.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar, TypeVar

from pyModbusTCP.client import ModbusClient
from pyModbusTCP.constants import MB_EXCEPT_ERR, MB_RECV_ERR

from rtoc.device import Device, DeviceError
from rtoc.events import Priority
from rtoc.link import BadAnswer, ConnectionLost, Link
from rtoc_heliotherm.protocol import (
    DEFAULT_PORT,
    DEFAULT_UNIT_ID,
    HOLDING_COUNT,
    HOLDING_START,
    HOT_WATER_RANGE,
    HR_EXTERNAL_DEMAND,
    HR_HOT_WATER_MINIMUM,
    HR_HOT_WATER_SETPOINT,
    HR_MODE,
    HR_RESET_ERROR,
    HR_ROOM_SETPOINT,
    INPUT_COUNT,
    INPUT_START,
    REGISTERS,
    ROOM_SETPOINT_RANGE,
    Decoded,
    ProtocolError,
    Rejected,
    check_temperature,
    decode,
    decode_temperature,
    encode_temperature,
    mode_label,
    parse_mode,
)

if TYPE_CHECKING:
    from rtoc.logger import Logger

T = TypeVar("T")

_ON_WORDS = frozenset({"1", "on", "true", "yes", "ein", "an"})
_OFF_WORDS = frozenset({"0", "off", "false", "no", "aus"})


class Refused(Exception):
    """The pump answered a write with a Modbus exception: it will not take the value."""


def _failure(client: ModbusClient, what: str) -> Exception:
    """The exception a failed pyModbusTCP request means, for :class:`Link` to sort out."""
    if client.last_error == MB_EXCEPT_ERR:
        return BadAnswer(
            f"{what}: the pump answered with Modbus exception {client.last_except} "
            f"({client.last_except_as_txt})"
        )
    if client.last_error == MB_RECV_ERR and client.is_open:
        # the socket is fine but the frame was not (byte count, length): garbage
        return BadAnswer(f"{what}: malformed answer ({client.last_error_as_txt})")
    return ConnectionLost(f"{what}: {client.last_error_as_txt}")


def read_registers(client: ModbusClient, holding: bool, address: int, count: int) -> list[int]:
    """``count`` input (function 4) or holding (function 3) registers from ``address``.

    pyModbusTCP checks the answer's byte count: a list it returns has ``count`` values.
    """
    read = client.read_holding_registers if holding else client.read_input_registers
    registers = read(address, count)
    if registers is None:
        kind = "holding" if holding else "input"
        raise _failure(client, f"reading {kind} registers {address}..{address + count - 1}")
    return registers


def write_registers(client: ModbusClient, address: int, values: Sequence[int]) -> list[int]:
    """Write holding registers (function 6 or 16) and read back what the pump holds."""
    what = f"writing holding register {address}"
    if len(values) == 1:
        written = client.write_single_register(address, values[0])
    else:
        written = client.write_multiple_registers(address, list(values))
    if not written:
        if client.last_error == MB_EXCEPT_ERR:
            raise Refused(f"Modbus exception {client.last_except} ({client.last_except_as_txt})")
        raise _failure(client, what)
    return read_registers(client, True, address, len(values))


def read_all(client: ModbusClient) -> Decoded:
    """One sample: both register blocks, decoded (ProtocolError if they cannot be)."""
    inputs = read_registers(client, False, INPUT_START, INPUT_COUNT)
    holdings = read_registers(client, True, HOLDING_START, HOLDING_COUNT)
    return decode(inputs, holdings)


class Heliotherm(Device):
    """Heliotherm heat pump (RCG2 controller) over Modbus TCP.

    Streams its temperatures (°C), pressures (bar), pumps, compressor and
    valves (0/1), compressor speed (%), COP, operating hours (h), energy
    counters (kWh), power (W, kW), operating mode, set-points and error state.
    Raises an info event when the operating mode changes or an error clears,
    a warning when an error appears. A register reading values that cannot be
    true is warned about once, and an info event says when it is valid again.
    Functions set the operating mode, the room and hot-water set-points and
    the external demand, and reset errors.
    """

    name: ClassVar[str] = "Heliotherm"
    #: Samples per second: one every 10 s (the pump's values change slowly;
    #: RTOC's plugin polled once a second, Home Assistant's every 15 s).
    samplerate = 0.1
    #: The pump's address in the local network (set it to yours).
    host = "192.168.1.2"
    port = DEFAULT_PORT
    unit_id = DEFAULT_UNIT_ID
    #: Seconds to wait for a connection or an answer.
    timeout = 5.0

    def __init__(self, logger: Logger | None = None, name: str | None = None) -> None:
        super().__init__(logger, name)
        self._link: Link[ModbusClient] = Link(
            self,
            open=self._connect,
            what=lambda: f"{self.host}:{self.port}",
            garbage_on=(ProtocolError,),
        )
        self._mode: float | None = None
        self._error: float | None = None
        #: Signals whose register reads invalid values now (warned about once).
        self._invalid: set[str] = set()

    # -- connection ---------------------------------------------------------------------

    def _connect(self) -> ModbusClient:
        # a host, port or unit id ModbusClient does not take raises ValueError: the
        # link reports it as "cannot connect to HOST:PORT: ..." and tries again later
        client = ModbusClient(
            host=str(self.host),
            port=int(self.port),
            unit_id=int(self.unit_id),
            timeout=float(self.timeout),
            auto_open=True,
        )
        if not client.open():
            raise ConnectionLost(client.last_error_as_txt)
        return client

    def on_stop(self) -> None:
        self._link.close()
        self._mode = self._error = None
        self._invalid = set()  # a value still invalid after a restart is reported again

    # -- sampling -------------------------------------------------------------------------

    def sample(self) -> None:
        decoded = self._link.poll(read_all)
        if decoded is None:
            return
        now = time.time()
        readings = decoded.readings
        self.stream(
            [reading.value for reading in readings],
            [reading.name for reading in readings],
            unit=[reading.unit for reading in readings],
            x=now,
        )
        values = decoded.values()
        self._check_invalid(decoded.rejected, values, now)
        self._check_mode(values.get("Operating mode"), now)
        self._check_error(values.get("Error"), now)

    def _check_invalid(
        self, rejected: Sequence[Rejected], values: dict[str, float], now: float
    ) -> None:
        """Warn when a register starts reading invalid values; say when it is valid again.

        Once per outage, not per sample: a sensor that is not fitted reads
        -50.0 °C for good, and repeated warnings about it would bury the rest.
        """
        for value in rejected:
            if value.name in self._invalid:
                continue
            self._invalid.add(value.name)
            self.event(
                f"{REGISTERS[value.name].location} reads an invalid value: {value.reason} "
                f"(raw 0x{value.raw:04X}); its values are dropped until they are valid again",
                value.name,
                priority=Priority.WARNING,
                id="invalid-value",
                x=now,
            )
        for name in [name for name in values if name in self._invalid]:
            self._invalid.remove(name)
            register = REGISTERS[name]
            self.event(
                f"{register.location} reads valid values again: "
                f"{values[name]:g} {register.unit}".rstrip(),
                name,
                priority=Priority.INFO,
                id="invalid-value",
                value=values[name],
                x=now,
            )

    def _check_mode(self, mode: float | None, now: float) -> None:
        if mode is None:
            return
        previous, self._mode = self._mode, mode
        if previous is not None and mode != previous:
            self.event(
                f"operating mode changed from {mode_label(int(previous))} "
                f"to {mode_label(int(mode))}",
                "Operating mode",
                priority=Priority.INFO,
                id="mode",
                value=mode,
                x=now,
            )

    def _check_error(self, error: float | None, now: float) -> None:
        if error is None:
            return
        previous, self._error = self._error, error
        if error and error != previous:
            self.event(
                f"the pump reports an error (Störung), code {error:g}",
                "Error",
                priority=Priority.WARNING,
                id="error",
                value=error,
                x=now,
            )
        elif not error and previous:
            self.event(
                f"the error (code {previous:g}) is cleared",
                "Error",
                priority=Priority.INFO,
                id="error",
                value=error,
                x=now,
            )

    # -- functions ----------------------------------------------------------------------------

    def _write(self, address: int, values: Sequence[int], what: str) -> list[int]:
        """Write holding registers through the link; DeviceError if it cannot be done."""

        def use(client: ModbusClient) -> list[int] | Refused:
            try:
                return write_registers(client, address, values)
            except Refused as refused:  # an answer, not a broken link: say it, not drop it
                return refused

        result = self._link.require(use)
        if isinstance(result, Refused):
            raise DeviceError(f"{self.name}: the pump refused {what}: {result}")
        return result

    def _call(self, check: Callable[[], T]) -> T:
        try:
            return check()
        except ValueError as error:
            raise DeviceError(f"{self.name}: {error}") from None

    def set_operating_mode(self, mode: str | int) -> str:
        """Set the operating mode by number or name (English or German).

        0 off (Aus), 1 auto (Automatik), 2 cooling (Kühlen), 3 summer (Sommer),
        4 always on (Dauerbetrieb), 5 setback (Absenkung), 6 holiday (Urlaub),
        7 party (Party). Returns the mode the pump now reports.
        """
        number = self._call(lambda: parse_mode(mode))
        (now,) = self._write(HR_MODE, [number], f"operating mode {mode!r}")
        return mode_label(now)

    def set_room_temperature(self, celsius: float) -> float:
        """Set the room temperature set-point, 10..25 °C (0.1 °C steps).

        Returns the set-point the pump now holds.
        """
        value = self._call(
            lambda: check_temperature(celsius, "room temperature set-point", ROOM_SETPOINT_RANGE)
        )
        (raw,) = self._write(
            HR_ROOM_SETPOINT, [encode_temperature(value)], f"room temperature {value} °C"
        )
        return decode_temperature(raw)

    def set_hot_water_temperature(self, celsius: float, minimum: float | None = None) -> float:
        """Set the hot-water temperature (normal, 5..65 °C), and its minimum if given.

        The pump heats the tank to ``celsius`` once it has cooled below
        ``minimum``; the minimum may not be above the normal temperature, the
        one the pump holds when ``minimum`` is not given.
        Returns the hot-water temperature the pump now holds.
        """
        normal = self._call(
            lambda: check_temperature(celsius, "hot water temperature", HOT_WATER_RANGE)
        )
        if minimum is None:
            self._check_held_minimum(normal)
            (raw,) = self._write(
                HR_HOT_WATER_SETPOINT, [encode_temperature(normal)], f"hot water {normal} °C"
            )
            return decode_temperature(raw)
        low = self._call(lambda: check_temperature(minimum, "hot water minimum", HOT_WATER_RANGE))
        if low > normal:
            raise DeviceError(
                f"{self.name}: hot water minimum {minimum!r} °C is above the hot water "
                f"temperature {celsius!r} °C"
            )
        assert HR_HOT_WATER_MINIMUM == HR_HOT_WATER_SETPOINT + 1
        raw, _ = self._write(
            HR_HOT_WATER_SETPOINT,
            [encode_temperature(normal), encode_temperature(low)],
            f"hot water {normal} °C, minimum {low} °C",
        )
        return decode_temperature(raw)

    def _check_held_minimum(self, normal: float) -> None:
        """Refuse a hot-water temperature below the minimum the pump holds now.

        This catches a mistake; it cannot keep someone at the pump's panel
        from raising the minimum between this read and the write.
        """
        (raw,) = self._link.require(
            lambda client: read_registers(client, True, HR_HOT_WATER_MINIMUM, 1)
        )
        held = decode_temperature(raw)
        if held > normal:
            raise DeviceError(
                f"{self.name}: hot water temperature {normal:g} °C is below the hot water "
                f"minimum {held:g} °C the pump holds; pass minimum=... "
                f"({HOT_WATER_RANGE[0]:g}..{normal:g} °C) to set both in one call"
            )

    def set_external_demand(self, on: bool | int | str) -> bool:
        """Switch the external demand ("Externe Anforderung") on (1) or off (0).

        Returns the state the pump now holds.
        """
        state = self._call(lambda: _switch(on, "external demand"))
        (raw,) = self._write(HR_EXTERNAL_DEMAND, [int(state)], f"external demand {on!r}")
        return bool(raw)

    def reset_error(self) -> None:
        """Acknowledge (reset) the pump's error ("Entstören")."""
        self._write(HR_RESET_ERROR, [1], "the error reset")


def _switch(value: object, what: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _ON_WORDS or word in _OFF_WORDS:
            return word in _ON_WORDS
    raise ValueError(f"{what} takes on/off (1/0, true/false), got {value!r}")
