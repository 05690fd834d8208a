"""The desktop program (rtoc-gui, issue 15): one JSON line per figure on stdout.

- start to first window drawn: a fresh interpreter builds what ``rtoc gui``
  builds (plugins, the logger with a Generator, the window) and paints it;
  timed from process start to the painted window, median of ``--repeat``;
- 100 signals at 100 Hz (one device streaming all of them 100 times a
  second, in the same process as ``rtoc gui`` runs its logger), every signal
  shown, plot refresh at 8 Hz: the process's CPU, against the same load
  without a window;
- remote mode: 20 signals at 10 Hz sent to a real ``rtoc run`` over TCP, the
  window on it over TCP: the time from a sample to the frame that draws it;
- pan/zoom frame time on a signal of ``--samples`` samples (10 M), held in
  memory (recordLength 10 M) or in SQLite (the newest 500,000 in memory): the
  window opened on it, its overview read, then frames of a new x range, the
  reads and the repaint, at zoom levels from the whole signal to 0.01 %.

Qt runs offscreen unless ``QT_QPA_PLATFORM`` says otherwise (``xvfb-run``
with ``QT_QPA_PLATFORM=xcb`` for a real X server).

    python bench/bench_gui.py
    python bench/bench_gui.py --samples 1000000 --seconds 5   # quicker
    python bench/bench_gui.py --parts cpu                     # one figure
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from figures import emit

import rtoc
from rtoc.config import Config, GlobalConfig, GuiConfig

SIGNALS, RATE = 100, 100.0
STARTUP = """
import time, sys
from pathlib import Path
from rtoc.plugins import PluginRegistry
from rtoc.runner import Runner
from rtoc_gui.app import build_window
runner = Runner(Path(sys.argv[1]), PluginRegistry.load(), ["Generator"])
runner.start(echo=lambda _: None)
window = build_window(runner.logger, "this computer", runner.config.gui)
window.grab()  # every widget painted
print("drawn", time.time(), flush=True)
window.close()
runner.stop(echo=lambda _: None)
"""


class Hundred(rtoc.Device):
    """100 signals, 100 samples a second each, sent together as a device does."""

    samplerate = RATE

    def sample(self) -> None:
        now = time.time()
        values = list(np.sin(now + np.arange(SIGNALS)))
        self.stream(values, [f"S{i:03d}" for i in range(SIGNALS)], x=now)


def startup(repeat: int) -> None:
    times = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as home:
            began = time.time()
            done = subprocess.run(
                [sys.executable, "-c", STARTUP, home], capture_output=True, text=True, check=True
            )
            times.append(float(done.stdout.split()[-1]) - began)
    emit(
        "start to first window drawn (rtoc gui, local, Generator)", statistics.median(times), "s",
        "< 2 s", runs=repeat, worst=round(max(times), 3), platform=os.environ["QT_QPA_PLATFORM"],
    )  # fmt: skip


def cpu_share(seconds: float, app, run_for) -> float:
    """Share of one core the process used over ``seconds`` while Qt's loop ran."""
    began_cpu, began = time.process_time(), time.perf_counter()
    run_for(seconds)
    return (time.process_time() - began_cpu) / (time.perf_counter() - began)


def streaming_cpu(seconds: float) -> None:
    from PyQt5 import QtCore, QtWidgets

    from rtoc.logger import Logger
    from rtoc_gui.app import build_window

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])

    def run_for(duration: float) -> None:
        loop = QtCore.QEventLoop()
        QtCore.QTimer.singleShot(int(duration * 1000), loop.quit)
        loop.exec_()

    gui = GuiConfig(plotRate=8.0)
    for shown in (False, True):
        with Logger(Config(gui=gui)) as logger:
            logger.add_device(Hundred).start()
            window = build_window(logger, "this computer", gui) if shown else None
            if window is not None:
                window.resize(1500, 900)
            run_for(3.0)  # warm up: every signal has samples and a curve
            share = cpu_share(seconds, app, run_for)
            drawn = len(window.plot.curves) if window is not None else 0
            if window is not None:
                window.close()
        name = "100 signals at 100 Hz, plot refresh 8 Hz: process CPU"
        emit(
            f"{name}{'' if shown else ' without a window (the logger alone)'}", share * 100,
            "% of one core", "< 50 %" if shown else "", 1, seconds=seconds, curves=drawn,
        )  # fmt: skip


def chunks(samples: int, t0: float):
    """The bench signal, a million samples at a time: (x, y), 1 kHz from ``t0``."""
    for first in range(0, samples, 1_000_000):
        index = np.arange(first, min(first + 1_000_000, samples), dtype=np.float64)
        y = np.sin(index / 50_000) + np.random.default_rng(first).normal(0, 0.1, len(index))
        yield t0 + index / 1000.0, y


def pan_zoom(samples: int, frames: int, where: str, folder: Path) -> None:
    """Frames over a signal held all in memory (recordLength = samples), or stored in
    SQLite with the newest recordLength (500,000) in memory as ``rtoc run`` loads it."""
    from PyQt5 import QtWidgets

    from rtoc.logger import Logger
    from rtoc.storage.base import SampleBatch
    from rtoc.storage.sqlite import MAX_CHUNK, SQLiteStorage
    from rtoc_gui.app import build_window

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    gui = GuiConfig(plotRate=8.0)
    t0 = time.time() - samples / 1000.0
    storage = None
    if where == "memory":
        config = Config(gui=gui, global_=GlobalConfig(recordLength=samples))
    else:
        config = Config(gui=gui)
        storage = SQLiteStorage(folder / f"bench-{samples}.sqlite")
        for x, y in chunks(samples, t0):
            storage.append_samples(
                [
                    SampleBatch("Bench", "S", x[at : at + MAX_CHUNK], y[at : at + MAX_CHUNK])
                    for at in range(0, len(x), MAX_CHUNK)
                ]
            )
    with Logger(config, storage=storage) as logger:
        if storage is None:
            for x, y in chunks(samples, t0):
                logger.stream_many(x, y, "S", "Bench")
        else:  # loaded from storage in the background, as rtoc run does
            while len(logger.read("Bench", "S", last=10).x) < 10:
                time.sleep(0.05)
        began = time.perf_counter()
        window = build_window(logger, "this computer", gui)
        window.grab()
        opened = time.perf_counter() - began
        window.resize(1500, 900)
        window.fast.stop()  # frames are timed one by one here
        window.slow.stop()
        plot = window.plot
        while ("Bench", "S") not in plot.overviews:  # read in a thread of its own
            app.processEvents()
            time.sleep(0.01)
        ready = time.perf_counter() - began
        plot.set_follow(False)
        app.processEvents()
        signal = f"a {samples:,}-sample signal in {where}"
        emit(f"window drawn on {signal}", opened, "s", "< 2 s")
        emit(f"overview of {signal} read (in the background)", ready, "s", "")
        end = t0 + (samples - 1) / 1000.0
        for share in (1.0, 0.1, 0.01, 0.0001):
            width = (end - t0) * share
            times = []
            for frame in range(frames):
                # pan across the signal (zoomed) or zoom in and out (whole range)
                start = t0 + (end - t0 - width) * (frame / max(frames - 1, 1))
                scale = 1.0 if share < 1 else 0.9 + 0.1 * (frame % 2)
                began = time.perf_counter()
                plot.viewbox.setXRange(start, start + width * scale, padding=0)
                plot.redraw()
                plot.plot.viewport().repaint()
                times.append(time.perf_counter() - began)
            drawn = len(plot.curve_data(("Bench", "S"))[0])
            emit(
                f"pan/zoom frame over {share:.2%} of {signal}, median",
                statistics.median(times) * 1000, "ms", "< 50 ms", 1, frames=frames,
                worst_ms=round(max(times) * 1000, 1), visible_samples=int(samples * share),
                points_drawn=drawn,
            )  # fmt: skip
        window.close()


def remote_latency(seconds: float, folder: Path) -> None:
    """20 signals at 10 Hz sent to a real ``rtoc run`` over TCP; the window on it over TCP
    too: from a sample's time (it is sent at once) to the frame that first draws it."""
    import json
    import socket
    import threading

    from PyQt5 import QtWidgets

    from rtoc.net.remote import RemoteLogger
    from rtoc.testing.installed import rtoc_command
    from rtoc_gui.app import build_window

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    home = folder / "remote"
    home.mkdir()
    config = {"tcp": {"active": True, "host": "127.0.0.1", "port": port}}
    (home / "config.json").write_text(json.dumps({**config, "backup": {"active": False}}))
    server = subprocess.Popen(
        rtoc_command(home, "run"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert server.stdout is not None
        for line in server.stdout:
            if f"listening on 127.0.0.1:{port}" in line:
                break
        names = [f"S{i:02d}" for i in range(20)]
        stop = threading.Event()

        def produce() -> None:
            with RemoteLogger("127.0.0.1", port) as sender:
                while not stop.wait(0.1):
                    now = time.time()
                    sender.request(y=list(np.sin(now + np.arange(20))), sname=names,
                                   dname="Remote", x=[now] * 20)  # fmt: skip

        producer = threading.Thread(target=produce, daemon=True)
        producer.start()
        with RemoteLogger("127.0.0.1", port) as viewer:
            gui = GuiConfig(plotRate=8.0)
            window = build_window(viewer, f"127.0.0.1:{port}", gui, local=False)
            window.resize(1500, 900)
            latencies, newest = [], 0.0
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                app.processEvents()
                x, _ = window.plot.curve_data(("Remote", "S00"))
                if len(x) and x.max() > newest:
                    if newest:
                        latencies.append(time.time() - float(x.max()))
                    newest = float(x.max())
                time.sleep(0.002)
            window.close()
        stop.set()
        producer.join(5)
    finally:
        server.terminate()
        server.wait(15)
    latencies.sort()
    emit(
        "remote, 20 signals at 10 Hz over TCP, plot refresh 8 Hz: sample to drawn, median",
        statistics.median(latencies) * 1000, "ms", "< 250 ms", 1, frames=len(latencies),
        p95_ms=round(latencies[int(len(latencies) * 0.95)] * 1000, 1),
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000_000)
    parser.add_argument("--seconds", type=float, default=15.0, help="CPU measured this long")
    parser.add_argument("--frames", type=int, default=30, help="frames per zoom level")
    parser.add_argument("--repeat", type=int, default=5, help="startups timed")
    parser.add_argument(
        "--parts",
        default="startup,cpu,pan,remote",
        help="which figures, comma-separated (default: all)",
    )
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    if "startup" in parts:
        startup(args.repeat)
    if "cpu" in parts:
        streaming_cpu(args.seconds)
    with tempfile.TemporaryDirectory() as folder:
        if "pan" in parts:
            for where in ("memory", "sqlite"):
                pan_zoom(args.samples, args.frames, where, Path(folder))
        if "remote" in parts:
            remote_latency(args.seconds, Path(folder))
    emit("load average (1 min) while benchmarking", os.getloadavg()[0], "", "", 2,
         cores=os.cpu_count(), cwd=str(Path.cwd().name))  # fmt: skip


if __name__ == "__main__":
    main()
