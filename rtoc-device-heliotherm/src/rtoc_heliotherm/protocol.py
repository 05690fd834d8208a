"""The Heliotherm RCG2 Modbus register map, and turning register values into readings.

Pure: no I/O. Everything here works on lists of 16-bit register values as a
Modbus client returns them, and is tested without a network.

Where the addresses come from (register numbers are the 0-based protocol
addresses, unit id 1, port 502; function 4 reads input registers, 3 reads
and 6/16 write holding registers):

* Heliotherm's "Modbus-Doku" for the RCG2 controller, as shipped with and read
  by the Home Assistant integration ``mbuchber/ha_heliotherm``
  (``docs/Modbus-Doku_DE.pdf``; it reads input registers 10..41 and 60..75 and
  holding registers 100..126, and decodes 60..75 as big-endian 32-bit values);
* Heliotherm's register list "Fachmannebene RCGX 1.0.5.4" (and "Registerliste
  2.2.0.1"), transcribed in ``pcjc2/ha_heliotherm`` ``const.py``: adds 42..45
  (operating hours, 32 bit), 46..50 (mixing circuits, room sensor 1) and the
  set-point limits used here (room 10..25 °C, hot water 5..65 °C);
* RTOC's own Heliotherm plugin (``Haschtl/RTOC-Plugins``,
  ``Heliotherm/config.json`` and ``Heliotherm.py``): the same addresses, read
  as one block of input registers 10..75 and one of holding registers from
  100, and the operating-mode names including the read-only 8..10.

Where they disagree, README.md says which one this module follows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

#: Modbus TCP port and unit id the RCG2 controller answers on.
DEFAULT_PORT = 502
DEFAULT_UNIT_ID = 1

#: The input registers read in one request: 10..75 (RTOC read the same block).
INPUT_START = 10
INPUT_COUNT = 66
#: The holding registers read in one request: 100..127 (mode .. external demand).
HOLDING_START = 100
HOLDING_COUNT = 28

#: Raw value of a temperature whose sensor is not connected (-50.0 °C); both
#: Home Assistant integrations treat it as "no value".
SENSOR_MISSING = -500


class Kind(Enum):
    """How a register's raw value becomes a reading."""

    SIGNED = "signed 16 bit"  # two's complement, times scale
    UNSIGNED = "unsigned 16 bit"
    FLAG = "flag"  # 0 = off, anything else = on (the map says "ja, wenn <> 0")
    UINT32 = "unsigned 32 bit, high word first"  # this register and the next


@dataclass(frozen=True)
class Register:
    """One value of the map: where it is, what it is called, its unit and sane range."""

    address: int
    name: str
    unit: str
    kind: Kind = Kind.SIGNED
    scale: float = 1.0
    low: float = 0.0
    high: float = 1.0
    #: Raw values this register never takes in earnest (e.g. a sensor missing).
    sentinel: int | None = None
    #: Values it may take (a state); None: any value in low..high.
    allowed: frozenset[float] | None = None
    #: Heliotherm's own name of the register, for the README and messages.
    original: str = ""
    holding: bool = False

    @property
    def words(self) -> int:
        return 2 if self.kind is Kind.UINT32 else 1

    @property
    def location(self) -> str:
        """Where it is, for messages: ``"input register 50"``, ``"input registers 60..61"``."""
        table = "holding register" if self.holding else "input register"
        if self.words == 1:
            return f"{table} {self.address}"
        return f"{table}s {self.address}..{self.address + self.words - 1}"


def _temperature(address: int, name: str, original: str, holding: bool = False) -> Register:
    return Register(
        address,
        name,
        "°C",
        scale=0.1,
        low=-49.9,
        high=150.0,
        sentinel=SENSOR_MISSING,
        original=original,
        holding=holding,
    )


def _flag(address: int, name: str, original: str, holding: bool = False) -> Register:
    return Register(address, name, "", Kind.FLAG, original=original, holding=holding)


def _counter(address: int, name: str, unit: str, original: str, scale: float = 1.0) -> Register:
    return Register(address, name, unit, Kind.UINT32, scale, 0.0, 1e8, original=original)


#: Compressor demand (input 41, "Verdichteranforderung"): what the pump runs for.
DEMANDS = {0: "none", 10: "cooling", 20: "heating", 30: "hot water"}

#: Operating modes a user may set (holding 100, "Betriebsart"): number -> (name, German name).
MODES: dict[int, tuple[str, str]] = {
    0: ("off", "Aus"),
    1: ("auto", "Automatik"),
    2: ("cooling", "Kühlen"),
    3: ("summer", "Sommer"),
    4: ("always on", "Dauerbetrieb"),
    5: ("setback", "Absenkung"),
    6: ("holiday", "Urlaub"),
    7: ("party", "Party"),
}
#: Modes the pump may report but that cannot be set (listed by RTOC's plugin only).
REPORTED_MODES: dict[int, tuple[str, str]] = {
    8: ("bake-out", "Ausheizen"),
    9: ("utility lock", "EVU-Sperre"),
    10: ("main switch off", "Hauptschalter aus"),
}

#: Other names accepted for a mode (lower case, spaces for "_" and "-").
_MODE_ALIASES = {
    "automatic": 1,
    "automatik": 1,
    "kuehlen": 2,
    "kühlen": 2,
    "cool": 2,
    "continuous": 4,
    "absenken": 5,
    "absenkbetrieb": 5,
    "reduced": 5,
    "vacation": 6,
}

INPUT_REGISTERS: tuple[Register, ...] = (
    _temperature(10, "Outdoor temperature", "Temp. Aussen"),
    _temperature(11, "Hot water temperature", "Temp. Brauchwasser"),
    _temperature(12, "Flow temperature", "Temp. Vorlauf"),
    _temperature(13, "Return temperature", "Temp. Rücklauf"),
    _temperature(14, "Buffer temperature", "Temp. Pufferspeicher"),
    _temperature(15, "Source inlet temperature", "Temp. EQ Eintritt"),
    _temperature(16, "Source outlet temperature", "Temp. EQ Austritt"),
    _temperature(17, "Suction gas temperature", "Temp. Sauggas"),
    _temperature(18, "Evaporation temperature", "Temp. Verdampfung"),
    _temperature(19, "Condensation temperature", "Temp. Kondensation"),
    _temperature(20, "Hot gas temperature", "Temp. Heissgas"),
    Register(21, "Low pressure", "bar", scale=0.1, high=60.0, original="Niederdruck"),
    Register(22, "High pressure", "bar", scale=0.1, high=60.0, original="Hochdruck"),
    _flag(23, "Heating pump", "Heizkreispumpe"),
    _flag(24, "Buffer pump", "Pufferladepumpe"),
    _flag(25, "Compressor", "Verdichter"),
    Register(26, "Error", "", Kind.UNSIGNED, high=9999.0, original="Störung"),
    _flag(27, "Defrost valve", "Vierwegeventil Luft (Abtaubetrieb)"),
    Register(28, "Flow rate", "l/min", scale=0.1, high=300.0, original="WMZ Durchfluss"),
    # the map gives per mille of the maximum speed; RTOC and OpenEMS show it in %
    Register(29, "Compressor speed", "%", scale=0.1, high=100.0, original="n-Soll Verdichter"),
    Register(30, "COP", "", scale=0.1, high=20.0, original="COP"),
    _temperature(31, "Fresh water temperature", "Temp. Frischwasser"),
    _flag(32, "Utility release", "EVU Freigabe"),
    _temperature(33, "Outdoor temperature delayed", "Temp. Aussen verzögert"),
    _temperature(34, "Return set-point", "Rücklauf-/Speichersolltemperatur (HKR Soll)"),
    _flag(37, "Source pump", "Energiequellenpumpe / Ventilator"),
    _flag(38, "Hot water valve", "Brauchwasser-Vorrang (WW Vorrang)"),
    Register(
        41,
        "Compressor demand",
        "",
        Kind.UNSIGNED,
        high=30.0,
        allowed=frozenset(DEMANDS),
        original="Verdichteranforderung",
    ),
    _counter(42, "Hot water hours", "h", "Betriebsstunden im WW-Betrieb"),
    _counter(44, "Heating hours", "h", "Betriebsstunden im HZG-Betrieb"),
    _temperature(50, "Room temperature", "Raumfühler 1"),
    _counter(60, "Thermal energy heating", "kWh", "WMZ Heizung"),
    _counter(62, "Electrical energy heating", "kWh", "Stromzähler Heizung"),
    _counter(64, "Thermal energy hot water", "kWh", "WMZ Brauchwasser"),
    _counter(66, "Electrical energy hot water", "kWh", "Stromzähler Brauchwasser"),
    _counter(68, "Electrical energy total", "kWh", "Stromzähler Gesamt"),
    _counter(70, "Electrical power", "W", "Stromzähler Leistung"),
    _counter(72, "Thermal energy total", "kWh", "WMZ Gesamt"),
    _counter(74, "Thermal power", "kW", "WMZ Leistung", scale=0.1),
)

HR_MODE = 100
HR_ROOM_SETPOINT = 101
HR_HOT_WATER_SETPOINT = 105
HR_HOT_WATER_MINIMUM = 106
HR_EXTERNAL_DEMAND = 127
#: Write 1 to acknowledge (reset) an error ("Entstören"); not read back as a signal.
HR_RESET_ERROR = 128

HOLDING_REGISTERS: tuple[Register, ...] = (
    Register(
        HR_MODE,
        "Operating mode",
        "",
        Kind.UNSIGNED,
        high=10.0,
        allowed=frozenset(MODES) | frozenset(REPORTED_MODES),
        original="Betriebsart",
        holding=True,
    ),
    Register(
        HR_ROOM_SETPOINT,
        "Room set-point",
        "°C",
        scale=0.1,
        high=50.0,
        original="Raumsolltemperatur (HKR Soll_Raum)",
        holding=True,
    ),
    Register(
        HR_HOT_WATER_SETPOINT,
        "Hot water set-point",
        "°C",
        scale=0.1,
        high=90.0,
        original="WW Normaltemperatur",
        holding=True,
    ),
    Register(
        HR_HOT_WATER_MINIMUM,
        "Hot water minimum",
        "°C",
        scale=0.1,
        high=90.0,
        original="WW Minimaltemperatur",
        holding=True,
    ),
    _flag(HR_EXTERNAL_DEMAND, "External demand", "Externe Anforderung", holding=True),
)

#: Derived, not a register: thermal over electrical energy since commissioning.
LIFETIME_COP = "Lifetime COP"

#: Set-point limits the functions accept (the pump's own, from the RCGX register list).
ROOM_SETPOINT_RANGE = (10.0, 25.0)
HOT_WATER_RANGE = (5.0, 65.0)

REGISTERS = {register.name: register for register in INPUT_REGISTERS + HOLDING_REGISTERS}


class ProtocolError(ValueError):
    """A block of registers that cannot be an answer to the request (wrong size, not 16 bit)."""


@dataclass(frozen=True)
class Reading:
    name: str
    value: float
    unit: str


@dataclass(frozen=True)
class Rejected:
    """A value that was read but makes no sense: dropped, with the reason."""

    name: str
    raw: int
    reason: str


@dataclass(frozen=True)
class Decoded:
    readings: tuple[Reading, ...]
    rejected: tuple[Rejected, ...]

    def values(self) -> dict[str, float]:
        return {reading.name: reading.value for reading in self.readings}


# -- words ---------------------------------------------------------------------


def to_signed(raw: int) -> int:
    """A 16-bit register value read as two's complement."""
    return raw - 0x10000 if raw & 0x8000 else raw


def to_register(value: int) -> int:
    """A signed or unsigned integer as the 16-bit register value that holds it."""
    if not -0x8000 <= value <= 0xFFFF:
        raise ValueError(f"{value} does not fit in a 16-bit register")
    return value & 0xFFFF


def to_uint32(high: int, low: int) -> int:
    """Two registers as one unsigned 32-bit value, the first holding the high word."""
    return (high << 16) | low


def from_uint32(value: int) -> tuple[int, int]:
    """An unsigned 32-bit value as (high word, low word), the order the pump sends them."""
    if not 0 <= value <= 0xFFFFFFFF:
        raise ValueError(f"{value} does not fit in 32 bits")
    return value >> 16, value & 0xFFFF


def encode_temperature(celsius: float) -> int:
    """°C as the register value of a temperature in 0.1 °C (two's complement)."""
    return to_register(round(celsius * 10))


def decode_temperature(raw: int) -> float:
    return to_signed(raw) / 10


# -- decoding --------------------------------------------------------------------


def _check_block(registers: Sequence[int], count: int, what: str) -> None:
    if len(registers) != count:
        raise ProtocolError(f"{what}: expected {count} registers, got {len(registers)}")
    for raw in registers:
        if not isinstance(raw, int) or not 0 <= raw <= 0xFFFF:
            raise ProtocolError(f"{what}: {raw!r} is not a 16-bit register value")


def decode_register(register: Register, words: Sequence[int]) -> Reading | Rejected:
    """One value from its register(s): scaled, or rejected with the reason."""
    raw = to_uint32(words[0], words[1]) if register.kind is Kind.UINT32 else words[0]
    if register.kind is Kind.FLAG:
        return Reading(register.name, 1.0 if raw else 0.0, register.unit)
    number = to_signed(raw) if register.kind is Kind.SIGNED else raw
    if register.sentinel is not None and number == register.sentinel:
        return Rejected(
            register.name,
            raw,
            f"sensor not connected ({number * register.scale:g} {register.unit})".rstrip(),
        )
    value = round(number * register.scale, 6)
    if register.allowed is not None and value not in register.allowed:
        choices = ", ".join(f"{choice:g}" for choice in sorted(register.allowed))
        return Rejected(register.name, raw, f"{value:g} is none of {choices}")
    if not register.low <= value <= register.high:
        unit = f" {register.unit}" if register.unit else ""
        return Rejected(
            register.name,
            raw,
            f"{value:g}{unit} is outside {register.low:g}..{register.high:g}{unit}",
        )
    return Reading(register.name, value, register.unit)


def _decode_block(
    registers: Sequence[int], start: int, table: Sequence[Register]
) -> list[Reading | Rejected]:
    results = []
    for register in table:
        offset = register.address - start
        results.append(decode_register(register, registers[offset : offset + register.words]))
    return results


def decode(input_registers: Sequence[int], holding_registers: Sequence[int]) -> Decoded:
    """Readings from the input block (10..75) and the holding block (100..127).

    Raises :class:`ProtocolError` when a block is not what was asked for; a
    single value that makes no sense (a sensor missing, out of range) is
    returned in ``rejected`` and the others are kept.
    """
    _check_block(input_registers, INPUT_COUNT, "input registers")
    _check_block(holding_registers, HOLDING_COUNT, "holding registers")
    results = _decode_block(input_registers, INPUT_START, INPUT_REGISTERS)
    results += _decode_block(holding_registers, HOLDING_START, HOLDING_REGISTERS)
    readings = [result for result in results if isinstance(result, Reading)]
    rejected = [result for result in results if isinstance(result, Rejected)]
    cop = lifetime_cop({reading.name: reading.value for reading in readings})
    if cop is not None:
        readings.append(Reading(LIFETIME_COP, cop, ""))
    return Decoded(tuple(readings), tuple(rejected))


def lifetime_cop(values: dict[str, float]) -> float | None:
    """Thermal over electrical energy since commissioning, or None without both."""
    thermal = values.get("Thermal energy total")
    electrical = values.get("Electrical energy total")
    if thermal is None or not electrical:
        return None
    return round(thermal / electrical, 3)


# -- modes and set-points ------------------------------------------------------------


def mode_label(number: int) -> str:
    """``"auto (Automatik)"`` for 1; unknown numbers say so."""
    name = MODES.get(number) or REPORTED_MODES.get(number)
    return f"{name[0]} ({name[1]})" if name else f"unknown mode {number}"


_MODE_NAMES = {
    name.lower(): number for number, names in MODES.items() for name in names
} | _MODE_ALIASES


def _allowed_modes() -> str:
    return ", ".join(f"{number} {name}" for number, (name, _) in MODES.items())


def parse_mode(mode: str | int | float) -> int:
    """The number of an operating mode a user may set, from its number or name.

    English and German names are accepted in any case ("auto", "Automatik",
    "always_on", "Dauerbetrieb" ...). Raises ValueError naming the allowed modes.
    """
    if isinstance(mode, bool):
        raise ValueError(f"operating mode {mode!r} is not a mode; choose {_allowed_modes()}")
    if isinstance(mode, (int, float)):
        number = float(mode)
    else:
        text = " ".join(str(mode).strip().lower().replace("_", " ").replace("-", " ").split())
        try:
            number = float(text)
        except ValueError:
            if text not in _MODE_NAMES:
                raise ValueError(
                    f"unknown operating mode {mode!r}; choose {_allowed_modes()}"
                ) from None
            return _MODE_NAMES[text]
    if number.is_integer() and int(number) in MODES:
        return int(number)
    if number.is_integer() and int(number) in REPORTED_MODES:
        raise ValueError(
            f"operating mode {mode!r} ({mode_label(int(number))}) is set by the pump itself, "
            f"not over Modbus; choose {_allowed_modes()}"
        )
    raise ValueError(f"operating mode {mode!r} is not one of {_allowed_modes()}")


def check_temperature(value: object, what: str, limits: tuple[float, float]) -> float:
    """``value`` as °C rounded to 0.1, or ValueError naming ``what`` and the limits."""
    try:
        celsius = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{what} takes a temperature in °C, got {value!r}") from None
    low, high = limits
    if math.isnan(celsius) or not low <= celsius <= high:
        raise ValueError(f"{what} {value!r} °C is outside {low:g}..{high:g} °C")
    return round(celsius, 1)
