"""Network ▸ Connect (manual 5.7.10): another window on a logger running elsewhere.

The dialog asks for host, port and password and connects exactly as ``rtoc
gui --remote`` does (:func:`rtoc_gui.plugin.connect`): a server that cannot
be reached or refuses the password is a message in the dialog, and no
window opens. A connection that works goes to the front of
``tcp.knownHosts`` in this computer's config.json (``"HOST:PORT": [name,
""]``, RTOC's shape, the password never written), which the host field offers;
``rtoc gui --remote`` keeps it up to date too.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any

import click
from PyQt5 import QtCore, QtWidgets

from rtoc.config import CONFIG_FILE, ConfigError, change_config_file, read_json_file, save_change
from rtoc_gui.link import Link
from rtoc_gui.marks import error_label, mark
from rtoc_gui.plugin import connect, parse_address

if TYPE_CHECKING:
    from pathlib import Path

    from rtoc.config import Sections
    from rtoc.net.remote import RemoteLogger
    from rtoc_gui.mainwindow import MainWindow

#: Hosts kept in ``tcp.knownHosts``; the least recent goes first.
MAX_KNOWN = 20
KEY = "tcp.knownHosts"


def _known(home: Path) -> dict[str, Any]:
    try:
        data = read_json_file(home / CONFIG_FILE, missing={})
    except ConfigError:
        return {}
    tcp = data.get("tcp") if isinstance(data, dict) else None
    hosts = tcp.get("knownHosts") if isinstance(tcp, dict) else None
    return hosts if isinstance(hosts, dict) else {}


def known_hosts(home: Path) -> list[str]:
    """``HOST:PORT`` of the loggers connected to from here, the most recent first."""
    return list(_known(home))


def remember_host(home: Path, address: str, name: str, sections: Sections) -> None:
    """Put ``address`` first in ``tcp.knownHosts`` and save it as ``rtoc config set`` would."""
    hosts = {address: [name, ""]}
    hosts.update((key, value) for key, value in _known(home).items() if key != address)
    kept = dict(list(hosts.items())[:MAX_KNOWN])
    save_change(change_config_file(home, KEY, json.dumps(kept), sections), home)


def remember_remote(home: Path, remote: RemoteLogger, sections: Sections) -> str:
    """Put the logger ``remote`` talks to first in ``tcp.knownHosts``; "" or why not."""
    host, port = remote.client.host or "", remote.client.port
    try:
        name = str(remote.info().get("name", host))
    except Exception:  # an RTOC 2.x server has no logger.info: the host is its name
        name = host
    try:
        remember_host(home, _address(host, port), name, sections)
    except (ConfigError, OSError) as error:
        return f"{_address(host, port)} not kept in {KEY}: {error}"
    return ""


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class _CloseWith(QtCore.QObject):
    """Closes the RemoteLogger when its window closes, once the window's reads are done: a
    read under way would otherwise open the connection again right after it was closed."""

    def __init__(self, window: MainWindow, remote: RemoteLogger) -> None:
        super().__init__(window)
        self.reads = window.link.reads
        self.remote = remote
        window.installEventFilter(self)

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:
        if event.type() == QtCore.QEvent.Close:
            threading.Thread(target=self._close, name="rtoc-gui-close", daemon=True).start()
        return False

    def _close(self) -> None:
        self.reads.join()
        self.remote.close()


class ConnectDialog(QtWidgets.QDialog):
    """Host (with the recent ones), port, password; :meth:`connect_now` opens the window."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setWindowTitle("Connect to a remote rtoc")
        self.window_ = window
        #: the window opened on the remote logger
        self.opened: MainWindow | None = None
        self.host = QtWidgets.QComboBox(editable=True)
        self.host.setObjectName("host")
        self.host.lineEdit().setPlaceholderText("HOST or HOST:PORT")
        if window.home is not None:
            self.host.addItems(known_hosts(window.home))
        self.host.setCurrentIndex(0 if self.host.count() else -1)
        self.port = QtWidgets.QSpinBox(minimum=1, maximum=65535, value=5050)
        self.password = QtWidgets.QLineEdit(echoMode=QtWidgets.QLineEdit.Password)
        self.password.setPlaceholderText("the server's tcp.password (empty: none)")
        self.message = error_label()
        form = QtWidgets.QFormLayout()
        form.addRow("Host", self.host)
        form.addRow("Port", self.port)
        form.addRow("Password", self.password)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.Cancel)
        buttons.addButton("Connect", QtWidgets.QDialogButtonBox.AcceptRole)
        buttons.accepted.connect(self.connect_now)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def connect_now(self) -> MainWindow | None:
        """Connect; on success open the window, remember the host and close the dialog."""
        from rtoc.config import Config
        from rtoc_gui.mainwindow import MainWindow

        mark(self.host, self.message, "")
        try:
            host, port = parse_address(self.host.currentText(), self.port.value())
            remote = connect(_address(host, port), self.password.text() or None, Config())
        except click.ClickException as error:  # BadParameter is one too
            mark(self.host, self.message, error.format_message())
            return None
        where = f"{remote.client.host}:{remote.client.port}"
        window = self.window_
        opened = MainWindow(
            Link(remote, where, local=False),
            window.config,
            home=window.home,
            plugins=window.plugins,
        )
        _CloseWith(opened, remote)
        window.menus.remote_windows.append(opened)
        opened.show()
        opened.start()
        self.opened = opened
        if window.home is not None:
            problem = remember_remote(window.home, remote, window.menus.sections)
            if problem:
                window.statusBar().showMessage(problem)
        self.accept()
        return opened
