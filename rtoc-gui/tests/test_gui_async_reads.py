"""A window on a real ``rtoc run`` through a TCP proxy that can stall or slow the
connection: the GUI thread keeps running, the banner says when the connection fails,
data comes again when it flows, reads never pile up, and stale answers are dropped."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from gui_helpers import GUI, Server
from PyQt5 import QtCore

from rtoc.net.frame import FrameDecoder
from rtoc.net.remote import RemoteLogger
from rtoc_gui.app import build_window
from rtoc_gui.link import Link, Offline
from rtoc_gui.mainwindow import MainWindow

WAIT = 10_000  # ms
SINE = ("Generator", "Sine")
#: the window's connection timeout here, seconds (rtoc gui's is 5)
TIMEOUT = 1.5


class Proxy:
    """Forwards 127.0.0.1:``port`` to the server; :meth:`pause` holds every byte until
    :meth:`resume`, ``delay`` slows each reply; counts the requests (frames) sent."""

    def __init__(self, upstream: int) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.flowing = threading.Event()
        self.flowing.set()
        self.delay = 0.0
        self.requests = 0
        self._count = threading.Lock()
        self._closing = False
        threading.Thread(target=self._accept, daemon=True).start()

    def pause(self) -> None:
        self.flowing.clear()

    def resume(self) -> None:
        self.flowing.set()

    def close(self) -> None:
        self._closing = True
        self.flowing.set()
        self.listener.close()

    def _accept(self) -> None:
        while not self._closing:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.upstream))
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, requests: bool) -> None:
        decoder = FrameDecoder()
        try:
            while data := source.recv(65536):
                if requests:
                    with self._count:
                        self.requests += len(decoder.feed(data))
                elif self.delay:
                    time.sleep(self.delay)
                self.flowing.wait()
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                end.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("stalling") / "home").start()
    yield running
    running.stop()


@pytest.fixture
def proxied(qtbot, server: Server) -> Iterator[tuple[MainWindow, Proxy]]:
    proxy = Proxy(server.port)
    remote = RemoteLogger("127.0.0.1", proxy.port, timeout=TIMEOUT)
    if not next(d for d in remote.describe_devices() if d.name == "Generator").running:
        remote.start_device("Generator")
    window = build_window(remote, f"127.0.0.1:{proxy.port}", GUI, local=False)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: len(window.plot.curve_data(SINE)[0]) >= 3, timeout=WAIT)
    yield window, proxy
    proxy.close()
    window.close()
    remote.close()


def newest_drawn(window: MainWindow) -> float:
    x, _ = window.plot.curve_data(SINE)
    return float(x.max()) if len(x) else 0.0


class Heartbeat:
    """A QTimer on the GUI thread; when it fired (it cannot while that thread is blocked)."""

    def __init__(self, interval: int = 20) -> None:
        self.stamps: list[float] = []
        self.timer = QtCore.QTimer(interval=interval)
        self.timer.timeout.connect(lambda: self.stamps.append(time.monotonic()))
        self.timer.start()

    def stop(self) -> tuple[float, int]:
        """The longest gap between two beats, seconds, and the number of beats."""
        self.timer.stop()
        gaps = [b - a for a, b in zip(self.stamps, self.stamps[1:], strict=False)]
        return max(gaps), len(self.stamps)


def test_a_stalled_server_freezes_nothing_and_reads_do_not_pile_up(qtbot, proxied):
    window, proxy = proxied
    reads = window.link.reads
    ticks = []
    window.fast.timeout.connect(lambda: ticks.append(1))
    sent, requests = reads.sent, proxy.requests

    heartbeat = Heartbeat()
    started = time.monotonic()
    proxy.pause()
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=WAIT)
    assert "lost" in window.banner.text()

    # a user action while offline is answered at once, without asking the network
    asked = time.monotonic()
    window.devices.press("Generator")
    assert time.monotonic() - asked < TIMEOUT / 2
    assert "no connection" in window.devices.error_label.text()

    qtbot.wait(1500)  # offline, still stalled: the probes find it so
    stalled = time.monotonic() - started
    longest, beats = heartbeat.stop()

    # the GUI thread ran on at its rate: a blocking read would have stopped it TIMEOUT s
    assert longest < TIMEOUT / 2, f"the GUI thread stood still {longest:.2f} s"
    assert beats >= stalled / 0.020 / 4
    # one read at a time on the wire, the next after the probe interval: no queue of ticks
    assert len(ticks) >= stalled * GUI.plotRate / 2
    assert proxy.requests - requests <= stalled / TIMEOUT + 3
    assert reads.sent - sent <= 5 * (stalled / TIMEOUT + 2)

    before = newest_drawn(window)
    proxy.resume()
    qtbot.waitUntil(lambda: not window.banner.isVisible(), timeout=WAIT)
    assert "again" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: newest_drawn(window) > before, timeout=WAIT)
    assert window.devices.running["Generator"]


def test_a_slow_server_s_answer_for_a_range_left_is_dropped(qtbot, proxied):
    window, proxy = proxied
    plot, reads = window.plot, window.link.reads
    x, _ = plot.curve_data(SINE)
    old_range = (float(x.min()), float(x.max()))
    proxy.delay = 0.4
    qtbot.waitUntil(lambda: reads.in_flight(plot.read_name), timeout=WAIT)
    dropped = reads.dropped

    # a pan while the plot's read is under way: far into the past, where there are no samples
    plot.set_follow(False)
    plot.viewbox.setXRange(old_range[0] - 3600, old_range[0] - 3000, padding=0)
    qtbot.waitUntil(lambda: reads.dropped > dropped, timeout=WAIT)
    qtbot.waitUntil(lambda: len(plot.curve_data(SINE)[0]) == 0, timeout=WAIT)
    assert not window.banner.isVisible()

    # slow is not lost: drawn again where the samples are
    proxy.delay = 0.0
    plot.set_follow(True)
    qtbot.waitUntil(lambda: newest_drawn(window) > old_range[1], timeout=WAIT)


def test_a_long_script_run_holds_the_connection_not_the_window(qtbot, proxied):
    window, _ = proxied
    reads = window.link.reads
    tab = window.scripts.current()
    tab.editor.setPlainText("import time\ntime.sleep(2)\n'slept'")
    heartbeat = Heartbeat()
    window.scripts.run_once()
    qtbot.waitUntil(lambda: reads.skipped > 0, timeout=WAIT)  # the reads wait for the run
    qtbot.waitUntil(lambda: "→ 'slept'" in tab.output.toPlainText(), timeout=WAIT)
    longest, _ = heartbeat.stop()
    assert longest < 1.0, f"the GUI thread stood still {longest:.2f} s"
    assert not window.banner.isVisible()
    before = newest_drawn(window)
    qtbot.waitUntil(lambda: newest_drawn(window) > before, timeout=WAIT)


def test_reads_skip_drop_and_hold_back_as_documented(qtbot, logger):
    """The rules of rtoc_gui.reads on a real logger held at a gate (a remote link's worker)."""
    link = Link(logger, "elsewhere:5050", local=False)
    reads, gate, answers = link.reads, threading.Event(), []
    logger.stream(1.0, "S", "Dev")

    def gated(view):
        gate.wait(5)
        return view.signal_infos()

    def keep(tag):
        return lambda infos: answers.append((tag, [info.key for info in infos]))

    try:
        assert reads.ask("signals", gated, keep("first"))
        assert not reads.ask("signals", gated, keep("skipped"))  # one in flight per name
        assert reads.skipped == 1
        reads.invalidate("signals")
        assert reads.ask("signals", gated, keep("older ask"))
        assert reads.ask("signals", gated, keep("newest ask"))  # replaces the one waiting
        gate.set()
        qtbot.waitUntil(lambda: bool(answers), timeout=WAIT)
        assert answers == [("newest ask", [("Dev", "S")])]
        assert reads.dropped == 1

        # unreachable: offline, and what was queued behind it is not sent
        gate.clear()

        def unreachable(view):
            gate.wait(5)
            raise ConnectionResetError("reset by peer")

        states = []
        link.state_changed.connect(lambda online, message: states.append(online))
        assert reads.ask("failing", unreachable, keep("never"))
        assert reads.ask("queued", lambda view: view.signal_infos(), keep("not sent"))
        gate.set()
        qtbot.waitUntil(lambda: not reads.in_flight("queued"), timeout=WAIT)
        assert states == [False] and answers == [("newest ask", [("Dev", "S")])]
        assert not reads.ask("signals", gated, keep("offline"))  # until the next probe
        with pytest.raises(Offline, match="no connection to elsewhere:5050"):
            link.act(lambda view: view.signal_infos())
    finally:
        gate.set()
        link.close()


def test_an_answer_that_comes_after_the_window_closed_is_told_nobody(qtbot, logger):
    """A read under way when its window closes: its answer would reach plot items Qt has
    deleted by then."""
    link = Link(logger, "elsewhere:5050", local=False)
    gate, answers = threading.Event(), []

    def gated(view):
        gate.wait(5)
        return view.signal_infos()

    try:
        assert link.reads.ask("signals", gated, answers.append)
        link.close()
        gate.set()
        qtbot.waitUntil(lambda: not link.reads.in_flight("signals"), timeout=WAIT)
        qtbot.wait(50)  # any queued delivery has run
        assert answers == []
    finally:
        gate.set()
        link.close()
