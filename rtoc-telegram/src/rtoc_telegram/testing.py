"""A loopback Telegram Bot API for tests: the real python-telegram-bot talks to it.

:class:`BotApiStub` is a small HTTP server on 127.0.0.1 that answers the Bot
API methods a bot uses (``getMe``, long-polling ``getUpdates``,
``sendMessage``, ``sendPhoto``, ``sendDocument``, ``editMessageText``,
``answerCallbackQuery``...), records every message the bot sends, and injects
updates: a text message or a button press from a user of your choosing.
Point the bot at :attr:`BotApiStub.base_url` (rtoc's ``telegram.base_url``)::

    with BotApiStub() as api:
        config = {"telegram": {"active": True, "token": api.token, "base_url": api.base_url}}
        ...  # start rtoc with it
        api.send_text(ALICE, "/start")
        menu = api.wait_for_message(ALICE, lambda m: m.buttons)

Plugin authors test their own ``telegram_send_*`` calls the same way.
:meth:`BotApiStub.stop` and :meth:`BotApiStub.start` take the API away and
bring it back on the same port; :attr:`BotApiStub.revoked` answers 401 as
Telegram does for a revoked token.
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

__all__ = ["BOT_USER", "BotApiStub", "Sent", "TelegramUser"]

#: Parameters sent as plain text; every other one is JSON (python-telegram-bot's encoding).
_TEXT_PARAMETERS = frozenset(
    {"text", "caption", "parse_mode", "callback_query_id", "url", "file_name", "emoji"}
)
#: Methods whose answer is the message the bot sent or changed.
_MESSAGE_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "editMessageText",
        "editMessageReplyMarkup",
        "editMessageCaption",
    }
)
#: Methods answered with ``true`` and otherwise only recorded.
_TRUE_METHODS = frozenset(
    {
        "answerCallbackQuery",
        "deleteWebhook",
        "setMyCommands",
        "deleteMessage",
        "sendChatAction",
        "close",
        "logOut",
    }
)

BOT_USER = {"id": 999, "is_bot": True, "first_name": "rtoc", "username": "rtoc_test_bot"}


@dataclass(frozen=True)
class TelegramUser:
    """A user who writes to the bot (in a private chat, whose id is the user's)."""

    id: int
    first_name: str = "Ada"
    last_name: str = ""

    def as_json(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        return user


@dataclass
class Sent:
    """One message the bot sent (or changed, for ``editMessage*``)."""

    method: str
    chat_id: int
    message_id: int
    text: str = ""
    #: Inline keyboard as rows of (label, callback_data); reply keyboards as (label, "").
    keyboard: list[list[tuple[str, str]]] = field(default_factory=list)
    #: The uploaded file of sendPhoto/sendDocument.
    file: bytes = b""
    file_name: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def buttons(self) -> list[tuple[str, str]]:
        return [button for row in self.keyboard for button in row]

    def button(self, label: str) -> str:
        """The callback data of the button whose label contains ``label``."""
        for text, data in self.buttons:
            if label in text:
                return data
        raise LookupError(f"no button {label!r} in {[text for text, _ in self.buttons]}")


def _keyboard(markup: Any) -> list[list[tuple[str, str]]]:
    if not isinstance(markup, dict):
        return []
    if "inline_keyboard" in markup:
        return [
            [(b.get("text", ""), b.get("callback_data", "")) for b in row]
            for row in markup["inline_keyboard"]
        ]
    rows = markup.get("keyboard", [])
    return [[(b if isinstance(b, str) else b.get("text", ""), "") for b in row] for row in rows]


class BotApiStub:
    """The Bot API on 127.0.0.1 for one bot token; see the module's docstring."""

    def __init__(self, token: str = "123456:TEST-token", port: int = 0) -> None:
        self.token = token
        self.port = port
        self.revoked = False
        self.sent: list[Sent] = []
        #: Every request as (method, parameters), in order.
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._condition = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        #: Open connections: stop() cuts them, or keep-alive would outlive the server.
        self._connections: set[socket.socket] = set()
        self._thread: threading.Thread | None = None

    # -- life ------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """What ``telegram.base_url`` is set to; python-telegram-bot appends the token."""
        return f"http://127.0.0.1:{self.port}/bot"

    def start(self) -> BotApiStub:
        """Listen (again, on the same port after :meth:`stop`)."""
        stub = self

        class Handler(_Handler):
            api = stub

        ThreadingHTTPServer.allow_reuse_address = True
        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="bot-api-stub")
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening: the bot's requests fail as when Telegram is unreachable."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with self._condition:
            connections, self._connections = self._connections, set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        with self._condition:
            self._condition.notify_all()  # ends long polls at once
        if self._thread is not None:
            self._thread.join(5)

    @property
    def running(self) -> bool:
        return self._server is not None

    def __enter__(self) -> BotApiStub:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # -- injecting updates -----------------------------------------------------

    def send_text(self, user: TelegramUser, text: str) -> int:
        """``user`` writes ``text`` to the bot; returns the new message's id."""
        message_id = next(self._message_ids)
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
            "from": user.as_json(),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        self._push({"message": message})
        return message_id

    def press(self, user: TelegramUser, data: str, message: Sent | None = None) -> str:
        """``user`` presses a button with callback ``data`` (under ``message``, by default the
        newest one the bot sent to them); returns the callback query's id."""
        if message is None:
            message = self.last_message(user)
        query_id = f"q{next(self._update_ids)}"
        original = {
            "message_id": message.message_id if message else 1,
            "date": int(time.time()),
            "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
            "from": BOT_USER,
            "text": message.text if message else "",
        }
        query = {
            "id": query_id,
            "from": user.as_json(),
            "chat_instance": str(user.id),
            "data": data,
            "message": original,
        }
        self._push({"callback_query": query})
        return query_id

    def press_button(self, user: TelegramUser, label: str) -> str:
        """``user`` presses the button labelled ``label`` (a part of it) in their newest
        message that has buttons."""
        message = self.last_message(user, lambda m: bool(m.buttons))
        if message is None:
            raise LookupError(f"the bot sent no buttons to user {user.id}")
        return self.press(user, message.button(label), message)

    def _push(self, update: dict[str, Any]) -> None:
        with self._condition:
            update["update_id"] = next(self._update_ids)
            self._updates.append(update)
            self._condition.notify_all()

    # -- what the bot sent -----------------------------------------------------

    def messages(self, user: TelegramUser | int) -> list[Sent]:
        chat = user if isinstance(user, int) else user.id
        with self._condition:
            return [sent for sent in self.sent if sent.chat_id == chat]

    def last_message(
        self, user: TelegramUser | int, where: Callable[[Sent], bool] = lambda m: True
    ) -> Sent | None:
        found = [m for m in self.messages(user) if where(m)]
        return found[-1] if found else None

    def wait_for_message(
        self,
        user: TelegramUser | int,
        where: Callable[[Sent], bool] = lambda m: True,
        *,
        after: int = 0,
        timeout: float = 10.0,
    ) -> Sent:
        """The first message to ``user`` matching ``where`` among those sent after the
        ``after`` first ones to anybody (``after=len(api.sent)`` before acting)."""
        chat = user if isinstance(user, int) else user.id
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                for sent in self.sent[after:]:
                    if sent.chat_id == chat and where(sent):
                        return sent
                left = deadline - time.monotonic()
                if left <= 0:
                    texts = [m.text[:80] for m in self.sent[after:] if m.chat_id == chat]
                    raise TimeoutError(f"no matching message to {chat} in {timeout} s; got {texts}")
                self._condition.wait(left)

    def wait_for_call(self, method: str, *, after: int = 0, timeout: float = 10.0) -> dict:
        """The parameters of the first ``method`` request among ``calls[after:]``."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                for name, parameters in self.calls[after:]:
                    if name == method:
                        return parameters
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"the bot did not call {method} in {timeout} s")
                self._condition.wait(left)

    # -- answering -------------------------------------------------------------

    def answer(self, method: str, parameters: dict[str, Any], files: dict) -> tuple[int, Any]:
        """(HTTP status, the Bot API's JSON answer) for one request."""
        if self.revoked:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        if method == "getUpdates":
            return 200, {"ok": True, "result": self._poll(parameters)}
        with self._condition:
            self.calls.append((method, parameters))
            self._condition.notify_all()
        if method == "getMe":
            return 200, {"ok": True, "result": BOT_USER}
        if method in _TRUE_METHODS:
            return 200, {"ok": True, "result": True}
        if method in _MESSAGE_METHODS:
            return self._record(method, parameters, files)
        return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}

    def _poll(self, parameters: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(parameters.get("offset") or 0)
        wait = min(float(parameters.get("timeout") or 0), 30.0)
        deadline = time.monotonic() + wait
        with self._condition:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and self.running:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._condition.wait(left)
            return list(self._updates[: int(parameters.get("limit") or 100)])

    def _record(self, method: str, parameters: dict[str, Any], files: dict) -> tuple[int, Any]:
        chat = parameters.get("chat_id")
        if not isinstance(chat, int):
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: chat_id"}
        if method.startswith("edit"):
            message_id = int(parameters.get("message_id", 0))
            if (chat, message_id) not in self._messages:
                return 400, {
                    "ok": False,
                    "error_code": 400,
                    "description": "Bad Request: message to edit not found",
                }
        else:
            message_id = next(self._message_ids)
        text = str(parameters.get("text", parameters.get("caption", "")))
        if method in ("sendMessage", "editMessageText") and not 1 <= len(text) <= 4096:
            return 400, {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: message text is empty or too long",
            }
        upload = next(iter(files.values()), (b"", ""))
        sent = Sent(
            method=method,
            chat_id=chat,
            message_id=message_id,
            text=text,
            keyboard=_keyboard(parameters.get("reply_markup")),
            file=upload[0],
            file_name=upload[1],
            parameters=parameters,
        )
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat, "type": "private"},
            "from": BOT_USER,
        }
        if method == "sendPhoto":
            message["photo"] = [
                {
                    "file_id": f"p{message_id}",
                    "file_unique_id": f"p{message_id}",
                    "width": 1,
                    "height": 1,
                }
            ]
        elif method == "sendDocument":
            message["document"] = {"file_id": f"d{message_id}", "file_unique_id": f"d{message_id}"}
        else:
            message["text"] = text
        if sent.file:
            message["caption"] = text
        with self._condition:
            self._messages[(chat, message_id)] = message
            self.sent.append(sent)
            self._condition.notify_all()
        return 200, {"ok": True, "result": message}


class _Handler(BaseHTTPRequestHandler):
    api: BotApiStub
    protocol_version = "HTTP/1.1"

    def log_message(self, *_: Any) -> None:  # quiet
        pass

    def setup(self) -> None:
        super().setup()
        # headers and body are two writes: without this, Nagle's algorithm and the
        # client's delayed ACK hold every answer back by 40 ms
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.api._condition:
            self.api._connections.add(self.connection)

    def handle(self) -> None:
        with contextlib.suppress(OSError):  # a connection cut by stop() or by the bot
            super().handle()

    def finish(self) -> None:
        with self.api._condition:
            self.api._connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def do_GET(self) -> None:
        self._handle(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._handle(self.rfile.read(length))

    def _handle(self, body: bytes) -> None:
        prefix = f"/bot{self.api.token}/"
        path = self.path.split("?", 1)[0]
        if not path.startswith(prefix):
            status, answer = 404, {"ok": False, "error_code": 404, "description": "Not Found"}
            if path.startswith("/bot"):  # another token
                status, answer = (
                    401,
                    {"ok": False, "error_code": 401, "description": "Unauthorized"},
                )
        else:
            parameters, files = _parse(self.headers.get("Content-Type", ""), body)
            status, answer = self.api.answer(path[len(prefix) :], parameters, files)
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        with contextlib.suppress(ConnectionError):  # the bot gave up waiting: fine
            self.wfile.write(data)


def _value(name: str, raw: str) -> Any:
    if name in _TEXT_PARAMETERS:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _parse(content_type: str, body: bytes) -> tuple[dict[str, Any], dict[str, tuple[bytes, str]]]:
    """The request's parameters and uploaded files (name -> (bytes, file name))."""
    parameters: dict[str, Any] = {}
    files: dict[str, tuple[bytes, str]] = {}
    if content_type.startswith("multipart/form-data"):
        head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            filename = part.get_filename()
            if filename is not None:
                files[name] = (payload, filename)
            else:
                parameters[name] = _value(name, payload.decode())
    elif content_type.startswith("application/json"):
        parameters = json.loads(body or b"{}")
    else:
        for name, values in parse_qs(body.decode(), keep_blank_values=True).items():
            parameters[name] = _value(name, values[-1])
    return parameters, files
