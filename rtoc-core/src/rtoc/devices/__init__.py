"""Devices that ship with rtoc-core: a function generator and a system monitor."""
