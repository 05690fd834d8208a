"""The simulated INA219, through the real Adafruit_GPIO.I2C.Device and the real pi-ina219.

SIMULATED: no I2C bus exists on the machines these tests run on, so the chip
and the Linux SMBus interface are rtoc_ina219.simulator's model. Everything
above them (Adafruit_GPIO's byte handling, pi-ina219's calibration, scaling
and automatic gain) is the real library code, computing from the register
bytes the model answers with.
"""

import errno

import ina219 as pi_ina219
import pytest

from rtoc_ina219 import protocol as p
from rtoc_ina219.device import make_ina219
from rtoc_ina219.simulator import INA219Chip, SimulatedI2CBus


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return FakeClock()


def on_bus(chip, address=0x40):
    """The chip on a simulated /dev/i2c-1, and an Adafruit_GPIO.I2C.Device talking to it."""
    bus = SimulatedI2CBus(busnum=1)
    bus.add(chip, address)
    return bus, bus.i2c_device_factory(address, 1)


def test_data_sheet_example_register_by_register(clock):
    """Data sheet table 8: 10 A through 2 mOhm at 11.98 V, PGA /1, 16 V range."""
    chip = INA219Chip(bus_volts=11.98, load_amps=10.0, shunt_ohms=0.002, clock=clock)
    _, device = on_bus(chip)
    device.writeList(p.REG_CONFIG, [0x01, 0x9F])
    device.writeList(p.REG_CALIBRATION, [0x50, 0x00])
    assert device.readU16BE(p.REG_CONFIG) == 0x019F
    assert device.readU16BE(p.REG_SHUNT_VOLTAGE) == 0x07D0
    assert device.readU16BE(p.REG_BUS_VOLTAGE) == 0x5D98  # no conversion finished yet
    assert device.readU16BE(p.REG_CALIBRATION) == 0x5000
    assert device.readU16BE(p.REG_CURRENT) == 0x2710
    assert device.readU16BE(p.REG_POWER) == 0x1766
    clock.now += 0.002
    assert device.readU16BE(p.REG_BUS_VOLTAGE) == 0x5D98 | 0b10  # CNVR


def test_bytes_go_msb_first_and_smbus_words_low_byte_first():
    chip = INA219Chip()
    bus, _ = on_bus(chip)
    chip.write([p.REG_CONFIG])
    assert chip.read(2) == b"\x39\x9f"
    assert chip.read(3) == b"\x39\x9f\x39"  # the pointer stays; longer reads repeat
    smbus = bus.open(1)
    assert smbus.read_word_data(0x40, p.REG_CONFIG) == 0x9F39
    assert list(smbus.read_i2c_block_data(0x40, p.REG_CONFIG, 2)) == [0x39, 0x9F]
    assert smbus.read_byte_data(0x40, p.REG_CONFIG) == 0x39
    smbus.write_word_data(0x40, p.REG_CALIBRATION, 0x0010)  # SMBus sends 0x10 then 0x00
    assert chip.peek(p.REG_CALIBRATION) == 0x1000
    smbus.write_byte_data(0x40, p.REG_CALIBRATION, 0x22)  # incomplete: only moves the pointer
    assert chip.peek(p.REG_CALIBRATION) == 0x1000
    assert smbus.read_byte(0x40) == 0x10
    smbus.write_i2c_block_data(0x40, p.REG_SHUNT_VOLTAGE, [0x12, 0x34])  # read-only: ignored
    assert chip.peek(p.REG_SHUNT_VOLTAGE) == 0x03E8  # 10 mV
    smbus.write_quick(0x40)
    smbus.close()
    with pytest.raises(OSError) as closed:
        smbus.read_byte(0x40)
    assert closed.value.errno == errno.EBADF


def test_reset_bit_restores_power_on_values_and_clears_itself():
    chip = INA219Chip()
    _, device = on_bus(chip)
    device.writeList(p.REG_CONFIG, [0x01, 0x9F])
    device.writeList(p.REG_CALIBRATION, [0x50, 0x00])
    assert device.readU16BE(p.REG_CURRENT) != 0
    device.writeList(p.REG_CONFIG, [0x80, 0x00])
    assert device.readU16BE(p.REG_CONFIG) == 0x399F
    assert device.readU16BE(p.REG_CALIBRATION) == 0
    assert device.readU16BE(p.REG_CURRENT) == 0  # no calibration: no current, no power
    assert device.readU16BE(p.REG_POWER) == 0
    assert device.readU16BE(p.REG_SHUNT_VOLTAGE) == 1000  # shunt and bus still convert


def test_calibration_bit_0_cannot_be_written():
    chip = INA219Chip()
    _, device = on_bus(chip)
    device.writeList(p.REG_CALIBRATION, [0x10, 0x67])
    assert device.readU16BE(p.REG_CALIBRATION) == 0x1066


def test_conversion_ready_flag(clock):
    chip = INA219Chip(clock=clock)
    _, device = on_bus(chip)

    def cnvr():
        return p.decode_bus_voltage(device.readU16BE(p.REG_BUS_VOLTAGE)).conversion_ready

    assert not cnvr()  # just powered on: the first conversion takes 1.064 ms
    clock.now += 0.0011
    assert cnvr()
    device.readU16BE(p.REG_POWER)  # reading power clears it
    assert not cnvr()
    clock.now += 0.0011
    assert cnvr()
    device.writeList(p.REG_CONFIG, [0x39, 0x9F])  # so does writing a mode that converts
    assert not cnvr()
    clock.now += 0.0011
    assert cnvr()
    device.writeList(p.REG_CONFIG, [0x39, 0x98])  # power-down does not clear it
    assert cnvr()


def test_power_down_keeps_the_last_results_and_triggered_mode_converts_once():
    chip = INA219Chip(bus_volts=5.0, load_amps=0.1)
    _, device = on_bus(chip)
    device.writeList(p.REG_BUS_VOLTAGE, [0, 0])  # a pointer write; read-only register
    assert device.readU16BE(p.REG_BUS_VOLTAGE) >> 3 == 1250
    device.writeList(p.REG_CONFIG, [0x39, 0x98])  # power-down
    chip.set_load(bus_volts=6.0, load_amps=0.2)
    assert device.readU16BE(p.REG_BUS_VOLTAGE) >> 3 == 1250
    assert device.readU16BE(p.REG_SHUNT_VOLTAGE) == 1000
    device.writeList(p.REG_CONFIG, [0x39, 0x9B])  # shunt and bus, triggered: one conversion
    assert device.readU16BE(p.REG_BUS_VOLTAGE) >> 3 == 1500
    chip.set_load(bus_volts=7.0)
    assert device.readU16BE(p.REG_BUS_VOLTAGE) >> 3 == 1500
    device.writeList(p.REG_CONFIG, [0x39, 0x9A])  # bus only, triggered
    chip.set_load(load_amps=0.3)
    assert device.readU16BE(p.REG_BUS_VOLTAGE) >> 3 == 1750
    assert device.readU16BE(p.REG_SHUNT_VOLTAGE) == 2000  # the shunt was not converted


def test_shunt_clips_to_the_pga_range_and_current_overflows():
    chip = INA219Chip(bus_volts=12.0, load_amps=0.5, shunt_ohms=0.1)
    _, device = on_bus(chip)
    device.writeList(p.REG_CONFIG, [0x01, 0x9F])  # PGA /1: 40 mV
    device.writeList(p.REG_CALIBRATION, [0x08, 0x00])
    assert device.readS16BE(p.REG_SHUNT_VOLTAGE) == 4000  # 50 mV clipped to 40 mV
    assert device.readS16BE(p.REG_CURRENT) == 2000
    assert not p.decode_bus_voltage(device.readU16BE(p.REG_BUS_VOLTAGE)).overflow
    device.writeList(p.REG_CALIBRATION, [0x90, 0x00])  # 4000 * 36864 / 4096 = 36000
    assert p.decode_bus_voltage(device.readU16BE(p.REG_BUS_VOLTAGE)).overflow
    assert device.readS16BE(p.REG_CURRENT) == 32767
    chip.set_load(load_amps=-0.5)
    assert device.readS16BE(p.REG_SHUNT_VOLTAGE) == -4000
    assert device.readS16BE(p.REG_CURRENT) == -32767


def test_no_chip_no_bus_and_a_chip_that_stops_answering():
    chip = INA219Chip()
    bus, device = on_bus(chip, 0x41)
    with pytest.raises(FileNotFoundError, match="/dev/i2c-2"):
        bus.i2c_device_factory(0x41, 2)
    absent = bus.i2c_device_factory(0x40, 1)  # opening the bus does not touch a chip
    with pytest.raises(OSError) as no_ack:
        absent.readU16BE(p.REG_CONFIG)
    assert no_ack.value.errno == 121 and no_ack.value.strerror == "Remote I/O error"

    device.writeList(p.REG_CALIBRATION, [0x50, 0x00])
    chip.stop_answering()
    with pytest.raises(OSError) as lost:
        device.readU16BE(p.REG_CONFIG)
    assert lost.value.errno == errno.EREMOTEIO
    chip.stop_answering(errno.EIO)
    with pytest.raises(OSError) as eio:
        device.writeList(p.REG_CONFIG, [0x39, 0x9F])
    assert eio.value.errno == 5
    chip.answer_again()
    assert device.readU16BE(p.REG_CALIBRATION) == 0x5000
    chip.stop_answering()
    chip.answer_again(power_cycled=True)
    assert device.readU16BE(p.REG_CALIBRATION) == 0


def test_garbage_faults():
    chip = INA219Chip()
    _, device = on_bus(chip)
    chip.stuck_high = True
    assert device.readU16BE(p.REG_CONFIG) == 0xFFFF
    assert device.readS16BE(p.REG_CURRENT) == -1
    chip.stuck_high = False
    chip.corrupted[p.REG_SHUNT_VOLTAGE] = 0x7FFF
    assert device.readU16BE(p.REG_SHUNT_VOLTAGE) == 0x7FFF
    assert chip.peek(p.REG_SHUNT_VOLTAGE) == 1000  # the chip itself is fine
    chip.ovf_stuck = True
    assert device.readU16BE(p.REG_BUS_VOLTAGE) & 1


# -- the real pi-ina219 on the simulated chip ---------------------------------------------------


def library_on(chip, max_expected_amps=0.2, shunt_ohms=0.1):
    _, device = on_bus(chip)
    return make_ina219(device, shunt_ohms, max_expected_amps, 0x40)


def test_pi_ina219_reads_the_modelled_load():
    chip = INA219Chip(bus_volts=12.0, load_amps=0.15, shunt_ohms=0.1)
    ina = library_on(chip)
    ina.configure()
    config = chip.config
    assert (config.bus_range, config.gain, config.mode) == (1, 0, 7)  # 32 V, 40 mV (auto)
    # 0.2 A / 32800 is below the finest LSB calibration allows, so pi-ina219 takes that one
    assert chip.peek(p.REG_CALIBRATION) == 0xFFFE
    assert ina.voltage() == pytest.approx(12.0)
    assert ina.shunt_voltage() == pytest.approx(15.0)
    assert ina.current() == pytest.approx(150.0, abs=0.01)
    assert ina.power() == pytest.approx(1800.0, abs=0.2)
    assert ina.supply_voltage() == pytest.approx(12.015)
    chip.set_load(bus_volts=5.0, load_amps=-0.05)
    assert ina.current() == pytest.approx(-50.0, abs=0.01)
    assert ina.power() == pytest.approx(250.0, abs=0.2)


def test_pi_ina219_raises_its_gain_on_overflow_then_gives_up():
    chip = INA219Chip(bus_volts=12.0, load_amps=0.1, shunt_ohms=0.1)
    ina = library_on(chip)
    ina.configure()
    assert chip.config.gain == 0
    chip.set_load(load_amps=0.3)  # 30 mV fits the 40 mV range, but the current register overflows
    assert ina.current() == pytest.approx(300.0, abs=0.1)
    assert chip.config.gain == 1  # the library went to 80 mV
    chip.set_load(load_amps=2.0)
    assert ina.current() == pytest.approx(2000.0, abs=1)
    assert chip.config.gain == 3
    chip.set_load(load_amps=3.5)  # beyond 320 mV
    with pytest.raises(pi_ina219.DeviceRangeError) as error:
        ina.current()
    assert error.value.device_limit_reached


def test_pi_ina219_with_a_fixed_gain_raises_at_once():
    chip = INA219Chip(load_amps=0.5)
    ina = library_on(chip, max_expected_amps=0.4)
    ina.configure(gain=pi_ina219.INA219.GAIN_1_40MV)
    with pytest.raises(pi_ina219.DeviceRangeError, match=r"for gain 0\.04V"):
        ina.current()
    assert chip.config.gain == 0


def test_pi_ina219_sleep_wake_reset_and_conversion_ready():
    chip = INA219Chip()
    ina = library_on(chip)
    ina.configure(voltage_range=pi_ina219.INA219.RANGE_16V)
    assert chip.config.bus_range == 0
    ina.sleep()
    assert chip.config.mode == p.MODE_POWER_DOWN
    ina.wake()
    assert chip.config.mode == 7
    ina.reset()
    assert chip.peek(p.REG_CONFIG) == 0x399F and chip.peek(p.REG_CALIBRATION) == 0
    assert ina.is_conversion_ready() in (True, False)


def test_make_ina219_leaves_the_library_and_logging_as_they_were():
    import logging

    import Adafruit_GPIO.I2C

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    chip = INA219Chip()
    ina = library_on(chip)
    assert pi_ina219.I2C is Adafruit_GPIO.I2C
    assert root.handlers == handlers and root.level == level
    assert ina._i2c is not None


def test_make_ina219_keeps_pi_ina219_from_configuring_logging(monkeypatch):
    import logging

    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])  # as in a program that set up no logging
    level = root.level
    library_on(INA219Chip())
    assert root.handlers == [] and root.level == level  # no basicConfig(level=ERROR)


def test_make_ina219_refuses_a_pi_ina219_that_opens_its_bus_otherwise(monkeypatch):
    def opens_its_own_bus(self, *args, **kwargs):
        self._i2c = object()  # not through ina219.I2C.get_i2c_device

    monkeypatch.setattr(pi_ina219.INA219, "__init__", opens_its_own_bus)
    with pytest.raises(RuntimeError, match="rtoc-device-ina219 needs an update"):
        library_on(INA219Chip())


def test_a_pointer_to_no_register_reads_0():
    chip = INA219Chip()
    _, device = on_bus(chip)
    assert device.readU16BE(0x07) == 0
    device.writeList(0x07, [0x12, 0x34])  # acknowledged, ignored
    assert chip.peek(0x07) == 0
