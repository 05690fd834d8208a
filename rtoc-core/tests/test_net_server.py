"""The TCP server in-process, against a real Logger, through Client and RemoteLogger."""

import re
import socket
import time

import attrs
import numpy as np
import pytest

from rtoc import Device
from rtoc.config import Config
from rtoc.logger import Logger
from rtoc.net import (
    AuthenticationError,
    Client,
    RemoteError,
    RemoteLogger,
    ServerError,
    ServerSettings,
    TcpServer,
)
from rtoc.net.frame import Cipher, FrameDecoder, dumps, encode, open_frame
from rtoc.net.requests import RequestHandler
from rtoc.net.server import (
    BIG_FRAMES,
    CONTROL_REFUSAL,
    INLINE_FRAME,
    is_loopback,
    tcp_frontend,
)


class Pump(Device):
    """A pump for tests."""

    flow = 1.5
    mode = "auto"

    def prime(self, seconds: float = 1.0) -> float:
        return seconds * self.flow

    def slow(self) -> str:
        time.sleep(1.0)
        self.stream(1.0, "done", x=1.0)
        return "slept"

    def jam(self) -> None:
        raise RuntimeError("pump jammed")


@pytest.fixture
def logger():
    logger = Logger()
    yield logger
    logger.close()


@pytest.fixture
def serve(logger):
    """``serve(**settings)`` starts a TcpServer for ``logger``; all stop at teardown."""
    servers = []

    def start(**settings):
        server = TcpServer()
        address = server.serve(logger, ServerSettings(**{"port": 0, **settings}))
        servers.append(server)
        return address

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def connect():
    """``connect(host, port, password=None)`` opens a Client closed at teardown."""
    clients = []

    def open_client(host, port, password=None, **options):
        client = Client(host, port, password, **options)
        clients.append(client)
        return client

    yield open_client
    for client in clients:
        client.close()


@pytest.fixture
def remote(logger, serve):
    with RemoteLogger(*serve()) as remote:
        yield remote


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def lan_address() -> str | None:
    """This machine's non-loopback IPv4 address, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def eventually(check, timeout=3.0):
    """``check()``'s first result that is not an exception, retrying until ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except (AssertionError, RemoteError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


# -- RemoteLogger mirrors the local logger ----------------------------------------------


def feed(target):
    """The same writes, to a Logger or a RemoteLogger."""
    target.stream(20.5, "T", "Oven", "°C", x=100.0)
    target.stream(21.0, "T", "Oven", x=101.0)
    target.stream(3.0, "P", "Oven", x=100.5)
    target.stream_many([102.0, 103.0, 104.0, 105.0], [22.0, 23.0, 24.0, 25.0], "T", "Oven")
    target.stream_many(np.array([1.0]), np.array([7.0]), "single", "Oven", "V")
    target.stream_many([1.0, 2.0], [5, 6], "I", "PSU", "A")
    target.plot([0.0, 1.0, 2.0], [5.0, 6.0, 7.0], "Spectrum", "FFT", "dB")
    target.plot(None, [8.0, 9.0], "Spectrum", "FFT")
    target.plot([3.0], [1.0], "Spectrum", "FFT", hold=True)
    target.plot(None, [4.0, 5.0], "Held", "FFT", hold=True)  # appended at x = 0, 1
    target.event("global", time=10.0)
    target.event("psu on", device="PSU", priority=1, time=50.0)
    target.event("heating", device="Oven", signal="T", time=100.0)
    target.event("too hot", "Oven", "T", priority=2, id="hot", value=250, time=104.5)


def without_uid(events):
    return [attrs.evolve(event, uid="") for event in events]


def test_remote_logger_mirrors_the_local_logger(logger, remote):
    twin = Logger()  # the same calls made locally
    feed(twin)
    feed(remote)
    keys = [
        ("Oven", "T"),
        ("Oven", "P"),
        ("Oven", "single"),
        ("PSU", "I"),
        ("FFT", "Spectrum"),
        ("FFT", "Held"),
    ]
    assert remote.signal_names() == logger.signal_names() == twin.signal_names() == keys
    assert remote.latest() == logger.latest() == twin.latest()
    assert remote.latest()[("Oven", "T")] == (105.0, 25.0, "°C")
    picked = [("Oven", "P"), ("FFT", "Spectrum"), ("Nope", "x")]
    assert remote.latest(picked) == logger.latest(picked) == twin.latest(picked)
    assert list(remote.latest(picked)) == [("Oven", "P"), ("FFT", "Spectrum")]
    queries = [
        {},
        {"start": 101.0},
        {"end": 103.0},
        {"start": 101.5, "end": 104.0},
        {"last": 2},
        {"last": 0},
        {"start": 101.0, "end": 104.0, "last": 2},
        {"start": 200.0},
    ]
    for key in keys:
        for query in queries:
            mine = logger.read(*key, **query)
            theirs = remote.read(*key, **query)
            assert theirs.unit == mine.unit == twin.read(*key, **query).unit
            np.testing.assert_array_equal(theirs.x, mine.x)
            np.testing.assert_array_equal(theirs.y, mine.y)
            np.testing.assert_array_equal(theirs.y, twin.read(*key, **query).y)
    np.testing.assert_array_equal(remote.read("FFT", "Spectrum").x, [0.0, 1.0, 3.0])
    assert remote.read("Oven", "T", start=101.5, end=104.0).y.tolist() == [22.0, 23.0, 24.0]
    assert remote.events_of() == logger.events_of()
    assert without_uid(remote.events_of()) == without_uid(twin.events_of())
    for wanted in ([("Oven", "T")], [("PSU", "")], [("", "")], [("Oven", "T"), ("PSU", "")], []):
        assert remote.events_of(wanted) == logger.events_of(wanted)
        assert without_uid(remote.events_of(wanted)) == without_uid(twin.events_of(wanted))
    hot = remote.events_of([("Oven", "T")])[1]
    assert (hot.text, hot.priority, hot.id, hot.value) == ("too hot", 2, "hot", 250.0)
    twin.close()


def test_reading_an_unknown_signal_is_a_remote_error(logger, remote):
    remote.stream(1.0, "T", "Oven", x=1.0)
    with pytest.raises(RemoteError, match=r"getSignal: no signal Oven\.nope"):
        remote.read("Oven", "nope")
    with pytest.raises(KeyError):
        logger.read("Oven", "nope")


def test_sending_bad_samples_is_a_remote_error(remote):
    with pytest.raises(RemoteError, match="y must be a number or a flat list of numbers"):
        remote.request(y=["a"], sname="S", dname="D")
    with pytest.raises(RemoteError, match="unknown request key"):
        remote.request(getEverything=True)


def test_events_of_order_matches_for_back_dated_events(logger, remote):
    remote.event("now", time=200.0)
    remote.event("back-dated", time=100.0)
    assert [e.text for e in logger.events_of()] == ["now", "back-dated"]
    assert remote.events_of() == logger.events_of()


def test_device_names_with_dots_resolve_when_named(logger, remote):
    remote.stream(1.0, "T", "Lab.1", x=5.0)
    remote.stream(2.0, "a.b", "Dev", x=5.0)
    assert remote.signal_names() == logger.signal_names() == [("Lab.1", "T"), ("Dev", "a.b")]
    assert remote.latest([("Lab.1", "T")]) == logger.latest([("Lab.1", "T")])
    assert remote.read("Lab.1", "T").y.tolist() == [1.0]
    remote.event("hot", device="Lab.1", signal="T", time=4.0)
    assert remote.events_of([("Lab.1", "T")]) == logger.events_of([("Lab.1", "T")])
    assert remote.clear([("Lab.1", "T")]) == [("Lab.1", "T")]


def test_latest_of_all_keeps_device_names_with_dots(logger, remote):
    remote.stream(1.0, "T", "Lab.1", x=5.0)
    assert logger.latest() == {("Lab.1", "T"): (5.0, 1.0, "")}
    assert remote.latest() == logger.latest()


def test_device_events_of_a_device_name_with_dots(logger, remote):
    remote.stream(1.0, "T", "Lab.1", x=5.0)
    remote.event("started", device="Lab.1", time=4.0)
    assert len(logger.events_of([("Lab.1", "")])) == 1
    assert remote.events_of([("Lab.1", "")]) == logger.events_of([("Lab.1", "")])


# -- devices ----------------------------------------------------------------------------


def test_devices_through_the_remote_logger(logger, remote):
    pump = logger.add_device(Pump)

    def summary(descriptions):
        return [
            (
                d.name,
                d.running,
                [(p.name, p.value) for p in d.parameters],
                [f.name for f in d.functions],
            )
            for d in descriptions
        ]

    assert summary(remote.describe_devices()) == summary(logger.describe_devices())
    (described,) = remote.describe_devices()
    assert described.name == "Pump" and not described.running
    assert [f.name for f in described.functions] == ["jam", "prime", "slow"]
    assert {p.name: p.value for p in described.parameters} == {
        "flow": 1.5,
        "mode": "auto",
        "samplerate": 1.0,
    }

    assert remote.get_parameter("Pump", "flow") == 1.5 == logger.get_parameter("Pump", "flow")
    remote.set_parameter("Pump", "flow", 2.5)
    assert pump.flow == 2.5
    remote.set_parameter("Pump", "flow", "4")  # converted to the parameter's type
    assert pump.flow == 4.0 and isinstance(pump.flow, float)  # a float parameter stays one
    remote.set_parameter("Pump", "mode", "manual")
    assert remote.get_parameter("Pump", "mode") == "manual"
    assert remote.call("Pump", "prime", 2.0) == 8.0 == logger.call("Pump", "prime", 2.0)
    assert remote.call("Pump", "prime", seconds=0.5) == 2.0
    assert remote.call("Pump", "prime") == 4.0
    with pytest.raises(TypeError, match="positional or keyword arguments, not both"):
        remote.call("Pump", "prime", 1.0, seconds=2.0)
    with pytest.raises(ValueError, match='"get" cannot be set'):
        remote.set_parameter("Pump", "mode", "get")

    remote.start_device("Pump")
    assert pump.running
    assert remote.describe_devices()[0].running
    assert remote.info()["devices"] == ["Pump"]
    remote.stop_device("Pump")
    assert not pump.running
    assert not remote.describe_devices()[0].running


@pytest.mark.parametrize(
    ("action", "message", "flagged"),
    [
        (lambda r: r.get_parameter("Nope", "flow"), "plugin.Nope.get: no device named 'Nope'", 1),
        (
            lambda r: r.start_device("Nope"),
            "plugin.Nope.start: PLUGIN not found: no device named 'Nope'; known devices: Pump",
            0,
        ),
        (lambda r: r.stop_device("Nope"), "plugin.Nope.start: no device named 'Nope'", 1),
        (lambda r: r.call("Nope", "prime"), "PLUGIN not found: no device named 'Nope'", 0),
        (lambda r: r.get_parameter("Pump", "speed"), "Pump has no parameter 'speed'", 1),
        (
            lambda r: r.set_parameter("Pump", "flow", "abc"),
            "Pump.flow takes a number, got 'abc'",
            1,
        ),
        (lambda r: r.set_parameter("Pump", "speed", 1), "Pump has no parameter 'speed'", 1),
        (lambda r: r.call("Pump", "pump"), "Pump has no function 'pump'", 0),
        (lambda r: r.call("Pump", "jam"), "plugin.Pump.jam(): RuntimeError: pump jammed", 0),
        (lambda r: r.call("Pump", "prime", 1, 2, 3), "prime()", 0),
        (lambda r: r.resize(0), "logger.resize: recordLength must be from 1 to 100,000,000", 1),
        (lambda r: r.resize("big"), "recordLength must be a whole number, got 'big'", 1),
        (
            lambda r: r.resize(10**10),
            "logger.resize: recordLength must be from 1 to 100,000,000",
            1,
        ),
    ],
)
def test_server_errors_raise_remote_error_with_the_message(
    logger, remote, action, message, flagged
):
    """RemoteLogger raises both for ``error: true`` and for RTOC's ``[false, reason]`` pair."""
    logger.add_device(Pump)
    with pytest.raises(RemoteError) as caught:
        action(remote)
    assert message in str(caught.value)
    assert caught.value.reply["error"] is bool(flagged)
    assert remote.get_parameter("Pump", "flow") == 1.5  # the connection still serves
    assert logger.store.capacity == remote.info()["recordLength"] == 500_000


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"plugin": {"Generator": {"samplerate": "inf"}}}, "takes a finite number, got inf"),
        ({"plugin": {"Generator": {"samplerate": float("inf")}}}, "takes a finite number"),
        ({"plugin": {"Generator": {"samplerate": 1e308}}}, "per second from 0 to 10000"),
        ({"plugin": {"Generator": {"waveform": "x"}}}, "unknown waveform 'x'"),
        ({"logger": {"samplerate": float("inf")}}, "takes a finite number"),
        ({"logger": {"samplerate": 1e308}}, "per second from 0 to 10000"),
        ({"logger": {"samplerate": {"Pump": 2, "Generator": 1e308}}}, "from 0 to 10000"),
    ],
)
def test_refused_parameter_values_over_tcp_change_nothing(logger, remote, request_, message):
    from rtoc.devices.generator import Generator

    pump, generator = logger.add_device(Pump), logger.add_device(Generator)
    with pytest.raises(RemoteError, match=re.escape(message)) as caught:
        remote.request(**request_)
    assert caught.value.reply["error"] is True
    assert (pump.samplerate, generator.samplerate, generator.waveform) == (1.0, 10.0, "sine")


def test_clear_resize_and_info(logger, remote):
    feed(remote)
    assert remote.clear([("Oven", "P"), ("Nope", "x")]) == [("Oven", "P")]
    assert ("Oven", "P") not in logger.signal_names()
    assert remote.signal_names() == logger.signal_names()
    remote.resize(2)
    assert logger.store.capacity == 2
    assert remote.read("Oven", "T").y.tolist() == [24.0, 25.0]
    info = remote.info()
    assert info == logger.info()
    assert info["recordLength"] == 2 and info["signals"] == 5 and info["events"] == 4
    assert info["storage"] is None and info["devices"] == [] and info["backlog"] == 0
    before = logger.signal_names()
    assert remote.clear() == before
    assert logger.signal_names() == [] == remote.signal_names()
    assert remote.latest() == {}


# -- connections ------------------------------------------------------------------------


def test_client_reconnects_after_an_idle_timeout(logger, serve, connect):
    host, port = serve(idle_timeout=0.5)
    client = connect(host, port)
    assert client.request(y=[1.0], sname=["A"], dname="D", x=[1.0])["sent"] is True
    first = client._socket
    time.sleep(1.0)  # the server sweeps every 0.25 s and closes the idle connection
    reply = client.request(getLatest=True)
    assert reply["latest"] == {"D.A": [1.0, 1.0, ""]}
    assert client._socket is not first


def test_password_server_and_client(logger, serve, connect):
    host, port = serve(host="127.0.0.1", password="pw")
    client = connect(host, port, "pw")
    assert client.request(y=[3.0], sname="S", dname="D", x=[2.0])["sent"]
    assert client.request(getLatest=True)["latest"] == {"D.S": [2.0, 3.0, ""]}
    with RemoteLogger(host, port, "pw") as remote:
        assert remote.latest() == logger.latest()


@pytest.mark.parametrize(
    ("server_password", "client_password", "message"),
    [
        ("pw", "wrong", "wrong password"),
        ("pw", None, "this server needs a password"),
        ("", "pw", "this server has no password"),
    ],
)
def test_password_mismatch_is_an_authentication_error(
    logger, serve, connect, server_password, client_password, message
):
    host, port = serve(password=server_password)
    client = connect(host, port, client_password)
    with pytest.raises(AuthenticationError, match=message):
        client.request(getLatest=True)
    assert logger.signal_names() == []


def test_password_mismatch_through_remote_logger(logger, serve):
    address = serve(password="pw")
    with RemoteLogger(*address, password="nope") as remote, pytest.raises(AuthenticationError):
        remote.stream(1.0, "S", "D")
    assert logger.signal_names() == []


def exchange(address, data: bytes, cipher=None) -> list[dict]:
    """Send raw bytes; return every reply until the server hangs up."""
    decoder = FrameDecoder()
    frames = []
    with socket.create_connection(address, timeout=5) as sock:
        sock.sendall(data)
        while chunk := sock.recv(65536):
            frames += decoder.feed(chunk)
    return [open_frame(frame, cipher if frame.encrypted else None) for frame in frames]


def test_replayed_encrypted_frame_is_refused(logger, serve):
    address = serve(password="pw")
    frame = encode({"y": [1.0], "sname": "S", "dname": "D"}, Cipher("pw"))
    first, second = exchange(address, frame + frame, Cipher("pw"))
    assert first == {"error": False, "sent": True}
    assert second["error"] is True and "replayed frame refused" in second["password"]
    assert len(logger.read("D", "S").y) == 1


def test_a_big_encrypted_frame_is_answered_and_its_replay_refused(logger, serve):
    address = serve(password="pw")
    frame = encode({"y": list(range(20_000)), "sname": "S", "dname": "D"}, Cipher("pw"))
    assert len(frame) > INLINE_FRAME  # opened and carried out in the pool
    first, second = exchange(address, frame + frame, Cipher("pw"))
    assert first == {"error": False, "sent": True}
    assert second["error"] is True and "replayed frame refused" in second["password"]
    assert len(logger.read("D", "S").y) == 20_000


def test_frames_before_a_bad_header_are_answered_then_the_connection_closes(logger, serve):
    address = serve()
    good = encode({"y": [1.0], "sname": "S", "dname": "D"})
    *answered, refusal = exchange(address, good + good + b"not a header\n")
    assert answered == [{"error": False, "sent": True}] * 2
    assert refusal["error"] is True and "bad frame header" in refusal["message"]
    assert len(logger.read("D", "S").y) == 2


def test_oversized_frame_is_refused_on_its_header(logger, serve):
    address = serve(max_body=100)
    (refusal,) = exchange(address, b"101,0,0\n")  # no body byte sent
    assert refusal["error"] is True and "limit of 100" in refusal["message"]


def test_a_bad_body_gets_an_error_reply_and_the_connection_goes_on(logger, serve, connect):
    host, port = serve()
    client = connect(host, port)
    client._socket.sendall(b"5,0,0\n[1,2]")
    assert "must be a JSON object" in client.recv()["message"]
    assert client.request(getSignalList=True)["signalList"] == []


# -- control requests -------------------------------------------------------------------


@pytest.mark.parametrize(
    "request_",
    [
        {"plugin": {"Pump": {"start": True}}},
        {"plugin": {"Pump": {"flow": 9}}},
        {"logger": {"clear": "all"}},
        {"remove": ["D.S"]},
        {"getLatest": True, "plugin": {"Pump": {"start": True}}},
        {"y": [5.0], "sname": "S", "dname": "D", "logger": {"resize": 1}},
    ],
)
def test_control_requests_are_refused_for_untrusted_callers(logger, request_):
    pump = logger.add_device(Pump)
    logger.stream(1.0, "S", "D", x=1.0)
    handler = RequestHandler(logger)
    reply = handler.handle(request_, control=False, refusal="ask an admin")
    assert reply["error"] is True
    assert reply["message"].endswith(": ask an admin")
    assert set(reply) == {"error", "message"}  # nothing else was carried out
    assert not pump.running and pump.flow == 1.5
    assert logger.read("D", "S").y.tolist() == [1.0]
    assert logger.store.capacity > 1
    default = handler.handle(request_, control=False)
    assert default["message"].endswith("control requests are not allowed here")
    assert handler.handle({"getLatest": True}, control=False)["error"] is False


def test_control_requests_are_carried_out_for_trusted_callers(logger):
    pump = logger.add_device(Pump)
    reply = RequestHandler(logger).handle({"plugin": {"Pump": {"flow": 9, "get": "flow"}}})
    assert reply == {"error": False, "plugin": {"Pump": {"flow": 9, "get": 9}}}
    assert pump.flow == 9


def test_plugin_answers_in_rtoc_shapes(logger):
    """The shapes RTOC 2.1.8's server gave (probed), with rtoc's text inside."""
    pump = logger.add_device(Pump)
    handle = RequestHandler(logger).handle
    assert handle({"plugin": {"Pump": {"start": True}}}) == {
        "error": False,
        "plugin": {"Pump": {"start": [True, ""]}},
    }
    reply = handle({"plugin": {"Pump": {"prime()": [2.0], "flow": "3", "get": "flow"}}})
    assert reply == {
        "error": False,
        "plugin": {"Pump": {"prime()": [True, 3.0], "flow": 3.0, "get": 3.0}},
    }
    assert handle({"plugin": {"Pump": {"start": False}}})["plugin"] == {"Pump": {"start": True}}
    assert not pump.running
    # an unknown device: error false, the reason inside RTOC's pair
    reply = handle({"plugin": {"Nope": {"start": True, "prime()": []}}})
    assert reply["error"] is False
    (ok, reason), (called, why) = reply["plugin"]["Nope"].values()
    assert ok is False and reason.startswith("PLUGIN not found: no device named 'Nope'")
    assert "known devices: Pump" in reason
    assert called is False and why.startswith("PLUGIN not found: no device named 'Nope'")
    # a function that raises: RTOC's [false, reason] too
    reply = handle({"plugin": {"Pump": {"jam()": []}}})
    assert reply == {
        "error": False,
        "plugin": {"Pump": {"jam()": [False, "RuntimeError: pump jammed"]}},
    }
    # reading or setting fails: RTOC's bare false, and rtoc says why
    reply = handle({"plugin": {"Pump": {"get": "speed", "flow": "abc"}}})
    assert reply["plugin"] == {"Pump": {"get": False, "flow": False}}
    assert reply["error"] is True and "Pump has no parameter 'speed'" in reply["message"]
    assert "plugin.Pump.flow: " in reply["message"]


def test_get_session_answers_signals_and_events_as_export_data_writes_them(logger):
    logger.stream(1.0, "S", "D", x=1.0, unit="V")
    logger.event("hot", "D", "S", priority=2, time=1.0)
    reply = RequestHandler(logger).handle(
        {"getSession": True, "y": [2.0], "x": [2.0], "sname": "S", "dname": "D"}
    )
    assert reply["error"] is False and reply["sent"] is True
    session = reply["session"]
    assert session["signals"] == {"D.S": {"x": [1.0, 2.0], "y": [1.0, 2.0], "unit": "V"}}
    (event,) = session["events"]
    assert (event["text"], event["priority"], event["time"]) == ("hot", 2, 1.0)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("10.0.0.1", False),
        ("192.168.1.5", False),
        ("::ffff:10.0.0.1", False),
        ("localhost", False),
        ("fe80::1%eth0", False),
        ("", False),
    ],
)
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


@pytest.fixture
def lan():
    address = lan_address()
    if address is None:
        pytest.skip("no non-loopback IPv4 address on this machine")
    return address


def test_control_from_another_host_needs_a_password(logger, serve, connect, lan):
    pump = logger.add_device(Pump)
    _, port = serve(host="0.0.0.0")
    client = connect(lan, port)
    assert client.request(y=[1.0], sname="S", dname="D", x=[1.0])["sent"]
    assert client.request(getLatest=True)["latest"] == {"D.S": [1.0, 1.0, ""]}
    for request_ in (
        {"plugin": {"Pump": {"start": True}}},
        {"logger": {"clear": "all"}},
        {"remove": ["D.S"]},
    ):
        with pytest.raises(RemoteError) as caught:
            client.request(request_)
        assert CONTROL_REFUSAL in str(caught.value)
        assert "need a password" in str(caught.value)
    assert not pump.running and logger.signal_names() == [("D", "S")]
    # the same server trusts a client on localhost
    local = connect("127.0.0.1", port)
    assert local.request(plugin={"Pump": {"flow": 3}})["plugin"] == {"Pump": {"flow": 3}}
    assert pump.flow == 3


def test_control_from_another_host_with_a_password(logger, serve, connect, lan):
    pump = logger.add_device(Pump)
    _, port = serve(host="0.0.0.0", password="pw")
    client = connect(lan, port, "pw")
    reply = client.request(plugin={"Pump": {"flow": 7, "prime()": [1.0]}})
    assert reply["plugin"] == {"Pump": {"flow": 7, "prime()": [True, 7.0]}}
    assert pump.flow == 7
    assert client.request(logger={"clear": ["D.S"]})["logger"] == {"clear": [False]}


def test_plain_frames_from_another_host_are_refused_even_with_allow_plain_loopback(
    serve, connect, lan
):
    _, port = serve(host="0.0.0.0", password="pw", allow_plain_loopback=True)
    with pytest.raises(AuthenticationError) as caught:
        connect(lan, port).request(getLatest=True)
    assert "accepted from this machine only, with tcp.allowPlainLoopback" in str(caught.value)
    assert connect(lan, port, "pw").request(getLatest=True)["error"] is False


# -- concurrency ------------------------------------------------------------------------


def test_a_slow_request_holds_up_only_its_own_connection(logger, serve, connect):
    logger.add_device(Pump)
    host, port = serve()
    busy = connect(host, port)
    other = connect(host, port)
    started = time.monotonic()
    busy.send({"plugin": {"Pump": {"slow()": []}}})
    busy.send({"getLatest": True})
    busy.send({"getSignalList": True})
    time.sleep(0.1)  # the slow call is running in the server's pool
    before = time.monotonic()
    assert other.request(getLatest=True)["latest"] == {}  # the slow call has not finished
    assert time.monotonic() - before < 0.5
    first, second, third = busy.recv(), busy.recv(), busy.recv()
    assert time.monotonic() - started >= 0.9
    assert first == {"error": False, "plugin": {"Pump": {"slow()": [True, "slept"]}}}
    assert second == {"error": False, "latest": {"Pump.done": [1.0, 1.0, ""]}}
    assert third == {"error": False, "signalList": [["Pump", "done"]]}


def test_max_clients(logger, serve, connect):
    host, port = serve(max_clients=2)
    first, second = connect(host, port), connect(host, port)
    assert first.request(getLatest=True)["error"] is False
    assert second.request(getLatest=True)["error"] is False
    third = connect(host, port)
    reply = third.recv()
    assert reply["error"] is True
    assert "tcp.maxClients is 2" in reply["message"]
    with pytest.raises(ConnectionError, match="closed the connection"):
        third.recv()
    assert second.request(getSignalList=True)["signalList"] == []  # the others still work
    first.close()

    def fourth_is_served():
        client = connect(host, port, timeout=2.0)
        return client.request(getLatest=True)

    assert eventually(fourth_is_served)["error"] is False


def read_one(sock: socket.socket) -> dict:
    """One reply frame from a raw socket."""
    decoder = FrameDecoder()
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server hung up before replying")
        frames = decoder.feed(chunk)
        if frames:
            return open_frame(frames[0], None)


def test_max_clients_does_not_count_connections_the_client_closed(logger, serve):
    address = serve(max_clients=2)
    refused = []
    for i in range(600):  # never more than one open at a time
        with socket.create_connection(address, timeout=5) as sock:
            if i % 5 == 4:
                sock.sendall(encode({"getLatest": True}))
                reply = read_one(sock)
                if reply["error"]:
                    refused.append(reply["message"])
    assert refused == []


def test_a_refused_frame_gets_its_reply_not_a_reset(logger, serve):
    address = serve(max_body=1000)
    body = b'{"y": [' + b"1," * 2_000_000 + b'1], "sname": "S"}'  # 4 MB the server will not take
    with socket.create_connection(address, timeout=5) as sock:
        sock.sendall(b"%d,0,0\n%s" % (len(body), body))  # all of it, as a client does
        reply = read_one(sock)
        assert reply["error"] is True and "over the limit of 1000" in reply["message"]
        assert sock.recv(100) == b""  # then an orderly end
    assert logger.signal_names() == []


def test_big_frames_arriving_at_once_are_bounded_in_total(logger, serve):
    max_body = 4 * INLINE_FRAME
    address = serve(max_body=max_body)
    body = dumps({"y": [1.0] * (max_body // 4 - 20), "sname": "Big"}).ljust(max_body)
    wire = b"%d,0,0\n%s" % (len(body), body)
    half = wire[: len(wire) // 2]
    senders = [socket.create_connection(address, timeout=5) for _ in range(BIG_FRAMES)]
    try:
        for sock in senders:  # each holds a big frame, half arrived
            sock.sendall(half)
        time.sleep(0.2)
        with socket.create_connection(address, timeout=5) as late:
            late.sendall(half)
            reply = read_one(late)
            assert reply["error"] is True and "too many big messages at once" in reply["message"]
        senders[0].sendall(wire[len(half) :])  # one completes: its room is free again
        assert read_one(senders[0]) == {"error": False, "sent": True}
        with socket.create_connection(address, timeout=5) as next_:
            next_.sendall(wire)
            assert read_one(next_) == {"error": False, "sent": True}
    finally:
        for sock in senders:
            sock.close()
    assert len(logger.read("noDevice", "Big").y) == 2 * (max_body // 4 - 20)


# -- starting ---------------------------------------------------------------------------


def test_server_that_cannot_bind_raises_server_error(logger):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        server = TcpServer()
        with pytest.raises(ServerError, match=rf"cannot listen on 127\.0\.0\.1:{port}: "):
            server.serve(logger, ServerSettings(port=port))
        server.stop()  # nothing to stop


def test_serving_twice_is_refused(logger, serve):
    server = TcpServer()
    server.serve(logger, ServerSettings(port=0))
    try:
        with pytest.raises(ServerError, match="already running"):
            server.serve(logger, ServerSettings(port=0))
    finally:
        server.stop()


def tcp_config(**tcp):
    config = Config()
    return attrs.evolve(config, tcp=attrs.evolve(config.tcp, **tcp))


def test_frontend_start_listens_when_tcp_is_active(logger):
    port = free_port()
    server = TcpServer()
    server.start(logger, tcp_config(active=True, port=port))
    try:
        assert server.address == ("127.0.0.1", port)
        assert server.settings.password == "" and server.settings.host == "127.0.0.1"
        with Client("127.0.0.1", port) as client:
            assert client.request(getSignalList=True)["signalList"] == []
    finally:
        server.stop()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_frontend_start_does_nothing_when_tcp_is_inactive(logger):
    port = free_port()
    server = TcpServer()
    server.start(logger, tcp_config(active=False, port=port))
    assert server.address is None
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    server.stop()


def test_get_keys_set_to_false_ask_for_nothing(logger):
    logger.stream(1.0, "S", "D", x=1.0)
    handler = RequestHandler(logger)

    reply = handler.handle({"getLatest": False, "getSignalList": False, "getEventList": False})

    assert reply == {"error": False}


def test_the_tcp_frontend_is_switched_on_and_off_while_the_logger_runs(logger):
    """As ``rtoc run`` starts it (tcp.active false), then a frontend's "TCP server on/off"."""
    base = Config()
    tcp = attrs.evolve(base.tcp, port=free_port())
    server = TcpServer()
    server.start(logger, attrs.evolve(base, tcp=tcp))
    try:
        assert tcp_frontend(logger) is server and not server.serving
        server.switch(True, tcp)
        with Client("127.0.0.1", tcp.port) as client:
            assert client.request(y=[1.0], sname="S", dname="D", x=[1.0])["sent"]
        server.switch(False, tcp)
        assert not server.serving
        with pytest.raises(ConnectionError):
            socket.create_connection(("127.0.0.1", tcp.port), timeout=2).close()
        server.switch(True, tcp)  # on again, on the same port
        with Client("127.0.0.1", tcp.port) as client:
            assert client.request(getLatest=True)["latest"] == {"D.S": [1.0, 1.0, ""]}
        with socket.socket() as taken, pytest.raises(ServerError, match="cannot listen"):
            server.switch(False, tcp)
            taken.bind(("127.0.0.1", tcp.port))
            taken.listen()
            server.switch(True, tcp)
        assert not server.serving
    finally:
        server.stop()
    assert tcp_frontend(logger) is None
