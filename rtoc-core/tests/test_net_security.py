"""The TCP server's password rules: replays across restarts, guessing, plain frames on loopback."""

import os
import socket
import time

import pytest

from rtoc import Device
from rtoc.logger import Logger
from rtoc.net import AuthenticationError, Client, ServerSettings, TcpServer
from rtoc.net.frame import Cipher, FrameDecoder, encode, loads
from rtoc.net.login_guard import LoginGuard, source
from rtoc.net.replay import RECORD, NonceFileError, NonceStore


class Pump(Device):
    """A pump for tests."""

    flow = 1.5


@pytest.fixture
def logger():
    logger = Logger()
    logger.add_device(Pump)
    yield logger
    logger.close()


@pytest.fixture
def serve(logger):
    """``serve(**settings)`` starts a TcpServer on 127.0.0.1; ``stop(server)`` ends one early."""
    servers = []

    def start(**settings):
        server = TcpServer()
        server.serve(logger, ServerSettings(**{"port": 0, **settings}))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def exchange(port: int, data: bytes, source_host: str = "127.0.0.1", password=None) -> list:
    """Send raw bytes from ``source_host``; the replies until the server closes."""
    cipher = Cipher(password) if password else None
    with socket.create_connection(("127.0.0.1", port), 30, (source_host, 0)) as sock:
        sock.sendall(data)
        decoder = FrameDecoder()
        frames = []
        while chunk := sock.recv(65536):
            frames += decoder.feed(chunk)
            if frames and not data.endswith(b"\n"):
                break
    return [loads(cipher.open(f) if f.encrypted else f.body) for f in frames]


def ask(port: int, message: dict, password=None, source_host="127.0.0.1") -> dict:
    frame = encode(message, Cipher(password) if password else None)
    (reply,) = exchange(port, frame, source_host, password)
    return reply


# -- replays ------------------------------------------------------------------------------


def test_a_replayed_frame_is_refused_after_a_restart(logger, serve, tmp_path):
    """The issue's attack: a recorded control frame sent again to a restarted server."""
    pump = logger.devices["Pump"]
    settings = {"password": "pw", "nonce_file": tmp_path / "tcp-nonces.bin"}
    cipher = Cipher("pw")
    control = encode({"plugin": {"Pump": {"flow": 9}}}, cipher)
    sample = encode({"y": [1.0], "sname": "S", "dname": "D", "x": [1.0]}, cipher)
    first = serve(**settings)
    port = first.address[1]
    assert exchange(port, control, password="pw") == [
        {"error": False, "plugin": {"Pump": {"flow": 9}}}
    ]
    assert exchange(port, sample, password="pw") == [{"error": False, "sent": True}]
    first.stop()
    pump.flow = 1.5

    port = serve(**settings).address[1]
    for frame in (control, sample):
        (refusal,) = exchange(port, frame)
        assert refusal["error"] is True and "replayed frame refused" in refusal["message"]
    assert pump.flow == 1.5
    assert logger.read("D", "S").y.tolist() == [1.0]
    # new frames with the same content are fine
    assert ask(port, {"plugin": {"Pump": {"flow": 9}}}, "pw")["plugin"] == {"Pump": {"flow": 9}}


def test_nonce_store_keeps_control_frames_apart_from_the_stream(tmp_path):
    path = tmp_path / "nonces"
    store = NonceStore(path, window=3)
    assert store.accept(b"c" * 16, control=True)
    for index in range(10):  # many sample frames do not push the control frame out
        assert store.accept(bytes([index]) * 16, control=False)
    assert not store.accept(b"c" * 16, control=False)
    assert not store.accept(bytes([9]) * 16, control=False)
    assert store.accept(bytes([0]) * 16, control=False)  # beyond the window of 3
    store.close()
    assert path.stat().st_size <= 4 * 3 * RECORD  # compacted as it grows
    again = NonceStore(path, window=3)
    assert not again.accept(b"c" * 16, control=True)
    assert not again.accept(bytes([0]) * 16, control=False)
    assert len(again) == 4
    again.close()


def test_nonce_store_drops_a_record_cut_short_by_a_crash(tmp_path):
    path = tmp_path / "nonces"
    store = NonceStore(path)
    store.accept(b"a" * 16, control=True)
    store.close()
    with path.open("ab") as file:
        file.write(b"\x00half")
    store = NonceStore(path)
    assert not store.accept(b"a" * 16, control=False)
    assert store.accept(b"b" * 16, control=False)
    store.close()
    assert path.stat().st_size == 2 * RECORD
    assert len(NonceStore(None)) == 0


def full_disk(store: NonceStore) -> None:
    """Point the store's file at /dev/full: every write fails with ENOSPC."""
    os.close(store._fd)
    store._fd = os.open("/dev/full", os.O_WRONLY)


def test_a_full_disk_refuses_control_frames_and_keeps_accepting_samples(tmp_path, caplog):
    store = NonceStore(tmp_path / "nonces")
    full_disk(store)
    with pytest.raises(NonceFileError, match=r"control request refused: .*No space left on device"):
        store.accept(b"c" * 16, control=True)
    assert store.accept(b"c" * 16, control=False)  # not remembered by the refusal
    assert not store.accept(b"c" * 16, control=False)  # remembered in memory
    assert store.accept(b"d" * 16, control=False)
    assert [r.message for r in caplog.records].count(
        f"{tmp_path / 'nonces'} cannot be written ([Errno 28] No space left on device): "
        "nonces kept in memory"
    ) == 1
    store.close()


def test_a_server_on_a_full_disk_answers_control_frames_with_an_error_and_goes_on(
    logger, serve, tmp_path
):
    server = serve(password="pw", nonce_file=tmp_path / "tcp-nonces.bin")
    full_disk(server.gate.nonces)
    cipher = Cipher("pw")
    control = encode({"plugin": {"Pump": {"flow": 9}}}, cipher)
    sample = encode({"y": [1.0], "sname": "S", "dname": "D", "x": [1.0]}, cipher)
    (refusal,) = exchange(server.address[1], control, password="pw")
    assert refusal["error"] is True and "cannot record it in" in refusal["message"]
    assert exchange(server.address[1], sample, password="pw") == [{"error": False, "sent": True}]
    assert logger.devices["Pump"].flow == 1.5
    assert logger.read("D", "S").y.tolist() == [1.0]


# -- password guessing ----------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_login_guard_slows_one_address_down_and_not_the_others():
    clock = Clock()
    guard = LoginGuard(free=2, first_delay=1.0, max_delay=4.0, forget_after=100, clock=clock)
    for _ in range(2):
        guard.failed("10.0.0.1")
    assert guard.wait("10.0.0.1") == 0  # a few mistakes cost nothing
    waits = []
    for _ in range(4):
        guard.failed("10.0.0.1")
        waits.append(guard.wait("10.0.0.1"))
    assert waits == [1.0, 2.0, 4.0, 4.0]
    assert guard.wait("10.0.0.2") == 0
    clock.now += 4.0
    assert guard.wait("10.0.0.1") == 0
    guard.failed("10.0.0.1")
    assert guard.wait("10.0.0.1") == 4.0
    clock.now += 101  # quiet long enough: forgiven
    guard.failed("10.0.0.1")
    assert guard.wait("10.0.0.1") == 0


def test_login_guard_names_its_door_in_the_log(caplog):
    guard = LoginGuard(free=0, door="web", clock=Clock())
    with caplog.at_level("WARNING", logger="rtoc.net"):
        guard.failed("10.0.0.1")
    assert caplog.messages == ["web: 1 wrong passwords from 10.0.0.1; refused for 1 s"]


def test_login_guard_counts_ipv6_per_64_and_forgets_the_quietest_beyond_its_size():
    assert source("2001:db8::1") == source("2001:db8::ffff:1") == "2001:db8::/64"
    assert source("2001:db8:0:1::1") != source("2001:db8::1")
    assert source("::ffff:10.0.0.1") == "10.0.0.1"
    guard = LoginGuard(free=0, max_addresses=2, clock=Clock())
    for host in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        guard.failed(host)
    assert guard.wait("10.0.0.1") == 0 and guard.wait("10.0.0.3") == 1.0


def test_wrong_passwords_lock_out_their_address_only(serve):
    port = serve(password="pw").address[1]
    wrong = encode({"getLatest": True}, Cipher("guess"))
    for _ in range(5):
        (reply,) = exchange(port, wrong)
        assert "wrong password" in reply["message"] and "password" in reply
    (reply,) = exchange(port, wrong)
    assert "wrong password" in reply["message"]
    (refused,) = exchange(port, encode({"getLatest": True}, Cipher("pw")))
    assert "too many wrong passwords from 127.0.0.1: try again in 1 s" in refused["message"]
    # another address is not locked out
    assert ask(port, {"getLatest": True}, "pw", source_host="127.0.0.2")["error"] is False
    time.sleep(1.05)
    assert ask(port, {"getLatest": True}, "pw")["error"] is False


def test_guesses_on_connections_opened_earlier_are_refused_too(serve):
    port = serve(password="pw").address[1]
    wrong = encode({"getLatest": True}, Cipher("guess"))
    early = [socket.create_connection(("127.0.0.1", port), 5) for _ in range(10)]
    try:
        replies = []
        for sock in early:
            sock.sendall(wrong)
            replies.append(loads(FrameDecoder().feed(sock.recv(65536))[0].body)["message"])
    finally:
        for sock in early:
            sock.close()
    assert sum("tag does not verify" in text for text in replies) == 6
    assert sum("too many wrong passwords" in text for text in replies) == 4


# -- plain frames from this machine ------------------------------------------------------------


def test_plain_frames_need_the_setting_which_the_refusal_names(serve):
    port = serve(password="pw").address[1]
    (refusal,) = exchange(port, encode({"getLatest": True}))
    assert "set tcp.allowPlainLoopback to true" in refusal["message"]
    assert refusal["password"]


def test_plain_frames_from_loopback_with_the_setting(logger, serve):
    port = serve(password="pw", allow_plain_loopback=True).address[1]
    for host in ("127.0.0.1", "127.0.0.2"):
        frames = exchange(port, encode({"plugin": {"Pump": {"flow": 4}}}), host)
        assert frames == [{"error": False, "plugin": {"Pump": {"flow": 4}}}]
    assert logger.devices["Pump"].flow == 4
    with Client("127.0.0.1", port, "pw") as client:  # encrypted frames still work
        assert client.request(getLatest=True)["error"] is False
    with pytest.raises(AuthenticationError, match="wrong password"):
        Client("127.0.0.1", port, "wrong").request(getLatest=True)
