"""The DPS register map: register values <-> readings, and the Modbus RTU frames. No I/O.

RD (Ruideng) DPS supplies, sold by Joy-IT too, keep their state in 13 holding
registers from 0x0000, read with function 0x03 and written with 0x06 or 0x10:

=======  ========  ===================================================
address  name      meaning
=======  ========  ===================================================
0x0000   U-SET     voltage set-point, V x 100                      (R/W)
0x0001   I-SET     current limit, A x 100 or x 1000 (by model)     (R/W)
0x0002   UOUT      output voltage, V x 100
0x0003   IOUT      output current, A x 100 or x 1000 (by model)
0x0004   POWER     output power, W x 100
0x0005   UIN       input voltage, V x 100
0x0006   LOCK      front-panel keys locked: 0 no, 1 yes            (R/W)
0x0007   PROTECT   0 ok, 1 OVP, 2 OCP, 3 OPP
0x0008   CV/CC     0 constant voltage, 1 constant current
0x0009   ONOFF     output: 0 off, 1 on                             (R/W)
0x000A   B_LED     backlight level 0..5                            (R/W)
0x000B   MODEL     model number, e.g. 5020 for the DPS5020
0x000C   VERSION   firmware version x 10, e.g. 17 for 1.7
=======  ========  ===================================================

The model number reads as VVII: the highest output voltage and current (5020:
50 V, 20 A). Models up to 5 A count current in mA (three decimals), the 15 A
and 20 A models in 10 mA steps (two decimals); see :data:`MODELS`.
"""

from __future__ import annotations

import enum
import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass, replace


class ProtocolError(ValueError):
    """Register values or a frame that cannot be a valid DPS answer."""


class Register(enum.IntEnum):
    U_SET = 0x0000
    I_SET = 0x0001
    UOUT = 0x0002
    IOUT = 0x0003
    POWER = 0x0004
    UIN = 0x0005
    LOCK = 0x0006
    PROTECT = 0x0007
    CVCC = 0x0008
    ONOFF = 0x0009
    B_LED = 0x000A
    MODEL = 0x000B
    VERSION = 0x000C


#: The block read once per sample: U-SET .. VERSION.
BLOCK_START = Register.U_SET
BLOCK_COUNT = len(Register)
#: Registers a master may write; the others are read-only.
WRITABLE = frozenset(
    {Register.U_SET, Register.I_SET, Register.LOCK, Register.ONOFF, Register.B_LED}
)
#: Highest backlight level.
MAX_BACKLIGHT = 5

READ_HOLDING_REGISTERS = 0x03
WRITE_MULTIPLE_REGISTERS = 0x10


class Protection(enum.IntEnum):
    """The PROTECT register."""

    OK = 0
    OVP = 1
    OCP = 2
    OPP = 3

    @property
    def text(self) -> str:
        return _PROTECTION_TEXT[self]


_PROTECTION_TEXT = {
    Protection.OK: "no protection tripped",
    Protection.OVP: "over-voltage protection (OVP)",
    Protection.OCP: "over-current protection (OCP)",
    Protection.OPP: "over-power protection (OPP)",
}


class Mode(enum.IntEnum):
    """The CV/CC register."""

    CV = 0
    CC = 1


@dataclass(frozen=True)
class ModelSpec:
    """What one model can do and how its registers are scaled (counts per unit)."""

    code: int
    name: str
    max_voltage: float
    max_current: float
    voltage_scale: int = 100
    current_scale: int = 1000
    power_scale: int = 100
    #: False when the code is not in :data:`MODELS` and the spec was derived from it.
    known: bool = True

    @property
    def current_decimals(self) -> int:
        return round(math.log10(self.current_scale))


def _spec(code: int, current_scale: int) -> ModelSpec:
    return ModelSpec(code, f"DPS{code}", code // 100, code % 100, current_scale=current_scale)


#: Models whose scaling is documented: the DPS register map (current x 1000 for
#: the 3 A and 5 A models) and captures of real DPS5015/DPS5020 traffic (x 100).
MODELS: dict[int, ModelSpec] = {
    spec.code: spec
    for spec in (
        _spec(3003, 1000),
        _spec(3005, 1000),
        _spec(5005, 1000),
        _spec(8005, 1000),
        _spec(5015, 100),
        _spec(5020, 100),
    )
}


def model_spec(code: int) -> ModelSpec:
    """The spec of the model that reports ``code`` in its MODEL register.

    A code not in :data:`MODELS` but of the form VVII (two digits volts, two
    digits amps, both non-zero) gets a derived spec marked ``known=False``:
    current x 100 above 10 A, x 1000 otherwise, as on the known models.
    Anything else raises :class:`ProtocolError`.
    """
    if code in MODELS:
        return MODELS[code]
    volts, amps = divmod(code, 100)
    if not (10 <= volts <= 99 and 1 <= amps <= 99):
        raise ProtocolError(f"MODEL register reads {code}, which is no DPS model number")
    return replace(_spec(code, 100 if amps > 10 else 1000), known=False)


@dataclass(frozen=True)
class Status:
    """One reading of the whole register block, in units."""

    voltage_set: float  # V
    current_set: float  # A
    voltage: float  # V
    current: float  # A
    power: float  # W
    input_voltage: float  # V
    locked: bool
    protection: Protection
    mode: Mode
    output: bool
    backlight: int
    model: ModelSpec
    version: str


def _flag(registers: Sequence[int], register: Register, allowed: int) -> int:
    value = registers[register]
    if not 0 <= value <= allowed:
        raise ProtocolError(f"{register.name} register reads {value}, expected 0..{allowed}")
    return value


def decode_status(registers: Sequence[int], model: ModelSpec | None = None) -> Status:
    """Readings from the 13 registers U-SET .. VERSION; ProtocolError if they cannot be.

    ``model`` scales them as that model, whatever the MODEL register holds.
    """
    if len(registers) != BLOCK_COUNT:
        raise ProtocolError(f"expected {BLOCK_COUNT} registers, got {len(registers)}")
    for address, value in enumerate(registers):
        if not isinstance(value, int) or not 0 <= value <= 0xFFFF:
            raise ProtocolError(f"register 0x{address:04X} holds {value!r}, not a 16-bit value")
    spec = model or model_spec(registers[Register.MODEL])
    volts, amps, watts = spec.voltage_scale, spec.current_scale, spec.power_scale
    version = registers[Register.VERSION]
    return Status(
        voltage_set=registers[Register.U_SET] / volts,
        current_set=registers[Register.I_SET] / amps,
        voltage=registers[Register.UOUT] / volts,
        current=registers[Register.IOUT] / amps,
        power=registers[Register.POWER] / watts,
        input_voltage=registers[Register.UIN] / volts,
        locked=bool(_flag(registers, Register.LOCK, 1)),
        protection=Protection(_flag(registers, Register.PROTECT, 3)),
        mode=Mode(_flag(registers, Register.CVCC, 1)),
        output=bool(_flag(registers, Register.ONOFF, 1)),
        backlight=_flag(registers, Register.B_LED, MAX_BACKLIGHT),
        model=spec,
        version=f"{version // 10}.{version % 10}",
    )


def parse_number(value: object, what: str, unit: str) -> float:
    """``value`` (a number or text of one, not a bool) as a float; ValueError naming ``what``."""
    try:
        if isinstance(value, bool):
            raise TypeError(value)
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number of {unit}, got {value!r}") from None


def _counts(value: float, scale: int, limit: float, what: str, unit: str) -> int:
    number = parse_number(value, what, unit)
    if not 0 <= number <= limit:  # also refuses NaN
        raise ValueError(f"{what} {value!r} {unit} is outside 0..{limit:g} {unit}")
    return round(number * scale)


def encode_voltage(volts: float, spec: ModelSpec) -> int:
    """The U-SET register value for ``volts``; ValueError outside 0..max_voltage."""
    return _counts(volts, spec.voltage_scale, spec.max_voltage, "voltage", "V")


def encode_current(amps: float, spec: ModelSpec) -> int:
    """The I-SET register value for ``amps``; ValueError outside 0..max_current."""
    return _counts(amps, spec.current_scale, spec.max_current, "current", "A")


# -- Modbus RTU frames ---------------------------------------------------------------


def crc16(data: bytes) -> int:
    """The Modbus CRC-16 of ``data`` (sent low byte first)."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def with_crc(body: bytes) -> bytes:
    return body + struct.pack("<H", crc16(body))


def read_block_request(address: int = 1) -> bytes:
    """The request that reads U-SET .. VERSION from the supply at ``address``."""
    return with_crc(struct.pack(">BBHH", address, READ_HOLDING_REGISTERS, BLOCK_START, BLOCK_COUNT))


def write_register_request(address: int, register: int, value: int) -> bytes:
    """A write-multiple-registers request (0x10) for one register, as minimalmodbus sends."""
    return with_crc(
        struct.pack(">BBHHBH", address, WRITE_MULTIPLE_REGISTERS, register, 1, 2, value)
    )


def parse_read_response(frame: bytes, address: int = 1) -> list[int]:
    """The register values in a read-holding-registers answer; ProtocolError if invalid."""
    if len(frame) < 5:
        raise ProtocolError(f"answer of {len(frame)} bytes is too short: {frame.hex(' ')}")
    body, (crc,) = frame[:-2], struct.unpack("<H", frame[-2:])
    if crc16(body) != crc:
        raise ProtocolError(f"bad CRC in answer {frame.hex(' ')}")
    if body[0] != address:
        raise ProtocolError(f"answer from address {body[0]}, expected {address}")
    if body[1] == READ_HOLDING_REGISTERS | 0x80:
        raise ProtocolError(f"supply refused the request with exception code {body[2]}")
    if body[1] != READ_HOLDING_REGISTERS:
        raise ProtocolError(f"answer has function code 0x{body[1]:02X}, expected 0x03")
    count = body[2]
    if count % 2 or len(body) != 3 + count:
        raise ProtocolError(f"answer announces {count} data bytes but holds {len(body) - 3}")
    return list(struct.unpack(f">{count // 2}H", body[3:]))
