"""Compatibility with RTOC 2.x: its plugins' ``LoggerPlugin`` base class and import names."""

from __future__ import annotations

import importlib.util
import sys
import types

from rtoc.compat import loggerplugin
from rtoc.compat.loggerplugin import LoggerPlugin

__all__ = ["LoggerPlugin", "install_import_aliases"]


def install_import_aliases() -> None:
    """Let RTOC plugins import ``LoggerPlugin`` the ways RTOC 2.x offered.

    ``from LoggerPlugin import LoggerPlugin``, ``from RTOC.LoggerPlugin import
    LoggerPlugin`` and ``import RTOC.LoggerPlugin as LoggerPlugin`` then give
    rtoc's :class:`LoggerPlugin`. A real ``RTOC`` (or ``LoggerPlugin``) module
    that is imported or importable is never shadowed. Safe to call repeatedly.
    """
    if _unclaimed("LoggerPlugin"):
        sys.modules["LoggerPlugin"] = loggerplugin
    if _unclaimed("RTOC"):
        package = types.ModuleType("RTOC", "rtoc's stand-in for RTOC 2.x: only RTOC.LoggerPlugin.")
        package.__path__ = []  # a package, so that "RTOC.LoggerPlugin" is a submodule
        package.LoggerPlugin = loggerplugin  # type: ignore[attr-defined]
        sys.modules["RTOC.LoggerPlugin"] = loggerplugin
        sys.modules["RTOC"] = package


def _unclaimed(name: str) -> bool:
    """True when no module ``name`` is imported or could be imported."""
    if name in sys.modules:
        return False
    try:
        return importlib.util.find_spec(name) is None
    except (ImportError, ValueError):
        return False
