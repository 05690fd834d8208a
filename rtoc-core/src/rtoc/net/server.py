"""The TCP JSON server: RTOC 2.x clients talk to rtoc unchanged.

It runs an asyncio event loop in a thread of its own, so a slow or hostile
client never holds up sampling. Each connection may carry one request (what
RTOC's client does) or any number, answered in order; a client may send
requests ahead without waiting for the replies. Quick requests (samples,
``getLatest``, lists) are answered on the event loop; ones that may take long
(device calls, whole signals) run in a small thread pool.

Security is stricter than RTOC 2.x on purpose:

* With ``tcp.password`` set, every frame must be encrypted with it, from
  localhost too unless ``tcp.allowPlainLoopback`` is on (RTOC skipped
  encryption for localhost); the server binds to every interface unless
  ``tcp.host`` says otherwise. Replays are refused across restarts and
  password guessing is slowed down per address (:mod:`rtoc.net.security`).
* Without a password the server binds to 127.0.0.1 unless ``tcp.host`` says
  otherwise (RTOC bound 0.0.0.0), and control requests (``plugin``,
  ``logger``, ``remove``) are refused from other hosts.
* A frame's header is checked before its body is read; a frame over
  ``tcp.maxMessageSize``, a bad header, a wrong password or a replayed
  encrypted frame gets an error reply and the connection is closed. A started
  frame must arrive whole within ``tcp.frameTimeout``; a silent connection is
  closed after ``tcp.idleTimeout``; at most ``tcp.maxClients`` connect at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from rtoc.net.frame import (
    DEFAULT_MAX_BODY,
    AuthError,
    Cipher,
    Frame,
    FrameDecoder,
    FrameError,
    dumps,
    pack,
)
from rtoc.net.replay import NONCE_FILE
from rtoc.net.requests import RequestHandler, error_reply, is_slow
from rtoc.net.security import Gate

if TYPE_CHECKING:
    from rtoc.config import Config, TcpConfig
    from rtoc.logger import Logger

log = logging.getLogger("rtoc.net")

#: How often connections are checked for stalled frames and idleness, seconds.
SWEEP_INTERVAL = 0.25
CONTROL_REFUSAL = (
    "control requests from other hosts need a password: set tcp.password on the server"
)


@attrs.frozen
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 5050
    password: str = ""
    max_body: int = DEFAULT_MAX_BODY
    frame_timeout: float = 10.0
    idle_timeout: float = 600.0
    max_clients: int = 100
    allow_plain_loopback: bool = False
    #: Where the nonces of accepted encrypted frames are kept; None: in memory only.
    nonce_file: Path | None = None

    @classmethod
    def from_config(cls, tcp: TcpConfig, home: Path | None = None) -> ServerSettings:
        return cls(
            host=tcp.host or ("0.0.0.0" if tcp.password else "127.0.0.1"),
            port=tcp.port,
            password=tcp.password,
            max_body=tcp.maxMessageSize,
            frame_timeout=tcp.frameTimeout,
            idle_timeout=tcp.idleTimeout,
            max_clients=tcp.maxClients,
            allow_plain_loopback=tcp.allowPlainLoopback,
            nonce_file=None if home is None else home / NONCE_FILE,
        )


class ServerError(Exception):
    """The server cannot start (port in use, address not available)."""


class TcpServer:
    """The TCP server; also the ``tcp`` frontend that ``rtoc run`` starts."""

    name = "tcp"

    def __init__(self) -> None:
        self.address: tuple[str, int] | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self.connections: set[Connection] = set()

    # -- frontend ----------------------------------------------------------------

    def start(self, logger: Logger, config: Config) -> None:
        if config.tcp.active:
            self.serve(logger, ServerSettings.from_config(config.tcp, logger.home))

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(self._shutdown)
        thread.join(timeout=10)
        self._loop = self._thread = None

    # -- serving -----------------------------------------------------------------

    def serve(self, logger: Logger, settings: ServerSettings) -> tuple[str, int]:
        """Start listening in a background thread; return the bound address."""
        if self._thread is not None:
            raise ServerError("the TCP server is already running")
        self.settings = settings
        self.handler = RequestHandler(logger)
        self.cipher = Cipher(settings.password) if settings.password else None
        self.gate = Gate(
            self.cipher,
            plain_loopback=settings.allow_plain_loopback,
            nonce_file=settings.nonce_file,
        )
        self.executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="rtoc-tcp")
        self._ready.clear()
        self._thread = threading.Thread(target=self._run, name="rtoc-tcp", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._failure is not None:
            self._thread.join()
            self._thread = None
            self.gate.close()
            raise ServerError(
                f"cannot listen on {settings.host}:{settings.port}: {self._failure}"
            ) from None
        assert self.address is not None
        secured = "password required" if self.cipher else "no password: control from localhost only"
        if self.gate.plain_loopback:
            secured += "; plain frames accepted from this machine"
        log.info("TCP server listening on %s:%d (%s)", *self.address, secured)
        return self.address

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        settings = self.settings
        try:
            self._server = loop.run_until_complete(
                loop.create_server(
                    lambda: Connection(self),
                    settings.host,
                    settings.port,
                    reuse_address=True,
                    backlog=128,
                )
            )
        except OSError as error:
            self._failure = error
            loop.close()
            self._ready.set()
            return
        self.address = self._server.sockets[0].getsockname()[:2]
        sweeper = loop.create_task(self._sweep())
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            sweeper.cancel()
            loop.run_until_complete(asyncio.gather(sweeper, return_exceptions=True))
            self.executor.shutdown(wait=False, cancel_futures=True)
            self.gate.close()
            loop.close()

    def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for connection in list(self.connections):
            connection.transport.abort()
        assert self._loop is not None
        self._loop.stop()

    async def _sweep(self) -> None:
        """Close connections whose frame stalls or that stay silent too long."""
        while True:
            await asyncio.sleep(SWEEP_INTERVAL)
            now = asyncio.get_running_loop().time()
            for connection in list(self.connections):
                connection.check_timeouts(now)


def is_loopback(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


class Connection(asyncio.Protocol):
    """One client: frames in, replies out, in order."""

    def __init__(self, server: TcpServer) -> None:
        self.server = server
        self.settings = server.settings
        self.decoder = FrameDecoder(self.settings.max_body)
        self.queue: deque[Frame] = deque()
        self.busy = False  # a slow request is being served in the thread pool
        self.closing = False
        self.frame_started: float | None = None
        self.refusal: str | None = None  # the stream went bad: refuse once the queue is served
        self.transport: asyncio.Transport

    # -- asyncio callbacks ---------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.loop = asyncio.get_running_loop()
        self.last_activity = self.loop.time()
        peer = transport.get_extra_info("peername") or ("?", 0)
        self.peer = f"{peer[0]}:{peer[1]}"
        self.host, self.loopback = str(peer[0]), is_loopback(str(peer[0]))
        self.control = self.server.cipher is not None or self.loopback
        self.transport.set_write_buffer_limits(high=4 * 1024 * 1024)
        if refusal := self.server.gate.admit(self.host):
            self._refuse(refusal, password=True)
            return
        if len(self.server.connections) >= self.settings.max_clients:
            self._refuse(f"too many connections (tcp.maxClients is {self.settings.max_clients})")
            return
        self.server.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        self.server.connections.discard(self)

    def data_received(self, data: bytes) -> None:
        if self.closing or self.refusal is not None:
            return
        self.last_activity = self.loop.time()
        try:
            frames = self.decoder.feed(data)
        except FrameError as error:
            # answer what arrived whole before the bad bytes, then refuse
            self.queue.extend(error.completed)
            self.refusal = str(error)
            self.transport.pause_reading()
            self._serve_queue()
            return
        if frames:
            self.queue.extend(frames)
            self.frame_started = None
        if self.decoder.in_frame and self.frame_started is None:
            self.frame_started = self.last_activity
        self._serve_queue()

    def pause_writing(self) -> None:
        self.transport.pause_reading()  # a client that does not read its replies waits

    def resume_writing(self) -> None:
        if not self.busy and self.refusal is None:
            self.transport.resume_reading()

    # -- serving -------------------------------------------------------------------

    def _serve_queue(self) -> None:
        replies: list[bytes] = []
        while self.queue and not self.busy and not self.closing:
            frame = self.queue.popleft()
            try:
                message = self._open(frame)
            except AuthError as error:
                self._write(replies)
                self._refuse(str(error), password=True)
                return
            except FrameError as error:  # the body was bad; the stream is still in step
                replies.append(self._reply(error_reply(str(error)), frame))
                continue
            if is_slow(message):
                self.busy = True
                self.transport.pause_reading()
                future = self.server.executor.submit(self._answer, message, frame)
                future.add_done_callback(self._slow_done)
                break
            replies.append(self._answer(message, frame))
        self._write(replies)
        if self.refusal is not None and not self.queue and not self.busy and not self.closing:
            self._refuse(self.refusal)

    def _open(self, frame: Frame) -> dict[str, Any]:
        return self.server.gate.open(frame, self.host, self.loopback)

    def _answer(self, message: dict[str, Any], frame: Frame) -> bytes:
        reply = self.server.handler.handle(message, control=self.control, refusal=CONTROL_REFUSAL)
        return self._reply(reply, frame)

    def _reply(self, reply: dict[str, Any], frame: Frame) -> bytes:
        try:
            body = dumps(reply)
        except (TypeError, ValueError) as error:
            log.exception("reply to %s cannot be encoded", self.peer)
            body = dumps(error_reply(f"internal error: reply cannot be encoded: {error}"))
        return pack(body, self.server.cipher if frame.encrypted else None)

    def _slow_done(self, future: Future[bytes]) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed while the request ran
            self.loop.call_soon_threadsafe(self._finish_slow, future)

    def _finish_slow(self, future: Future[bytes]) -> None:
        self.busy = False
        if self.closing or future.cancelled():
            return
        error = future.exception()
        if error is not None:
            log.error("TCP request from %s failed: %s", self.peer, error)
            self._write([pack(dumps(error_reply(f"internal error: {error}")))])
        else:
            self._write([future.result()])
        self.last_activity = self.loop.time()
        if self.refusal is None:
            self.transport.resume_reading()
        self._serve_queue()

    # -- ending --------------------------------------------------------------------

    def check_timeouts(self, now: float) -> None:
        if self.closing or self.busy:
            return
        frame_timeout, idle_timeout = self.settings.frame_timeout, self.settings.idle_timeout
        if self.frame_started is not None and now - self.frame_started > frame_timeout:
            self._refuse(
                f"incomplete frame: {self.decoder.progress()} arrived within {frame_timeout:g} s"
            )
        elif now - self.last_activity > idle_timeout:
            self._close(f"idle for {idle_timeout:g} s")

    def _write(self, replies: list[bytes]) -> None:
        if replies and not self.transport.is_closing():
            self.transport.write(b"".join(replies) if len(replies) > 1 else replies[0])

    def _refuse(self, reason: str, password: bool = False) -> None:
        """Answer with an error (unencrypted: it carries no data) and hang up.

        ``password``: the refusal is about encryption, which RTOC's server
        flagged with a ``"password"`` key.
        """
        refusal = error_reply(reason)
        if password:
            refusal["password"] = reason
        self._write([pack(dumps(refusal))])
        self._close(reason)

    def _close(self, reason: str) -> None:
        log.info("TCP connection from %s closed: %s", getattr(self, "peer", "?"), reason)
        self.closing = True
        self.queue.clear()
        self.transport.close()
