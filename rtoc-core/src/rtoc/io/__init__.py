"""Import and export of signals and events."""
