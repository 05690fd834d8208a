"""rtoc device: TI INA219 current and power monitor on a Raspberry Pi's I2C bus (pi-ina219)."""

__version__ = "0.1.0"
