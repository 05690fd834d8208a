"""The TCP JSON server: RTOC 2.x clients talk to rtoc unchanged.

It runs an asyncio event loop in a thread of its own, so a slow or hostile
client never holds up sampling. Each connection may carry one request (what
RTOC's client does) or any number, answered in order; a client may send
requests ahead without waiting for the replies. Quick requests (samples,
``getLatest``, lists) are answered on the event loop; ones that may take long
(device calls, whole signals, frames over 64 KiB) run in a small thread pool.

Connections are plain non-blocking sockets watched by the loop
(``add_reader``/``add_writer``), not asyncio transports: RTOC's client opens
a connection per message, and a transport per connection cost more than the
request itself. The listening socket is read by the loop too; a connection's
first bytes are read as soon as it is accepted (they are usually there).

Fairness and backpressure: a connection serves its frames for at most
:data:`TIME_SLICE` before the others get their turn; it is not read while
frames wait or while more than :data:`MAX_UNSENT` bytes of its replies are
unsent, and it is closed when its replies make no progress for
``tcp.frameTimeout``. A client that sends requests and never reads the replies
so costs the server one slice of work per turn and a bounded buffer.

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
  Big frames in progress on all connections together hold at most
  :data:`BIG_FRAMES` times ``tcp.maxMessageSize``.
* A refused connection is closed gracefully: the reply goes out, then the
  server stops sending and reads (and drops) what the client still sends
  until it hangs up, for at most ``tcp.frameTimeout``, so the client reads
  the error rather than a reset.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import logging
import socket
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

#: How often connections are checked for stalled frames, stuck replies and idleness, seconds.
SWEEP_INTERVAL = 0.25
CONTROL_REFUSAL = (
    "control requests from other hosts need a password: set tcp.password on the server"
)
#: Bytes asked of a socket per read.
READ_SIZE = 256 * 1024
#: Unsent reply bytes above which a connection is neither read nor served.
MAX_UNSENT = 256 * 1024
#: Longest a connection serves its frames before the others get their turn, seconds.
TIME_SLICE = 0.002
#: Frames longer than this (bytes after the header) are opened and answered in the pool.
INLINE_FRAME = 64 * 1024
#: Big frames (over INLINE_FRAME) held at once, all connections together, in maxMessageSize.
BIG_FRAMES = 4
#: Connections accepted per readiness of the listening socket.
ACCEPT_BATCH = 64


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
        self._listeners: list[socket.socket] = []
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self.connections: set[Connection] = set()  # counted against max_clients
        self.lingering: set[Connection] = set()  # refused, draining what the client still sends
        self.big_frames_held = 0  # bytes of big frames held by all connections
        self._logger: Logger | None = None  # whose frontend this is (start() to stop())

    # -- frontend ----------------------------------------------------------------

    def start(self, logger: Logger, config: Config) -> None:
        """Serve when ``tcp.active``; either way this is the logger's TCP frontend from now
        until :meth:`stop`, which :func:`tcp_frontend` finds to switch it on and off."""
        self._logger = logger
        with _FRONTENDS_LOCK:
            _FRONTENDS[id(logger)] = self
        if config.tcp.active:
            self.serve(logger, ServerSettings.from_config(config.tcp, logger.home))

    def stop(self) -> None:
        self.halt()
        logger, self._logger = self._logger, None
        if logger is not None:
            with _FRONTENDS_LOCK:
                if _FRONTENDS.get(id(logger)) is self:
                    del _FRONTENDS[id(logger)]

    @property
    def serving(self) -> bool:
        return self._thread is not None

    def switch(self, on: bool, tcp: TcpConfig) -> None:
        """Serve (with the ``tcp`` settings) or stop serving while the logger runs; a
        frontend's "TCP server on/off". ServerError when it cannot listen."""
        if on and not self.serving:
            if self._logger is None:
                raise ServerError("this TCP server is not a running logger's frontend")
            self.serve(self._logger, ServerSettings.from_config(tcp, self._logger.home))
        elif not on and self.serving:
            self.halt()
            log.info("TCP server stopped")

    def halt(self) -> None:
        """Stop serving: close the listeners and every connection."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(self._shutdown)
        thread.join(timeout=10)
        self._loop = self._thread = None
        self.address = None

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
        self._failure = None
        self.big_frames_held = 0
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
        try:
            self._listeners = listen(self.settings.host, self.settings.port)
        except OSError as error:
            self._failure = error
            loop.close()
            self._ready.set()
            return
        self.address = self._listeners[0].getsockname()[:2]
        for listener in self._listeners:
            loop.add_reader(listener.fileno(), self._accept, listener)
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

    def _accept(self, listener: socket.socket) -> None:
        for _ in range(ACCEPT_BATCH):
            try:
                sock, address = listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:  # out of file descriptors, most likely: try again soon
                log.warning("TCP server cannot accept a connection: %s", error)
                assert self._loop is not None
                self._loop.remove_reader(listener.fileno())
                self._loop.call_later(SWEEP_INTERVAL, self._resume_accepting, listener)
                return
            Connection(self, sock, address).start()

    def _resume_accepting(self, listener: socket.socket) -> None:
        if listener.fileno() >= 0 and self._loop is not None:
            self._loop.add_reader(listener.fileno(), self._accept, listener)

    def has_room(self) -> bool:
        """Whether one more connection fits under ``max_clients``.

        Connections whose client hung up but whose end the loop has not read
        yet (the listening socket can be served first) are not counted.
        """
        if len(self.connections) < self.settings.max_clients:
            return True
        for connection in list(self.connections):
            connection.end_if_client_left()
        return len(self.connections) < self.settings.max_clients

    def hold_big_frame(self, size: int) -> bool:
        """Reserve ``size`` bytes for a big frame; False when too much is held already."""
        if self.big_frames_held + size > BIG_FRAMES * self.settings.max_body:
            return False
        self.big_frames_held += size
        return True

    def _shutdown(self) -> None:
        assert self._loop is not None
        for listener in self._listeners:
            self._loop.remove_reader(listener.fileno())
            listener.close()
        for connection in [*self.connections, *self.lingering]:
            connection.end()
        self._loop.stop()

    async def _sweep(self) -> None:
        """Close connections whose frame stalls, whose replies stick or that stay silent."""
        while True:
            await asyncio.sleep(SWEEP_INTERVAL)
            now = asyncio.get_running_loop().time()
            for connection in [*self.connections, *self.lingering]:
                connection.check_timeouts(now)


#: The TCP frontend of each running logger, by the logger's id (see TcpServer.start).
_FRONTENDS: dict[int, TcpServer] = {}
_FRONTENDS_LOCK = threading.Lock()


def tcp_frontend(logger: Logger) -> TcpServer | None:
    """The TCP frontend ``rtoc run`` started for ``logger`` (serving or not), if any."""
    with _FRONTENDS_LOCK:
        return _FRONTENDS.get(id(logger))


def listen(host: str, port: int) -> list[socket.socket]:
    """Listening sockets for every address ``host`` stands for (as asyncio's create_server)."""
    infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    listeners: list[socket.socket] = []
    try:
        for family, _, _, _, address in dict.fromkeys(infos):
            listener = socket.create_server(address, family=family, backlog=128)
            listeners.append(listener)
            listener.setblocking(False)
    except OSError:
        for listener in listeners:
            listener.close()
        raise
    return listeners


@functools.lru_cache(maxsize=1024)
def is_loopback(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


class Connection:
    """One client: frames in, replies out, in order."""

    def __init__(self, server: TcpServer, sock: socket.socket, address: Any) -> None:
        assert server._loop is not None
        self.server = server
        self.loop = server._loop
        self.settings = server.settings
        self.sock = sock
        self.fd = sock.fileno()
        self.peer = f"{address[0]}:{address[1]}"
        self.host, self.loopback = str(address[0]), is_loopback(str(address[0]))
        self.control = server.cipher is not None or self.loopback
        self.decoder = FrameDecoder(self.settings.max_body)
        self.queue: deque[tuple[Frame, int]] = deque()  # frames and the big-frame bytes they hold
        self.arriving_held = 0  # big-frame bytes held for the frame arriving
        self.unsent = bytearray()  # reply bytes the socket did not take yet
        self.reading = self.writing = False
        self.busy = False  # a request is being served in the thread pool
        self.continued = False  # serving goes on in a later turn of the loop
        self.client_done = False  # the client sent its last byte
        self.refusal: str | None = None  # the stream went bad: refuse once the queue is served
        self.closing = False  # refused or timed out: no more requests are served
        self.said_all = False  # closing, and the last reply is sent
        self.ended = False  # the socket is closed
        self.last_activity = self.last_sent = self.loop.time()
        self.frame_started: float | None = None

    def start(self) -> None:
        self.sock.setblocking(False)
        with contextlib.suppress(OSError):
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if refusal := self.server.gate.admit(self.host):
            self._refuse(refusal, password=True)
            return
        if not self.server.has_room():
            self._refuse(f"too many connections (tcp.maxClients is {self.settings.max_clients})")
            return
        self.server.connections.add(self)
        self._readable()  # the first request is usually there already
        self._update()

    # -- reading -------------------------------------------------------------------

    def _readable(self) -> None:
        try:
            data = self.sock.recv(READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as error:
            self.end(f"connection error: {error}")
            return
        if self.closing:  # refused: drop what the client still sends until it hangs up
            if not data:
                self.end()
            return
        if self.refusal is not None:  # the stream is out of step; the refusal is on its way
            return
        if not data:
            self.client_done = True
            self._update()
            return
        self.last_activity = self.loop.time()
        try:
            frames = self.decoder.feed(data)
        except FrameError as error:
            # answer what arrived whole before the bad bytes, then refuse
            frames, self.refusal = error.completed, str(error)
        if frames:
            self.queue.append((frames[0], self.arriving_held))
            self.queue.extend((frame, 0) for frame in frames[1:])
            self.arriving_held = 0
            self.frame_started = None
        if self.refusal is None and self.decoder.in_frame:
            if self.frame_started is None:
                self.frame_started = self.last_activity
            self._hold_arriving_frame()
        self._serve()

    def _hold_arriving_frame(self) -> None:
        size = self.decoder.announced
        if size <= INLINE_FRAME or self.arriving_held:
            return
        if self.server.hold_big_frame(size):
            self.arriving_held = size
        else:
            self.refusal = (
                f"the server is receiving too many big messages at once: "
                f"this one of {size} bytes does not fit now; send it again later"
            )

    def end_if_client_left(self) -> None:
        """End this connection if its client hung up and nothing is left to answer."""
        if self.queue or self.busy or self.unsent:
            return
        try:
            left = self.sock.recv(1, socket.MSG_PEEK) == b""
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            left = True
        if left:
            self.end()

    # -- serving -------------------------------------------------------------------

    def _serve(self) -> None:
        self.continued = False
        deadline = self.loop.time() + TIME_SLICE
        replies: list[bytes] = []
        while self.queue and not self.busy and not self.closing and len(self.unsent) < MAX_UNSENT:
            if self.loop.time() > deadline:  # let the other connections have their turn
                self.continued = True
                self.loop.call_soon(self._serve)
                break
            frame, held = self.queue.popleft()
            if held or len(frame.body) > INLINE_FRAME:
                self._in_pool(functools.partial(self._open, frame), frame, held)
                break
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
                self._in_pool(functools.partial(self._answer, message, frame), frame, 0)
                break
            replies.append(self._answer(message, frame))
        self._write(replies)
        self._update()

    def _open(self, frame: Frame) -> dict[str, Any]:
        """The frame's request, opened by the server's :class:`Gate` (from the pool too)."""
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

    # -- the thread pool -------------------------------------------------------------

    def _in_pool(self, job: Any, frame: Frame, held: int) -> None:
        """Run ``job`` (opening a big frame, or answering) in the pool; the connection waits."""
        self.busy = True
        future = self.server.executor.submit(job)
        future.add_done_callback(functools.partial(self._pool_done, frame, held))

    def _pool_done(self, frame: Frame, held: int, future: Future[Any]) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed while the job ran
            self.loop.call_soon_threadsafe(self._finish_pooled, frame, held, future)

    def _finish_pooled(self, frame: Frame, held: int, future: Future[Any]) -> None:
        self.busy = False
        self.last_activity = self.loop.time()
        if self.closing or future.cancelled():
            self._release(held)
            self._update()
            return
        error = future.exception()
        result = future.result() if error is None else None
        if isinstance(result, dict):  # a big frame, opened: answer it in the pool too
            self._in_pool(functools.partial(self._answer, result, frame), frame, held)
            return
        self._release(held)
        if isinstance(error, AuthError):
            self._refuse(str(error), password=True)
            return
        if isinstance(error, FrameError):
            self._write([self._reply(error_reply(str(error)), frame)])
        elif error is not None:
            log.error("TCP request from %s failed: %s", self.peer, error)
            self._write([pack(dumps(error_reply(f"internal error: {error}")))])
        else:
            self._write([result])
        self._serve()

    def _release(self, held: int) -> None:
        self.server.big_frames_held -= held

    # -- writing -------------------------------------------------------------------

    def _write(self, replies: list[bytes]) -> None:
        if not replies or self.ended:
            return
        data = b"".join(replies) if len(replies) > 1 else replies[0]
        if not self.unsent:
            try:
                sent = self.sock.send(data)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError as error:
                self.end(f"connection error: {error}")
                return
            if sent == len(data):
                return
            data = data[sent:]
            self.last_sent = self.loop.time()
            self._set_writing(True)
        self.unsent += data

    def _writable(self) -> None:
        try:
            sent = self.sock.send(self.unsent)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as error:
            self.end(f"connection error: {error}")
            return
        del self.unsent[:sent]
        self.last_sent = self.loop.time()
        if self.unsent:
            return
        self._set_writing(False)
        if self.queue and not self.continued:
            self._serve()
        else:
            self._update()

    # -- state -------------------------------------------------------------------------

    def _update(self) -> None:
        """Read when there is room for more; end once everything is said."""
        if self.ended:
            return
        if self.closing:
            if not self.unsent:
                self._stop_sending()
            return
        waiting = bool(self.queue) or self.busy
        if not waiting and self.refusal is not None:
            self._refuse(self.refusal)
            return
        if self.client_done:
            self._set_reading(False)
            if not waiting and not self.unsent:
                self.end()
            return
        self._set_reading(not waiting and len(self.unsent) < MAX_UNSENT)

    def _set_reading(self, on: bool) -> None:
        if on != self.reading:
            if on:
                self.loop.add_reader(self.fd, self._readable)
            else:
                self.loop.remove_reader(self.fd)
            self.reading = on

    def _set_writing(self, on: bool) -> None:
        if on != self.writing:
            if on:
                self.loop.add_writer(self.fd, self._writable)
            else:
                self.loop.remove_writer(self.fd)
            self.writing = on

    # -- ending --------------------------------------------------------------------

    def check_timeouts(self, now: float) -> None:
        if self.ended:
            return
        frame_timeout, idle_timeout = self.settings.frame_timeout, self.settings.idle_timeout
        if self.unsent and now - self.last_sent > frame_timeout:
            self.end(f"its replies were not read for {frame_timeout:g} s")
        elif self.closing:
            if now - self.last_activity > frame_timeout:
                self.end()
        elif self.busy:
            return
        elif self.frame_started is not None and now - self.frame_started > frame_timeout:
            self._refuse(
                f"incomplete frame: {self.decoder.progress()} arrived within {frame_timeout:g} s"
            )
        elif now - self.last_activity > idle_timeout:
            self._close(f"idle for {idle_timeout:g} s")

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
        """Serve no more; the client reads what was sent, then the connection ends."""
        log.info("TCP connection from %s closed: %s", self.peer, reason)
        self.closing = True
        for _, held in self.queue:
            self._release(held)
        self.queue.clear()
        self._release(self.arriving_held)
        self.arriving_held = 0
        self.server.connections.discard(self)
        if len(self.server.lingering) >= self.settings.max_clients:
            self.end()  # too many clients are being refused to wait for each
            return
        self.server.lingering.add(self)
        self.last_activity = self.loop.time()
        self._update()

    def _stop_sending(self) -> None:
        """After the last reply: a FIN, then drop what arrives until the client hangs up."""
        if not self.said_all:
            self.said_all = True
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_WR)
            self._set_reading(True)

    def end(self, reason: str = "") -> None:
        """Close the socket now."""
        if self.ended:
            return
        if reason:
            log.info("TCP connection from %s closed: %s", self.peer, reason)
        self.ended = self.closing = True
        self._set_reading(False)
        self._set_writing(False)
        self.sock.close()
        for _, held in self.queue:
            self._release(held)
        self.queue.clear()
        self._release(self.arriving_held)
        self.arriving_held = 0
        self.server.connections.discard(self)
        self.server.lingering.discard(self)
