"""rtoc_heliotherm.protocol: the register map and its decoding, no network."""

import math

import pytest

from rtoc_heliotherm import protocol
from rtoc_heliotherm.protocol import (
    HOLDING_COUNT,
    HOLDING_REGISTERS,
    HOLDING_START,
    INPUT_COUNT,
    INPUT_REGISTERS,
    INPUT_START,
    ProtocolError,
    check_temperature,
    decode,
    decode_temperature,
    encode_temperature,
    from_uint32,
    mode_label,
    parse_mode,
    to_register,
    to_signed,
    to_uint32,
)
from rtoc_heliotherm.simulator import HeatPumpModel


def blocks(inputs=None, holdings=None):
    """Register blocks as the pump sends them: a plausible pump, changed by ``{address: raw}``."""
    model = HeatPumpModel()
    input_regs = model.input_registers() | (inputs or {})
    holding_regs = model.holding_registers() | (holdings or {})
    return (
        [input_regs[INPUT_START + i] for i in range(INPUT_COUNT)],
        [holding_regs[HOLDING_START + i] for i in range(HOLDING_COUNT)],
    )


def decoded(inputs=None, holdings=None):
    return decode(*blocks(inputs, holdings))


def rejected_names(result):
    return {value.name: value.reason for value in result.rejected}


# -- words -----------------------------------------------------------------------


def test_signed_16_bit_words():
    assert to_signed(0) == 0
    assert to_signed(0x7FFF) == 32767
    assert to_signed(0x8000) == -32768
    assert to_signed(0xFFB5) == -75
    assert to_register(-75) == 0xFFB5
    assert to_register(65535) == 0xFFFF
    for bad in (-32769, 65536):
        with pytest.raises(ValueError, match="16-bit"):
            to_register(bad)


def test_32_bit_values_are_high_word_first():
    assert to_uint32(0x0001, 0x81CD) == 98765
    assert from_uint32(98765) == (0x0001, 0x81CD)
    assert from_uint32(0xFFFFFFFF) == (0xFFFF, 0xFFFF)
    assert to_uint32(*from_uint32(123456789)) == 123456789
    with pytest.raises(ValueError, match="32 bits"):
        from_uint32(-1)


def test_temperatures_are_tenths_of_a_degree_in_twos_complement():
    assert encode_temperature(21.5) == 215
    assert encode_temperature(-7.5) == 0xFFB5
    assert decode_temperature(0xFFB5) == -7.5
    assert decode_temperature(encode_temperature(64.9)) == 64.9


# -- the map -------------------------------------------------------------------------


def test_every_register_lies_in_its_read_block_and_none_overlap():
    for table, start, count in (
        (INPUT_REGISTERS, INPUT_START, INPUT_COUNT),
        (HOLDING_REGISTERS, HOLDING_START, HOLDING_COUNT),
    ):
        taken = []
        for register in table:
            taken += range(register.address, register.address + register.words)
            assert start <= register.address and register.address + register.words <= start + count
        assert len(taken) == len(set(taken))
    names = [register.name for register in INPUT_REGISTERS + HOLDING_REGISTERS]
    assert len(names) == len(set(names))


def test_a_plausible_pump_decodes_completely_with_units():
    result = decoded()
    assert result.rejected == ()
    values = result.values()
    units = {reading.name: reading.unit for reading in result.readings}
    assert len(values) == len(INPUT_REGISTERS) + len(HOLDING_REGISTERS) + 1  # + lifetime COP
    assert values["Outdoor temperature"] == 4.0 and units["Outdoor temperature"] == "°C"
    assert values["Return temperature"] == 27.5
    assert values["Room temperature"] == 20.8
    assert values["Low pressure"] == 9.0 and units["Low pressure"] == "bar"
    assert values["Flow rate"] == 20.0 and units["Flow rate"] == "l/min"
    assert values["Thermal energy heating"] == 98765 and units["Thermal energy heating"] == "kWh"
    assert values["Thermal energy total"] == 98765 + 34567
    assert values["Electrical energy total"] == 23456 + 9876
    assert values["Lifetime COP"] == 4.0
    assert values["Operating mode"] == 1.0
    assert values["Room set-point"] == 21.0
    assert values["Hot water set-point"] == 50.0 and values["Hot water minimum"] == 45.0


def test_every_scaling_and_kind():
    result = decoded(
        {
            10: 0xFFB5,  # -7.5 °C
            22: 254,  # 25.4 bar
            23: 7,  # a flag: anything but 0 is on
            24: 0,
            26: 12,  # error code
            29: 655,  # per mille -> 65.5 %
            30: 43,  # COP 4.3
            41: 30,  # hot water
            42: 0x0002,
            43: 0x0003,  # 131075 h, high word first
            70: 0,
            71: 2500,  # W
            74: 0,
            75: 123,  # 12.3 kW
        },
        {100: 7, 101: 225, 105: 0xFFFF - 9, 127: 1},  # 105: -1.0 °C
    ).values()
    expected = {
        "Outdoor temperature": -7.5,
        "High pressure": 25.4,
        "Heating pump": 1.0,
        "Buffer pump": 0.0,
        "Error": 12.0,
        "Compressor speed": 65.5,
        "COP": 4.3,
        "Compressor demand": 30.0,
        "Hot water hours": 131075.0,
        "Electrical power": 2500.0,
        "Thermal power": 12.3,
        "Operating mode": 7.0,
        "Room set-point": 22.5,
        "External demand": 1.0,
    }
    assert {name: result[name] for name in expected} == expected
    assert "Hot water set-point" not in result  # -1.0 °C is no set-point


@pytest.mark.parametrize(
    ("address", "raw", "name", "reason"),
    [
        (10, 0x8000, "Outdoor temperature", "-3276.8 °C is outside -49.9..150 °C"),
        (12, 0x7FFF, "Flow temperature", "3276.7 °C is outside"),
        (14, to_register(-500), "Buffer temperature", "sensor not connected (-50 °C)"),
        (50, to_register(-500), "Room temperature", "sensor not connected"),
        (21, 0xFFFF, "Low pressure", "-0.1 bar is outside 0..60 bar"),
        (29, 1500, "Compressor speed", "150 % is outside 0..100 %"),
        (41, 15, "Compressor demand", "15 is none of 0, 10, 20, 30"),
        (26, 0xFFFF, "Error", "65535 is outside 0..9999"),
    ],
)
def test_a_value_that_cannot_be_true_is_rejected_alone(address, raw, name, reason):
    result = decoded({address: raw})
    assert list(rejected_names(result)) == [name]
    assert reason in rejected_names(result)[name]
    assert result.rejected[0].raw == raw
    values = result.values()
    assert name not in values
    assert len(values) == len(INPUT_REGISTERS) + len(HOLDING_REGISTERS)  # all others, + COP


def test_locations_name_the_table_and_every_register_of_a_value():
    assert protocol.REGISTERS["Room temperature"].location == "input register 50"
    assert protocol.REGISTERS["Thermal energy total"].location == "input registers 72..73"
    assert protocol.REGISTERS["Room set-point"].location == "holding register 101"


def test_a_counter_beyond_reason_is_rejected_and_takes_the_lifetime_cop_with_it():
    result = decoded({72: 0xFFFF, 73: 0xFFFF})
    assert "Thermal energy total" in rejected_names(result)
    assert "Lifetime COP" not in result.values()
    assert "Lifetime COP" not in decoded({68: 0, 69: 0}).values()  # nothing used yet


def test_an_unknown_operating_mode_is_rejected_but_the_pumps_own_modes_are_read():
    assert decoded(holdings={100: 9}).values()["Operating mode"] == 9.0  # EVU-Sperre
    assert "Operating mode" in rejected_names(decoded(holdings={100: 11}))


@pytest.mark.parametrize(
    ("inputs", "holdings", "message"),
    [
        ([0] * (INPUT_COUNT - 1), [0] * HOLDING_COUNT, "expected 66 registers, got 65"),
        ([0] * INPUT_COUNT, [0] * (HOLDING_COUNT + 1), "expected 28 registers, got 29"),
        ([0x10000] + [0] * (INPUT_COUNT - 1), [0] * HOLDING_COUNT, "not a 16-bit"),
        ([-1] + [0] * (INPUT_COUNT - 1), [0] * HOLDING_COUNT, "not a 16-bit"),
        ([0] * INPUT_COUNT, [None] * HOLDING_COUNT, "not a 16-bit"),
    ],
)
def test_a_malformed_block_is_a_protocol_error(inputs, holdings, message):
    with pytest.raises(ProtocolError, match=message):
        decode(inputs, holdings)


# -- modes and set-points -----------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "number"),
    [
        (0, 0),
        ("off", 0),
        ("AUS", 0),
        ("Automatik", 1),
        ("auto", 1),
        (" automatic ", 1),
        ("Kühlen", 2),
        ("kuehlen", 2),
        ("summer", 3),
        ("always_on", 4),
        ("Always-On", 4),
        ("Dauerbetrieb", 4),
        ("setback", 5),
        ("Absenkbetrieb", 5),
        ("Urlaub", 6),
        ("party", 7),
        (7.0, 7),
        ("3", 3),
    ],
)
def test_operating_modes_by_number_or_name(mode, number):
    assert parse_mode(mode) == number


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        (8, "set by the pump itself"),
        ("10", "main switch off"),
        (12, "is not one of 0 off, 1 auto"),
        (-1, "is not one of"),
        (1.5, "is not one of"),
        (math.nan, "is not one of"),
        ("turbo", "unknown operating mode 'turbo'; choose 0 off"),
        (True, "is not a mode"),
    ],
)
def test_a_mode_that_cannot_be_set_is_refused_naming_the_choices(mode, message):
    with pytest.raises(ValueError, match=message):
        parse_mode(mode)


def test_mode_labels():
    assert mode_label(1) == "auto (Automatik)"
    assert mode_label(9) == "utility lock (EVU-Sperre)"
    assert mode_label(42) == "unknown mode 42"


def test_set_point_checks():
    limits = protocol.ROOM_SETPOINT_RANGE
    assert check_temperature(21.54, "room", limits) == 21.5
    assert check_temperature("22", "room", limits) == 22.0
    assert check_temperature(10, "room", limits) == 10.0
    for bad in (9.9, 25.1, math.nan, math.inf):
        with pytest.raises(ValueError, match=r"room .* °C is outside 10..25 °C"):
            check_temperature(bad, "room", limits)
    for bad in ("warm", None, [21]):
        with pytest.raises(ValueError, match="room takes a temperature in °C"):
            check_temperature(bad, "room", limits)
