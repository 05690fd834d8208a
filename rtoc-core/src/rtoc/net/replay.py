"""Refusing replayed encrypted frames, across restarts.

RTOC's wire format has no sequence number, time stamp or handshake: a frame
is ``tag, nonce, AES-EAX(body)`` and RTOC 2.x's client sends it without first
hearing from the server, so nothing can bind a frame to one server lifetime.
What tells a replay is its nonce: a client draws a fresh random 16-byte nonce
for every frame, so a nonce seen before means a copy.

:class:`NonceStore` remembers the nonces of accepted frames, in memory for
the lookup and in a file in ``$RTOC_HOME`` that is read back at start. A
nonce is written before its frame is carried out, so a frame whose effect
happened is refused after a crash or restart too. Control frames (code,
settings, devices) are rare and the dangerous ones to replay: they get their
own window, so a stream of sample frames never pushes them out, and they are
flushed to disk (fsync) before they run. Sample and read frames are written
without fsync: a power cut may forget the last seconds of them.

When the file cannot be written (a full disk), a control frame is refused,
since its replay could no longer be refused after a restart; sample and read
frames are still accepted and remembered in memory, with one warning.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections import OrderedDict
from pathlib import Path

from rtoc.net.frame import NONCE_SIZE, FrameError

log = logging.getLogger("rtoc.net")

#: Name of the file in ``$RTOC_HOME``.
NONCE_FILE = "tcp-nonces.bin"
#: Nonces remembered per kind (control frames; all other frames).
WINDOW = 100_000
#: One record: a kind byte (0 other, 1 control), then the nonce.
RECORD = 1 + NONCE_SIZE


class NonceFileError(FrameError):
    """A control frame refused because its nonce cannot be written to the file."""


class NonceStore:
    """The nonces of accepted encrypted frames, in two windows of ``window`` each.

    ``path`` None keeps them in memory only (a server without ``$RTOC_HOME``).
    """

    def __init__(self, path: Path | None = None, window: int = WINDOW) -> None:
        self.path = path
        self.window = window
        # index 0: sample and read frames, 1: control frames; oldest first
        self._seen: tuple[OrderedDict[bytes, None], OrderedDict[bytes, None]] = (
            OrderedDict(),
            OrderedDict(),
        )
        self._records = 0  # records in the file
        self._fd: int | None = None
        self._write_failed = False  # warned about the file already
        if path is not None:
            self._load(path)
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def accept(self, nonce: bytes, control: bool) -> bool:
        """Record ``nonce``; False when it was seen before (a replay).

        :class:`NonceFileError` for a control frame whose nonce cannot be
        written to the file; nothing is recorded then.
        """
        if nonce in self._seen[0] or nonce in self._seen[1]:
            return False
        self._remember(nonce, control)  # first: a compaction while writing keeps it
        if self._fd is not None:
            try:
                self._write(nonce, control)
            except OSError as error:
                if control:
                    del self._seen[control][nonce]
                    raise NonceFileError(
                        f"control request refused: cannot record it in {self.path} against "
                        f"replays ({error.strerror or error}); free the disk and send it again"
                    ) from None
                if not self._write_failed:
                    log.warning(
                        "%s cannot be written (%s): nonces kept in memory", self.path, error
                    )
                self._write_failed = True
        return True

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __len__(self) -> int:
        return len(self._seen[0]) + len(self._seen[1])

    # -- internals -------------------------------------------------------------------

    def _write(self, nonce: bytes, control: bool) -> None:
        assert self._fd is not None
        os.write(self._fd, bytes((control,)) + nonce)
        if control:
            os.fsync(self._fd)
        self._records += 1
        if self._records > 4 * self.window:
            self._compact()

    def _remember(self, nonce: bytes, control: bool) -> None:
        seen = self._seen[control]
        seen[nonce] = None
        if len(seen) > self.window:
            seen.popitem(last=False)

    def _load(self, path: Path) -> None:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return
        whole = len(data) - len(data) % RECORD  # a record cut short by a crash is dropped
        for start in range(0, whole, RECORD):
            self._remember(data[start + 1 : start + RECORD], data[start] == 1)
        self._records = whole // RECORD
        if whole != len(data):
            log.warning("%s: dropped a partly written record at its end", path)
            self._compact()

    def _compact(self) -> None:
        """Rewrite the file with the remembered nonces only (it grows to 4 windows)."""
        assert self.path is not None
        records = b"".join(
            bytes((kind,)) + nonce for kind, seen in enumerate(self._seen) for nonce in seen
        )
        fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(records)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        if self._fd is not None:
            os.close(self._fd)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        self._records = len(records) // RECORD
        with contextlib.suppress(OSError):  # the rename itself made durable, where possible
            directory = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
