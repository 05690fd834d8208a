"""rtoc device: Heliotherm heat pumps (RCG2 controller) over Modbus TCP.

``rtoc_heliotherm.device.Heliotherm`` is the device, ``rtoc_heliotherm.protocol``
the register map and its decoding, ``rtoc_heliotherm.simulator`` a pump on
127.0.0.1 to try it without one.
"""

__version__ = "0.1.0"
