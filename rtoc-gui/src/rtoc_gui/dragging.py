"""Dragging a signal from the signal widget or a plot's legend onto another plot window.

The drag carries the signal's key as JSON under :data:`MIME`; a plot that
receives it shows the signal (RTOC's "drag'n'drop signals from one window
into another", manual 5.7.1).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from PyQt5 import QtCore, QtGui

if TYPE_CHECKING:
    from PyQt5 import QtWidgets

    from rtoc.signals import SignalKey

MIME = "application/x-rtoc-signal"


def mime_data(key: SignalKey) -> QtCore.QMimeData:
    data = QtCore.QMimeData()
    data.setData(MIME, QtCore.QByteArray(json.dumps(list(key)).encode("utf-8")))
    data.setText(f"{key[0]}.{key[1]}")
    return data


def key_from(data: QtCore.QMimeData) -> SignalKey | None:
    """The signal a drag carries, None when it carries none (a file, some text)."""
    if not data.hasFormat(MIME):
        return None
    try:
        device, name = json.loads(bytes(data.data(MIME)).decode("utf-8"))
    except (ValueError, TypeError):
        return None
    if not (isinstance(device, str) and isinstance(name, str)):
        return None
    return device, name


def start_drag(source: QtWidgets.QWidget, key: SignalKey) -> None:
    """Drag ``key`` from ``source`` until it is dropped (Qt runs the drag's own loop)."""
    drag = QtGui.QDrag(source)
    drag.setMimeData(mime_data(key))
    drag.exec_(QtCore.Qt.CopyAction)
