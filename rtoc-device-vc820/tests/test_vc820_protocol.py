"""The pure FS9721 protocol: frames <-> readings, every unit, prefix and flag, and bad input."""

import math

import pytest

from rtoc.link import BadAnswer
from rtoc_vc820.protocol import (
    FRAME_LENGTH,
    PREFIXES,
    QUANTITIES,
    SEGMENTS,
    BadFrame,
    FrameAssembler,
    Reading,
    decode,
    encode,
    encode_reading,
    split_unit,
)

# "digit bytes" (segments e f a | d c g b) of 0..9 and L as sigrok's fs9721 documents them
SIGROK_DIGITS = {
    "0": 0x7D,
    "1": 0x05,
    "2": 0x5B,
    "3": 0x1F,
    "4": 0x27,
    "5": 0x3E,
    "6": 0x7E,
    "7": 0x15,
    "8": 0x7F,
    "9": 0x3F,
    "L": 0x68,
}


def frame_of(*low_nibbles: int) -> bytes:
    """A frame from its 14 low nibbles (the index nibbles added)."""
    assert len(low_nibbles) == FRAME_LENGTH
    return bytes(((index + 1) << 4) | nibble for index, nibble in enumerate(low_nibbles))


def test_segment_patterns_match_the_chip():
    assert {c: p for c, p in SEGMENTS.items() if c != " "} == SIGROK_DIGITS
    assert SEGMENTS[" "] == 0


def test_a_known_frame_decodes():
    # "-1.234 mV DC AUTO", built nibble by nibble from the chip's table
    frame = frame_of(0b0111, 0b1000, 0b0101, 0b1101, 0b1011, 0b0001, 0b1111,
                     0b0010, 0b0111, 0, 0b1000, 0, 0b0100, 0)  # fmt: skip
    reading = decode(frame)
    assert reading.text == "-1.234"
    assert reading.value == pytest.approx(-1.234e-3, rel=1e-12)
    assert (reading.unit, reading.prefix, reading.display_unit) == ("V", "m", "mV")
    assert reading.signal == "Voltage DC"
    assert reading.dc and reading.auto and reading.rs232 and not reading.ac
    assert encode("-1.234", "mV", dc=True, auto=True) == frame
    assert reading.describe() == "-1.234 mV DC AUTO"


def test_overload_is_the_chips_0L_pattern():
    frame = encode("0L", "MΩ", auto=True)
    digits = [((frame[1 + 2 * i] & 7) << 4) | (frame[2 + 2 * i] & 0xF) for i in range(4)]
    assert digits == [0x00, 0x7D, 0x68, 0x00]  # blank, 0, L, blank
    reading = decode(frame)
    assert reading.overload and reading.value is None
    assert reading.text == "0L" and reading.signal == "Resistance"
    assert decode(encode("0.L", "kΩ")).text == "0.L"
    assert decode(encode("-0L", "V", dc=True)).text == "-0L"
    assert decode(encode_reading(reading)) == reading


@pytest.mark.parametrize(
    ("text", "unit", "flags", "signal", "value", "base"),
    [
        ("1.234", "V", {"dc": True}, "Voltage DC", 1.234, "V"),
        ("230.1", "V", {"ac": True}, "Voltage AC", 230.1, "V"),
        ("399.9", "mV", {}, "Voltage", 0.3999, "V"),
        ("-12.34", "mA", {"dc": True}, "Current DC", -0.01234, "A"),
        ("3.999", "A", {"ac": True}, "Current AC", 3.999, "A"),
        ("123.4", "µA", {"dc": True}, "Current DC", 123.4e-6, "A"),
        ("4.701", "kΩ", {"auto": True}, "Resistance", 4701.0, "Ω"),
        ("39.99", "MΩ", {}, "Resistance", 39.99e6, "Ω"),
        ("0.021", "Ω", {"beep": True}, "Continuity", 0.021, "Ω"),
        ("0.583", "V", {"diode": True}, "Diode", 0.583, "V"),
        ("3.999", "nF", {}, "Capacitance", 3.999e-9, "F"),
        ("2.200", "µF", {}, "Capacitance", 2.2e-6, "F"),
        ("50.00", "Hz", {}, "Frequency", 50.0, "Hz"),
        ("1.000", "kHz", {}, "Frequency", 1000.0, "Hz"),
        ("9.999", "MHz", {}, "Frequency", 9.999e6, "Hz"),
        ("49.9", "%", {}, "Duty cycle", 49.9, "%"),
        ("-23", "°C", {}, "Temperature", -23.0, "°C"),
        ("0123", "", {}, "hFE", 123.0, ""),
    ],
)
def test_every_function_decodes_to_base_units(text, unit, flags, signal, value, base):
    reading = decode(encode(text, unit, rs232=True, **flags))
    assert reading.signal == signal
    assert reading.unit == base
    assert reading.display_unit == unit
    assert reading.value == pytest.approx(value, rel=1e-12)
    assert reading.text == text
    assert decode(encode_reading(reading)) == reading


@pytest.mark.parametrize("prefix", list(PREFIXES))
@pytest.mark.parametrize("base", [unit for unit in QUANTITIES if unit])
def test_every_prefix_with_every_unit_round_trips(prefix, base):
    reading = decode(encode("1.5", prefix + base))
    assert (reading.prefix, reading.unit) == (prefix, base)
    assert reading.value == pytest.approx(1.5 * 10 ** PREFIXES[prefix], rel=1e-12)
    assert decode(encode_reading(reading)) == reading


@pytest.mark.parametrize(
    "flag", ["ac", "dc", "auto", "hold", "rel", "diode", "beep", "battery_low"]
)
def test_every_flag_alone_round_trips(flag):
    reading = decode(encode("1.000", "V", **{flag: True}))
    others = {"ac", "dc", "auto", "hold", "rel", "diode", "beep", "battery_low"} - {flag}
    assert getattr(reading, flag)
    assert not any(getattr(reading, other) for other in others)
    assert decode(encode_reading(reading)) == reading


@pytest.mark.parametrize(
    ("text", "value"),
    [("1.234", 1.234), ("12.34", 12.34), ("123.4", 123.4), ("1234", 1234.0), ("0.000", 0.0),
     ("-0.001", -0.001), ("5", 5.0), ("-42", -42.0), ("0.5", 0.5)],
)  # fmt: skip
def test_decimal_point_and_sign(text, value):
    reading = decode(encode(text, "V"))
    assert reading.value == value and reading.text == text


def test_describe_names_every_annunciator():
    reading = decode(encode("1.0", "Ω", auto=True, hold=True, rel=True, beep=True,
                            battery_low=True))  # fmt: skip
    assert reading.describe() == "1.0 Ω AUTO HOLD REL beep BAT"
    assert decode(encode("0.5", "V", diode=True)).describe() == "0.5 V diode"


def test_user_bits_and_celsius():
    assert decode(encode("25", "°C")).user == 1
    assert decode(encode("25", "V", user=0b1010)).user == 0b1010
    assert decode(encode("25", "V", user=1)).unit == "V"  # a real unit wins over user bit 0
    with pytest.raises(ValueError, match="user bits"):
        encode("1", "V", user=16)


def test_diode_symbol_without_volt_is_a_diode_reading():
    frame = bytearray(encode("0.512", ""))
    frame[9] |= 1  # diode annunciator only
    reading = decode(bytes(frame))
    assert (reading.signal, reading.unit, reading.value) == ("Diode", "V", 0.512)


def test_unit_spellings():
    assert split_unit("uA") == ("µ", "A")
    assert split_unit("μF") == ("µ", "F")
    assert split_unit("kOhm") == ("k", "Ω")
    assert split_unit("C") == ("", "°C")
    assert split_unit("hFE") == ("", "")
    with pytest.raises(ValueError, match="unknown unit"):
        split_unit("furlong")


@pytest.mark.parametrize(
    ("text", "problem"),
    [("12345", "up to 4"), ("1.2.3", "up to 4"), ("1x", "up to 4"), (".123", "point must")],
)
def test_encode_refuses_what_the_lcd_cannot_show(text, problem):
    with pytest.raises(ValueError, match=problem):
        encode(text, "V")


# -- malformed frames: garbage, never a value ------------------------------------------------


def corrupt(frame: bytes, index: int, low_nibble: int) -> bytes:
    changed = bytearray(frame)
    changed[index] = (changed[index] & 0xF0) | low_nibble
    return bytes(changed)


GOOD = encode("1.234", "V", dc=True, auto=True)


@pytest.mark.parametrize(
    ("frame", "problem"),
    [
        (GOOD[:13], "has 14 bytes, got 13"),
        (GOOD + b"\xe0", "has 14 bytes, got 15"),
        (b"", "got 0"),
        (GOOD[:5] + b"\x00" + GOOD[6:], "byte 6 of the frame has index 0"),
        (GOOD[1:] + GOOD[:1], "byte 1 of the frame has index 2"),
        (corrupt(GOOD, 2, 0b0100), "digit 1 shows no known character"),  # "1" lost segment b
        (corrupt(GOOD, 8, 0b1110), "digit 4 shows no known character"),
        (encode("1L23", "V"), "neither a number nor 0L"),
        (encode("1 23", "V"), "neither a number nor 0L"),
        (encode("L", "V"), "neither a number nor 0L"),
        (encode("", "V"), "neither a number nor 0L"),
        (corrupt(encode(" 12", "V"), 3, 0x8), "neither a number nor 0L"),  # point after a blank
        (corrupt(GOOD, 5, GOOD[5] & 0xF | 0x8), "more than one decimal point"),
        (corrupt(GOOD, 0, 0b1101), "both AC and DC"),
        (encode("1.234", "V", rs232=False), "RS232 annunciator off"),
        (corrupt(GOOD, 9, 0b1010), "more than one prefix"),
        (corrupt(GOOD, 12, 0b1100), "more than one unit"),
        (corrupt(GOOD, 11, 0b1100), "more than one unit"),
    ],
)
def test_malformed_frames_are_bad_answers(frame, problem):
    with pytest.raises(BadFrame, match=problem) as raised:
        decode(frame)
    assert isinstance(raised.value, BadAnswer)  # the Link drops it as garbage


# -- finding frames in the byte stream ----------------------------------------------------


A = encode("1.111", "V", dc=True)
B = encode("2.222", "V", dc=True)
C = encode("3.333", "V", dc=True)


def test_frames_split_anywhere_are_put_together():
    assembler = FrameAssembler()
    stream = A + B + C
    frames = []
    for index in range(len(stream)):  # one byte at a time, as a slow line delivers them
        frames += assembler.feed(stream[index : index + 1])
    assert frames == [A, B, C]
    assert assembler.take_skipped() == 0 and assembler.pending == 0


def test_the_tail_of_a_frame_at_opening_is_skipped_silently():
    assembler = FrameAssembler()
    assert assembler.feed(A[6:] + B + C[:3]) == [B]
    assert assembler.take_skipped() == 0
    assert assembler.pending == 3
    assert assembler.feed(C[3:]) == [C]


@pytest.mark.parametrize(
    ("stream", "skipped"),
    [
        (A + A[:7] + B, 7),  # torn frame: the rest never came
        (A + A[:5] + A[6:] + B, 13),  # one byte lost in the middle
        (A + b"\x00\xff\x7f" + B, 3),  # noise between frames
        (A + b"\x1f" + B, 1),  # noise that looks like a frame start
        (A + b"\x13\x2f\x35" + B, 3),  # noise that looks like a frame's first bytes
        (A + A[:13] + A[:13] + B, 26),  # two frames each without its last byte
        (A + B[:9] + b"\xc5" + B[10:] + B, 14),  # a byte replaced by one of another index
    ],
)
def test_torn_frames_and_noise_are_dropped_and_counted(stream, skipped):
    assembler = FrameAssembler()
    frames = assembler.feed(stream)
    assert frames == [A, B]
    assert assembler.take_skipped() == skipped
    assert assembler.take_skipped() == 0  # taking resets the count


def test_only_whole_frames_come_out_of_noise():
    assembler = FrameAssembler()
    noise = bytes(range(256)) * 3
    frames = assembler.feed(noise)
    assert all(len(frame) == FRAME_LENGTH for frame in frames)
    for frame in frames:  # whatever noise forms a frame is caught by decode or is valid
        try:
            reading = decode(frame)
        except BadFrame:
            continue
        assert reading.value is None or math.isfinite(reading.value)


def test_reading_equality_is_by_content():
    expected = Reading(text="1.0", value=1.0, unit="V", quantity="Voltage")
    assert decode(encode("1.0", "V")) == expected
