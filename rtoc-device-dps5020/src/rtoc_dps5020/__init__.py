"""rtoc device for RD/Joy-IT DPS programmable power supplies (DPS5020 and its family)."""

__version__ = "0.1.0"
