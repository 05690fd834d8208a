"""rtoc.link.Link against a real TCP peer on 127.0.0.1 that goes away and comes back."""

import contextlib
import socket
import threading

import pytest

from rtoc.device import Device, DeviceError
from rtoc.events import Priority
from rtoc.link import BadAnswer, ConnectionLost, Link
from rtoc.logger import Logger


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class EchoPeer:
    """A line server on 127.0.0.1: answers each line with the line, until stopped."""

    def __init__(self) -> None:
        self.port = 0
        self.accepted: list[socket.socket] = []
        self.come_back()

    def come_back(self) -> None:
        """Listen (again) on the same port."""
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.accepted.append(connection)
            threading.Thread(target=self._echo, args=(connection,), daemon=True).start()

    @staticmethod
    def _echo(connection: socket.socket) -> None:
        with connection:
            try:
                while data := connection.recv(100):
                    connection.sendall(data)
            except OSError:  # cut by the test or reset by the client
                pass

    def cut(self) -> None:
        """Close every open connection (the listener stays)."""
        for connection in self.accepted:
            with contextlib.suppress(OSError):  # the echo thread already closed it
                connection.shutdown(socket.SHUT_RDWR)
        self.accepted.clear()

    def stop(self) -> None:
        """Stop listening and cut every connection: the port refuses from now on."""
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        self.listener.close()
        self.cut()


def ask(connection: socket.socket, text: str) -> str:
    connection.sendall(text.encode())
    answer = connection.recv(100)
    if not answer:
        raise ConnectionLost("peer closed the connection")
    if answer.startswith(b"?"):
        raise BadAnswer(f"garbage {answer!r}")
    return answer.decode()


@pytest.fixture
def logger():
    logger = Logger()
    yield logger
    logger.close()


@pytest.fixture
def peer():
    peer = EchoPeer()
    yield peer
    peer.stop()


def make_link(logger, port, clock=None, **options):
    device = logger.add_device(Device, "Meter")
    return Link(
        device,
        lambda: socket.create_connection(("127.0.0.1", port), timeout=1),
        what=lambda: f"127.0.0.1:{port}",
        clock=clock or FakeClock(),
        **options,
    )


def texts(logger):
    return [(event.priority, event.text) for event in logger.events]


def test_opens_on_first_use_and_keeps_the_connection(logger, peer):
    link = make_link(logger, peer.port)
    assert not link.connected
    assert link.poll(lambda c: ask(c, "a")) == "a"
    assert link.poll(lambda c: ask(c, "b")) == "b"
    assert link.connected and len(peer.accepted) == 1
    assert texts(logger) == []


def test_lost_connection_is_one_warning_then_backoff_then_recovery(logger, peer):
    clock = FakeClock()
    link = make_link(logger, peer.port, clock, min_delay=1, max_delay=4)
    assert link.poll(lambda c: ask(c, "a")) == "a"
    peer.cut()
    assert link.poll(lambda c: ask(c, "b")) is None
    assert not link.connected and link.retry_in == 1
    assert [p for p, _ in texts(logger)] == [Priority.WARNING]
    assert texts(logger)[0][1].startswith(f"lost the connection to 127.0.0.1:{peer.port}: ")
    assert texts(logger)[0][1].endswith("; retrying with back-off")

    peer.stop()  # now opening fails too: delays double up to the limit
    delays = []
    for _ in range(4):
        clock.now += link.retry_in
        assert link.poll(lambda c: ask(c, "c")) is None
        delays.append(link.retry_in)
    assert delays == [2, 4, 4, 4]
    assert len(texts(logger)) == 1  # one warning per outage, not one per retry
    assert link.failures == 5

    peer.come_back()
    assert link.poll(lambda c: ask(c, "too early")) is None  # still backing off
    clock.now += 4
    assert link.poll(lambda c: ask(c, "d")) == "d"
    priority, text = texts(logger)[-1]
    assert priority == Priority.INFO
    assert text.startswith(f"connected to 127.0.0.1:{peer.port} again after ")
    # the next outage starts from the smallest delay again
    peer.cut()
    assert link.poll(lambda c: ask(c, "e")) is None
    assert link.retry_in == 1


def test_garbage_is_dropped_with_a_repeat_filtered_warning_and_the_link_stays(logger, peer):
    link = make_link(logger, peer.port)
    for _ in range(5):
        assert link.poll(lambda c: ask(c, "?x")) is None
    assert link.connected and link.dropped_answers == 5
    assert len(texts(logger)) == 1
    assert texts(logger)[0][1] == (
        f"dropped an invalid answer from 127.0.0.1:{peer.port}: garbage b'?x'"
    )
    assert link.poll(lambda c: ask(c, "ok")) == "ok"


def test_driver_garbage_types_win_over_lost_types(logger, peer):
    class Checksum(OSError):
        pass

    link = make_link(logger, peer.port, garbage_on=(Checksum,))

    def bad(connection):
        raise Checksum("crc mismatch")

    assert link.poll(bad) is None
    assert link.connected


def test_unreachable_at_start(logger):
    port = socket.create_server(("127.0.0.1", 0))
    free = port.getsockname()[1]
    port.close()
    link = make_link(logger, free)
    assert link.poll(lambda c: ask(c, "a")) is None
    assert texts(logger)[0][1].startswith(f"cannot connect to 127.0.0.1:{free}: ")


def test_require_raises_a_device_error_naming_the_problem(logger, peer):
    clock = FakeClock()
    link = make_link(logger, peer.port, clock)
    assert link.require(lambda c: ask(c, "set")) == "set"
    peer.cut()
    with pytest.raises(DeviceError, match=r"Meter: lost the connection to 127\.0\.0\.1"):
        link.require(lambda c: ask(c, "set"))
    # require tries at once, even while the sampling loop is backing off
    assert link.retry_in > 0
    assert link.require(lambda c: ask(c, "again")) == "again"
    with pytest.raises(DeviceError, match="invalid answer"):
        link.require(lambda c: ask(c, "?"))


def test_a_connection_that_is_falsy_is_still_kept(logger):
    """An open connection may define __len__ (a buffer, an empty session): kept, not reopened."""
    opened = []

    def open_empty_buffer():
        opened.append(bytearray())
        return opened[-1]

    link = Link(logger.add_device(Device, "Meter"), open_empty_buffer, what=lambda: "buffer")
    assert link.poll(len) == 0
    assert link.poll(len) == 0
    assert len(opened) == 1


def test_close_then_use_reopens(logger, peer):
    link = make_link(logger, peer.port)
    link.poll(lambda c: ask(c, "a"))
    link.close()
    assert not link.connected
    assert link.poll(lambda c: ask(c, "b")) == "b"
    assert len(peer.accepted) == 2


def test_an_unexpected_error_is_not_swallowed(logger, peer):
    link = make_link(logger, peer.port)

    def broken(connection):
        raise ZeroDivisionError("driver bug")

    with pytest.raises(ZeroDivisionError):
        link.poll(broken)
    assert link.connected  # a driver bug is the sampling loop's to report
