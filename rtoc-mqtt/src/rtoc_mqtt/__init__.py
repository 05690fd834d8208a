"""rtoc over MQTT: sensors' topics in, signals and events out, commands from a broker."""

__version__ = "0.1.0"
