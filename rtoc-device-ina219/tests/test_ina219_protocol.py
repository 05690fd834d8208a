"""rtoc_ina219.protocol: the INA219's register contents, checked against TI's SBOS448G."""

import pytest

from rtoc_ina219 import protocol as p


def test_power_on_configuration_0x399f():
    config = p.decode_config(p.RESET_CONFIG)
    assert config == p.Config(reset=False, bus_range=1, gain=3, bus_adc=3, shunt_adc=3, mode=7)
    assert (config.bus_range_volts, config.shunt_range_mv) == (32, 320)
    assert config.continuous and config.converts_shunt and config.converts_bus
    assert config.conversion_time == pytest.approx(2 * 532e-6)
    assert p.encode_config(config) == 0x399F
    assert p.encode_config(p.Config()) == 0x399F


def test_configuration_fields_round_trip():
    # data sheet table 8: 16 V, PGA /1, 12-bit, continuous
    assert p.decode_config(0x019F) == p.Config(False, 0, 0, 3, 3, 7)
    assert p.decode_config(0x8000).reset
    assert p.encode_config(p.Config(reset=True)) == 0x8000 | 0x399F
    for word in (0x0000, 0x019F, 0x2FFF, 0x1C07, 0x3FF8):
        assert p.encode_config(p.decode_config(word)) == word
    power_down = p.decode_config(0x3998)
    assert power_down.mode == p.MODE_POWER_DOWN and power_down.conversion_time == 0
    averaged = p.Config(bus_adc=15, shunt_adc=9, mode=3)
    assert not averaged.continuous
    assert averaged.conversion_time == pytest.approx((68100 + 1060) * 1e-6)
    with pytest.raises(ValueError, match=r"gain is 0\.\.3, got 4"):
        p.encode_config(p.Config(gain=4))
    with pytest.raises(ValueError, match=r"0\.\.0xFFFF"):
        p.decode_config(0x10000)


@pytest.mark.parametrize(
    ("millivolts", "gain", "word"),
    [
        # data sheet table 7 and figures 20-23: the ends of each range, and clipping beyond
        (320.0, 3, 0x7D00),
        (-320.0, 3, 0x8300),
        (320.02, 3, 0x7D00),
        (160.0, 2, 0x3E80),
        (-160.0, 2, 0xC180),
        (320.0, 2, 0x3E80),
        (80.0, 1, 0x1F40),
        (-80.0, 1, 0xE0C0),
        (40.0, 0, 0x0FA0),
        (-40.0, 0, 0xF060),
        (-40.01, 0, 0xF060),
        (39.99, 0, 0x0F9F),
        (0.01, 3, 0x0001),
        (-0.01, 3, 0xFFFF),
        (0.0, 0, 0x0000),
        (20.0, 0, 0x07D0),  # table 8
    ],
)
def test_shunt_voltage_register(millivolts, gain, word):
    counts = p.shunt_counts(millivolts, gain)
    assert p.to_word(counts) == word
    assert p.to_signed(word) == counts
    assert p.shunt_millivolts(p.to_signed(word)) == pytest.approx(
        max(min(millivolts, 40 * 2**gain), -40 * 2**gain)
    )


def test_shunt_counts_beyond_the_range_are_garbage():
    p.check_shunt_counts(4000, 0)
    p.check_shunt_counts(-32000, 3)
    with pytest.raises(p.RegisterError, match=r"0x0fa1 \(40\.01 mV\) is beyond the chip's 40 mV"):
        p.check_shunt_counts(4001, 0)
    with pytest.raises(p.RegisterError, match="320 mV range"):
        p.check_shunt_counts(32767, 3)


def test_bus_voltage_register():
    # data sheet table 8: 0x5D98 is 2995 counts = 11.98 V, no flags
    bus = p.decode_bus_voltage(0x5D98)
    assert bus == p.BusVoltage(2995, False, False)
    assert bus.volts == pytest.approx(11.98)
    assert p.encode_bus_voltage(2995) == 0x5D98
    assert p.decode_bus_voltage(0x5D9A) == p.BusVoltage(2995, True, False)  # CNVR
    assert p.decode_bus_voltage(0x5D99) == p.BusVoltage(2995, False, True)  # OVF
    assert p.encode_bus_voltage(2995, conversion_ready=True, overflow=True) == 0x5D9B
    assert p.bus_counts(11.98, 0) == 2995
    assert p.bus_counts(12.0012, 1) == 3000  # 4 mV steps
    # full scale: 8000 counts at 32 V, 4000 at 16 V; nothing below 0
    assert p.bus_counts(40.0, 1) == 8000
    assert p.bus_counts(20.0, 0) == 4000
    assert p.bus_counts(-1.0, 1) == 0
    with pytest.raises(ValueError, match=r"0\.\.8191"):
        p.encode_bus_voltage(8192)


def test_current_and_power_as_the_chip_computes_them():
    # data sheet table 8: shunt 2000, calibration 20480 -> current 10000, power 5990
    current, overflow = p.current_counts(2000, 20480)
    assert (current, overflow) == (10000, False)
    assert p.power_counts(current, 2995) == (5990, False)
    # negative current keeps its sign; power is its magnitude times the voltage
    assert p.current_counts(-2000, 20480) == (-10000, False)
    assert p.power_counts(-10000, 2995) == (5990, False)
    # calibration 0 (power-on): current and power read 0
    assert p.current_counts(2000, 0) == (0, False)
    # FS0 takes no part
    assert p.current_counts(4096, 20481) == p.current_counts(4096, 20480)
    # out of range: OVF, held at the end
    assert p.current_counts(32000, 8192) == (32767, True)
    assert p.current_counts(-32000, 8192) == (-32767, True)
    assert p.power_counts(32767, 20000) == (65535, True)
    assert p.to_word(-10000) == 0xD8F0
    with pytest.raises(ValueError, match="signed 16-bit"):
        p.to_word(40000)


def test_bytes_on_the_wire_are_msb_first():
    assert p.word_bytes(0x399F) == b"\x39\x9f"
    assert p.bytes_word(b"\x5d\x98") == 0x5D98
    assert p.bytes_word([0x07, 0xD0]) == 0x07D0
    with pytest.raises(ValueError, match="a register is 2 bytes, got 1: ff"):
        p.bytes_word(b"\xff")
    with pytest.raises(ValueError):
        p.word_bytes(-1)


def test_check_registers_accepts_what_a_chip_sends():
    assert p.check_registers(0x019F, 0x07D0, 0x5000) == p.decode_config(0x019F)
    assert p.check_registers(0x399F, 0x8300, 0x0000).gain == 3


@pytest.mark.parametrize(
    ("config", "shunt", "calibration", "message"),
    [
        (0xFFFF, 0xFFFF, 0xFFFF, "reset bit set"),  # SDA stuck high
        (0x399F, 0x0000, 0x5001, "calibration register 0x5001 has bit 0 set"),
        (0x019F, 0x0FA1, 0x5000, "beyond the chip's 40 mV range"),
        (0x019F, 0x7D00, 0x5000, "beyond the chip's 40 mV range"),
        (0x399F, 0x8000, 0x5000, "beyond the chip's 320 mV range"),
    ],
)
def test_check_registers_rejects_what_no_chip_sends(config, shunt, calibration, message):
    with pytest.raises(p.RegisterError, match=message):
        p.check_registers(config, shunt, calibration)


def test_parse_gain():
    assert p.parse_gain("auto") is None
    assert p.parse_gain(" AUTO ") is None
    assert p.parse_gain("40mV") == 0
    assert p.parse_gain("80 mV") == 1
    assert p.parse_gain("160") == 2
    assert p.parse_gain(320) == 3
    assert p.parse_gain(320.0) == 3
    for bad in ("60mV", "", "max", 8):
        with pytest.raises(ValueError, match="gain must be one of auto, 40mV, 80mV, 160mV, 320mV"):
            p.parse_gain(bad)


def test_parse_address():
    assert p.parse_address(0x40) == 0x40
    assert p.parse_address("0x41") == 0x41
    assert p.parse_address("65") == 0x41
    assert p.parse_address(79.0) == 0x4F
    with pytest.raises(ValueError, match="addresses an INA219's A0/A1 pins select; got 0x50"):
        p.parse_address("0x50")
    with pytest.raises(ValueError, match=r"got 0x3f"):
        p.parse_address(0x3F)
    for bad in ("forty", True, 64.5, None):
        with pytest.raises(ValueError, match=r"0x40\.\.0x4F"):
            p.parse_address(bad)


def test_check_settings_accepts_what_pi_ina219_accepts():
    assert p.check_settings(0.1, 0.2, "auto", 32) == p.Settings(0.1, 0.2, None, 1)
    assert p.check_settings(0.1, 0, "40mV", 16) == p.Settings(0.1, None, 0, 0)
    assert p.check_settings(0.1, 0.4, "40mV", 32).gain == 0  # exactly the range's end
    assert p.check_settings(0.002, 15, "auto", 16).max_expected_amps == 15


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((0, 0.2, "auto", 32), r"shunt_ohms must be a resistance > 0 ohm, got 0"),
        ((-0.1, 0.2, "auto", 32), r"shunt_ohms .* got -0\.1"),
        ((float("nan"), 0.2, "auto", 32), "shunt_ohms"),
        ((0.1, -1, "auto", 32), r"max_expected_amps must be >= 0 A \(0: not known\), got -1"),
        ((0.1, 0.2, "60mV", 32), "gain must be one of"),
        ((0.1, 0.2, "auto", 24), r"voltage_range must be 16 or 32 \(V\), got 24"),
        # pi-ina219 would crash on exactly 320 mV (its gain choice finds no range above it)
        ((0.1, 3.2, "auto", 32), r"drops 320 mV, beyond the INA219's largest range"),
        ((0.1, 5, "auto", 32), r"use a smaller shunt or at most 3\.2 A"),
        ((0.1, 0.5, "40mV", 32), r"0\.5 A is more than the 40mV range .* \(at most 0\.4 A\)"),
    ],
)
def test_check_settings_names_the_bad_value_and_the_range(arguments, message):
    with pytest.raises(ValueError, match=message):
        p.check_settings(*arguments)
