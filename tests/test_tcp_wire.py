"""rtoc's TCP JSON server as an external RTOC 2.x client sees it, byte for byte.

The client at the top is written from the wire format alone (socket, json,
hashlib, AES-EAX); nothing from ``rtoc`` is imported here on purpose. The
server is the real program, ``rtoc run --device Generator``, in a subprocess.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psutil
import pytest
from Cryptodome.Cipher import AES

from rtoc.testing.installed import rtoc_command

TIMEOUT = 5.0
PASSWORD = "s3cret pässword"

# -- a raw client, from the wire format only -------------------------------------------------


def aes_key(password: str) -> bytes:
    return hashlib.sha256(password.encode("utf-8")).digest()


def encode(message, password: str | None = None, *, pad: bool = False) -> bytes:
    """One frame: ``"<len body>,<len tag>,<len nonce>\\n" + tag + nonce + body``.

    ``message`` may be a dict (sent as JSON) or already-made text/bytes (sent as is).
    ``pad`` right-pads the JSON text with spaces to a multiple of 16, as RTOC did.
    """
    if isinstance(message, bytes):
        plain = message
    elif isinstance(message, str):
        plain = message.encode("utf-8")
    else:
        plain = json.dumps(message).encode("utf-8")
    if pad:
        plain += b" " * (-len(plain) % 16)
    if not password:
        return b"%d,0,0\n" % len(plain) + plain
    cipher = AES.new(aes_key(password), AES.MODE_EAX)
    body, tag = cipher.encrypt_and_digest(plain)
    return b"%d,%d,%d\n" % (len(body), len(tag), len(cipher.nonce)) + tag + cipher.nonce + body


def recv_exact(sock: socket.socket, count: int) -> bytes:
    data = bytearray()
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ConnectionError(f"connection closed after {len(data)} of {count} bytes")
        data += chunk
    return bytes(data)


class Reply:
    """One reply frame: the parsed JSON, whether it came encrypted, and its size on the wire."""

    def __init__(self, message: dict, encrypted: bool, size: int) -> None:
        self.message = message
        self.encrypted = encrypted
        self.size = size


def read_reply(sock: socket.socket, password: str | None = None) -> Reply:
    header = bytearray()
    while not header.endswith(b"\n"):
        byte = sock.recv(1)
        if not byte:
            raise ConnectionError(f"connection closed inside a reply header {bytes(header)!r}")
        header += byte
        assert len(header) <= 40, f"reply header too long: {bytes(header)!r}"
    lengths = [int(part) for part in header[:-1].split(b",")]
    assert len(lengths) == 3, f"reply header {bytes(header)!r}"
    body_len, tag_len, nonce_len = lengths
    tag = recv_exact(sock, tag_len)
    nonce = recv_exact(sock, nonce_len)
    body = recv_exact(sock, body_len)
    encrypted = bool(tag_len or nonce_len)
    if encrypted:
        assert password, "an encrypted reply to a client without a password"
        assert (tag_len, nonce_len) == (16, 16)
        cipher = AES.new(aes_key(password), AES.MODE_EAX, nonce=nonce)
        body = cipher.decrypt_and_verify(body, tag)
    message = json.loads(body)
    assert isinstance(message, dict) and isinstance(message.get("error"), bool), message
    return Reply(message, encrypted, len(header) + tag_len + nonce_len + body_len)


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    sock.settimeout(TIMEOUT)
    return sock


def assert_closed(sock: socket.socket) -> None:
    """The server has hung up: reading gives end-of-stream (or a reset)."""
    with contextlib.suppress(ConnectionResetError):
        assert sock.recv(4096) == b""


# -- the real program ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """``rtoc run --device Generator`` with the TCP server on, as a subprocess."""

    def __init__(self, home: Path, password: str = "", **tcp) -> None:
        self.home = home
        self.password = password
        self.port = free_port()
        config = {"tcp": {"active": True, "port": self.port, "password": password, **tcp}}
        config["backup"] = {"active": False}
        home.mkdir(parents=True, exist_ok=True)
        (home / "config.json").write_text(json.dumps(config), encoding="utf-8")
        self.lines: list[str] = []
        self.listening = threading.Event()
        self.process = subprocess.Popen(
            rtoc_command(home, "run", "--device", "Generator"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self._readers = [
            threading.Thread(target=self._read, args=(stream,), daemon=True)
            for stream in (self.process.stdout, self.process.stderr)
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, stream) -> None:
        for line in stream:
            self.lines.append(line)
            if f"TCP server listening on 127.0.0.1:{self.port}" in line:
                self.listening.set()

    def wait_ready(self, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while not self.listening.wait(0.05):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail("rtoc did not start its TCP server:\n" + "".join(self.lines))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        for reader in self._readers:
            reader.join(2)

    # -- client side ---------------------------------------------------------------

    def frame(self, message, *, pad: bool = False) -> bytes:
        return encode(message, self.password or None, pad=pad)

    def read(self, sock: socket.socket) -> dict:
        reply = read_reply(sock, self.password or None)
        assert reply.encrypted == bool(self.password), reply.message
        return reply.message

    def ask(self, sock: socket.socket, message) -> dict:
        sock.sendall(self.frame(message))
        return self.read(sock)

    def request(self, message) -> dict:
        """RTOC's way: connect, send one frame, read one reply, close."""
        with connect(self.port) as sock:
            return self.ask(sock, message)

    def ok(self, message) -> dict:
        reply = self.request(message)
        assert reply["error"] is False, reply
        return reply


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    base = tmp_path_factory.mktemp("tcp-wire")
    started = {
        "plain": Server(base / "plain"),
        # the password server would bind every interface by default: keep it local
        "secret": Server(base / "secret", PASSWORD, host="127.0.0.1"),
        "limits": Server(base / "limits", maxMessageSize=1000, frameTimeout=1.0),
    }
    try:
        for server in started.values():
            server.wait_ready()
        yield started
    finally:
        for server in started.values():
            server.stop()


@pytest.fixture(params=["plain", "secret"])
def server(request, servers) -> Server:
    return servers[request.param]


@pytest.fixture
def plain(servers) -> Server:
    return servers["plain"]


@pytest.fixture
def secret(servers) -> Server:
    return servers["secret"]


@pytest.fixture
def limits(servers) -> Server:
    return servers["limits"]


@pytest.fixture
def dev() -> str:
    """A device name of this test's own, so tests sharing a server do not meet."""
    return "T" + uuid.uuid4().hex[:10]


def read_signal(server: Server, name: str) -> list:
    reply = server.ok({"getSignal": [name]})
    return reply["signals"][name]


# -- 1. every request key --------------------------------------------------------------------


def test_samples_one_per_signal_rtoc_form(server, dev):
    reply = server.request(
        {"x": [0, 1, 2, 3], "y": [1, 2, 3, 4], "dname": dev, "sname": ["T1", "T2", "T3", "T4"]}
    )
    assert reply == {"error": False, "sent": True}
    signals = server.ok({"getSignal": [f"{dev}.T{i}" for i in range(1, 5)]})["signals"]
    assert signals == {f"{dev}.T{i}": [[i - 1], [i], ""] for i in range(1, 5)}
    listed = server.ok({"getSignalList": True})["signalList"]
    for i in range(1, 5):
        assert [dev, f"T{i}"] in listed
    assert ["Generator", "Sine"] in listed and ["Generator", "Wave"] in listed


@pytest.mark.parametrize("sname", ["Block", ["Block"]])
def test_samples_all_to_one_signal_with_unit(server, dev, sname):
    server.ok(
        {"x": [10, 11.5, 12], "y": [-1, 0.25, 3e6], "dname": dev, "sname": sname, "unit": "V"}
    )
    assert read_signal(server, f"{dev}.Block") == [[10, 11.5, 12], [-1, 0.25, 3e6], "V"]
    server.ok({"x": [13], "y": [4], "dname": dev, "sname": sname})
    assert read_signal(server, f"{dev}.Block") == [[10, 11.5, 12, 13], [-1, 0.25, 3e6, 4], "V"]


@pytest.mark.parametrize("x", ["missing", None, []])
def test_samples_without_x_get_server_time(server, dev, x):
    message = {"y": [1, 2, 3], "dname": dev, "sname": "Now"}
    if x != "missing":
        message["x"] = x
    before = time.time()
    server.ok(message)
    after = time.time()
    xs, ys, _ = read_signal(server, f"{dev}.Now")
    assert ys == [1, 2, 3]
    assert len(xs) == 3 and all(before - 1 <= value <= after + 1 for value in xs), xs


def test_samples_without_dname_go_to_nodevice(server):
    name = "S" + uuid.uuid4().hex[:10]
    server.ok({"x": [5], "y": [42], "sname": name})
    assert read_signal(server, f"noDevice.{name}") == [[5], [42], ""]
    assert ["noDevice", name] in server.ok({"getSignalList": True})["signalList"]


def test_plot_replaces_signal(server, dev):
    name = f"{dev}.Curve"
    server.ok({"x": [100, 101], "y": [9, 9], "dname": dev, "sname": "Curve"})
    server.ok({"y": [5, 6, 7], "dname": dev, "sname": "Curve", "plot": True})
    assert read_signal(server, name) == [[0, 1, 2], [5, 6, 7], ""]
    server.ok({"x": [1, 2], "y": [8, 9], "dname": dev, "sname": ["Curve"], "plot": True})
    assert read_signal(server, name) == [[1, 2], [8, 9], ""]


def test_get_latest(server, dev):
    server.ok({"x": [1, 2, 3], "y": [10, 20, 30], "dname": dev, "sname": "A", "unit": "m"})
    server.ok({"x": [7], "y": [70], "dname": dev, "sname": "B"})
    latest = server.ok({"getLatest": [f"{dev}.A", f"{dev}.B"]})["latest"]
    assert latest == {f"{dev}.A": [3, 30, "m"], f"{dev}.B": [7, 70, ""]}
    everything = server.ok({"getLatest": True})["latest"]
    assert everything[f"{dev}.A"] == [3, 30, "m"]
    x, y, unit = everything["Generator.Sine"]
    assert unit == "V" and abs(time.time() - x) < 5 and -1.0 <= y <= 1.0


def test_get_signal_range(server, dev):
    server.ok({"x": list(range(10)), "y": [100 + i for i in range(10)], "dname": dev, "sname": "R"})
    name = f"{dev}.R"

    def ranged(**query):
        return server.ok({"getSignal": {"dname": dev, "sname": "R", **query}})["signals"][name]

    assert ranged(xmin=2, xmax=7) == [[2, 3, 4, 5, 6, 7], [102, 103, 104, 105, 106, 107], ""]
    assert ranged(xmin=2, xmax=7, maxN=3) == [[5, 6, 7], [105, 106, 107], ""]
    assert ranged(maxN=2) == [[8, 9], [108, 109], ""]
    assert ranged(xmin=8.5) == [[9], [109], ""]
    assert ranged(xmax=0) == [[0], [100], ""]
    assert ranged() == [list(range(10)), [100 + i for i in range(10)], ""]


def test_get_signal_missing_is_an_error(server, dev):
    reply = server.request({"getSignal": [f"{dev}.Nope"]})
    assert reply["error"] is True and f"{dev}.Nope" in reply["message"]


def event_entries(events: dict, text: str) -> list:
    return [entry for entry in events.values() if entry[3] == text]


def test_events_list_and_dict_form(server, dev):
    text_a, text_b = f"list {dev}", f"dict {dev}"
    reply = server.request({"event": [text_a, "Temp", dev, 1234.5, 2, "alarm", 3.5]})
    assert reply == {"error": False, "sent": True}
    server.ok(
        {
            "event": {
                "text": text_b,
                "sname": "Other",
                "dname": dev,
                "x": 99,
                "priority": 1,
                "id": "note",
                "value": -2,
            }
        }
    )
    before = time.time()
    server.ok({"event": [f"short {dev}", "Temp", dev]})  # trailing items left out
    after = time.time()

    events = server.ok({"getEventList": True})["events"]
    (a,) = event_entries(events, text_a)
    (b,) = event_entries(events, text_b)
    (short,) = event_entries(events, f"short {dev}")
    assert a == [dev, "Temp", a[2], text_a, 1234.5, 3.5, 2, "alarm"]
    assert b == [dev, "Other", b[2], text_b, 99, -2, 1, "note"]
    assert short[:2] == [dev, "Temp"] and short[5:] == [None, 0, ""]
    assert before - 1 <= short[4] <= after + 1
    for entry in (a, b, short):
        assert events[entry[2]] == entry

    only = server.ok({"getEvent": [f"{dev}.Temp"]})["events"]
    assert sorted(entry[3] for entry in only.values()) == sorted([text_a, f"short {dev}"])
    other = server.ok({"getEvent": [f"{dev}.Other"]})["events"]
    assert list(other.values()) == [b]


def generator_entry(server: Server) -> dict:
    return server.ok({"getPluginList": True})["pluginList"]["Generator"]


def test_plugin_list(server):
    entry = generator_entry(server)
    assert entry["status"] is True
    assert "set_waveform" in entry["functions"]
    parameters = dict(entry["parameters"])
    assert all(len(pair) == 2 for pair in entry["parameters"])
    assert {"samplerate", "waveform", "amplitude", "frequency", "offset", "phase"} <= set(
        parameters
    )
    assert parameters["samplerate"] == 10
    assert parameters["waveform"] in ("sine", "square")


def test_plugin_set_and_get_parameter(server):
    try:
        reply = server.ok({"plugin": {"Generator": {"amplitude": "2.5"}}})
        assert reply["plugin"] == {"Generator": {"amplitude": 2.5}}  # the value set, as RTOC
        reply = server.ok({"plugin": {"Generator": {"get": "amplitude"}}})
        assert reply["plugin"] == {"Generator": {"get": 2.5}}
        reply = server.ok({"plugin": {"Generator": {"amplitude": "get", "frequency": "get"}}})
        assert reply["plugin"] == {"Generator": {"amplitude": 2.5, "frequency": 0.1}}
        assert dict(generator_entry(server)["parameters"])["amplitude"] == 2.5
    finally:
        server.ok({"plugin": {"Generator": {"amplitude": 1.0}}})


def test_plugin_function_call(server):
    try:
        reply = server.ok({"plugin": {"Generator": {"set_waveform()": ["square"]}}})
        assert reply["plugin"] == {"Generator": {"set_waveform()": [True, None]}}
        assert server.ok({"plugin": {"Generator": {"get": "waveform"}}})["plugin"] == {
            "Generator": {"get": "square"}
        }
        bad = server.ok({"plugin": {"Generator": {"set_waveform()": ["zigzag"]}}})
        ok, reason = bad["plugin"]["Generator"]["set_waveform()"]  # RTOC's [false, reason]
        assert ok is False and "waveform" in reason and "zigzag" in reason
        assert server.ok({"plugin": {"Generator": {"get": "waveform"}}})["plugin"] == {
            "Generator": {"get": "square"}
        }
    finally:
        server.ok({"plugin": {"Generator": {"set_waveform()": ["sine"]}}})


def test_plugin_stop_and_start(server):
    try:
        reply = server.ok({"plugin": {"Generator": {"start": False}}})
        assert reply["plugin"] == {"Generator": {"start": True}}
        assert generator_entry(server)["status"] is False
        time.sleep(0.3)
        stopped_at = server.ok({"getLatest": ["Generator.Sine"]})["latest"]["Generator.Sine"][0]
        time.sleep(0.4)
        still = server.ok({"getLatest": ["Generator.Sine"]})["latest"]["Generator.Sine"][0]
        assert still == stopped_at  # no samples while stopped
    finally:
        reply = server.ok({"plugin": {"Generator": {"start": True}}})
    assert reply["plugin"] == {"Generator": {"start": [True, ""]}}
    assert generator_entry(server)["status"] is True
    assert sine_advances(server, 3), "Generator streams nothing after start: true"


def sine_advances(server: Server, within: float) -> bool:
    """Whether Generator.Sine gets a new sample within ``within`` seconds."""
    first = server.ok({"getLatest": ["Generator.Sine"]})["latest"]["Generator.Sine"][0]
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        time.sleep(0.1)
        if server.ok({"getLatest": ["Generator.Sine"]})["latest"]["Generator.Sine"][0] > first:
            return True
    return False


@pytest.mark.parametrize(
    "slow",
    [{"plugin": {"Generator": {"samplerate": 0}}}, {"logger": {"samplerate": {"Generator": 0.01}}}],
    ids=["plugin-0", "logger-0.01"],
)
def test_samplerate_change_back_resumes_sampling(plain, slow):
    try:
        plain.ok(slow)
        time.sleep(0.3)
        plain.ok({"logger": {"samplerate": 10}})
        assert generator_entry(plain)["status"] is True
        assert sine_advances(plain, 1.5), "Generator is 'running' at 10 Hz but sends nothing"
    finally:
        plain.ok({"logger": {"samplerate": 10}})
        plain.ok({"plugin": {"Generator": {"start": False}}})
        plain.ok({"plugin": {"Generator": {"start": True}}})
    assert sine_advances(plain, 2)


def test_logger_info_samplerate_resize_clear(server, dev):
    info = server.ok({"logger": {"info": True}})["logger"]["info"]
    assert info["recordLength"] == 500000 and "Generator" in info["devices"]
    assert info["signals"] >= 3 and isinstance(info["version"], str)

    try:
        reply = server.ok({"logger": {"samplerate": {"Generator": 20}}})
        assert reply["logger"] == {"samplerate": {"Generator": True}}
        got = server.ok({"plugin": {"Generator": {"get": "samplerate"}}})["plugin"]
        assert got == {"Generator": {"get": 20}}
    finally:
        server.ok({"logger": {"samplerate": 10}})
    got = server.ok({"plugin": {"Generator": {"get": "samplerate"}}})["plugin"]
    assert got == {"Generator": {"get": 10}}

    server.ok({"x": list(range(10)), "y": list(range(10)), "dname": dev, "sname": "Ring"})
    try:
        assert server.ok({"logger": {"resize": 4}})["logger"] == {"resize": True}
        assert server.ok({"logger": {"info": True}})["logger"]["info"]["recordLength"] == 4
        assert read_signal(server, f"{dev}.Ring") == [[6, 7, 8, 9], [6, 7, 8, 9], ""]
    finally:
        server.ok({"logger": {"resize": 500000}})

    server.ok({"x": [1], "y": [1], "dname": dev, "sname": "Keep"})
    reply = server.ok({"logger": {"clear": [f"{dev}.Ring", f"{dev}.Never"]}})
    assert reply["logger"] == {"clear": [True, False]}
    names = server.ok({"getSignalList": True})["signalList"]
    assert [dev, "Ring"] not in names and [dev, "Keep"] in names

    assert server.ok({"logger": {"clear": "all"}})["logger"] == {"clear": True}
    names = server.ok({"getSignalList": True})["signalList"]
    assert [dev, "Keep"] not in names
    assert all(device == "Generator" for device, _ in names)  # the Generator refills quickly


def test_remove(server, dev):
    server.ok({"x": [1, 2], "y": [3, 4], "dname": dev, "sname": ["Gone", "Stays"]})
    reply = server.ok({"remove": [f"{dev}.Gone", f"{dev}.Missing"]})
    assert reply["remove"] == [True, False]
    names = server.ok({"getSignalList": True})["signalList"]
    assert [dev, "Gone"] not in names and [dev, "Stays"] in names
    gone = server.request({"getSignal": [f"{dev}.Gone"]})
    assert gone["error"] is True and "Gone" in gone["message"]


def test_many_keys_in_one_request(server, dev):
    reply = server.ok(
        {
            "x": [1, 2],
            "y": [5, 6],
            "dname": dev,
            "sname": "M",
            "getLatest": [f"{dev}.M"],
            "getSignal": [f"{dev}.M"],
            "getSignalList": True,
        }
    )
    assert reply["sent"] is True
    assert reply["latest"] == {f"{dev}.M": [2, 6, ""]}
    assert reply["signals"] == {f"{dev}.M": [[1, 2], [5, 6], ""]}
    assert [dev, "M"] in reply["signalList"]


# -- 2. connection patterns -------------------------------------------------------------------


def test_new_connection_per_request(server, dev):
    for i in range(40):
        reply = server.request(
            {"x": [i], "y": [i * 2], "dname": dev, "sname": "C", "getLatest": [f"{dev}.C"]}
        )
        assert reply == {"error": False, "sent": True, "latest": {f"{dev}.C": [i, i * 2, ""]}}
    assert read_signal(server, f"{dev}.C") == [list(range(40)), [i * 2 for i in range(40)], ""]


def test_one_connection_many_requests(server, dev):
    with connect(server.port) as sock:
        for i in range(100):
            reply = server.ask(
                sock, {"x": [i], "y": [-i], "dname": dev, "sname": "K", "getLatest": [f"{dev}.K"]}
            )
            assert reply["latest"] == {f"{dev}.K": [i, -i, ""]}, reply
        xs, ys, _ = server.ask(sock, {"getSignal": [f"{dev}.K"]})["signals"][f"{dev}.K"]
    assert xs == list(range(100)) and ys == [-i for i in range(100)]


def test_pipelined_requests_answered_in_order(server, dev):
    name = f"{dev}.P"
    frames = []
    for i in range(100):
        if i % 2 == 0:  # quick: samples and getLatest
            message = {"x": [i], "y": [i + 0.5], "dname": dev, "sname": "P", "getLatest": [name]}
        else:  # slow path (thread pool): getSignal of the newest sample
            message = {"getSignal": {"dname": dev, "sname": "P", "maxN": 1}}
        frames.append(server.frame(message))
    with connect(server.port) as sock:
        sock.sendall(b"".join(frames))
        for i in range(100):
            reply = server.read(sock)
            assert reply["error"] is False, (i, reply)
            if i % 2 == 0:
                assert reply["latest"] == {name: [i, i + 0.5, ""]}, (i, reply)
            else:
                assert reply["signals"] == {name: [[i - 1], [i - 0.5], ""]}, (i, reply)


def test_pipelined_bad_body_in_the_middle(server, dev):
    frames = [
        server.frame({"x": [1], "y": [2], "dname": dev, "sname": "Mid"}),
        server.frame(b"{not json"),
        server.frame({"getSignal": [f"{dev}.Mid"]}),
    ]
    with connect(server.port) as sock:
        sock.sendall(b"".join(frames))
        assert server.read(sock) == {"error": False, "sent": True}
        bad = server.read(sock)
        assert bad["error"] is True and "JSON" in bad["message"]
        assert server.read(sock) == {"error": False, "signals": {f"{dev}.Mid": [[1], [2], ""]}}


@pytest.mark.parametrize("garbage", [b"abc\n", b"999999999999,0,0\n"], ids=["abc", "oversize"])
def test_frame_before_bad_header_is_still_answered(plain, dev, garbage):
    good = encode({"x": [1], "y": [2], "dname": dev, "sname": "Lost"})
    with connect(plain.port) as sock:
        sock.sendall(good + garbage)  # one write: arrives as one segment
        first = read_reply(sock).message
        assert first == {"error": False, "sent": True}, "the good frame got: " + str(first)
        refused_reply = read_reply(sock).message
        assert refused_reply["error"] is True and "header" in refused_reply["message"]
        assert_closed(sock)
    assert read_signal(plain, f"{dev}.Lost") == [[1], [2], ""]


# -- 3. legacy forms ---------------------------------------------------------------------------


def test_legacy_single_field_header(plain, dev):
    body = json.dumps({"x": [3], "y": [4], "dname": dev, "sname": "L", "getLatest": [f"{dev}.L"]})
    with connect(plain.port) as sock:
        sock.sendall(b"%d\n" % len(body) + body.encode())
        reply = read_reply(sock)
        assert not reply.encrypted
        assert reply.message == {"error": False, "sent": True, "latest": {f"{dev}.L": [3, 4, ""]}}
        # and the connection goes on, legacy or not
        sock.sendall(b"%d\n%s" % (len(b'{"getSignalList":true}'), b'{"getSignalList":true}'))
        assert [dev, "L"] in read_reply(sock).message["signalList"]


def test_legacy_header_is_plain_text_to_the_password_server(secret):
    body = b'{"getSignalList": true}'
    with connect(secret.port) as sock:
        sock.sendall(b"%d\n" % len(body) + body)
        reply = read_reply(sock)
        assert not reply.encrypted
        assert reply.message["error"] is True and "password" in reply.message
        assert_closed(sock)


@pytest.mark.parametrize("pad", [False, True], ids=["unpadded", "space-padded"])
def test_encrypted_request_padded_or_not(secret, dev, pad):
    message = {"x": [1, 2, 3], "y": [7, 8, 9], "dname": dev, "sname": "E"}
    frame = secret.frame(message, pad=pad)
    body_len = int(frame.split(b",", 1)[0])
    if pad:
        assert body_len % 16 == 0
    with connect(secret.port) as sock:
        sock.sendall(frame)
        reply = read_reply(sock, PASSWORD)
        assert reply.encrypted and reply.message == {"error": False, "sent": True}
        sock.sendall(secret.frame({"getSignal": [f"{dev}.E"]}, pad=pad))
        reply = read_reply(sock, PASSWORD)
        assert reply.encrypted
        assert reply.message["signals"] == {f"{dev}.E": [[1, 2, 3], [7, 8, 9], ""]}


# -- 4. bad input ------------------------------------------------------------------------------


def still_serving(server: Server, dev: str) -> None:
    """A new connection gets answers and the data sent before the bad input is intact."""
    assert read_signal(server, f"{dev}.Before") == [[1, 2], [10, 20], ""]


@pytest.fixture
def seeded(server, dev):
    server.ok({"x": [1, 2], "y": [10, 20], "dname": dev, "sname": "Before"})
    return server


BAD_BODIES = {
    "invalid-json": (b'{"y": [1, 2', "JSON"),
    "json-list": (b'[{"y": [1]}]', "object"),
    "json-number": (b"42", "object"),
    "not-utf8": (b'{"getSignalList": "\xff"}', "UTF-8"),
}


@pytest.mark.parametrize("case", list(BAD_BODIES))
def test_bad_body_keeps_connection(seeded, dev, case):
    body, word = BAD_BODIES[case]
    with connect(seeded.port) as sock:
        reply = seeded.ask(sock, body)
        assert reply["error"] is True and word in reply["message"], reply
        assert set(reply) == {"error", "message"}
        again = seeded.ask(sock, {"getSignal": [f"{dev}.Before"]})
        assert again["signals"] == {f"{dev}.Before": [[1, 2], [10, 20], ""]}
    still_serving(seeded, dev)


def bad_requests(dev: str) -> dict:
    """Each bad request names what the message must mention; none may change anything."""
    samples = {"x": [5], "y": [50], "dname": dev, "sname": "Before"}
    return {
        "unknown-key": ({**samples, "getEverything": True}, ["getEverything"]),
        "y-as-text": ({"y": "abc", "dname": dev, "sname": "Before"}, ["y"]),
        "sname-number": ({"y": [1], "x": [9], "dname": dev, "sname": 5}, ["sname"]),
        "getSignal-without-sname": ({**samples, "getSignal": {"dname": dev}}, ["sname"]),
        "event-priority-7": (
            {**samples, "event": ["text", "Before", dev, 1, 7]},
            ["priority", "7"],
        ),
        "event-dict-priority-7": ({"event": {"text": "t", "priority": 7}}, ["priority"]),
        "x-without-y": ({"x": [1], "dname": dev, "sname": "Before"}, ["y"]),
        "x-y-lengths": ({"x": [1, 2, 3], "y": [1, 2], "dname": dev, "sname": "Before"}, ["x"]),
        "logger-unknown": ({**samples, "logger": {"explode": True}}, ["explode"]),
        "plugin-not-object": ({**samples, "plugin": ["Generator"]}, ["plugin"]),
        "x-infinite": ({**samples, "x": [float("inf")]}, ["x", "finite"]),
        "x-nan": ({**samples, "x": [float("nan")]}, ["x", "finite"]),
        "event-x-infinite": ({"event": ["t", "Before", dev, float("inf")]}, ["event x"]),
        "unit-number": ({**samples, "unit": 5}, ["unit"]),
        "dname-number": ({**samples, "dname": 5}, ["dname"]),
        "plot-not-bool": ({**samples, "plot": "yes"}, ["plot"]),
        "y-nested": ({**samples, "y": [[1, 2]], "x": [1]}, ["y"]),
        "maxN-negative": ({"getSignal": {"dname": dev, "sname": "Before", "maxN": -1}}, ["maxN"]),
        "getLatest-number": ({"getLatest": 5}, ["getLatest"]),
    }


@pytest.mark.parametrize("case", list(bad_requests("D")))
def test_bad_request_changes_nothing(seeded, dev, case):
    message, words = bad_requests(dev)[case]
    events_before = seeded.ok({"getEvent": [f"{dev}.Before"]})["events"]
    with connect(seeded.port) as sock:
        reply = seeded.ask(sock, message)
        assert reply["error"] is True, reply
        assert set(reply) == {"error", "message"}, reply
        for word in words:
            assert word in reply["message"], reply
        # the same connection still answers
        again = seeded.ask(sock, {"getLatest": [f"{dev}.Before"]})
        assert again == {"error": False, "latest": {f"{dev}.Before": [2, 20, ""]}}
    still_serving(seeded, dev)
    assert seeded.ok({"getEvent": [f"{dev}.Before"]})["events"] == events_before


def test_set_waveform_bad_kind_does_not_break_server(seeded, dev):
    reply = seeded.request({"plugin": {"Generator": {"set_waveform()": "square"}}})
    assert reply["error"] is True and "set_waveform()" in reply["message"]
    still_serving(seeded, dev)


def refused(server: Server, data: bytes, *words: str) -> dict:
    """Send raw bytes; expect one unencrypted error reply and the connection closed."""
    with connect(server.port) as sock:
        sock.sendall(data)
        reply = read_reply(sock)  # no password: a refusal must come back in plain text
        assert not reply.encrypted
        assert reply.message["error"] is True, reply.message
        for word in words:
            assert word in reply.message["message"], reply.message
        assert_closed(sock)
    return reply.message


@pytest.mark.parametrize(
    "data, word",
    [
        (b"abc\n", "header"),
        (b"12,5,5\n" + b"x" * 22, "tag"),
        (b"-5,0,0\n", "header"),
        (b"x" * 50, "header"),  # no newline within 40 bytes
        (b"1" * 45, "header"),
    ],
    ids=["abc", "tag-sizes", "negative", "no-newline-50", "digits-45"],
)
def test_bad_header_closes_connection(seeded, dev, data, word):
    refused(seeded, data, word)
    still_serving(seeded, dev)


def test_oversized_header_refused_before_body(limits, dev):
    limits.ok({"x": [1, 2], "y": [10, 20], "dname": dev, "sname": "Before"})
    # the body is never sent: the reply must come from the header alone
    refused(limits, b"5000,0,0\n", "5000", "1000")
    refused(limits, b"999999999999,0,0\n", "1000")
    # a frame of exactly the limit is fine
    body = json.dumps({"y": [1], "dname": dev, "sname": "Fits", "x": [0]}).encode()
    body += b" " * (1000 - len(body))
    with connect(limits.port) as sock:
        sock.sendall(b"1000,0,0\n" + body)
        assert read_reply(sock).message == {"error": False, "sent": True}
    still_serving(limits, dev)


def test_oversized_header_on_default_limit(plain, dev):
    plain.ok({"x": [1, 2], "y": [10, 20], "dname": dev, "sname": "Before"})
    refused(plain, b"%d,0,0\n" % (64 * 1024 * 1024 + 1), "over")
    still_serving(plain, dev)


def test_plaintext_to_password_server(secret, dev):
    secret.ok({"x": [1, 2], "y": [10, 20], "dname": dev, "sname": "Before"})
    message = refused(secret, encode({"x": [3], "y": [30], "dname": dev, "sname": "Before"}))
    assert "password" in message
    still_serving(secret, dev)  # the plaintext samples were not taken


def test_wrong_password(secret, dev):
    secret.ok({"x": [1, 2], "y": [10, 20], "dname": dev, "sname": "Before"})
    frame = encode({"x": [3], "y": [30], "dname": dev, "sname": "Before"}, "s3cret password")
    message = refused(secret, frame, "password")
    assert "password" in message
    still_serving(secret, dev)


def test_encrypted_frame_to_server_without_password(plain, dev):
    plain.ok({"x": [1, 2], "y": [10, 20], "dname": dev, "sname": "Before"})
    frame = encode({"x": [3], "y": [30], "dname": dev, "sname": "Before"}, PASSWORD)
    message = refused(plain, frame, "password")
    assert "password" in message
    still_serving(plain, dev)


@pytest.mark.parametrize("same_connection", [False, True])
def test_replayed_frame_refused(secret, dev, same_connection):
    secret.ok({"x": [1, 2], "y": [10, 20], "dname": dev, "sname": "Before"})
    frame = secret.frame({"x": [3], "y": [30], "dname": dev, "sname": "Before"})
    with connect(secret.port) as sock:
        sock.sendall(frame)
        assert secret.read(sock) == {"error": False, "sent": True}
        if same_connection:
            sock.sendall(frame)
            reply = read_reply(sock)
            assert not reply.encrypted and reply.message["error"] is True
            assert "replay" in reply.message["message"] and "password" in reply.message
            assert_closed(sock)
    if not same_connection:
        message = refused(secret, frame, "replay")
        assert "password" in message
    # the samples went in once, not twice
    assert read_signal(secret, f"{dev}.Before") == [[1, 2, 3], [10, 20, 30], ""]


def test_replay_refused_after_a_restart(tmp_path):
    """A recorded runScript frame sent again once rtoc restarted on the same home."""
    home = tmp_path / "home"
    script = encode({"logger": {"runScript": "stream(1.0, 'Replay')"}}, PASSWORD)
    first = Server(home, PASSWORD, host="127.0.0.1")
    try:
        first.wait_ready()
        with connect(first.port) as sock:
            sock.sendall(script)
            assert first.read(sock)["error"] is False
        assert "Script.Replay" in first.ok({"getLatest": True})["latest"]
    finally:
        first.stop()
    second = Server(home, PASSWORD, host="127.0.0.1")
    try:
        second.wait_ready()
        message = refused(second, script, "replayed frame refused")
        assert "password" in message
        assert "Script.Replay" not in second.ok({"getLatest": True})["latest"]
    finally:
        second.stop()


# -- RTOC 2.1.8's own jsonsocket client ------------------------------------------------------

#: The venv ../shared/baseline/orig_rtoc_bench.py builds with RTOC 2.1.8 (CPython 3.8).
RTOC_VENV = Path(
    os.environ.get("RTOC_BASELINE_VENV", Path(tempfile.gettempdir()) / "rtoc-baseline" / "venv")
)
#: The tool that builds it, beside the clone as the workplace lays it out.
BASELINE_TOOL = Path(__file__).resolve().parents[2] / "shared" / "baseline" / "orig_rtoc_bench.py"
RTOC_CLIENT = """
import json, sys
from RTOC import jsonsocket
host, port, password, messages = json.loads(sys.argv[1])
for message in messages:
    client = jsonsocket.Client()
    client.connect(host, port, password)
    print(json.dumps(client.send(message).recv_and_close()))
"""


@pytest.fixture(scope="module")
def rtoc_python() -> str:
    python = RTOC_VENV / "bin" / "python"
    if not python.exists() and BASELINE_TOOL.exists():
        # a fresh machine: the baseline tool builds the venv (pinned RTOC 2.1.8, about a
        # minute); "--only setup" names no workload, so it only builds
        subprocess.run(
            ["python3", str(BASELINE_TOOL), "--workdir", str(RTOC_VENV.parent), "--only", "setup"],
            capture_output=True,
            timeout=600,
        )
    if not python.exists():
        reason = f"RTOC 2.1.8 is not installed in {RTOC_VENV} (see ../shared/baseline/README.md)"
        if os.environ.get("RTOC_REQUIRE_SERVICES"):
            pytest.fail(f"{reason} (RTOC_REQUIRE_SERVICES is set)")
        pytest.skip(reason)
    return str(python)


def rtoc_jsonsocket(python: str, host: str, port: int, password: str, *messages) -> list:
    """Each message sent by RTOC's jsonsocket.Client, one connection each: the replies."""
    done = subprocess.run(
        [python, "-c", RTOC_CLIENT, json.dumps([host, port, password, messages])],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_rtoc_client_on_this_machine_is_refused_naming_the_setting(secret, rtoc_python):
    # RTOC's client sends plain text to 127.0.0.1 whatever its password
    (reply,) = rtoc_jsonsocket(rtoc_python, "127.0.0.1", secret.port, PASSWORD, {"getLatest": True})
    assert reply["error"] is True and "password" in reply
    assert "set tcp.allowPlainLoopback to true" in reply["message"]


def test_rtoc_client_encrypting_to_a_password_server(secret, rtoc_python, dev):
    # "127.1" is 127.0.0.1 but not in RTOC's list of hosts it sends plain text to
    sent, latest, unknown = rtoc_jsonsocket(
        rtoc_python,
        "127.1",
        secret.port,
        PASSWORD,
        {"x": [1.0], "y": [2.0], "dname": dev, "sname": ["S"]},
        {"getLatest": [f"{dev}.S"]},
        {"plugin": {"Nosuch": {"start": True}}},
    )
    assert sent == {"error": False, "sent": True}
    assert latest == {"error": False, "latest": {f"{dev}.S": [1.0, 2.0, ""]}}
    assert unknown["error"] is False and unknown["plugin"]["Nosuch"]["start"][0] is False


def test_rtoc_client_on_this_machine_with_allow_plain_loopback(tmp_path, rtoc_python, dev):
    server = Server(tmp_path / "home", PASSWORD, host="127.0.0.1", allowPlainLoopback=True)
    try:
        server.wait_ready()
        replies = rtoc_jsonsocket(
            rtoc_python,
            "localhost",
            server.port,
            PASSWORD,
            {"x": [1.0], "y": [2.0], "dname": dev, "sname": ["S"]},
            {"getLatest": [f"{dev}.S"]},
            {"plugin": {"Generator": {"start": False}}},
            {"plugin": {"Generator": {"start": True}}},
            {"plugin": {"Generator": {"set_waveform()": ["square"], "amplitude": 2}}},
            {"plugin": {"Nosuch": {"start": True}}},
            {"getSession": True},
        )
        # the password still guards every other client
        assert server.ok({"getLatest": [f"{dev}.S"]})["latest"] == {f"{dev}.S": [1.0, 2.0, ""]}
    finally:
        server.stop()
    sent, latest, stop, start, call, unknown, session = replies
    assert sent == {"error": False, "sent": True}
    assert latest == {"error": False, "latest": {f"{dev}.S": [1.0, 2.0, ""]}}
    assert stop == {"error": False, "plugin": {"Generator": {"start": True}}}
    assert start == {"error": False, "plugin": {"Generator": {"start": [True, ""]}}}
    assert call["plugin"] == {"Generator": {"set_waveform()": [True, None], "amplitude": 2}}
    assert unknown["error"] is False
    ok, reason = unknown["plugin"]["Nosuch"]["start"]
    assert ok is False and reason.startswith("PLUGIN not found: no device named 'Nosuch'")
    assert session["error"] is False
    assert session["session"]["signals"][f"{dev}.S"] == {"x": [1.0], "y": [2.0], "unit": ""}


# -- 5. a stalled client holds up nobody ------------------------------------------------------


def test_stalled_client_does_not_block_others(limits, dev):
    # 50 clients, one of which stalls in a body; plus one more stalling inside a header
    socks = [connect(limits.port) for _ in range(51)]
    try:
        staller, header_staller, others = socks[0], socks[50], socks[1:50]
        half = encode({"getSignalList": True})
        staller.sendall(half[: len(half) // 2])
        header_staller.sendall(b"12,0")
        stalled_at = time.monotonic()

        started = time.monotonic()
        for i, sock in enumerate(others):
            name = f"{dev}.c{i}"
            sock.sendall(
                encode(
                    {"x": [i], "y": [i * 3], "dname": dev, "sname": f"c{i}", "getLatest": [name]}
                )
            )
        for i, sock in enumerate(others):
            reply = read_reply(sock).message
            assert reply == {
                "error": False,
                "sent": True,
                "latest": {f"{dev}.c{i}": [i, i * 3, ""]},
            }
        assert time.monotonic() - started < 1.0

        staller.settimeout(4)
        reply = read_reply(staller).message
        assert reply["error"] is True and "incomplete frame" in reply["message"], reply
        assert_closed(staller)
        elapsed = time.monotonic() - stalled_at
        assert 0.9 <= elapsed <= 2.0, elapsed
        header_staller.settimeout(1)
        reply = read_reply(header_staller).message
        assert "incomplete frame" in reply["message"] and "header" in reply["message"], reply
        assert_closed(header_staller)

        # the others are still connected and served
        for i, sock in enumerate(others[:5]):
            sock.sendall(encode({"getLatest": [f"{dev}.c{i}"]}))
            assert read_reply(sock).message["latest"] == {f"{dev}.c{i}": [i, i * 3, ""]}
    finally:
        for sock in socks:
            sock.close()


def test_clients_that_never_read_their_replies_hold_up_nobody(tmp_path):
    """Three clients pipeline 10,000 getLatest of 2,000 signals each and never read."""
    server = Server(tmp_path / "flood", frameTimeout=2.0)
    server.wait_ready()
    attackers = []
    try:
        names = [f"s{i}" for i in range(2000)]
        server.ok({"y": list(range(2000)), "sname": names, "dname": "Flood"})
        process = psutil.Process(server.process.pid)
        before = process.memory_info().rss
        flood = encode({"getLatest": True}) * 10_000

        def attack() -> None:
            sock = connect(server.port)
            attackers.append(sock)
            with contextlib.suppress(OSError):  # the server hangs up on it in the end
                sock.sendall(flood)

        threads = [threading.Thread(target=attack) for _ in range(3)]
        for thread in threads:
            thread.start()
        time.sleep(0.3)
        times, peak = [], before
        for _ in range(40):
            started = time.perf_counter()
            reply = server.ok({"getLatest": True})
            times.append(time.perf_counter() - started)
            peak = max(peak, process.memory_info().rss)
        assert len(reply["latest"]) >= 2000  # and the Generator's
        assert statistics.median(times) < 0.05, times
        assert peak - before < 100 * 2**20, (before, peak)
        deadline = time.monotonic() + 20  # a loaded machine drains three floods slowly
        while sum("replies were not read" in line for line in server.lines) < 3:
            assert time.monotonic() < deadline, "".join(server.lines)
            time.sleep(0.1)
        for thread in threads:
            thread.join(5)
    finally:
        for sock in attackers:
            sock.close()
        server.stop()


def test_a_whole_signal_of_500000_samples_in_one_message(plain, dev):
    """RTOC's own benchmark and clients send a signal as one ~15 MB plot message."""
    base = 1796579597.874959  # a time stamp of 17 digits, as time.time() gives
    message = {
        "plot": True,
        "x": [base + i * 1e-3 for i in range(500_000)],
        "y": [float(i) for i in range(500_000)],
        "dname": dev,
        "sname": "Whole",
        "unit": "V",
    }
    frame = plain.frame(message)
    assert len(frame) > 14_000_000  # about 15 MB
    with connect(plain.port) as sock:
        sock.settimeout(30)
        sock.sendall(frame)
        assert plain.read(sock) == {"error": False, "sent": True}
    latest = plain.ok({"getLatest": [f"{dev}.Whole"]})["latest"][f"{dev}.Whole"]
    assert latest == [base + 499_999 * 1e-3, 499_999.0, "V"]


# -- 6. no echo --------------------------------------------------------------------------------


def test_reply_does_not_echo_request(server, dev):
    count = 1000
    message = {"x": list(range(count)), "y": [i / 7 for i in range(count)]}
    message.update(dname=dev, sname="Big", unit="A")
    frame = server.frame(message)
    assert len(frame) > 10_000
    with connect(server.port) as sock:
        sock.sendall(frame)
        reply = read_reply(sock, server.password or None)
    assert reply.message == {"error": False, "sent": True}
    assert "y" not in reply.message and "x" not in reply.message
    assert reply.size < 100, reply.size
    xs, ys, unit = read_signal(server, f"{dev}.Big")
    assert xs == list(range(count)) and ys == [i / 7 for i in range(count)] and unit == "A"
