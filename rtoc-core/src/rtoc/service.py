"""rtoc as a systemd service: the unit file for this environment, where it goes, and
systemctl around installing and removing it.

The unit runs ``rtoc run`` of the Python that wrote it (so a virtual
environment's rtoc and its plugins) with ``Type=notify``: systemd counts rtoc
started when it says READY=1 and restarts it when it fails or its watchdog
pings stop (see :mod:`rtoc.sdnotify`).
"""

from __future__ import annotations

import getpass
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import attrs

UNIT_NAME = "rtoc.service"
#: Seconds without a watchdog ping before systemd restarts rtoc.
WATCHDOG_SECONDS = 30
SYSTEM_FOLDER = Path("/etc/systemd/system")


class ServiceError(Exception):
    """The unit cannot be written, removed or loaded; the message says why and what to do."""


def systemd_running() -> bool:
    """sd_booted(3): this machine was started by systemd."""
    return Path("/run/systemd/system").is_dir()


def _quoted(word: str) -> str:
    """A word of ExecStart: quoted for systemd when it has spaces, quotes or ``%``."""
    word = word.replace("%", "%%")
    if any(char in word for char in " \t\"'\\"):
        return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return word


@attrs.frozen
class Unit:
    """The unit of one rtoc: its home folder, a user's service or the system's."""

    home: Path
    system: bool = False
    user: str = ""
    python: str = sys.executable

    def command(self) -> list[str]:
        return [self.python, "-m", "rtoc", "--home", str(self.home), "run"]

    def path(self) -> Path:
        if self.system:
            return SYSTEM_FOLDER / UNIT_NAME
        config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
        return Path(config) / "systemd" / "user" / UNIT_NAME

    def text(self) -> str:
        service = [
            "Type=notify",
            "NotifyAccess=main",
            "ExecStart=" + " ".join(_quoted(word) for word in self.command()),
            "Restart=on-failure",
            "RestartSec=5",
            f"WatchdogSec={WATCHDOG_SECONDS}",
            # rtoc stores what it holds before it stops: give it the time
            "TimeoutStopSec=120",
            "Environment=PYTHONUNBUFFERED=1",
        ]
        if self.system:
            service.append(f"User={self.user}")
        lines = [
            "# written by `rtoc service install`; remove with `rtoc service uninstall`",
            "[Unit]",
            "Description=rtoc data logger (RealTime OpenControl)",
            "After=network-online.target",
            "Wants=network-online.target",
            "",
            "[Service]",
            *service,
            "",
            "[Install]",
            "WantedBy=" + ("multi-user.target" if self.system else "default.target"),
        ]
        return "\n".join(lines) + "\n"

    def systemctl(self, *args: str) -> list[str]:
        return ["systemctl", *(() if self.system else ("--user",)), *args]


def unit_for(home: Path, system: bool) -> Unit:
    """The unit of ``home``; a system service runs as the user who asked (under sudo too)."""
    user = os.environ.get("SUDO_USER") or getpass.getuser()
    return Unit(home=home.expanduser().absolute(), system=system, user=user)


def run_systemctl(unit: Unit, *args: str) -> str:
    """Run systemctl for ``unit``; "" when it went well, else what went wrong."""
    command = unit.systemctl(*args)
    if shutil.which(command[0]) is None:
        return "systemctl is not on PATH"
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"{shlex.join(command)}: {error}"
    if done.returncode:
        return f"{shlex.join(command)}: {(done.stderr or done.stdout).strip()}"
    return ""


def install(unit: Unit) -> Path:
    """Write the unit file (replacing an older one); ServiceError when it cannot."""
    path = unit.path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(unit.text())
    except OSError as error:
        hint = " (a system service needs root: sudo)" if unit.system else ""
        raise ServiceError(f"cannot write {path}: {error.strerror}{hint}") from None
    return path


def uninstall(unit: Unit) -> Path:
    """Remove the unit file; ServiceError when there is none or it cannot be removed."""
    path = unit.path()
    if not path.exists():
        raise ServiceError(f"no rtoc unit at {path}: nothing to uninstall")
    try:
        path.unlink()
    except OSError as error:
        hint = " (a system service needs root: sudo)" if unit.system else ""
        raise ServiceError(f"cannot remove {path}: {error.strerror}{hint}") from None
    return path
