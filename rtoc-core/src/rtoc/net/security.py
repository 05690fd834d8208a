"""Who may send what: the TCP server's checks on each frame before it is carried out.

:class:`Gate` holds the server's password rules in one place: which frames
must be encrypted (and the one exception, plain frames from this machine
with ``tcp.allowPlainLoopback``), the replay check (:mod:`rtoc.net.replay`)
and the slow-down of password guessing (:mod:`rtoc.net.login_guard`).
"""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Any

from rtoc.net.frame import AuthError, Cipher, Frame, WrongPasswordError, loads, open_frame
from rtoc.net.login_guard import LoginGuard
from rtoc.net.replay import NonceStore
from rtoc.net.requests import CONTROL_KEYS

PLAIN_SETTING = "tcp.allowPlainLoopback"


class Gate:
    """Opens frames for the server, or refuses them with :class:`AuthError`.

    Thread-safe: the server opens small frames on its event loop and big ones
    in its thread pool.
    """

    def __init__(
        self,
        cipher: Cipher | None,
        *,
        plain_loopback: bool = False,
        nonce_file: Path | None = None,
        guard: LoginGuard | None = None,
    ) -> None:
        self.cipher = cipher
        self.plain_loopback = plain_loopback and cipher is not None
        self.nonces = NonceStore(nonce_file) if cipher is not None else None
        self.guard = guard or LoginGuard()
        self._lock = threading.Lock()  # over the guard's records and the nonce store

    def admit(self, host: str) -> str | None:
        """Why a new connection from ``host`` is refused, or None."""
        with self._lock:
            wait = self.guard.wait(host)
        if wait > 0:
            return f"too many wrong passwords from {host}: try again in {math.ceil(wait)} s"
        return None

    def open(self, frame: Frame, host: str, loopback: bool) -> dict[str, Any]:
        """The frame's request; :class:`AuthError` (the connection ends) when refused."""
        if self.cipher is None:
            return open_frame(frame, None)
        if not frame.encrypted:
            if self.plain_loopback and loopback:
                return loads(frame.body)
            raise AuthError(self._plain_refusal(loopback))
        refusal = self.admit(host)
        if refusal is not None:  # a guess on a connection opened before the address was refused
            raise AuthError(refusal)
        try:
            message = loads(self.cipher.open(frame))
        except WrongPasswordError:
            with self._lock:
                self.guard.failed(host)
            raise
        assert self.nonces is not None
        with self._lock:
            fresh = self.nonces.accept(frame.nonce, control=not CONTROL_KEYS.isdisjoint(message))
        if not fresh:
            raise AuthError("replayed frame refused: its nonce was used before")
        return message

    def close(self) -> None:
        if self.nonces is not None:
            with self._lock:
                self.nonces.close()

    def _plain_refusal(self, loopback: bool) -> str:
        needs = "this server needs a password: send frames encrypted with it"
        if loopback:
            return (
                f"{needs}; to accept plain frames from this machine (RTOC's jsonsocket client "
                f"does not encrypt for 127.0.0.1 and localhost), set {PLAIN_SETTING} to true"
            )
        return f"{needs} (plain frames are accepted from this machine only, with {PLAIN_SETTING})"
