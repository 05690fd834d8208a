"""The INA219's registers as numbers: encode, decode and check them, with no I/O.

Everything here follows TI's data sheet SBOS448G (INA219, revised December
2015), section 8.6 "Register Maps". The chip has six 16-bit registers, sent
over I2C most significant byte first:

=======  =============  ==========================================================
pointer  register       content
=======  =============  ==========================================================
0x00     configuration  RST(15) BRNG(13) PG1..0(12..11) BADC(10..7) SADC(6..3)
                        MODE(2..0); power-on value 0x399F
0x01     shunt voltage  signed, 10 uV per count, clipped to the PGA range
                        (+-4000, 8000, 16000 or 32000 counts)
0x02     bus voltage    BD12..0 in bits 15..3 (4 mV per count), CNVR(1), OVF(0)
0x03     power          current * bus voltage / 5000 (Power_LSB = 20 * Current_LSB)
0x04     current        signed, shunt voltage * calibration / 4096
0x05     calibration    FS15..1; FS0 always reads 0
=======  =============  ==========================================================

The simulator builds register contents with the ``encode``/``*_counts``
functions; the device checks what it reads with :func:`check_registers`.
pi-ina219 itself does the scaling to volts and amps for the device.
"""

from __future__ import annotations

import math
from typing import NamedTuple

# -- register pointers ----------------------------------------------------------

REG_CONFIG = 0x00
REG_SHUNT_VOLTAGE = 0x01
REG_BUS_VOLTAGE = 0x02
REG_POWER = 0x03
REG_CURRENT = 0x04
REG_CALIBRATION = 0x05

#: Configuration register after power-on or a reset: 32 V, PGA /8 (320 mV),
#: 12-bit bus and shunt ADC, shunt and bus continuous.
RESET_CONFIG = 0x399F

#: Addresses the A0/A1 pins can select (data sheet table 1): 0x40 to 0x4F.
ADDRESSES = range(0x40, 0x50)

SHUNT_LSB_MV = 0.01  # 10 uV
BUS_LSB_V = 0.004  # 4 mV

#: Shunt full-scale range in mV for PG = 0..3 (gain /1, /2, /4, /8).
SHUNT_RANGES_MV = (40, 80, 160, 320)
#: Bus full-scale range in V for BRNG = 0, 1.
BUS_RANGES_V = (16, 32)

#: Operating modes (MODE2..0, data sheet table 6).
MODE_POWER_DOWN = 0
MODE_ADC_OFF = 4
MODE_SHUNT_AND_BUS_CONTINUOUS = 7

#: Conversion time in microseconds of each BADC/SADC setting (data sheet table 5);
#: 0-7: resolution (bit 3 "don't care" when bit 4 is 0), 8: 12 bit, 9-15: averaging.
CONVERSION_TIMES_US = (
    84, 148, 276, 532, 84, 148, 276, 532,
    532, 1060, 2130, 4260, 8510, 17020, 34050, 68100,
)  # fmt: skip

_RST = 1 << 15
_CNVR = 0b10
_OVF = 0b01
_CURRENT_MAX = 0x7FFF
_POWER_MAX = 0xFFFF


class RegisterError(ValueError):
    """A register holds something the INA219 cannot produce: the transfer was garbage."""


# -- words and bytes -------------------------------------------------------------


def to_signed(word: int) -> int:
    """A 16-bit register word read as two's complement."""
    _check_word(word)
    return word - 0x10000 if word & 0x8000 else word


def to_word(value: int) -> int:
    """A signed value -32768..32767 as a 16-bit two's-complement word."""
    if not -0x8000 <= value <= 0x7FFF:
        raise ValueError(f"{value} does not fit a signed 16-bit register (-32768..32767)")
    return value & 0xFFFF


def word_bytes(word: int) -> bytes:
    """The two bytes of a register as the INA219 sends them: MSB first."""
    _check_word(word)
    return word.to_bytes(2, "big")


def bytes_word(data: bytes | bytearray | list[int]) -> int:
    """A register word from its two bytes, MSB first."""
    if len(data) != 2:
        raise ValueError(f"a register is 2 bytes, got {len(data)}: {bytes(data).hex()}")
    return int.from_bytes(bytes(data), "big")


def _check_word(word: int) -> None:
    if not 0 <= word <= 0xFFFF:
        raise ValueError(f"a register word is 0..0xFFFF, got {word!r}")


# -- configuration (0x00) ----------------------------------------------------------


class Config(NamedTuple):
    """The configuration register's fields."""

    reset: bool = False
    bus_range: int = 1  # BRNG: 0 = 16 V, 1 = 32 V
    gain: int = 3  # PG: 0..3 = 40, 80, 160, 320 mV
    bus_adc: int = 3  # BADC: see CONVERSION_TIMES_US
    shunt_adc: int = 3  # SADC
    mode: int = MODE_SHUNT_AND_BUS_CONTINUOUS

    @property
    def bus_range_volts(self) -> int:
        return BUS_RANGES_V[self.bus_range]

    @property
    def shunt_range_mv(self) -> int:
        return SHUNT_RANGES_MV[self.gain]

    @property
    def converts_shunt(self) -> bool:
        return bool(self.mode & 0b001)

    @property
    def converts_bus(self) -> bool:
        return bool(self.mode & 0b010)

    @property
    def continuous(self) -> bool:
        return bool(self.mode & 0b100)

    @property
    def conversion_time(self) -> float:
        """Seconds one conversion of every channel this mode converts takes."""
        micro = CONVERSION_TIMES_US[self.shunt_adc] if self.converts_shunt else 0
        micro += CONVERSION_TIMES_US[self.bus_adc] if self.converts_bus else 0
        return micro / 1e6


def decode_config(word: int) -> Config:
    _check_word(word)
    return Config(
        reset=bool(word & _RST),
        bus_range=(word >> 13) & 0b1,
        gain=(word >> 11) & 0b11,
        bus_adc=(word >> 7) & 0b1111,
        shunt_adc=(word >> 3) & 0b1111,
        mode=word & 0b111,
    )


def encode_config(config: Config) -> int:
    fields = (
        ("bus_range", config.bus_range, 1),
        ("gain", config.gain, 3),
        ("bus_adc", config.bus_adc, 15),
        ("shunt_adc", config.shunt_adc, 15),
        ("mode", config.mode, 7),
    )
    for name, value, top in fields:
        if not 0 <= value <= top:
            raise ValueError(f"configuration field {name} is 0..{top}, got {value!r}")
    return (
        (_RST if config.reset else 0)
        | config.bus_range << 13
        | config.gain << 11
        | config.bus_adc << 7
        | config.shunt_adc << 3
        | config.mode
    )


# -- shunt voltage (0x01) ------------------------------------------------------------


def shunt_limit(gain: int) -> int:
    """The largest shunt-voltage count at PGA setting ``gain`` (4000 * 2**gain)."""
    return SHUNT_RANGES_MV[gain] * 100


def shunt_counts(millivolts: float, gain: int) -> int:
    """What the ADC puts in the shunt register for ``millivolts``: 10 uV counts, clipped.

    Data sheet table 7: beyond the PGA range the register holds the range's end
    (+320.02 mV at /8 reads 32000).
    """
    limit = shunt_limit(gain)
    return max(-limit, min(limit, round(millivolts / SHUNT_LSB_MV)))


def shunt_millivolts(counts: int) -> float:
    return counts * SHUNT_LSB_MV


def check_shunt_counts(counts: int, gain: int) -> None:
    """Raise :class:`RegisterError` for a count the chip cannot produce at ``gain``."""
    limit = shunt_limit(gain)
    if not -limit <= counts <= limit:
        raise RegisterError(
            f"shunt voltage register {to_word(counts):#06x} ({shunt_millivolts(counts):.2f} mV) "
            f"is beyond the chip's {SHUNT_RANGES_MV[gain]} mV range"
        )


# -- bus voltage (0x02) -----------------------------------------------------------------


class BusVoltage(NamedTuple):
    """The bus voltage register's fields."""

    counts: int  # BD12..0, 4 mV each
    conversion_ready: bool  # CNVR
    overflow: bool  # OVF: current or power out of range

    @property
    def volts(self) -> float:
        return self.counts * BUS_LSB_V


def bus_counts(volts: float, bus_range: int) -> int:
    """What the ADC puts in BD12..0 for ``volts`` at IN-: 4 mV counts, 0 to full scale.

    The data sheet gives the full scale (8000 counts at 32 V, 4000 at 16 V) but
    not what a voltage beyond it reads; this model holds it at full scale.
    """
    full_scale = BUS_RANGES_V[bus_range] * 250
    return max(0, min(full_scale, round(volts / BUS_LSB_V)))


def encode_bus_voltage(counts: int, conversion_ready: bool = False, overflow: bool = False) -> int:
    if not 0 <= counts <= 0x1FFF:
        raise ValueError(f"bus voltage counts are 0..8191, got {counts!r}")
    return counts << 3 | (_CNVR if conversion_ready else 0) | (_OVF if overflow else 0)


def decode_bus_voltage(word: int) -> BusVoltage:
    _check_word(word)
    return BusVoltage(word >> 3, bool(word & _CNVR), bool(word & _OVF))


# -- current (0x04), power (0x03), calibration (0x05) ---------------------------------


def unclipped_current(shunt: int, calibration: int) -> int:
    """Data sheet equation 4 as the chip calculates it, before the register holds the result.

    FS0 of the calibration does not take part.
    """
    return math.trunc(shunt * (calibration & 0xFFFE) / 4096)


def current_counts(shunt: int, calibration: int) -> tuple[int, bool]:
    """Current register from shunt counts and calibration (data sheet equation 4).

    Returns the register value (as a signed number) and whether the
    calculation overflowed (OVF); an overflowing value is held at +-32767.
    """
    exact = unclipped_current(shunt, calibration)
    clipped = max(-_CURRENT_MAX, min(_CURRENT_MAX, exact))
    return clipped, clipped != exact


def power_counts(current: int, bus: int) -> tuple[int, bool]:
    """Power register from current counts and bus voltage counts (data sheet equation 5).

    Power is unsigned: the magnitude of current times voltage. An overflowing
    value is held at 65535 and flagged.
    """
    exact = math.trunc(abs(current) * bus / 5000)
    clipped = min(_POWER_MAX, exact)
    return clipped, clipped != exact


def check_registers(config_word: int, shunt_word: int, calibration_word: int) -> Config:
    """The decoded configuration, after checking three registers read together.

    Raises :class:`RegisterError` for contents no INA219 produces, as read
    when SDA is stuck or a transfer is torn: the self-clearing RST bit set,
    FS0 of the calibration set (it always reads 0), or a shunt voltage beyond
    the range the configuration selects.
    """
    config = decode_config(config_word)
    if config.reset:
        raise RegisterError(
            f"configuration register {config_word:#06x} has the self-clearing reset bit set"
        )
    if calibration_word & 1:
        raise RegisterError(
            f"calibration register {calibration_word:#06x} has bit 0 set (it always reads 0)"
        )
    check_shunt_counts(to_signed(shunt_word), config.gain)
    return config


# -- the device's settings -----------------------------------------------------------------

#: The ``gain`` parameter's choices: "auto" or a shunt range in mV.
GAIN_CHOICES = ("auto", *(f"{mv}mV" for mv in SHUNT_RANGES_MV))


class Settings(NamedTuple):
    """Checked device parameters, in the units pi-ina219 takes."""

    shunt_ohms: float
    max_expected_amps: float | None  # None: not known
    gain: int | None  # PG 0..3, None: auto
    bus_range: int  # BRNG 0/1


def parse_gain(value: object) -> int | None:
    """``"auto"`` -> None; ``"80mV"``, ``"80 mV"``, ``"80"`` or 80 -> PG index 1."""
    text = str(value).strip().lower().replace(" ", "")
    if text == "auto":
        return None
    number = text.removesuffix("mv")
    for index, mv in enumerate(SHUNT_RANGES_MV):
        if number in (str(mv), f"{mv}.0"):
            return index
    raise ValueError(f"gain must be one of {', '.join(GAIN_CHOICES)}, got {value!r}")


def parse_address(value: object) -> int:
    """An I2C address from 0x40..0x4F, given as a number or as text ("0x41", "65")."""
    if isinstance(value, bool):
        raise ValueError(f"address must be an I2C address 0x40..0x4F, got {value!r}")
    try:
        if isinstance(value, str):
            number = int(value.strip(), 0)
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, int):
            number = value
        else:
            raise ValueError
    except ValueError:
        raise ValueError(
            f"address must be an I2C address 0x40..0x4F (e.g. 0x41), got {value!r}"
        ) from None
    if number not in ADDRESSES:
        raise ValueError(
            f"address must be 0x40..0x4F, the addresses an INA219's A0/A1 pins select; "
            f"got {number:#04x}"
        )
    return number


def check_settings(
    shunt_ohms: float, max_expected_amps: float, gain: object, voltage_range: int
) -> Settings:
    """Settings pi-ina219 accepts, or ValueError naming the bad value and the allowed range.

    ``max_expected_amps`` 0 means "not known" (pi-ina219 then starts at the
    40 mV range). The checks are the library's own (``ValueError`` in
    ``INA219.configure``), made before a connection is opened, plus its one
    gap: a shunt voltage of exactly 320 mV crashes its gain choice.
    """
    if not (isinstance(shunt_ohms, (int, float)) and math.isfinite(shunt_ohms) and shunt_ohms > 0):
        raise ValueError(f"shunt_ohms must be a resistance > 0 ohm, got {shunt_ohms!r}")
    if not (
        isinstance(max_expected_amps, (int, float))
        and math.isfinite(max_expected_amps)
        and max_expected_amps >= 0
    ):
        raise ValueError(
            f"max_expected_amps must be >= 0 A (0: not known), got {max_expected_amps!r}"
        )
    pga = parse_gain(gain)
    if voltage_range not in BUS_RANGES_V:
        raise ValueError(f"voltage_range must be 16 or 32 (V), got {voltage_range!r}")
    amps = float(max_expected_amps) or None
    if amps is not None:
        shunt_volts = amps * shunt_ohms
        if pga is None and shunt_volts >= SHUNT_RANGES_MV[-1] / 1000:
            raise ValueError(
                f"max_expected_amps={amps:g} A through shunt_ohms={shunt_ohms:g} ohm drops "
                f"{shunt_volts * 1000:g} mV, beyond the INA219's largest range (< 320 mV); "
                f"use a smaller shunt or at most {0.32 / shunt_ohms:.3g} A"
            )
        if pga is not None:
            possible = SHUNT_RANGES_MV[pga] / 1000 / shunt_ohms
            if amps > round(possible, 3):
                raise ValueError(
                    f"max_expected_amps={amps:g} A is more than the {GAIN_CHOICES[pga + 1]} "
                    f"range measures through shunt_ohms={shunt_ohms:g} ohm "
                    f"(at most {possible:.3g} A): choose a larger gain or 'auto'"
                )
    return Settings(float(shunt_ohms), amps, pga, BUS_RANGES_V.index(voltage_range))
