"""An inert ``PyQt5`` for RTOC plugins, used only when the real one is not installed.

RTOC 2.x plugin files import PyQt5 at the top (the manual's Template.py does:
``from PyQt5 import uic, QtWidgets``) for a ``loadGUI`` widget that rtoc's
logger never shows. Rather than refuse such a plugin on a headless machine,
rtoc lets the import succeed: every name in these modules is a stand-in class
that can be subclassed, called, connected and read from, and does nothing.
Data collection, the part that matters without a screen, is plain Python and
runs as written. Once a real PyQt5 is installed, it is used instead.
"""

from __future__ import annotations

import sys
import types
from typing import Any

#: The submodules RTOC plugins import from.
SUBMODULES = ("QtCore", "QtGui", "QtWidgets", "QtNetwork", "QtSvg", "uic")


class _StandInType(type):
    """Class-level names (``QtCore.Qt.AlignLeft``) are stand-ins too."""

    def __getattr__(cls, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return stand_in(name)


class StandIn(metaclass=_StandInType):
    """Accepts any arguments and any use; every attribute is another stand-in."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return stand_in(name)()

    def __call__(self, *args: Any, **kwargs: Any) -> StandIn:
        return self

    def __bool__(self) -> bool:
        return False

    def __iter__(self) -> Any:
        return iter(())


def stand_in(name: str) -> type[StandIn]:
    """A new stand-in class called ``name`` (so tracebacks and reprs read well)."""
    return _StandInType(name, (StandIn,), {"__module__": "PyQt5 (not installed)"})


def _module(name: str) -> types.ModuleType:
    module = types.ModuleType(name, "Inert stand-in: PyQt5 is not installed (see rtoc.compat).")
    module.__getattr__ = lambda attribute: (  # type: ignore[method-assign]
        _raise(attribute) if attribute.startswith("__") else stand_in(attribute)
    )
    return module


def _raise(attribute: str) -> Any:
    raise AttributeError(attribute)


def install() -> None:
    """Put the stand-in ``PyQt5`` and its submodules into ``sys.modules``."""
    package = _module("PyQt5")
    package.__path__ = []  # a package, so "from PyQt5.QtCore import X" finds the submodule
    sys.modules["PyQt5"] = package
    for name in SUBMODULES:
        module = _module(f"PyQt5.{name}")
        setattr(package, name, module)
        sys.modules[f"PyQt5.{name}"] = module


def installed() -> bool:
    """True when ``PyQt5`` in ``sys.modules`` is this stand-in."""
    module = sys.modules.get("PyQt5")
    return module is not None and (module.__doc__ or "").startswith("Inert stand-in")
