"""The TCP wire format: FrameDecoder, headers, encryption, JSON bodies."""

import hashlib
import itertools
import json

import pytest
from Cryptodome.Cipher import AES
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rtoc.net.frame import (
    MAX_HEADER,
    NONCE_SIZE,
    STREAM_FROM,
    TAG_SIZE,
    AuthError,
    Cipher,
    Frame,
    FrameDecoder,
    FrameError,
    Header,
    dumps,
    encode,
    loads,
    open_frame,
    pack,
    parse_header,
)

PASSWORD = "s3cret-Pässwort"
CIPHER = Cipher(PASSWORD)

# -- strategies -------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=12,
)
json_objects = st.dictionaries(st.text(max_size=10), json_values, max_size=6)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    """``data`` cut at the given positions (any order, duplicates give empty chunks)."""
    points = [0, *sorted(min(cut, len(data)) for cut in cuts), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(points)]


@st.composite
def chunked(draw, data: bytes) -> list[bytes]:
    if draw(st.booleans()):
        return [data[i : i + 1] for i in range(len(data))]
    cuts = draw(st.lists(st.integers(0, max(len(data), 0)), max_size=20))
    return split(data, cuts)


def expected_frame(wire: bytes) -> Frame:
    """An independent reading of one complete frame's bytes."""
    header, rest = wire.split(b"\n", 1)
    lengths = [int(part) for part in header.split(b",")]
    body_length, tag_length, nonce_length = (*lengths, 0, 0)[:3]
    assert len(rest) == body_length + tag_length + nonce_length
    tag, nonce = rest[:tag_length], rest[tag_length : tag_length + nonce_length]
    return Frame(rest[tag_length + nonce_length :], tag, nonce)


def feed_all(decoder: FrameDecoder, chunks: list[bytes]) -> list[Frame]:
    frames = []
    for chunk in chunks:
        frames += decoder.feed(chunk)
    return frames


# -- (a) round trips through the decoder ------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(
    messages=st.lists(json_objects, max_size=6),
    encrypted=st.booleans(),
    legacy=st.booleans(),
    data=st.data(),
)
def test_encoded_messages_come_back_whatever_the_chunking(messages, encrypted, legacy, data):
    cipher = CIPHER if encrypted else None
    wires = []
    for message in messages:
        wire = encode(message, cipher)
        if legacy and not encrypted:  # RTOC's old single-field header
            wire = b"%d\n%s" % (len(dumps(message)), dumps(message))
        wires.append(wire)
    stream = b"".join(wires)
    decoder = FrameDecoder()
    frames = feed_all(decoder, data.draw(chunked(stream)))
    assert frames == [expected_frame(wire) for wire in wires]
    assert [open_frame(frame, cipher) for frame in frames] == messages
    assert not decoder.in_frame
    if encrypted:
        assert all(len(f.tag) == TAG_SIZE and len(f.nonce) == NONCE_SIZE for f in frames)
        assert len({f.nonce for f in frames}) == len(frames)  # a fresh nonce per frame


@settings(max_examples=30, deadline=None)
@given(
    encrypted=st.booleans(),
    cuts=st.lists(st.integers(0, 3 * STREAM_FROM), max_size=12),
    big_first=st.booleans(),
)
def test_a_big_frame_streams_into_its_own_buffer(encrypted, cuts, big_first):
    """A frame over STREAM_FROM bytes, among small ones, whatever the chunking."""
    cipher = CIPHER if encrypted else None
    big = {"y": list(range(STREAM_FROM // 3)), "sname": "Big"}
    messages = [big, {"getLatest": True}] if big_first else [{"getLatest": True}, big]
    wires = [encode(message, cipher) for message in messages]
    decoder = FrameDecoder()
    frames = []
    for chunk in split(b"".join(wires), cuts):
        frames += decoder.feed(chunk)
        if decoder.announced > STREAM_FROM:  # the big frame is held once, not in the stream buffer
            assert len(decoder._buffer) == 0
    assert frames == [expected_frame(wire) for wire in wires]
    assert [open_frame(frame, cipher) for frame in frames] == messages
    assert not decoder.in_frame and decoder.announced == 0


# -- (b) garbage never breaks the decoder -----------------------------------------------

SMALL_MAX_BODY = 1000
#: The most a decoder with SMALL_MAX_BODY may hold between feeds.
BUFFER_BOUND = SMALL_MAX_BODY + MAX_HEADER + 1 + 2 * 16


@st.composite
def header_like(draw) -> bytes:
    body = draw(st.integers(0, SMALL_MAX_BODY + 100) | st.integers(0, 10**12))
    shape = draw(st.sampled_from(["plain", "crypt", "legacy", "odd"]))
    if shape == "legacy":
        return b"%d\n" % body
    tag, nonce = {"plain": (0, 0), "crypt": (16, 16)}.get(shape) or (
        draw(st.integers(0, 999)),
        draw(st.integers(0, 999)),
    )
    return b"%d,%d,%d\n" % (body, tag, nonce)


@st.composite
def mutated_stream(draw) -> bytes:
    messages = draw(st.lists(json_objects, min_size=1, max_size=4))
    cipher = CIPHER if draw(st.booleans()) else None
    data = bytearray(b"".join(encode(message, cipher) for message in messages))
    for _ in range(draw(st.integers(0, 4))):
        operation = draw(st.sampled_from(["truncate", "flip", "insert", "delete", "header"]))
        position = draw(st.integers(0, len(data)))
        if operation == "truncate":
            del data[position:]
        elif operation == "flip" and position < len(data):
            data[position] ^= draw(st.integers(1, 255))
        elif operation == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=8))
        elif operation == "delete":
            del data[position : position + draw(st.integers(1, 8))]
        elif operation == "header":
            data[position:position] = draw(header_like())
    return bytes(data)


garbage = st.one_of(
    st.binary(max_size=3000),
    mutated_stream(),
    st.lists(st.one_of(header_like(), st.binary(max_size=600)), max_size=6).map(b"".join),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stream=garbage, data=st.data())
def test_garbage_raises_only_frame_error_and_stays_bounded(stream, data):
    decoder = FrameDecoder(max_body=SMALL_MAX_BODY)
    fed = 0
    frames: list[Frame] = []
    for chunk in data.draw(chunked(stream)):
        fed += len(chunk)
        try:
            frames += decoder.feed(chunk)
        except FrameError as error:
            frames += error.completed  # whole frames before the bad bytes
            failed = True
        else:
            failed = False
            assert len(decoder._buffer) <= BUFFER_BOUND
        # a frame is at least "0\n" plus its parts: never more than the bytes could hold
        assert sum(2 + len(f.body) + len(f.tag) + len(f.nonce) for f in frames) <= fed
        if failed:
            break
    for frame in frames:
        assert isinstance(frame, Frame)
        assert len(frame.body) <= SMALL_MAX_BODY
        assert (len(frame.tag), len(frame.nonce)) in ((0, 0), (TAG_SIZE, NONCE_SIZE))


@settings(max_examples=50, deadline=None)
@given(body=st.integers(0, SMALL_MAX_BODY), tag=st.sampled_from([0, 16]))
def test_buffer_is_bounded_while_a_frame_arrives(body, tag):
    """A frame of the largest allowed size arriving one byte at a time."""
    wire = b"%d,%d,%d\n" % (body, tag, tag) + b"x" * (body + 2 * tag)
    decoder = FrameDecoder(max_body=SMALL_MAX_BODY)
    for index in range(len(wire) - 1):
        assert decoder.feed(wire[index : index + 1]) == []
        assert len(decoder._buffer) <= BUFFER_BOUND
        assert decoder.in_frame
    assert len(decoder.feed(wire[-1:])) == 1
    assert not decoder.in_frame and len(decoder._buffer) == 0


# -- (c) open_frame never raises anything unexpected ------------------------------------

bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda value: json.dumps(value).encode()),
    json_objects.map(lambda value: json.dumps(value).encode()),
    st.text(max_size=50).map(lambda text: text.encode("utf-8", "surrogatepass")),
)


@settings(max_examples=300, deadline=None)
@given(
    body=bodies,
    tag=st.one_of(st.just(b""), st.binary(min_size=16, max_size=16)),
    nonce=st.one_of(st.just(b""), st.binary(min_size=16, max_size=16)),
    with_password=st.booleans(),
    sealed=st.booleans(),
)
def test_open_frame_raises_only_frame_or_auth_errors(body, tag, nonce, with_password, sealed):
    assume(bool(tag) == bool(nonce))  # the only shapes parse_header lets through
    cipher = CIPHER if with_password else None
    frame = CIPHER.seal(body) if sealed else Frame(body, tag, nonce)
    try:
        message = open_frame(frame, cipher)
    except (FrameError, AuthError):
        return
    assert isinstance(message, dict)
    assert frame.encrypted == with_password


# -- (d) oversized frames are refused on their header -----------------------------------


@settings(max_examples=150, deadline=None)
@given(
    max_body=st.integers(0, 10**7),
    excess=st.integers(1, 10**11),
    shape=st.sampled_from(["%d,0,0", "%d,16,16", "%d"]),
    data=st.data(),
)
def test_oversized_header_is_refused_before_any_body_byte(max_body, excess, shape, data):
    line = (shape % (max_body + excess)).encode()
    decoder = FrameDecoder(max_body=max_body)
    assert feed_all(decoder, data.draw(chunked(line))) == []
    with pytest.raises(FrameError, match=rf"{max_body + excess} bytes.* limit of {max_body}$"):
        decoder.feed(b"\n")


def test_body_of_exactly_max_body_is_accepted():
    decoder = FrameDecoder(max_body=7)
    assert decoder.feed(b'7,0,0\n{"a":1}') == [Frame(b'{"a":1}')]
    with pytest.raises(FrameError, match=r"8 bytes.* limit of 7$"):
        FrameDecoder(max_body=7).feed(b"8,0,0\n")


def test_frame_error_carries_the_frames_completed_before_the_bad_bytes():
    first, second = encode({"n": 1}), encode({"n": 2}, CIPHER)
    decoder = FrameDecoder()
    assert decoder.feed(first[:3]) == []
    with pytest.raises(FrameError, match="bad frame header") as caught:
        decoder.feed(first[3:] + second + b"bad header\n" + first)
    assert caught.value.completed == [expected_frame(first), expected_frame(second)]
    with pytest.raises(FrameError) as caught:
        FrameDecoder().feed(b"x\n")
    assert caught.value.completed == []


# -- headers ----------------------------------------------------------------------------


def test_legacy_single_field_header_decodes():
    body = b'{"getLatest":true}'
    assert len(body) == 18
    frames = FrameDecoder().feed(b"18\n" + body)
    assert frames == [Frame(body)]
    assert open_frame(frames[0], None) == {"getLatest": True}
    assert parse_header(b"12") == Header(12, 0, 0)


@pytest.mark.parametrize("line", [b"5,16,0", b"5,0,16", b"5,8,8", b"5,32,32", b"5,15,16", b"5,1,1"])
def test_tag_and_nonce_lengths_other_than_0_or_16_are_refused(line):
    with pytest.raises(FrameError, match="tag and nonce are 16 bytes each when encrypted"):
        parse_header(line)
    with pytest.raises(FrameError, match="tag and nonce"):
        FrameDecoder().feed(line + b"\n" + b"x" * 64)


@pytest.mark.parametrize(
    "line",
    [b"", b"abc", b"-5,0,0", b"5,0", b"5,0,0,0", b" 5,0,0", b"5 ,0,0", b"1234567890123", b"5;0;0"],
)
def test_malformed_headers_are_refused(line):
    with pytest.raises(FrameError, match="bad frame header"):
        FrameDecoder().feed(line + b"\n")


def test_header_without_newline_is_refused_once_too_long():
    decoder = FrameDecoder()
    assert decoder.feed(b"1" * MAX_HEADER) == []
    assert decoder.in_frame
    assert decoder.progress() == f"{MAX_HEADER} bytes of a header"
    with pytest.raises(FrameError, match="longer than 40 bytes or has no newline"):
        decoder.feed(b"1")


def test_progress_reports_an_unfinished_frame():
    decoder = FrameDecoder()
    assert not decoder.in_frame
    assert decoder.feed(b"10,0,0\n{") == []
    assert decoder.in_frame
    assert decoder.progress() == "1 of 10 bytes after the header"


# -- encryption -------------------------------------------------------------------------


def rtoc_seal(password: str, plain: bytes) -> bytes:
    """A frame as RTOC 2.x's jsonsocket built it: AES-EAX, pycryptodome defaults."""
    cipher = AES.new(hashlib.sha256(password.encode()).digest(), AES.MODE_EAX)
    body, tag = cipher.encrypt_and_digest(plain)
    nonce = cipher.nonce
    return b"%d,%d,%d\n%s%s%s" % (len(body), len(tag), len(nonce), tag, nonce, body)


def test_space_padded_encrypted_body_opens():
    plain = dumps({"y": [1.5], "sname": ["T"]})
    padded = plain + b" " * (16 - len(plain) % 16)
    assert len(padded) % 16 == 0 and len(padded) > len(plain)
    (frame,) = FrameDecoder().feed(pack(padded, CIPHER))
    assert open_frame(frame, CIPHER) == {"y": [1.5], "sname": ["T"]}


def test_frame_built_the_rtoc_way_opens():
    plain = json.dumps({"getLatest": True, "text": "Grüße"}).encode()
    padded = plain + b" " * (16 - len(plain) % 16)
    for body in (plain, padded):
        (frame,) = FrameDecoder().feed(rtoc_seal(PASSWORD, body))
        assert open_frame(frame, Cipher(PASSWORD)) == {"getLatest": True, "text": "Grüße"}


def test_sealed_frame_decrypts_with_pycryptodome_directly():
    message = {"latest": {"D.T": [1.0, 2.0, "°C"]}}
    (frame,) = FrameDecoder().feed(encode(message, Cipher(PASSWORD)))
    key = hashlib.sha256(PASSWORD.encode("utf-8")).digest()
    plain = AES.new(key, AES.MODE_EAX, nonce=frame.nonce).decrypt_and_verify(frame.body, frame.tag)
    assert json.loads(plain) == message


def test_wrong_password_is_an_auth_error():
    (frame,) = FrameDecoder().feed(encode({"a": 1}, Cipher("right")))
    with pytest.raises(AuthError, match="wrong password"):
        open_frame(frame, Cipher("wrong"))
    tampered = frame._replace(body=bytes([frame.body[0] ^ 1]) + frame.body[1:])
    with pytest.raises(AuthError, match="wrong password"):
        open_frame(tampered, Cipher("right"))


def test_encryption_must_match_the_password_setting():
    (encrypted,) = FrameDecoder().feed(encode({"a": 1}, CIPHER))
    (plain,) = FrameDecoder().feed(encode({"a": 1}))
    with pytest.raises(AuthError, match="this server has no password"):
        open_frame(encrypted, None)
    with pytest.raises(AuthError, match="this server needs a password"):
        open_frame(plain, CIPHER)


def test_tag_without_nonce_is_an_auth_error():
    with pytest.raises(AuthError):
        open_frame(Frame(b"{}", b"t" * 16, b""), CIPHER)


# -- JSON bodies ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"a":"\xff"}', "frame body is not UTF-8"),
        (b"\xff{}", "frame body is not UTF-8"),
        (b"[" * 100_000, "frame body is nested too deeply"),
        (b'{"a":' + b"9" * 5000 + b"}", "frame body is not valid JSON: Exceeds the limit"),
        (b"[1,2]", "frame body must be a JSON object, got list"),
        (b'"text"', "frame body must be a JSON object, got str"),
        (b"", "frame body is not valid JSON"),
        (b'{"a":1', "frame body is not valid JSON"),
    ],
)
def test_bad_bodies_are_frame_errors_with_a_clear_message(body, message):
    with pytest.raises(FrameError, match=message.replace("[", r"\[")):
        loads(body)
    with pytest.raises(FrameError, match="frame body"):
        open_frame(Frame(body), None)
    with pytest.raises(FrameError, match="frame body"):
        open_frame(CIPHER.seal(body), CIPHER)


def test_trailing_spaces_and_big_floats_are_fine():
    assert loads(b'{"a": 1e400}   ') == {"a": float("inf")}


@pytest.mark.parametrize(
    "body",
    [
        pytest.param('{"a":1}'.encode("utf-16-le"), id="utf-16-le"),
        pytest.param('{"a":1}'.encode("utf-32"), id="utf-32"),
        pytest.param(b'{"a":"\xed\xa0\x80"}', id="utf-8-encoded-surrogate"),
    ],
)
def test_bodies_that_are_not_utf8_are_refused(body):
    with pytest.raises(FrameError):
        loads(body)
