"""``GUI.openGL``: pyqtgraph draws the plots through OpenGL where it can.

pyqtgraph's ``useOpenGL`` option makes every plot's viewport a
``QOpenGLWidget`` and draws curves with PyQt5's OpenGL function modules
(``PyQt5._QOpenGLFunctions_*``; PyOpenGL is used only by pyqtgraph's 3D
widgets, which rtoc has none of). Where those modules are missing (a PyQt5
from a distribution's packages without its OpenGL part) or no OpenGL
context can be made (no GPU driver, a remote X display, Qt's offscreen
platform), turning it on would leave every plot blank; so it is turned on
only when both are there, and otherwise the window says why, once, and
draws without it.
"""

from __future__ import annotations

import importlib

import pyqtgraph as pg
from PyQt5 import QtGui

#: The modules pyqtgraph takes its OpenGL functions from, one per kind of context.
FUNCTION_MODULES = (
    "PyQt5._QOpenGLFunctions_2_1",
    "PyQt5._QOpenGLFunctions_4_1_Core",
    "PyQt5._QOpenGLFunctions_ES2",
)


def unavailable() -> str:
    """Why pyqtgraph cannot draw with OpenGL here ("" when it can)."""
    found = False
    for name in FUNCTION_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            continue
        found = True
    if not found:
        return (
            "PyQt5's OpenGL functions (PyQt5._QOpenGLFunctions_2_1) are not installed "
            "(PyQt5 from pip has them; Debian and Ubuntu: apt install python3-pyqt5.qtopengl)"
        )
    if not QtGui.QOpenGLContext().create():
        return "no OpenGL context can be made on this display"
    return ""


def use_opengl(wanted: bool) -> str:
    """Set pyqtgraph's ``useOpenGL`` for the plots made from now on: ``wanted`` when it can
    be; the message saying why not when ``wanted`` but it cannot ("" otherwise)."""
    reason = unavailable() if wanted else ""
    pg.setConfigOptions(useOpenGL=wanted and not reason)
    if not reason:
        return ""
    return f"GUI.openGL is on, but the plots are drawn without OpenGL: {reason}."
