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
from rtoc.link import Link, close_quietly
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
    parse_number,
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
_SIGNAL_NAMES = tuple(signal for signal, _, _ in SIGNALS)
_SIGNAL_UNITS = tuple(unit for _, unit, _ in SIGNALS)

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
            close=lambda instrument: close_quietly(instrument.serial),
            # a bad CRC, a torn frame, a Modbus exception in answer to the read, or
            # impossible values: garbage, keep the port (checked before lost_on: these
            # minimalmodbus errors are OSErrors too)
            garbage_on=(
                minimalmodbus.InvalidResponseError,
                minimalmodbus.SlaveReportedException,
                ProtocolError,
            ),
            # no answer (minimalmodbus.NoResponseError), or the port itself failed
            # (serial.SerialException): both OSErrors
            lost_on=(OSError, *_TTY_ERRORS),
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
            [read(status) for _, _, read in SIGNALS], _SIGNAL_NAMES, unit=_SIGNAL_UNITS, x=now
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
        registers = instrument.read_registers(BLOCK_START, BLOCK_COUNT)
        status = decode_status(registers, self._forced)
        self._learn_model(status, registers[Register.MODEL])
        return status

    def _learn_model(self, status: Status, reported: int) -> None:
        """Say which model is connected, once, and again if it changes."""
        spec = status.model
        if spec == self._spec:
            return
        self._spec = spec
        if spec.known:
            text = f"{spec.name} (firmware {status.version}) at {self.port}"
        else:
            text = (
                f"unknown model number {spec.code} at {self.port}; assuming "
                f"{spec.max_voltage:g} V, {spec.max_current:g} A, current in "
                f"{spec.current_decimals} decimals"
            )
        if reported != spec.code:
            text += (
                "; scaled as set by the model parameter, "
                f"the supply reports model number {reported}"
            )
        priority = Priority.INFO if spec.known else Priority.WARNING
        self.event(text, priority=priority, id="model", value=spec.code)

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
        self._set_point(Register.U_SET, encode_voltage, volts, "voltage", "V")

    def set_current(self, amps: float) -> None:
        """Set the current limit (I-SET) in A: 0..20 A on a DPS5020 (0..the model's maximum)."""
        self._set_point(Register.I_SET, encode_current, amps, "current", "A")

    def output(self, on: bool) -> None:
        """Switch the output on (True) or off (False); switching on resets a tripped protection."""
        self._switch(Register.ONOFF, on, "output")

    def lock(self, on: bool) -> None:
        """Lock (True) or unlock (False) the supply's front-panel keys."""
        self._switch(Register.LOCK, on, "lock")

    def _set_point(
        self,
        register: Register,
        encode: Callable[[float, ModelSpec], int],
        value: object,
        what: str,
        unit: str,
    ) -> None:
        """Check ``value`` (before the supply is asked for its model), scale it, write it."""
        try:
            number = parse_number(value, what, unit)
        except ValueError as error:
            raise DeviceError(f"{self.name}: {error}") from None
        if not number >= 0:  # also refuses NaN
            raise DeviceError(f"{self.name}: {what} must be >= 0 {unit}, got {value!r}")
        spec = self._model()
        try:
            counts = encode(number, spec)
        except ValueError as error:
            raise DeviceError(f"{self.name}: {error} of the {spec.name}") from None
        self._write(register, counts, f"{number:g} {unit}")

    def _switch(self, register: Register, on: object, what: str) -> None:
        if isinstance(on, str):
            on = _SWITCH_WORDS.get(on.strip().lower(), on)
        if not (isinstance(on, int) and on in (0, 1)):  # bools included
            raise DeviceError(f"{self.name}: {what} takes True or False (on/off, 1/0), got {on!r}")
        self._write(register, int(on), "on" if on else "off")

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
