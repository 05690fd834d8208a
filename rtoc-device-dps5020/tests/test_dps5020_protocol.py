"""The pure DPS protocol: register values <-> readings, per-model scaling, RTU frames.

The byte strings marked "captured" are traffic of a real DPS5020 as published
with open-source DPS integrations; everything else is derived from the register map.
"""

import math

import pytest

from rtoc_dps5020.protocol import (
    BLOCK_COUNT,
    MODELS,
    Mode,
    Protection,
    ProtocolError,
    Register,
    crc16,
    decode_status,
    encode_current,
    encode_voltage,
    model_spec,
    parse_read_response,
    read_block_request,
    with_crc,
    write_register_request,
)

# captured: the answer of a DPS5020 to "read 13 registers from 0x0000"
CAPTURED_ANSWER = bytes.fromhex(
    "01 03 1A 0E 10 03 E8 0E 0E 00 ED 21 4F 10 87 00 00 00 00 00 00 00 01 00 00 13 9C 00 11 87 BD"
)


def registers(**changes):
    """A DPS5020 block (12.00 V set, 2.00 A limit, output on), with ``changes`` by name."""
    values = [1200, 200, 1199, 150, 1798, 2400, 0, 0, 0, 1, 3, 5020, 16]
    for name, value in changes.items():
        values[Register[name.upper()]] = value
    return values


def test_the_request_and_the_captured_answer_decode_as_the_supply_showed():
    assert read_block_request(1) == bytes.fromhex("01 03 00 00 00 0D 84 0F")  # captured
    status = decode_status(parse_read_response(CAPTURED_ANSWER))
    assert (status.voltage_set, status.current_set) == (36.0, 10.0)
    assert (status.voltage, status.current, status.power) == (35.98, 2.37, 85.27)
    assert status.input_voltage == 42.31
    assert not status.locked and status.output and status.backlight == 0
    assert status.protection is Protection.OK and status.mode is Mode.CV
    assert status.model.name == "DPS5020" and status.version == "1.7"


def test_write_requests_match_captured_frames():
    assert write_register_request(1, Register.U_SET, 1000) == bytes.fromhex(
        "01 10 00 00 00 01 02 03 E8 A6 EE"  # captured: set 10.00 V
    )
    assert write_register_request(1, Register.ONOFF, 1) == bytes.fromhex(
        "01 10 00 09 00 01 02 00 01 67 09"  # captured: output on
    )
    assert write_register_request(1, Register.LOCK, 0) == bytes.fromhex(
        "01 10 00 06 00 01 02 00 00 A6 36"  # captured: key lock off
    )


def test_crc16_of_the_standard_check_string():
    assert crc16(b"123456789") == 0x4B37  # CRC-16/MODBUS check value
    assert crc16(b"") == 0xFFFF


@pytest.mark.parametrize(
    ("code", "volts", "amps", "current_scale"),
    [
        (5020, 50, 20, 100),
        (5015, 50, 15, 100),
        (5005, 50, 5, 1000),
        (3005, 30, 5, 1000),
        (3003, 30, 3, 1000),
        (8005, 80, 5, 1000),
    ],
)
def test_model_limits_and_current_scaling(code, volts, amps, current_scale):
    spec = model_spec(code)
    assert spec is MODELS[code] and spec.known
    assert (spec.max_voltage, spec.max_current) == (volts, amps)
    assert (spec.voltage_scale, spec.current_scale, spec.power_scale) == (100, current_scale, 100)
    status = decode_status(registers(model=code, i_set=1234, iout=567))
    assert status.current_set == 1234 / current_scale
    assert status.current == 567 / current_scale
    assert status.voltage_set == 12.0 and status.power == 17.98 and status.input_voltage == 24.0


def test_an_unknown_model_number_is_read_as_volts_and_amps():
    spec = model_spec(6012)
    assert not spec.known and spec.name == "DPS6012"
    assert (spec.max_voltage, spec.max_current, spec.current_scale) == (60, 12, 100)
    assert model_spec(2403).current_scale == 1000


@pytest.mark.parametrize("code", [0, 5, 999, 5000, 10020, 65535])
def test_a_model_number_that_is_no_dps_is_a_protocol_error(code):
    with pytest.raises(ProtocolError, match=f"MODEL register reads {code}"):
        decode_status(registers(model=code))


def test_a_given_model_scales_the_registers_whatever_the_model_register_holds():
    status = decode_status(registers(model=0, i_set=1234), MODELS[5005])
    assert status.model is MODELS[5005] and status.current_set == 1.234


@pytest.mark.parametrize("protection", list(Protection))
def test_protection_states(protection):
    status = decode_status(registers(protect=protection, onoff=0))
    assert status.protection is protection
    if protection:
        assert protection.name in status.protection.text


def test_cv_and_cc():
    assert decode_status(registers(cvcc=0)).mode is Mode.CV
    assert decode_status(registers(cvcc=1)).mode is Mode.CC


def test_lock_output_and_backlight_flags():
    status = decode_status(registers(lock=1, onoff=0, b_led=5))
    assert status.locked and not status.output and status.backlight == 5


@pytest.mark.parametrize(
    ("name", "value"),
    [("protect", 4), ("cvcc", 2), ("onoff", 2), ("lock", 7), ("b_led", 6)],
)
def test_impossible_flag_values_are_protocol_errors(name, value):
    with pytest.raises(ProtocolError, match=f"{name.upper()} register reads {value}"):
        decode_status(registers(**{name: value}))


def test_the_block_must_be_complete_and_16_bit():
    with pytest.raises(ProtocolError, match="expected 13 registers, got 12"):
        decode_status(registers()[:-1])
    with pytest.raises(ProtocolError, match="not a 16-bit value"):
        decode_status(registers(uout=70000))
    with pytest.raises(ProtocolError, match="not a 16-bit value"):
        decode_status(registers(uout=-1))
    assert len(registers()) == BLOCK_COUNT


def test_set_points_encode_with_the_model_scaling():
    dps5020, dps5005 = model_spec(5020), model_spec(5005)
    assert encode_voltage(12.34, dps5020) == 1234
    assert encode_voltage(50, dps5020) == 5000
    assert encode_voltage(0, dps5020) == 0
    assert encode_current(20, dps5020) == 2000
    assert encode_current(1.5, dps5020) == 150
    assert encode_current(1.234, dps5005) == 1234
    assert encode_current("2.5", dps5005) == 2500  # text from a script or remote call


@pytest.mark.parametrize(
    ("encode", "value", "message"),
    [
        (encode_voltage, 50.01, r"voltage 50\.01 V is outside 0\.\.50 V"),
        (encode_voltage, -1, r"voltage -1 V is outside 0\.\.50 V"),
        (encode_voltage, math.nan, r"voltage nan V is outside"),
        (encode_current, 20.5, r"current 20\.5 A is outside 0\.\.20 A"),
        (encode_current, "ten", r"current must be a number of A, got 'ten'"),
        (encode_current, None, r"current must be a number of A, got None"),
        (encode_voltage, True, r"voltage must be a number of V, got True"),
    ],
)
def test_set_points_outside_the_model_range_are_refused(encode, value, message):
    with pytest.raises(ValueError, match=message):
        encode(value, model_spec(5020))


def test_a_dps5005_refuses_more_than_5_amps():
    with pytest.raises(ValueError, match=r"0\.\.5 A"):
        encode_current(5.5, model_spec(5005))


def test_malformed_answers_are_protocol_errors():
    good = CAPTURED_ANSWER
    with pytest.raises(ProtocolError, match="bad CRC"):
        parse_read_response(good[:-1] + bytes([good[-1] ^ 1]))
    with pytest.raises(ProtocolError, match="too short"):
        parse_read_response(good[:4])
    with pytest.raises(ProtocolError, match="bad CRC"):
        parse_read_response(good[:-5] + good[-2:])  # torn: bytes missing in the middle
    with pytest.raises(ProtocolError, match="from address 1, expected 2"):
        parse_read_response(good, address=2)
    with pytest.raises(ProtocolError, match="exception code 2"):
        parse_read_response(with_crc(bytes([1, 0x83, 2])))
    with pytest.raises(ProtocolError, match="function code 0x04"):
        parse_read_response(with_crc(bytes([1, 4, 2, 0, 0])))
    with pytest.raises(ProtocolError, match="announces 26 data bytes but holds 24"):
        parse_read_response(with_crc(good[:-4]))
