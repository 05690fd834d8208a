"""rtoc's web dashboard: plots, events, devices and automation in the browser."""

__version__ = "0.1.0"
