"""``DPS5020``: an RD/Joy-IT DPS programmable power supply as an rtoc device.

Each sample reads the 13 registers U-SET .. VERSION in one Modbus request
(function 0x03) with minimalmodbus, scales them by the model the supply
reports, and streams them. Functions write single registers (function 0x10).
The connection goes through :class:`rtoc.link.Link`: a supply that is
unplugged or silent is one warning, retried with back-off; an answer with a
bad CRC or impossible values is dropped with a warning.
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

import minimalmodbus
import serial

from rtoc.device import Device, DeviceError
from rtoc.events import Priority
from rtoc.link import Link
from rtoc_dps5020.protocol import (
    BLOCK_COUNT,
    BLOCK_START,
    Mode,
    ModelSpec,
    Protection,
    ProtocolError,
    Register,
    Status,
    decode_status,
    encode_current,
    encode_voltage,
    model_spec,
)

if TYPE_CHECKING:
    from rtoc.logger import Logger

#: (signal, unit, reading) in the order they are streamed; names as in RTOC's DPS5020 plugin.
SIGNALS: tuple[tuple[str, str, Callable[[Status], float]], ...] = (
    ("VOut", "V", lambda s: s.voltage),
    ("IOut", "A", lambda s: s.current),
    ("POut", "W", lambda s: s.power),
    ("VIn", "V", lambda s: s.input_voltage),
    ("VSet", "V", lambda s: s.voltage_set),
    ("ISet", "A", lambda s: s.current_set),
    ("Mode", "", lambda s: float(s.mode)),
    ("Protection", "", lambda s: float(s.protection)),
    ("Output", "", lambda s: float(s.output)),
)

if sys.platform == "win32":
    _TTY_ERRORS: tuple[type[Exception], ...] = ()
else:
    import termios

    #: A tty that was hung up (USB adapter unplugged, the simulator's pty closed) fails
    #: pyserial's flush with termios.error, which is no OSError.
    _TTY_ERRORS = (termios.error,)

_MODE_TEXT = {Mode.CV: "constant voltage (CV)", Mode.CC: "constant current (CC)"}
_SWITCH_WORDS = {"true": True, "on": True, "1": True, "false": False, "off": False, "0": False}


class _Refused(Exception):
    """The supply answered a write with a Modbus exception (e.g. illegal data value)."""


class DPS5020(Device):
    """RD/Joy-IT DPS power supply (DPS5020, DPS5015, DPS5005, DPS3005 ...) over Modbus RTU.

    Signals: VOut, VSet, VIn (V); IOut, ISet (A); POut (W); Mode (0 CV, 1 CC);
    Protection (0 ok, 1 OVP, 2 OCP, 3 OPP); Output (0 off, 1 on).
    Events: a warning when a protection trips, info when CV/CC changes.
    """

    name: ClassVar[str] = "DPS5020"
    samplerate = 1.0
    #: Serial port of the supply's USB adapter.
    port = "/dev/ttyUSB0"
    #: Modbus slave address set on the supply (1..247).
    address = 1
    #: Baud rate set on the supply (9600 by default).
    baudrate = 9600
    #: Seconds to wait for an answer (> 0).
    timeout = 1.0
    #: Model whose scaling to use: 0 reads it from the supply; e.g. 5020 uses the DPS5020's.
    model = 0

    def __init__(self, logger: Logger | None = None, name: str | None = None) -> None:
        super().__init__(logger, name)
        self._link: Link[minimalmodbus.Instrument] = Link(
            self,
            self._open,
            what=lambda: self.port,
            close=_close,
            # a bad CRC, a torn frame or impossible values: garbage, keep the port
            garbage_on=(minimalmodbus.InvalidResponseError, ProtocolError),
            # no answer, or the port itself failed (all minimalmodbus errors are OSErrors)
            lost_on=(minimalmodbus.NoResponseError, serial.SerialException, OSError, *_TTY_ERRORS),
        )
        self._spec: ModelSpec | None = None
        #: The spec the ``model`` parameter forces (None: the supply's MODEL register says).
        self._forced: ModelSpec | None = None
        self._protection: Protection | None = None
        self._mode: Mode | None = None

    # -- sampling ----------------------------------------------------------------------

    def sample(self) -> None:
        status = self._link.poll(self._read_status)
        if status is None:
            return
        now = time.time()
        self.stream(
            [read(status) for _, _, read in SIGNALS],
            [signal for signal, _, _ in SIGNALS],
            unit=[unit for _, unit, _ in SIGNALS],
            x=now,
        )
        self._report_changes(status, now)

    def on_stop(self) -> None:
        self._link.close()

    def _open(self) -> minimalmodbus.Instrument:
        """Open the port (not in ``on_start``: a missing supply must not stop the start).

        A bad parameter raises ValueError here, so that it reads "cannot connect
        to PORT: ..." like any other reason the port cannot be used.
        """
        address = int(self.address)
        if not 1 <= address <= 247:
            raise ValueError(f"the Modbus address must be 1..247, got {self.address!r}")
        timeout = _timeout(self.timeout)
        self._forced = _forced_model(self.model)
        port = serial.Serial(
            port=self.port,
            baudrate=int(self.baudrate),
            bytesize=serial.EIGHTBITS,
            parity=serial.PARITY_NONE,
            stopbits=serial.STOPBITS_ONE,
            timeout=timeout,
            write_timeout=timeout,
            exclusive=True,
        )
        # an instance we own, not minimalmodbus's shared per-name port cache
        instrument = minimalmodbus.Instrument(port, address, minimalmodbus.MODE_RTU)
        instrument.clear_buffers_before_each_transaction = True
        return instrument

    def _read_status(self, instrument: minimalmodbus.Instrument) -> Status:
        try:
            registers = instrument.read_registers(BLOCK_START, BLOCK_COUNT)
        except minimalmodbus.SlaveReportedException as error:
            raise ProtocolError(f"the supply answered with an exception: {error}") from error
        status = decode_status(registers, self._forced)
        self._learn_model(status, registers[Register.MODEL])
        return status

    def _learn_model(self, status: Status, reported: int) -> None:
        """Say which model is connected, once, and again if it changes."""
        spec = status.model
        if spec == self._spec:
            return
        self._spec = spec
        forced = (
            f"; scaled as set by the model parameter, the supply reports model number {reported}"
            if reported != spec.code
            else ""
        )
        if spec.known:
            self.event(
                f"{spec.name} (firmware {status.version}) at {self.port}{forced}",
                priority=Priority.INFO,
                id="model",
                value=spec.code,
            )
        else:
            self.event(
                f"unknown model number {spec.code} at {self.port}; assuming "
                f"{spec.max_voltage:g} V, {spec.max_current:g} A, current in "
                f"{spec.current_decimals} decimals{forced}",
                priority=Priority.WARNING,
                id="model",
                value=spec.code,
            )

    def _report_changes(self, status: Status, now: float) -> None:
        protection, previous = status.protection, self._protection
        self._protection = protection
        if protection != previous and (protection or previous is not None):
            tripped = protection != Protection.OK
            self.event(
                f"{protection.text} tripped, output is off" if tripped else "protection reset",
                sname="Protection",
                priority=Priority.WARNING if tripped else Priority.INFO,
                id="protection",
                value=float(protection),
                x=now,
            )
        mode, previous_mode = status.mode, self._mode
        self._mode = mode
        if previous_mode is not None and mode != previous_mode:
            self.event(
                f"now in {_MODE_TEXT[mode]}",
                sname="Mode",
                priority=Priority.INFO,
                id="mode",
                value=float(mode),
                x=now,
            )

    # -- functions -----------------------------------------------------------------------

    def set_voltage(self, volts: float) -> None:
        """Set the output voltage (U-SET) in V: 0..50 V on a DPS5020 (0..the model's maximum)."""
        number = self._number(volts, "voltage", "V")
        spec = self._model()
        self._write(Register.U_SET, self._in_range(encode_voltage, number, spec), f"{number:g} V")

    def set_current(self, amps: float) -> None:
        """Set the current limit (I-SET) in A: 0..20 A on a DPS5020 (0..the model's maximum)."""
        number = self._number(amps, "current", "A")
        spec = self._model()
        self._write(Register.I_SET, self._in_range(encode_current, number, spec), f"{number:g} A")

    def output(self, on: bool) -> None:
        """Switch the output on (True) or off (False); switching on resets a tripped protection."""
        value = self._switch(on, "output")
        self._write(Register.ONOFF, int(value), "on" if value else "off")

    def lock(self, on: bool) -> None:
        """Lock (True) or unlock (False) the supply's front-panel keys."""
        value = self._switch(on, "lock")
        self._write(Register.LOCK, int(value), "on" if value else "off")

    def _number(self, value: object, what: str, unit: str) -> float:
        try:
            if isinstance(value, bool):
                raise TypeError(value)
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise DeviceError(
                f"{self.name}: {what} must be a number of {unit}, got {value!r}"
            ) from None
        if math.isnan(number) or number < 0:
            raise DeviceError(f"{self.name}: {what} must be >= 0 {unit}, got {value!r}")
        return number

    def _in_range(
        self, encode: Callable[[float, ModelSpec], int], number: float, spec: ModelSpec
    ) -> int:
        try:
            return encode(number, spec)
        except ValueError as error:
            raise DeviceError(f"{self.name}: {error} of the {spec.name}") from None

    def _switch(self, on: object, what: str) -> bool:
        if isinstance(on, bool):
            return on
        if isinstance(on, int) and on in (0, 1):
            return bool(on)
        if isinstance(on, str) and on.strip().lower() in _SWITCH_WORDS:
            return _SWITCH_WORDS[on.strip().lower()]
        raise DeviceError(f"{self.name}: {what} takes True or False (on/off, 1/0), got {on!r}")

    def _model(self) -> ModelSpec:
        """The connected model, read from the supply if not known yet."""
        if self._spec is None:
            self._link.require(self._read_status)
        assert self._spec is not None
        return self._spec

    def _write(self, register: Register, value: int, shown: str) -> None:
        def write(instrument: minimalmodbus.Instrument) -> None:
            try:
                instrument.write_register(register, value, functioncode=16)
            except minimalmodbus.SlaveReportedException as error:
                raise _Refused(str(error)) from error

        try:
            self._link.require(write)
        except _Refused as refused:
            raise DeviceError(
                f"{self.name}: the supply refused {register.name} = {shown} "
                f"(register value {value}): {refused}"
            ) from None


def _timeout(value: object) -> float:
    """The ``timeout`` parameter in seconds; ValueError unless it is a finite number > 0.

    0 would make every read "no answer", and pyserial refuses a negative one.
    """
    seconds = _as_float(value)
    if seconds is None or not 0 < seconds < math.inf:
        raise ValueError(f"the timeout must be a finite number of seconds > 0, got {value!r}")
    return seconds


def _forced_model(value: object) -> ModelSpec | None:
    """The spec the ``model`` parameter sets, or None for 0 (read the MODEL register)."""
    code = _as_float(value)
    if code == 0:
        return None
    if code is not None and code.is_integer():
        with contextlib.suppress(ProtocolError):  # a number that is no DPS model number
            return model_spec(int(code))
    raise ValueError(
        "the model must be 0 (read it from the supply) or a DPS model number such as 5020, "
        f"got {value!r}"
    )


def _as_float(value: object) -> float | None:
    """``value`` as a float if it is a number (not a bool), else None."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def _close(instrument: minimalmodbus.Instrument) -> None:
    with contextlib.suppress(Exception):  # the port is being given up anyway
        instrument.serial.close()
