"""``INA219``: TI's INA219 current and power monitor on a Raspberry Pi's I2C bus.

RTOC 2.x called this plugin "INA219_Modul". The readings come from the
``pi-ina219`` library (module ``ina219``), which talks to the chip through
``Adafruit_GPIO.I2C``. This module adds what a logger needs around it: a
:class:`rtoc.link.Link` that turns a chip that stops answering into one
warning and reconnects by itself, a check of the raw registers that drops
garbage, "current out of range" as an event instead of a value, and
parameters that take effect while running.

The I2C device comes from ``i2c_device_factory(address, busnum)``, by default
``Adafruit_GPIO.I2C.get_i2c_device``. Tests and ``python -m
rtoc_ina219.simulator`` pass a simulated bus's factory instead; nothing else
differs.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import types
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

import ina219 as pi_ina219

from rtoc.device import Device, DeviceError
from rtoc.events import Priority
from rtoc.link import Link, close_quietly
from rtoc_ina219 import protocol

if TYPE_CHECKING:
    from rtoc.logger import Logger

#: The signals, in the order they are streamed, with their units.
SIGNALS = (("Bus voltage", "V"), ("Shunt voltage", "mV"), ("Current", "mA"), ("Power", "mW"))
_NAMES = tuple(name for name, _ in SIGNALS)
_UNITS = tuple(unit for _, unit in SIGNALS)

#: ``factory(address, busnum)`` -> an object with pi-ina219's I2C methods
#: (``readU16BE``, ``readS16BE``, ``writeList``), as ``Adafruit_GPIO.I2C.Device``.
I2CDeviceFactory = Callable[[int, int], Any]


def default_i2c_device_factory(address: int, busnum: int) -> Any:
    """The real bus: ``Adafruit_GPIO.I2C.get_i2c_device`` (opens ``/dev/i2c-<busnum>``)."""
    from Adafruit_GPIO import I2C

    return I2C.get_i2c_device(address, busnum=busnum)


_CONSTRUCTING = threading.Lock()


def make_ina219(
    i2c_device: Any, shunt_ohms: float, max_expected_amps: float | None, address: int
) -> pi_ina219.INA219:
    """pi-ina219's ``INA219`` object, talking through ``i2c_device``.

    ``INA219.__init__`` opens its bus itself, through the name ``I2C`` in the
    ``ina219`` module (``Adafruit_GPIO.I2C.get_i2c_device``), and takes no
    bus object. For the length of this one constructor call, under a lock,
    that name points at a stand-in whose ``get_i2c_device`` returns
    ``i2c_device``. The constructor also calls ``logging.basicConfig`` when
    the root logger has no handler, which would set the whole program's log
    level to ERROR; a NullHandler present during the call prevents that.
    """
    stand_in = types.SimpleNamespace(get_i2c_device=lambda *args, **kwargs: i2c_device)
    with _CONSTRUCTING, _root_logger_has_a_handler():
        real = pi_ina219.I2C
        pi_ina219.I2C = stand_in
        try:
            chip = pi_ina219.INA219(shunt_ohms, max_expected_amps, address=address)
        finally:
            pi_ina219.I2C = real
    if chip._i2c is not i2c_device:
        raise RuntimeError(
            "this pi-ina219 does not open its bus through Adafruit_GPIO.I2C.get_i2c_device; "
            "rtoc-device-ina219 needs an update for it"
        )
    return chip


@contextlib.contextmanager
def _root_logger_has_a_handler() -> Iterator[None]:
    root = logging.getLogger()
    if root.handlers:
        yield
        return
    placeholder = logging.NullHandler()
    root.addHandler(placeholder)
    try:
        yield
    finally:
        root.removeHandler(placeholder)


class _Chip:
    """An open connection: the I2C device, pi-ina219's object on it, and the settings used."""

    def __init__(self, i2c: Any, ina: pi_ina219.INA219, settings: protocol.Settings) -> None:
        self.i2c = i2c
        self.ina = ina
        self.settings = settings

    def configure(self) -> None:
        """Calibrate and configure the chip from the settings (pi-ina219's ``configure``)."""
        gain = pi_ina219.INA219.GAIN_AUTO if self.settings.gain is None else self.settings.gain
        self.ina.configure(voltage_range=self.settings.bus_range, gain=gain)

    def read_register(self, pointer: int) -> int:
        return self.i2c.readU16BE(pointer)

    def close(self) -> None:
        _close_i2c_device(self.i2c)


def _close_i2c_device(i2c: Any) -> None:
    # Adafruit_GPIO.I2C.Device has no close(); its SMBus holds /dev/i2c-N open
    close_quietly(getattr(i2c, "_bus", None))


class Measurement(NamedTuple):
    #: In the order of SIGNALS; only the bus voltage while the current is out of range.
    values: tuple[float, ...]
    out_of_range: str = ""  # pi-ina219's DeviceRangeError message
    chip_was_reset: bool = False  # found at its power-on values, and configured again


class INA219(Device):
    """TI INA219 current/power monitor on a Raspberry Pi's I2C bus (RTOC's INA219_Modul).

    Streams "Bus voltage" (V, at IN-), "Shunt voltage" (mV), "Current" (mA)
    and "Power" (mW), read with pi-ina219. A current beyond the measurable
    range is an event, not a value. Changed parameters apply at the next sample.
    """

    name: ClassVar[str] = "INA219"
    #: Samples per second (RTOC's INA219_Modul used 1/60).
    samplerate = 1.0
    #: Resistance of the shunt resistor, ohm (0.1 on the common breakout boards).
    shunt_ohms = 0.1
    #: Largest current expected, A; sets the resolution. 0: not known.
    max_expected_amps = 0.2
    #: I2C address, 0x40..0x4F (set by the A0/A1 pins); text like "0x41" is accepted.
    address = 0x40
    #: I2C bus number: /dev/i2c-<busnum> (1 on every Raspberry Pi since revision 2).
    busnum = 1
    #: Shunt voltage range: "auto" (pi-ina219 raises it on overflow) or 40mV, 80mV, 160mV, 320mV.
    gain = "auto"
    #: Bus voltage full scale, V: 16 or 32.
    voltage_range = 32

    def __init__(
        self,
        logger: Logger | None = None,
        name: str | None = None,
        *,
        i2c_device_factory: I2CDeviceFactory | None = None,
    ) -> None:
        super().__init__(logger, name)
        #: Where the I2C device comes from; a simulated bus's factory in tests and the demo.
        self._i2c_device_factory = i2c_device_factory or default_i2c_device_factory
        self._asleep = False
        self._out_of_range = False
        #: The parameters last checked (valid or not): unchanged ones are not checked again.
        self._checked: tuple[Any, ...] | None = None
        #: The newest valid parameters, and those the open connection was made with.
        self._valid: tuple[protocol.Settings, int, int] | None = None
        self._applied: tuple[protocol.Settings, int, int] | None = None
        # an I2C transfer that fails is an OSError: Link's default for a lost connection
        self._link: Link[_Chip] = Link(
            self, self._open, what=self._where, garbage_on=(protocol.RegisterError,)
        )

    # -- parameters ----------------------------------------------------------------------

    def set_parameter(self, name: str, value: Any) -> None:
        """Set a parameter; values the INA219 cannot take raise DeviceError, naming the range."""
        if name == "address":
            try:
                value = protocol.parse_address(value)
            except ValueError as error:
                raise DeviceError(f"{self.name}.{error}") from None
        old = self.get_parameter(name)
        super().set_parameter(name, value)
        try:
            self._settings()
        except ValueError as error:
            setattr(self, name, old)
            raise DeviceError(f"{self.name}.{error}") from None

    def _settings(self) -> tuple[protocol.Settings, int, int]:
        """The checked parameters: settings, address, bus number (ValueError when bad)."""
        settings = protocol.check_settings(
            self.shunt_ohms, self.max_expected_amps, self.gain, self.voltage_range
        )
        address = protocol.parse_address(self.address)
        if isinstance(self.busnum, bool) or not isinstance(self.busnum, int) or self.busnum < 0:
            raise ValueError(f"busnum must be an I2C bus number >= 0, got {self.busnum!r}")
        return settings, address, self.busnum

    def _parameters(self) -> tuple[Any, ...]:
        """The parameters :meth:`_settings` checks, as they are now."""
        return (self.shunt_ohms, self.max_expected_amps, self.gain, self.voltage_range,
                self.address, self.busnum)  # fmt: skip

    def _where(self) -> str:
        """The chip the connection is for: the address in force, not a rejected one."""
        _, address, busnum = self._valid or (None, self.address, self.busnum)
        try:
            return f"the INA219 at {int(address):#04x} on /dev/i2c-{busnum}"
        except (TypeError, ValueError):  # never valid yet: as given
            return f"the INA219 at {address!r} on /dev/i2c-{busnum}"

    # -- lifecycle ---------------------------------------------------------------------------

    def _settings_in_force(self) -> tuple[protocol.Settings, int, int]:
        """The parameters as they are now, or the last valid ones (with one error event)."""
        current = self._parameters()
        if current == self._checked:  # checked already; a bad value said so then, once
            return self._valid  # type: ignore[return-value]
        try:
            self._valid = self._settings()
        except ValueError as error:
            if self._valid is None:
                raise
            self.event(
                f"keeping the previous settings: {error}", priority=Priority.ERROR, id="parameters"
            )
        self._checked = current
        return self._valid

    def on_start(self) -> None:
        # the hardware is not opened here: a missing chip must not stop the start
        try:
            self._valid = self._settings()
        except ValueError as error:
            raise DeviceError(f"{self.name}.{error}") from None
        self._checked = self._parameters()
        # a function called before start may have left a connection open, or the chip
        # asleep: start afresh, and the first sample's opening configures (and wakes) it
        self._link.close()
        self._asleep = False

    def on_stop(self) -> None:
        self._link.close()

    def _open(self) -> _Chip:
        settings, address, busnum = self._settings_in_force()
        i2c = self._i2c_device_factory(address, busnum)
        try:
            ina = make_ina219(i2c, settings.shunt_ohms, settings.max_expected_amps, address)
            chip = _Chip(i2c, ina, settings)
            chip.configure()
            if self._asleep:
                chip.ina.sleep()
        except BaseException:
            _close_i2c_device(i2c)
            raise
        self._applied = (settings, address, busnum)
        return chip

    # -- sampling ------------------------------------------------------------------------------

    def sample(self) -> None:
        if self._asleep:
            return
        self._apply_changed_parameters()
        reading = self._link.poll(self._measure)
        if reading is None:
            return
        if reading.chip_was_reset:
            self.event(
                "the INA219 had lost its calibration (power cut or reset); configured it again",
                priority=Priority.WARNING,
                id="chip-reset",
            )
            return
        self._report_range(reading)
        count = len(reading.values)  # one timestamp for all of them
        self.stream(reading.values, _NAMES[:count], unit=_UNITS[:count])

    def _measure(self, chip: _Chip) -> Measurement:
        """One reading: raw registers checked, then values through pi-ina219."""
        calibration = chip.read_register(protocol.REG_CALIBRATION)
        protocol.check_registers(
            chip.read_register(protocol.REG_CONFIG),
            chip.read_register(protocol.REG_SHUNT_VOLTAGE),
            calibration,
        )
        if calibration == 0:  # pi-ina219 never writes 0: the chip restarted since
            chip.configure()
            return Measurement((), chip_was_reset=True)
        try:
            current = chip.ina.current()
            power = chip.ina.power()
            shunt = chip.ina.shunt_voltage()
        except pi_ina219.DeviceRangeError as error:
            return Measurement((chip.ina.voltage(),), out_of_range=str(error))
        return Measurement((chip.ina.voltage(), shunt, current, power))

    def _report_range(self, reading: Measurement) -> None:
        """One warning when the current leaves the range, one info when it is back."""
        if reading.out_of_range and not self._out_of_range:
            self._out_of_range = True
            self.event(
                f"current out of range: {reading.out_of_range}; "
                "not recording current, power and shunt voltage until it is back",
                "Current",
                priority=Priority.WARNING,
                id="out-of-range",
            )
        elif not reading.out_of_range and self._out_of_range:
            self._out_of_range = False
            self.event("current back in range", "Current", id="out-of-range")

    def _apply_changed_parameters(self) -> None:
        """Reopen with changed parameters: close now, and the next poll opens with them."""
        if self._settings_in_force() != self._applied and self._link.connected:
            self._link.close()

    # -- functions -----------------------------------------------------------------------------

    def sleep(self) -> None:
        """Put the INA219 into power-down mode (no conversions); no samples until wake()."""
        self._link.require(lambda chip: chip.ina.sleep())
        self._asleep = True

    def wake(self) -> None:
        """Wake the INA219 from power-down: continuous conversions and samples again."""
        self._link.require(lambda chip: chip.ina.wake())
        self._asleep = False

    def reset(self) -> None:
        """Reset the INA219 to its power-on state, then configure it again from the parameters.

        After an overflow made the automatic gain coarser, this returns it to
        the range ``max_expected_amps`` calls for.
        """

        def reset_and_configure(chip: _Chip) -> None:
            chip.ina.reset()
            chip.configure()

        self._link.require(reset_and_configure)
        self._asleep = False
