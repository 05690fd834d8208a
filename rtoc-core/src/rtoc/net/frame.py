"""The wire format RTOC 2.x's ``jsonsocket`` speaks, byte for byte.

A frame is an ASCII header ``b"<len body>,<len tag>,<len nonce>\\n"`` followed
by ``tag``, ``nonce`` and ``body``. Without a password tag and nonce are empty
and the body is UTF-8 JSON of one object. With a password the body is that
JSON encrypted with AES in EAX mode: key = SHA-256 of the UTF-8 password, a
fresh 16-byte nonce per frame, a 16-byte tag. RTOC padded the JSON with spaces
to a multiple of 16 before encrypting; trailing spaces are valid JSON, so such
bodies decode as they are. The legacy header ``b"<len body>\\n"`` is plain text.

Everything here is pure byte handling, shared by the asyncio server, the
blocking client and the property-based tests.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any, NamedTuple

from Cryptodome.Cipher import AES

#: Tag and nonce length RTOC uses (pycryptodomex's EAX defaults).
TAG_SIZE = 16
NONCE_SIZE = 16
#: Longest header line accepted: three 10-digit numbers and two commas, plus slack.
MAX_HEADER = 40
#: Default largest body a server accepts, in bytes: room for a whole signal of
#: RTOC's default 500,000 samples (x and y) sent as one ``plot`` message, ~25 MB.
DEFAULT_MAX_BODY = 64 * 1024 * 1024
#: Frames longer than this are collected in a buffer of their own as they arrive,
#: so a big body is held once, not copied out of the stream buffer.
STREAM_FROM = 64 * 1024

_HEADER = re.compile(rb"(\d{1,12})(?:,(\d{1,3}),(\d{1,3}))?")


class FrameError(Exception):
    """The bytes are not a frame: bad header, too long, not JSON, not an object.

    Raised by :meth:`FrameDecoder.feed`, the stream is out of step and the
    connection has to close; ``completed`` holds the frames that arrived
    whole before the bad bytes, which still deserve their replies.
    """

    def __init__(self, message: str, completed: Sequence[Frame] = ()) -> None:
        super().__init__(message)
        self.completed = list(completed)


class AuthError(Exception):
    """The frame's encryption does not fit: no password, a wrong one, or one too many."""


class WrongPasswordError(AuthError):
    """An encrypted frame whose tag does not verify: made with another password."""


class Header(NamedTuple):
    body: int
    tag: int
    nonce: int

    @property
    def total(self) -> int:
        return self.body + self.tag + self.nonce

    def frame(self, data: bytes | bytearray, start: int = 0) -> Frame:
        """The frame whose tag, nonce and body (in that order) begin at ``data[start]``."""
        tag_end = start + self.tag
        nonce_end = tag_end + self.nonce
        return Frame(
            bytes(data[nonce_end : nonce_end + self.body]),
            bytes(data[start:tag_end]),
            bytes(data[tag_end:nonce_end]),
        )


class Frame(NamedTuple):
    """One frame's parts, still encrypted if it was."""

    body: bytes
    tag: bytes = b""
    nonce: bytes = b""

    @property
    def encrypted(self) -> bool:
        return bool(self.tag or self.nonce)


def parse_header(line: bytes, max_body: int = DEFAULT_MAX_BODY) -> Header:
    """Parse a header line (without its newline); raise :class:`FrameError` if bad."""
    match = _HEADER.fullmatch(line)
    if match is None:
        shown = line[:MAX_HEADER].decode("ascii", "backslashreplace")
        raise FrameError(
            f"bad frame header {shown!r}: expected '<body length>,<tag length>,<nonce length>'"
        )
    body = int(match[1])
    tag = int(match[2] or 0)
    nonce = int(match[3] or 0)
    if (tag, nonce) not in ((0, 0), (TAG_SIZE, NONCE_SIZE)):
        raise FrameError(
            f"bad frame header: tag and nonce are {TAG_SIZE} bytes each when encrypted "
            f"and 0 otherwise, got {tag} and {nonce}"
        )
    if body > max_body:
        raise FrameError(
            f"frame header announces a body of {body} bytes, over the limit of {max_body}"
        )
    return Header(body, tag, nonce)


class Cipher:
    """AES-EAX with the key RTOC derives from a password."""

    __slots__ = ("_key",)

    def __init__(self, password: str) -> None:
        self._key = hashlib.sha256(password.encode("utf-8")).digest()

    def seal(self, plain: bytes) -> Frame:
        cipher = AES.new(self._key, AES.MODE_EAX)
        body, tag = cipher.encrypt_and_digest(plain)
        return Frame(body, tag, cipher.nonce)

    def open(self, frame: Frame) -> bytes:
        """The plain body; :class:`AuthError` when the tag does not verify."""
        try:
            cipher = AES.new(self._key, AES.MODE_EAX, nonce=frame.nonce)
            return cipher.decrypt_and_verify(frame.body, frame.tag)
        except ValueError:  # a tag that does not verify, or no nonce at all
            raise WrongPasswordError("wrong password: the frame's tag does not verify") from None


def dumps(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode("utf-8")


def encode(message: dict[str, Any], cipher: Cipher | None = None) -> bytes:
    """One complete frame carrying ``message``."""
    return pack(dumps(message), cipher)


def pack(plain: bytes, cipher: Cipher | None = None) -> bytes:
    """One complete frame carrying the already-serialised JSON ``plain``."""
    if cipher is None:
        return b"%d,0,0\n%s" % (len(plain), plain)
    body, tag, nonce = cipher.seal(plain)
    return b"%d,%d,%d\n%s%s%s" % (len(body), len(tag), len(nonce), tag, nonce, body)


def open_frame(frame: Frame, cipher: Cipher | None) -> dict[str, Any]:
    """Decrypt (when there is a password) and parse a frame's JSON object.

    :class:`AuthError` when the frame's encryption does not match the
    password, :class:`FrameError` when the body is not a JSON object.
    """
    if cipher is None:
        if frame.encrypted:
            raise AuthError("this server has no password: send unencrypted frames")
        plain = frame.body
    else:
        if not frame.encrypted:
            raise AuthError("this server needs a password: send frames encrypted with it")
        plain = cipher.open(frame)
    return loads(plain)


def loads(plain: bytes) -> dict[str, Any]:
    try:
        # decode first: json.loads(bytes) would also take UTF-16 and UTF-32
        message = json.loads(plain.decode("utf-8"))
    except UnicodeDecodeError:
        raise FrameError("frame body is not UTF-8") from None
    except ValueError as error:  # JSONDecodeError, and too-long integers
        raise FrameError(f"frame body is not valid JSON: {error}") from None
    except RecursionError:
        raise FrameError("frame body is nested too deeply") from None
    if not isinstance(message, dict):
        raise FrameError(f"frame body must be a JSON object, got {type(message).__name__}")
    return message


class FrameDecoder:
    """Turns a byte stream into frames, checking each header before its body arrives.

    A big frame (over :data:`STREAM_FROM` bytes) streams into a buffer of its
    own, which becomes the frame's body without a copy.
    """

    __slots__ = ("_body", "_buffer", "_header", "max_body")

    def __init__(self, max_body: int = DEFAULT_MAX_BODY) -> None:
        self.max_body = max_body
        self._buffer = bytearray()
        self._header: Header | None = None
        self._body: bytearray | None = None  # the big frame arriving, from its tag on

    @property
    def in_frame(self) -> bool:
        """True while part of a frame has arrived but not all of it."""
        return self._header is not None or bool(self._buffer)

    @property
    def announced(self) -> int:
        """Bytes after the header of the frame arriving (0 while its header is not read)."""
        return 0 if self._header is None else self._header.total

    def progress(self) -> str:
        """What has arrived of the unfinished frame, for error messages."""
        if self._header is None:
            return f"{len(self._buffer)} bytes of a header"
        arrived = len(self._buffer) if self._body is None else len(self._body)
        return f"{arrived} of {self._header.total} bytes after the header"

    def feed(self, data: bytes) -> list[Frame]:
        """Add received bytes; return the frames they complete (maybe none).

        Raises :class:`FrameError` on a bad or oversized header; the decoder
        is unusable afterwards.
        """
        frames: list[Frame] = []
        try:
            if self._body is not None:
                data = self._stream(data, frames)
            if data:
                self._split(data, frames)
        except FrameError as error:
            raise FrameError(str(error), frames) from None
        return frames

    def _stream(self, data: bytes, frames: list[Frame]) -> bytes:
        """Add to the big frame arriving; return the bytes past its end."""
        body, header = self._body, self._header
        assert body is not None and header is not None
        missing = header.total - len(body)
        body += memoryview(data)[:missing]
        if len(body) < header.total:
            return b""
        prefix = header.tag + header.nonce
        tag, nonce = bytes(body[: header.tag]), bytes(body[header.tag : prefix])
        del body[:prefix]  # cheap: a bytearray drops its head without moving the rest
        frames.append(Frame(body, tag, nonce))  # type: ignore[arg-type]  # bytearray is bytes-like
        self._body = self._header = None
        return data[missing:]

    def _split(self, data: bytes, frames: list[Frame]) -> None:
        buffer = self._buffer
        buffer += data
        position = 0
        while True:
            header = self._header
            if header is None:
                end = buffer.find(b"\n", position, position + MAX_HEADER + 1)
                if end < 0:
                    if len(buffer) - position > MAX_HEADER:
                        raise FrameError(
                            f"frame header is longer than {MAX_HEADER} bytes or has no newline"
                        )
                    break
                header = self._header = parse_header(bytes(buffer[position:end]), self.max_body)
                position = end + 1
            if len(buffer) - position < header.total:
                if header.total > STREAM_FROM:
                    self._body = buffer[position:]
                    position = len(buffer)
                break
            frames.append(header.frame(buffer, position))
            position += header.total
            self._header = None
        if position:
            del buffer[:position]
