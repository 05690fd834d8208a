"""A blocking client for rtoc's (and RTOC 2.x's) TCP JSON server.

It keeps ``jsonsocket.Client``'s methods (``connect``, ``send``, ``recv``,
``recv_and_close``, ``close``, ``setKeyword``) so RTOC-era code runs with an
import changed, and adds :meth:`Client.request` (one round trip, errors
raised) and :meth:`Client.pipeline` (many requests sent ahead of their
replies). Unlike RTOC's client it encrypts for localhost too when given a
password: rtoc servers with a password require that unless
``tcp.allowPlainLoopback`` is on.

Example::

    from rtoc.net import Client

    with Client("127.0.0.1", 5050, password="secret") as client:
        client.request(y=[21.5], sname=["Temperature"], dname="Greenhouse", unit=["°C"])
        print(client.request(getLatest=True)["latest"])
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from rtoc.net.frame import (
    MAX_HEADER,
    Cipher,
    Frame,
    FrameError,
    encode,
    loads,
    parse_header,
)

#: Largest reply body the client accepts (a whole 500,000-sample signal is ~20 MB).
MAX_REPLY = 1024 * 1024 * 1024


class AuthenticationError(Exception):
    """The server wants a password, a different one, or none."""


class RemoteError(Exception):
    """The server answered ``"error": true``; ``reply`` holds the whole answer."""

    def __init__(self, message: str, reply: dict[str, Any]) -> None:
        super().__init__(message)
        self.reply = reply


class Client:
    """One TCP connection to an rtoc server, reused for any number of requests."""

    def __init__(
        self,
        host: str | None = None,
        port: int = 5050,
        password: str | None = None,
        *,
        timeout: float = 5.0,
    ) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self._cipher: Cipher | None = None
        self._socket: socket.socket | None = None
        self._reader: Any = None
        self.setKeyword(password)
        if host is not None:
            self.connect(host, port, password, timeout=timeout)

    # -- jsonsocket's API ------------------------------------------------------------

    def setKeyword(self, keyword: str | None = None) -> None:
        """Set the password ("" or None: unencrypted)."""
        self._cipher = Cipher(keyword) if keyword else None

    def connect(
        self,
        host: str,
        port: int = 5050,
        keyword: str | None = None,
        reuse_port: bool = True,
        timeout: float | None = None,
    ) -> Client:
        """Open the connection (``keyword``: the password, as in jsonsocket)."""
        self.close()
        if keyword is not None:
            self.setKeyword(keyword)
        self.host, self.port = host, port
        if timeout is not None:
            self.timeout = timeout
        connection = socket.create_connection((host, port), timeout=self.timeout)
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._socket = connection
        self._reader = connection.makefile("rb")
        return self

    def send(self, data: dict[str, Any]) -> Client:
        if self._socket is None:
            raise ConnectionError("not connected: call connect() first")
        try:
            frame = encode(data, self._cipher)
        except (TypeError, ValueError) as error:
            raise TypeError(f"only JSON-serialisable dicts can be sent: {error}") from None
        self._socket.sendall(frame)
        return self

    def recv(self) -> dict[str, Any]:
        """The next reply; :class:`AuthenticationError` if the password does not fit."""
        if self._reader is None:
            raise ConnectionError("not connected: call connect() first")
        line = self._reader.readline(MAX_HEADER + 1)
        if not line:
            raise ConnectionError("the server closed the connection")
        if not line.endswith(b"\n"):
            raise FrameError(f"bad reply header {line[:MAX_HEADER]!r}")
        header = parse_header(line[:-1], MAX_REPLY)
        return self._open(header.frame(self._read(header.total)))

    def recv_and_close(self) -> dict[str, Any]:
        try:
            return self.recv()
        finally:
            self.close()

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    # -- conveniences ----------------------------------------------------------------

    def request(self, data: dict[str, Any] | None = None, /, **keys: Any) -> dict[str, Any]:
        """Send one request and return the reply; :class:`RemoteError` if it says error.

        Reconnects first when the server closed the connection after an
        earlier reply (RTOC 2.x servers answer one request per connection).
        """
        message = {**(data or {}), **keys}
        if self._socket is None:
            self._reconnect()
        try:
            try:
                reply = self.send(message).recv()
            except (ConnectionError, BrokenPipeError):
                # The server hung up after the previous reply without reading this
                # request (RTOC's one-request-per-connection server): send it again.
                self._reconnect()
                reply = self.send(message).recv()
        except (OSError, FrameError):
            # A timeout leaves this request's reply on its way (and the reader in an
            # unknown state): the next request would read it as its own. So the
            # connection goes, and the next request opens a fresh one.
            self.close()
            raise
        return checked(reply)

    def pipeline(
        self, messages: Iterable[dict[str, Any]], window: int = 64
    ) -> Iterator[dict[str, Any]]:
        """Send ``messages`` keeping up to ``window`` ahead of their replies; yield replies.

        Replies come in request order. Keep ``window`` times the size of a
        reply well under a few MB, or both sides wait on full buffers.
        """
        if self._socket is None:
            self._reconnect()
        waiting = 0
        for message in messages:
            self.send(message)
            waiting += 1
            if waiting >= window:
                yield self.recv()
                waiting -= 1
        for _ in range(waiting):
            yield self.recv()

    @contextmanager
    def patience(self, seconds: float) -> Iterator[Client]:
        """Wait up to ``seconds`` (at least the usual timeout) for replies within the block:
        for a request that takes long on the server, such as a script run."""
        usual = self.timeout
        self.timeout = max(seconds, usual)
        if self._socket is not None:
            self._socket.settimeout(self.timeout)
        try:
            yield self
        finally:
            self.timeout = usual
            if self._socket is not None:
                self._socket.settimeout(usual)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- internals -------------------------------------------------------------------

    def _reconnect(self) -> None:
        if self.host is None:
            raise ConnectionError("no server address: pass host or call connect()")
        self.connect(self.host, self.port)

    def _read(self, count: int) -> bytes:
        data = self._reader.read(count)
        if len(data) < count:
            raise ConnectionError(
                f"the server closed the connection after {len(data)} of {count} bytes"
            )
        return data

    def _open(self, frame: Frame) -> dict[str, Any]:
        if frame.encrypted:
            if self._cipher is None:
                raise AuthenticationError("the server is password protected: give a password")
            try:
                return loads(self._cipher.open(frame))
            except Exception as error:
                raise AuthenticationError(f"cannot read the server's reply: {error}") from None
        reply = loads(frame.body)
        if reply.get("error") and "password" in reply:  # the server refused our encryption
            raise AuthenticationError(str(reply.get("message") or reply["password"]))
        return reply


def checked(reply: dict[str, Any]) -> dict[str, Any]:
    """``reply``, or :class:`RemoteError` with the server's message if it says error."""
    if reply.get("error"):
        raise RemoteError(str(reply.get("message", "the server reported an error")), reply)
    return reply
