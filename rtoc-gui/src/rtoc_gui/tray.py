"""The system tray icon (``GUI.systemTray``): show, hide and quit the window from the tray.

Where the desktop has no tray (some window managers, Qt's offscreen
platform) there is no icon; the window says so in its status bar and works
as without the setting.
"""

from __future__ import annotations

from PyQt5 import QtWidgets

NO_TRAY = "GUI.systemTray is on, but this desktop has no system tray: no tray icon."


def tray_menu(window: QtWidgets.QMainWindow) -> QtWidgets.QMenu:
    """Show, Hide, Quit (Quit closes the window, which stops a logger in this process)."""
    menu = QtWidgets.QMenu(window)
    menu.addAction("Show", lambda: (window.showNormal(), window.raise_(), window.activateWindow()))
    menu.addAction("Hide", window.hide)
    menu.addSeparator()
    menu.addAction("Quit", window.close)
    return menu


def tray_icon(window: QtWidgets.QMainWindow) -> QtWidgets.QSystemTrayIcon | None:
    """The window's tray icon, shown; None where the desktop has no tray."""
    if not QtWidgets.QSystemTrayIcon.isSystemTrayAvailable():
        return None
    picture = window.style().standardIcon(QtWidgets.QStyle.SP_ComputerIcon)
    icon = QtWidgets.QSystemTrayIcon(picture, window)
    icon.setToolTip(window.windowTitle())
    icon.setContextMenu(tray_menu(window))
    icon.activated.connect(
        lambda reason: (
            window.setVisible(not window.isVisible())
            if reason == QtWidgets.QSystemTrayIcon.Trigger
            else None
        )
    )
    icon.show()
    return icon
