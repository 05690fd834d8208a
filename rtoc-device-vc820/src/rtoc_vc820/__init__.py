"""rtoc device: Voltcraft VC820 / HoldPeak VC820-family multimeters (FS9721_LP3 chip)."""

__version__ = "0.1.0"
