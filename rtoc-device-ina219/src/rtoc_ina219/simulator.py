"""A simulated INA219 on a simulated I2C bus, for trying and testing without a Raspberry Pi.

SIMULATED, because no I2C bus exists where this runs: the chip and the Linux
SMBus interface are modelled here. Everything above them is the real code:
``Adafruit_GPIO.I2C.Device`` swaps the bytes of each word, pi-ina219 computes
every value (and chooses its gain) from the register bytes this chip answers
with, and :class:`rtoc_ina219.device.INA219` reads through both. The model:

* :class:`INA219Chip`: the six registers of TI's data sheet SBOS448G with a
  modelled load (``bus_volts`` at IN-, ``load_amps`` through ``shunt_ohms``):
  the reset bit and the 0x399F defaults, the shunt voltage clipped to the PGA
  range, the bus voltage with its CNVR and OVF flags, current and power
  computed from shunt voltage, bus voltage and calibration as the chip does,
  power-down and triggered modes. Faults: stop answering (``OSError`` 121,
  Remote I/O error, as i2c-dev reports a chip that does not acknowledge), a
  power cycle, SDA stuck high (every byte 0xFF), a corrupted register, OVF
  stuck on.
* :class:`SimulatedSMBus`: what ``Adafruit_GPIO.I2C.Device`` takes as its
  ``i2c_interface`` in place of ``Adafruit_PureIO.smbus.SMBus``: the same
  methods, turning each SMBus transfer into bytes to and from the chip.
* :class:`SimulatedI2CBus`: one bus number with chips on it;
  :meth:`SimulatedI2CBus.i2c_device_factory` is what the device's
  ``i2c_device_factory`` takes.

Run ``python -m rtoc_ina219.simulator``: an I2C bus cannot be shared with
another process the way a serial port or a TCP port can, so this runs the
INA219 device against a simulated chip inside an rtoc Logger for a few
seconds and prints what it records.
"""

from __future__ import annotations

import argparse
import errno
import logging
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from rtoc_ina219 import protocol as p

#: The failure i2c-dev reports when no chip acknowledges its address.
NO_ACK = errno.EREMOTEIO

#: Registers whose reading sees a fresh conversion in a continuous mode.
_RESULTS = (p.REG_SHUNT_VOLTAGE, p.REG_BUS_VOLTAGE, p.REG_POWER, p.REG_CURRENT)
#: Modes that convert nothing: the results of the last conversion stay.
_IDLE_MODES = (p.MODE_POWER_DOWN, p.MODE_ADC_OFF)


class INA219Chip:
    """One INA219, register by register, measuring a modelled load.

    The load is ``bus_volts`` (the voltage at IN-, what the bus register
    reports), ``load_amps`` (through the shunt; negative flows backwards) and
    ``shunt_ohms``. Change them at any time with :meth:`set_load`. In a
    continuous mode every read of a result register sees a fresh conversion;
    in power-down or ADC-off the results of the last conversion stay; a
    triggered mode converts once when the configuration is written.
    Thread-safe.
    """

    def __init__(
        self,
        *,
        bus_volts: float = 12.0,
        load_amps: float = 0.1,
        shunt_ohms: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bus_volts = bus_volts
        self.load_amps = load_amps
        self.shunt_ohms = shunt_ohms
        self._clock = clock
        self._lock = threading.RLock()
        #: errno of the OSError every transfer fails with, or None while the chip answers.
        self.failing: int | None = None
        #: Every byte reads 0xFF, as when SDA is held high.
        self.stuck_high = False
        #: OVF reads set whatever the calculation gives.
        self.ovf_stuck = False
        #: Register pointer -> word read instead of the register (a corrupted transfer).
        self.corrupted: dict[int, int] = {}
        self._power_on()

    # -- the model and its faults ---------------------------------------------------------

    def set_load(
        self,
        bus_volts: float | None = None,
        load_amps: float | None = None,
        shunt_ohms: float | None = None,
    ) -> None:
        with self._lock:
            if bus_volts is not None:
                self.bus_volts = bus_volts
            if load_amps is not None:
                self.load_amps = load_amps
            if shunt_ohms is not None:
                self.shunt_ohms = shunt_ohms

    def stop_answering(self, error: int = NO_ACK) -> None:
        """Fail every transfer from now on with ``OSError(error)`` (121: no acknowledge)."""
        with self._lock:
            self.failing = error

    def answer_again(self, power_cycled: bool = False) -> None:
        """Answer again; ``power_cycled``: with the power-on registers, as after a power cut."""
        with self._lock:
            self.failing = None
            if power_cycled:
                self._power_on()

    def power_cycle(self) -> None:
        """Lose and regain power between two transfers: every register back to its default."""
        with self._lock:
            self._power_on()

    def peek(self, pointer: int) -> int:
        """A register's word as the chip holds it, without a transfer or its side effects."""
        with self._lock:
            return self._word(pointer, side_effects=False)

    @property
    def config(self) -> p.Config:
        return p.decode_config(self.peek(p.REG_CONFIG))

    # -- I2C transfers ------------------------------------------------------------------------

    def write(self, data: bytes | bytearray | Iterable[int]) -> None:
        """A write transfer: the pointer byte, then optionally a register's MSB and LSB."""
        data = bytes(data)
        with self._lock:
            self._transfer()
            if not data:  # a quick write: an address probe
                return
            self._pointer = data[0]
            if len(data) >= 3:  # a shorter write only moves the pointer
                self._write_register(data[0], p.bytes_word(data[1:3]))

    def read(self, count: int) -> bytes:
        """A read transfer: ``count`` bytes of the register the pointer selects, MSB first.

        The data sheet defines two bytes per read; this model repeats them
        for longer reads.
        """
        with self._lock:
            self._transfer()
            if self.stuck_high:
                return b"\xff" * count
            word = self.corrupted.get(self._pointer)
            if word is None:
                word = self._word(self._pointer, side_effects=True)
            pair = p.word_bytes(word)
            return bytes(pair[i % 2] for i in range(count))

    def _transfer(self) -> None:
        if self.failing is not None:
            raise OSError(self.failing, os.strerror(self.failing))

    # -- registers --------------------------------------------------------------------------

    def _power_on(self) -> None:
        self._config = p.RESET_CONFIG
        self._calibration = 0
        self._pointer = 0
        self._shunt = 0
        self._bus = 0
        self._current = 0
        self._power = 0
        self._overflow = False
        self._ready_at = self._clock() + p.decode_config(self._config).conversion_time
        self._ready = False

    def _write_register(self, pointer: int, word: int) -> None:
        if pointer == p.REG_CONFIG:
            if word & 0x8000:  # RST: everything to power-on values; the bit clears itself
                self._power_on()
                return
            self._config = word
            config = p.decode_config(word)
            if config.mode not in _IDLE_MODES:
                self._ready = False  # CNVR clears; set again when this conversion is done
                self._ready_at = self._clock() + config.conversion_time
                if not config.continuous:
                    self._convert(config)  # triggered: one conversion now
        elif pointer == p.REG_CALIBRATION:
            self._calibration = word & 0xFFFE  # FS0 cannot be written
        # the result registers are read-only: the chip acknowledges and ignores a write

    def _convert(self, config: p.Config) -> None:
        """One conversion of the modelled load, then the chip's current and power math."""
        if config.converts_shunt:
            self._shunt = p.shunt_counts(self.load_amps * self.shunt_ohms * 1000, config.gain)
        if config.converts_bus:
            self._bus = p.bus_counts(self.bus_volts, config.bus_range)
        self._current, current_overflow = p.current_counts(self._shunt, self._calibration)
        # power from the calculated current, so an overflowing current overflows power too
        unclipped = p.unclipped_current(self._shunt, self._calibration)
        self._power, power_overflow = p.power_counts(unclipped, self._bus)
        self._overflow = current_overflow or power_overflow

    def _word(self, pointer: int, side_effects: bool) -> int:
        config = p.decode_config(self._config)
        if config.continuous and pointer in _RESULTS:
            self._convert(config)
        if not self._ready and config.mode not in _IDLE_MODES:
            self._ready = self._clock() >= self._ready_at
        if pointer == p.REG_CONFIG:
            return self._config
        if pointer == p.REG_SHUNT_VOLTAGE:
            return p.to_word(self._shunt)
        if pointer == p.REG_BUS_VOLTAGE:
            return p.encode_bus_voltage(self._bus, self._ready, self._overflow or self.ovf_stuck)
        if pointer == p.REG_POWER:
            if side_effects and self._ready:  # reading power clears CNVR
                self._ready = False
                self._ready_at = (
                    self._clock() + config.conversion_time if config.continuous else math.inf
                )
            return self._power
        if pointer == p.REG_CURRENT:
            return p.to_word(self._current)
        if pointer == p.REG_CALIBRATION:
            return self._calibration
        return 0  # no register there; the data sheet does not say what such a read gives


class SimulatedI2CBus:
    """One I2C bus number (``/dev/i2c-N``) with simulated chips at their addresses."""

    def __init__(self, busnum: int = 1) -> None:
        self.busnum = busnum
        self.chips: dict[int, INA219Chip] = {}

    def add(self, chip: INA219Chip, address: int = 0x40) -> INA219Chip:
        self.chips[p.parse_address(address)] = chip
        return chip

    def open(self, busnum: int) -> SimulatedSMBus:
        """What ``Adafruit_PureIO.smbus.SMBus(busnum)`` does: open the bus, or fail like Linux."""
        if busnum != self.busnum:
            raise FileNotFoundError(
                errno.ENOENT, os.strerror(errno.ENOENT), f"/dev/i2c-{busnum} (simulated)"
            )
        return SimulatedSMBus(self)

    def i2c_device_factory(self, address: int, busnum: int) -> Any:
        """An ``Adafruit_GPIO.I2C.Device`` on this bus: the device's ``i2c_device_factory``."""
        from Adafruit_GPIO.I2C import Device

        return Device(address, busnum, i2c_interface=self.open)


class SimulatedSMBus:
    """The methods of ``Adafruit_PureIO.smbus.SMBus`` that ``Adafruit_GPIO.I2C.Device`` calls.

    Each turns into the I2C transfers the Linux SMBus layer makes: a command
    (register pointer) write, then data bytes. A word is returned the SMBus
    way, first byte in the low half, so ``readU16BE`` swaps it back as it
    does on a Raspberry Pi.
    """

    def __init__(self, bus: SimulatedI2CBus) -> None:
        self._bus = bus
        self.closed = False

    def _chip(self, address: int) -> INA219Chip:
        if self.closed:
            raise OSError(errno.EBADF, os.strerror(errno.EBADF))
        chip = self._bus.chips.get(address)
        if chip is None:
            raise OSError(NO_ACK, os.strerror(NO_ACK))
        return chip

    def close(self) -> None:
        self.closed = True

    def write_quick(self, addr: int) -> None:
        self._chip(addr).write(b"")

    def write_byte(self, addr: int, val: int) -> None:
        self._chip(addr).write([val & 0xFF])

    def write_byte_data(self, addr: int, cmd: int, val: int) -> None:
        self._chip(addr).write([cmd, val & 0xFF])

    def write_word_data(self, addr: int, cmd: int, val: int) -> None:
        self._chip(addr).write([cmd, val & 0xFF, (val >> 8) & 0xFF])  # SMBus: low byte first

    def write_i2c_block_data(self, addr: int, cmd: int, vals: Iterable[int]) -> None:
        self._chip(addr).write([cmd, *(v & 0xFF for v in vals)])

    def read_byte(self, addr: int) -> int:
        return self._chip(addr).read(1)[0]

    def read_byte_data(self, addr: int, cmd: int) -> int:
        chip = self._chip(addr)
        with chip._lock:  # one combined transfer: pointer write, repeated start, read
            chip.write([cmd])
            return chip.read(1)[0]

    def read_word_data(self, addr: int, cmd: int) -> int:
        chip = self._chip(addr)
        with chip._lock:
            chip.write([cmd])
            first, second = chip.read(2)
        return first | second << 8

    def read_i2c_block_data(self, addr: int, cmd: int, length: int = 32) -> bytearray:
        chip = self._chip(addr)
        with chip._lock:
            chip.write([cmd])
            return bytearray(chip.read(length))


# -- python -m rtoc_ina219.simulator ------------------------------------------------------


def run_demo(
    seconds: float = 5.0,
    bus_volts: float = 12.0,
    load_amps: float = 0.15,
    samplerate: float = 2.0,
    address: int = 0x40,
    print_: Callable[[str], None] = print,
) -> int:
    """Run the INA219 device against a simulated chip in a Logger and print what it records.

    The load swings by +-50 % around ``load_amps`` once every 10 s, so the
    readings move. ``seconds`` 0 runs until Ctrl-C. Events are not printed
    here: the Logger logs them to "rtoc.events", as under ``rtoc run``.
    """
    from rtoc.logger import Logger
    from rtoc_ina219.device import INA219, SIGNALS

    bus = SimulatedI2CBus(busnum=1)
    chip = bus.add(INA219Chip(bus_volts=bus_volts, load_amps=load_amps), address)
    print_(
        f"SIMULATED INA219 at {address:#04x} on a simulated /dev/i2c-1 (no I2C bus is used): "
        f"{bus_volts:g} V, {load_amps * 1000:g} mA through 0.1 ohm; the real pi-ina219 "
        "code reads it. Ctrl-C stops."
    )
    logger = Logger()
    device = INA219(logger, i2c_device_factory=bus.i2c_device_factory)
    logger.add_device(device)
    device.set_parameter("samplerate", samplerate)
    device.set_parameter("address", address)
    signals = [(device.name, name) for name, _ in SIGNALS]
    started = time.monotonic()
    last_shown = None
    try:
        device.start()
        while seconds <= 0 or time.monotonic() - started < seconds:
            swing = 1 + 0.5 * math.sin(2 * math.pi * (time.monotonic() - started) / 10)
            chip.set_load(load_amps=load_amps * swing)
            time.sleep(0.05)
            newest = logger.latest(signals)
            stamp = max((reading.x for reading in newest.values()), default=None)
            if stamp is not None and stamp != last_shown:
                last_shown = stamp
                print_(
                    "  ".join(
                        f"{key[1]} {reading.y:.4g} {reading.unit}"
                        for key, reading in newest.items()
                    )
                )
    except KeyboardInterrupt:
        pass
    finally:
        logger.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rtoc_ina219.simulator",
        description=(
            "Run rtoc's INA219 device against a SIMULATED INA219 (no I2C bus needed) "
            "in an rtoc Logger and print the readings it records."
        ),
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="0: until Ctrl-C")
    parser.add_argument("--bus-volts", type=float, default=12.0)
    parser.add_argument("--load-amps", type=float, default=0.15)
    parser.add_argument("--samplerate", type=float, default=2.0, help="samples per second")
    parser.add_argument("--address", default="0x40", help="I2C address, 0x40..0x4F")
    args = parser.parse_args(argv)
    try:
        address = p.parse_address(args.address)
    except ValueError as error:
        parser.error(str(error))
    # the events on stderr as `rtoc run` shows them: "LEVEL rtoc.events: Device.Signal: text"
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    return run_demo(args.seconds, args.bus_volts, args.load_amps, args.samplerate, address)


if __name__ == "__main__":
    raise SystemExit(main())
