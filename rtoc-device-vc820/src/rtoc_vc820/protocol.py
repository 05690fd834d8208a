"""The FS9721_LP3 LCD protocol of the VC820 family: 14-byte frames <-> readings. No I/O.

The meter's chip (Fortune Semiconductor FS9721_LP3) sends its LCD, segment by
segment, about twice a second at 2400 baud 8N1, one way only. A frame is 14
bytes; the high nibble of byte ``i`` (0-based) is ``i + 1``, the low nibble
carries four LCD segments (bit 3 first):

====  =========  ========  ========  ===========
byte  bit 3      bit 2     bit 1     bit 0
====  =========  ========  ========  ===========
0     AC         DC        AUTO      RS232
1     minus      digit 1:  e  f  a
2     digit 1:   d         c  g  b
3     DP1        digit 2:  e  f  a
4     digit 2:   d         c  g  b
5     DP2        digit 3:  e  f  a
6     digit 3:   d         c  g  b
7     DP3        digit 4:  e  f  a
8     digit 4:   d         c  g  b
9     µ          n         k         diode
10    m          %         M         beep
11    F          Ω         REL       HOLD
12    A          V         Hz        battery low
13    user 3     user 2    user 1    user 0 (°C on meters with a thermometer)
====  =========  ========  ========  ===========

Digit segments are named the usual way (a top, b upper right, c lower right,
d bottom, e lower left, f upper left, g middle). DP1 is the decimal point
between digits 1 and 2, DP2 between 2 and 3, DP3 between 3 and 4. An overload
shows "0L" (digits: blank, 0, L, blank).

The layout follows sigrok's description of the chip (libsigrok ``fs9721``);
this module is written from that description, not from its code.

The protocol has no checksum. What can be checked is checked: every index
nibble, every digit pattern, at most one prefix, one unit, AC or DC, and the
RS232 annunciator (always on while the meter sends). Anything else is a
:class:`BadFrame`, so that a garbled frame is dropped rather than shown.
"""

from __future__ import annotations

import re
from typing import ClassVar

import attrs

from rtoc.link import BadAnswer

#: Bytes in one frame.
FRAME_LENGTH = 14
#: Serial settings of the meter: 2400 baud, 8 data bits, no parity, 1 stop bit.
BAUDRATE = 2400
#: Seconds one byte takes on the line at 2400 baud 8N1 (start + 8 data + stop bits).
BYTE_TIME = 10 / BAUDRATE

# the 7 segments of one digit, as bits of a "digit byte": (first nibble << 4) | second nibble,
# bit 7 (the minus sign or a decimal point) removed
_E, _F, _A, _D, _C, _G, _B = (1 << 6, 1 << 5, 1 << 4, 1 << 3, 1 << 2, 1 << 1, 1 << 0)

#: Segment patterns of the characters a digit position can show.
SEGMENTS: dict[str, int] = {
    "0": _A | _B | _C | _D | _E | _F,
    "1": _B | _C,
    "2": _A | _B | _G | _E | _D,
    "3": _A | _B | _G | _C | _D,
    "4": _F | _G | _B | _C,
    "5": _A | _F | _G | _C | _D,
    "6": _A | _F | _G | _E | _C | _D,
    "7": _A | _B | _C,
    "8": _A | _B | _C | _D | _E | _F | _G,
    "9": _A | _B | _C | _D | _F | _G,
    "L": _F | _E | _D,
    " ": 0,
}
_CHARACTERS = {pattern: character for character, pattern in SEGMENTS.items()}

#: Prefixes the LCD has, with their powers of ten.
PREFIXES: dict[str, int] = {"n": -9, "µ": -6, "m": -3, "": 0, "k": 3, "M": 6}

#: The unit annunciators: (byte, bit) of each.
_UNIT_BITS: dict[str, tuple[int, int]] = {
    "V": (12, 2),
    "A": (12, 3),
    "Ω": (11, 2),
    "F": (11, 3),
    "Hz": (12, 1),
    "%": (10, 2),
}
_PREFIX_BITS: dict[str, tuple[int, int]] = {
    "n": (9, 2),
    "µ": (9, 3),
    "m": (10, 3),
    "k": (9, 1),
    "M": (10, 1),
}
_FLAG_BITS: dict[str, tuple[int, int]] = {
    "ac": (0, 3),
    "dc": (0, 2),
    "auto": (0, 1),
    "rs232": (0, 0),
    "diode": (9, 0),
    "beep": (10, 0),
    "rel": (11, 1),
    "hold": (11, 0),
    "battery_low": (12, 0),
}
_MINUS = (1, 3)
_POINTS = ((3, 3), (5, 3), (7, 3))  # DP1, DP2, DP3
_CELSIUS_USER_BIT = 0  # byte 13 bit 0

#: The units a reading can have, with the name of what is measured.
QUANTITIES: dict[str, str] = {
    "V": "Voltage",
    "A": "Current",
    "Ω": "Resistance",
    "F": "Capacitance",
    "Hz": "Frequency",
    "%": "Duty cycle",
    "°C": "Temperature",
    "": "hFE",
}
_UNIT_ALIASES = {"Ohm": "Ω", "ohm": "Ω", "C": "°C", "degC": "°C", "hFE": ""}
_PREFIX_ALIASES = {"u": "µ", "μ": "µ"}  # ASCII u and Greek mu both mean micro


class BadFrame(BadAnswer):
    """A frame that is torn, garbled or shows something no meter displays."""


@attrs.frozen
class Reading:
    """What one frame says: the display, its annunciators and the value it means.

    ``value`` is in the base SI unit ``unit`` (12.3 mV gives ``value=0.0123``,
    ``unit="V"``), None on an overload; ``display_unit`` is the unit with the
    prefix shown on the LCD ("mV") and ``text`` the digits as shown ("12.3",
    "-0.015", "0L").
    """

    text: str
    value: float | None
    unit: str
    prefix: str = ""
    quantity: str = "Voltage"
    ac: bool = False
    dc: bool = False
    auto: bool = False
    rs232: bool = True
    hold: bool = False
    rel: bool = False
    diode: bool = False
    beep: bool = False
    battery_low: bool = False
    user: int = 0

    COUPLED: ClassVar[frozenset[str]] = frozenset({"Voltage", "Current"})

    @property
    def overload(self) -> bool:
        return self.value is None

    @property
    def display_unit(self) -> str:
        return self.prefix + self.unit

    @property
    def coupling(self) -> str:
        return "AC" if self.ac else "DC" if self.dc else ""

    @property
    def signal(self) -> str:
        """The name of the measured quantity as a signal: "Voltage DC", "Resistance" ..."""
        if self.quantity in self.COUPLED and self.coupling:
            return f"{self.quantity} {self.coupling}"
        return self.quantity

    def describe(self) -> str:
        """The LCD as one line of text, e.g. ``-1.234 V DC AUTO HOLD``."""
        words = [self.text, self.display_unit, self.coupling]
        words += [name for name in ("AUTO", "HOLD", "REL") if getattr(self, name.lower())]
        if self.diode:
            words.append("diode")
        if self.beep:
            words.append("beep")
        if self.battery_low:
            words.append("BAT")
        return " ".join(word for word in words if word)


# -- decoding ------------------------------------------------------------------------------


def check_indices(frame: bytes) -> None:
    """Raise :class:`BadFrame` unless ``frame`` is 14 bytes indexed 1..14."""
    if len(frame) != FRAME_LENGTH:
        raise BadFrame(f"a frame has {FRAME_LENGTH} bytes, got {len(frame)}: {frame.hex(' ')}")
    for position, byte in enumerate(frame):
        if byte >> 4 != position + 1:
            raise BadFrame(
                f"byte {position + 1} of the frame has index {byte >> 4}: {frame.hex(' ')}"
            )


def _bit(frame: bytes, where: tuple[int, int]) -> bool:
    byte, bit = where
    return bool(frame[byte] & (1 << bit))


def _digits(frame: bytes) -> str:
    """The four characters shown, e.g. " 0L " or "1234"."""
    shown = []
    for position in range(4):
        pattern = ((frame[1 + 2 * position] & 0x07) << 4) | (frame[2 + 2 * position] & 0x0F)
        character = _CHARACTERS.get(pattern)
        if character is None:
            raise BadFrame(
                f"digit {position + 1} shows no known character (segments 0x{pattern:02x}): "
                f"{frame.hex(' ')}"
            )
        shown.append(character)
    return "".join(shown)


def _one_of(frame: bytes, bits: dict[str, tuple[int, int]], what: str) -> str | None:
    found = [name for name, where in bits.items() if _bit(frame, where)]
    if len(found) > 1:
        raise BadFrame(f"more than one {what} lit ({', '.join(found)}): {frame.hex(' ')}")
    return found[0] if found else None


_OVERLOAD = re.compile(r" *0L *")
_NUMBER = re.compile(r" *[0-9]+")


def decode(frame: bytes) -> Reading:
    """The reading one 14-byte frame shows; :class:`BadFrame` if it cannot be one."""
    check_indices(frame)
    flags = {name: _bit(frame, where) for name, where in _FLAG_BITS.items()}
    if not flags["rs232"]:
        raise BadFrame(f"RS232 annunciator off in a frame the meter sent: {frame.hex(' ')}")
    if flags["ac"] and flags["dc"]:
        raise BadFrame(f"both AC and DC lit: {frame.hex(' ')}")
    prefix = _one_of(frame, _PREFIX_BITS, "prefix") or ""
    unit = _one_of(frame, _UNIT_BITS, "unit")
    user = frame[13] & 0x0F
    if unit is None:
        unit = "°C" if user & (1 << _CELSIUS_USER_BIT) else "V" if flags["diode"] else ""

    digits = _digits(frame)
    points = [index + 1 for index, where in enumerate(_POINTS) if _bit(frame, where)]
    if len(points) > 1:
        raise BadFrame(f"more than one decimal point lit: {frame.hex(' ')}")
    point = points[0] if points else 0  # digits left of the point (0: no point)
    shown = (digits[:point] + "." + digits[point:] if point else digits).strip()
    if _bit(frame, _MINUS):
        shown = "-" + shown
    if _OVERLOAD.fullmatch(digits):
        value = None
    elif _NUMBER.fullmatch(digits) and not (point and digits[point - 1] == " "):
        # leading blanks, then digits, and a point (if any) between two digits
        value = float(f"{shown}e{PREFIXES[prefix]}")
    else:
        raise BadFrame(
            f"the display {digits!r} (point after digit {point}) is neither a number nor 0L: "
            f"{frame.hex(' ')}"
        )
    return Reading(
        text=shown,
        value=value,
        unit=unit,
        prefix=prefix,
        quantity=_quantity(unit, flags["diode"], flags["beep"]),
        user=user,
        **flags,
    )


def _quantity(unit: str, diode: bool, beep: bool) -> str:
    if unit == "V" and diode:
        return "Diode"
    if unit == "Ω" and beep:
        return "Continuity"
    return QUANTITIES[unit]


# -- encoding (the simulator and tests) -----------------------------------------------------


def split_unit(unit: str) -> tuple[str, str]:
    """``"mV"`` -> ``("m", "V")``; accepts ``u`` for µ, ``Ohm`` for Ω, ``C`` for °C."""
    unit = unit.strip()
    for alias, proper in _UNIT_ALIASES.items():
        if unit.endswith(alias) and unit[: -len(alias)] in {*PREFIXES, *_PREFIX_ALIASES}:
            unit = unit[: -len(alias)] + proper
            break
    for base in sorted(QUANTITIES, key=len, reverse=True):
        if base and unit.endswith(base):
            prefix = unit[: -len(base)]
            prefix = _PREFIX_ALIASES.get(prefix, prefix)
            if prefix in PREFIXES:
                return prefix, base
    prefix = _PREFIX_ALIASES.get(unit, unit)
    if prefix in PREFIXES:  # a bare prefix: hFE (no unit) with a prefix
        return prefix, ""
    raise ValueError(
        f"unknown unit {unit!r}; use a prefix ({', '.join(p for p in PREFIXES if p)}) "
        f"and one of: {', '.join(repr(u) for u in QUANTITIES)}"
    )


def _set(frame: bytearray, where: tuple[int, int]) -> None:
    byte, bit = where
    frame[byte] |= 1 << bit


def encode(
    text: str,
    unit: str = "V",
    *,
    ac: bool = False,
    dc: bool = False,
    auto: bool = False,
    hold: bool = False,
    rel: bool = False,
    diode: bool = False,
    beep: bool = False,
    battery_low: bool = False,
    rs232: bool = True,
    user: int = 0,
) -> bytes:
    """The frame a meter sends while showing ``text`` in ``unit``, e.g. ``encode("-1.234", "mV",
    dc=True)`` or ``encode("0L", "MΩ")``.

    ``text``: up to 4 characters from 0-9, blank and L (right-aligned), an optional leading
    ``-`` and one ``.`` after the first, second or third position. ``unit``: a base unit from
    :data:`QUANTITIES` with an optional prefix; ``°C`` lights user bit 0, ``""`` (hFE) none.
    ``user``: the four user-defined bits of byte 14 (added to the °C bit).
    """
    frame = bytearray((index + 1) << 4 for index in range(FRAME_LENGTH))
    negative = text.startswith("-")
    body = text[1:] if negative else text
    point = body.find(".")
    digits = body.replace(".", "", 1)
    if len(digits) > 4 or "." in digits or any(c not in SEGMENTS for c in digits):
        raise ValueError(f"cannot show {text!r}: up to 4 of 0-9, blank, L, and one '.'")
    # numbers are right-aligned; an overload is shown as " 0L " (blank, 0, L, blank)
    blanks = 1 if digits == "0L" else 4 - len(digits)
    digits = (" " * blanks + digits).ljust(4)
    if point >= 0:
        position = point + blanks  # digits left of the point
        if point == 0 or not 1 <= position <= 3:
            raise ValueError(f"cannot show {text!r}: the point must follow digit 1, 2 or 3")
        _set(frame, _POINTS[position - 1])
    if negative:
        _set(frame, _MINUS)
    for position, character in enumerate(digits):
        pattern = SEGMENTS[character]
        frame[1 + 2 * position] |= pattern >> 4
        frame[2 + 2 * position] |= pattern & 0x0F
    prefix, base = split_unit(unit)
    if prefix:
        _set(frame, _PREFIX_BITS[prefix])
    if base == "°C":
        user |= 1 << _CELSIUS_USER_BIT
    elif base:
        _set(frame, _UNIT_BITS[base])
    if not 0 <= user <= 0x0F:
        raise ValueError(f"user bits are 0..15, got {user}")
    frame[13] |= user
    flags = {
        "ac": ac,
        "dc": dc,
        "auto": auto,
        "rs232": rs232,
        "diode": diode,
        "beep": beep,
        "rel": rel,
        "hold": hold,
        "battery_low": battery_low,
    }
    for name, lit in flags.items():
        if lit:
            _set(frame, _FLAG_BITS[name])
    return bytes(frame)


def encode_reading(reading: Reading) -> bytes:
    """A frame that shows ``reading``: ``decode(encode_reading(r)) == r``."""
    flags = {name: getattr(reading, name) for name in _FLAG_BITS}
    return encode(reading.text, reading.display_unit, user=reading.user, **flags)


# -- finding frames in a byte stream --------------------------------------------------------


class FrameAssembler:
    """Cuts the byte stream from the meter into frames of 14 consecutive indices.

    Bytes are taken one at a time: a byte that continues the frame being built
    is added; any other byte ends that frame unfinished (it is dropped) and is
    the start of a new one if its index is 1, else dropped too. So a torn
    frame, a lost byte or noise between frames costs that frame only, and the
    next byte with index 1 starts over. Bytes before the first index-1 byte
    (the tail of a frame that was on the line when the port opened) are
    skipped silently; every later byte dropped is counted in :attr:`skipped`.
    """

    def __init__(self) -> None:
        self._partial = bytearray()
        self.synced = False
        #: Bytes dropped (torn frames, noise) since :meth:`take_skipped` was last called.
        self.skipped = 0

    def feed(self, data: bytes) -> list[bytes]:
        """Add received bytes; return the frames they completed, oldest first."""
        frames = []
        partial = self._partial
        for byte in data:
            index = byte >> 4
            if index != len(partial) + 1:  # not the next byte of this frame
                self._drop(len(partial))
                partial.clear()
                if index != 1:
                    self._drop(1)
                    continue
            if index == 1:
                self.synced = True
            partial.append(byte)
            if len(partial) == FRAME_LENGTH:
                frames.append(bytes(partial))
                partial.clear()
        return frames

    def _drop(self, count: int) -> None:
        if self.synced:
            self.skipped += count

    def take_skipped(self) -> int:
        """Bytes dropped since the last call (and reset the count)."""
        skipped, self.skipped = self.skipped, 0
        return skipped

    @property
    def pending(self) -> int:
        """Bytes of an unfinished frame waiting for the rest."""
        return len(self._partial)
