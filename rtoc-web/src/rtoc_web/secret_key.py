"""The key that signs the dashboard's session cookies, kept in ``$RTOC_HOME/web-secret.key``.

It is made with :func:`secrets.token_bytes` on the first start and read on
every later one, so sessions survive a restart. The file holds the key as
hexadecimal text and is readable by its owner only; it appears whole or not
at all (written to a temporary file, then linked into place), and when two
processes start at once both use the one that was linked first.

A file that is not a good key — too short, not hexadecimal, or readable by
others — is replaced by a new key with a warning in the log rather than
refused: the only cost is that everyone logs in again, while refusing would
keep a headless dashboard down for a file nobody needs to keep. A file that
cannot be read at all (permissions, a directory) is an :class:`OSError`
naming it, since replacing it could fail the same way.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
import tempfile
from pathlib import Path

__all__ = ["SECRET_BYTES", "SECRET_FILE", "load_secret"]

SECRET_FILE = "web-secret.key"
SECRET_BYTES = 32

log = logging.getLogger(__name__)


class _BadKey(Exception):
    """Why a key file cannot be used."""


def load_secret(home: Path) -> bytes:
    """The session key of the rtoc home ``home``, made and stored there on the first call."""
    path = Path(home) / SECRET_FILE
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    except _BadKey as bad:
        log.warning(
            "%s: %s; replaced by a new key, so everyone logs in to the dashboard again", path, bad
        )
        return _write(path, replace=True)
    return _write(path, replace=False)


def _read(path: Path) -> bytes:
    with path.open("rb") as file:
        mode = os.fstat(file.fileno()).st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise _BadKey(f"readable by others (mode {stat.S_IMODE(mode):04o})")
        text = file.read(4 * SECRET_BYTES).decode("ascii", "replace").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise _BadKey("not a key in hexadecimal") from None
    if len(key) != SECRET_BYTES:
        raise _BadKey(f"{len(key)} bytes, a key has {SECRET_BYTES}")
    return key


def _write(path: Path, *, replace: bool) -> bytes:
    """A new key in ``path``; when not ``replace`` and another process was first, theirs."""
    key = secrets.token_bytes(SECRET_BYTES)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as file:  # mkstemp: mode 0600
            file.write(key.hex() + "\n")
            file.flush()
            os.fsync(file.fileno())
        if replace:
            os.replace(temporary, path)
            return key
        try:
            os.link(temporary, path)  # fails when the name exists: never overwrites
        except FileExistsError:
            return _read(path)
        return key
    finally:
        Path(temporary).unlink(missing_ok=True)
