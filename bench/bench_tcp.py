"""TCP API figures (issue 3): one JSON line per figure on stdout.

The server is a real ``rtoc run`` in its own process, with the default
embedded SQLite storage recording everything it receives; the load comes
from this process over loopback. Run with ``nox -s bench`` or
``python bench/bench_tcp.py``. Comparisons with RTOC 2.1.8 are made in one
run, side by side, by ``bench_tcp_vs_rtoc.py``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from figures import emit

from rtoc.net import Client
from rtoc.net.frame import Cipher, encode

PASSWORD = "bench password"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def rtoc_server(password: str = "") -> Iterator[int]:
    """``rtoc run`` with the TCP server on a free port; yields the port."""
    port = free_port()
    with tempfile.TemporaryDirectory() as home:
        config = {"tcp": {"active": True, "port": port, "password": password}}
        Path(home, "config.json").write_text(json.dumps(config))
        process = subprocess.Popen(
            [sys.executable, "-m", "rtoc", "--home", home, "run"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            assert process.stderr is not None
            for line in process.stderr:
                if "TCP server listening" in line:
                    break
            else:
                raise RuntimeError("rtoc run ended before its TCP server listened")
            threading.Thread(target=process.stderr.read, daemon=True).start()  # keep draining
            yield port
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(60)


def round_trips(port: int, count: int) -> float:
    """One sample per message, waiting for each reply: messages/s."""
    with Client("127.0.0.1", port) as client:
        start = time.perf_counter()
        for i in range(count):
            client.request(y=[float(i)], sname=["Single"], dname="Bench")
        return count / (time.perf_counter() - start)


def connection_per_message(port: int, count: int) -> float:
    """RTOC's client: connect, send one sample, read the reply, close: messages/s."""
    start = time.perf_counter()
    for i in range(count):
        with Client("127.0.0.1", port) as client:
            client.send({"y": [float(i)], "sname": ["Single"], "dname": "Bench"})
            assert client.recv()["error"] is False
    return count / (time.perf_counter() - start)


def pipelined(port: int, count: int, window: int = 64) -> float:
    """One sample per message, up to ``window`` requests ahead of the replies: messages/s."""
    messages = ({"y": [float(i)], "sname": ["Single"], "dname": "Bench"} for i in range(count))
    with Client("127.0.0.1", port) as client:
        start = time.perf_counter()
        for reply in client.pipeline(messages, window):
            assert reply["error"] is False, reply
        return count / (time.perf_counter() - start)


def blocks(port: int, messages: int, size: int = 1000, password: str = "") -> float:
    """``size`` samples (x and y) per message: samples/s the server takes in.

    The frames are encoded before the clock starts, so this measures the
    server and not this process's JSON encoder; one thread sends, another
    reads the replies.
    """
    cipher = Cipher(password) if password else None
    base = time.time()
    frames = [
        encode(
            {
                "x": (base + k + np.arange(size) / size).tolist(),
                "y": np.random.default_rng(k).random(size).tolist(),
                "sname": "Block",
                "dname": "Bench",
            },
            cipher,
        )
        for k in range(messages)
    ]
    with Client("127.0.0.1", port, password or None, timeout=60) as client:
        sock = client._socket
        assert sock is not None

        def read_replies() -> None:
            for _ in range(messages):
                assert client.recv()["error"] is False

        reader = threading.Thread(target=read_replies)
        start = time.perf_counter()
        reader.start()
        for frame in frames:
            sock.sendall(frame)
        reader.join()
        return messages * size / (time.perf_counter() - start)


def get_latest_median(port: int, length: int, calls: int = 2000) -> float:
    """Median ``getLatest`` round trip on a signal holding ``length`` samples, ms."""
    name = f"Latest{length}"
    with Client("127.0.0.1", port, timeout=60) as client:
        for first in range(0, length, 50_000):
            chunk = np.arange(first, min(length, first + 50_000), dtype=np.float64)
            client.request(x=chunk.tolist(), y=chunk.tolist(), sname=name, dname="Bench")
        assert (
            client.request(getLatest=[f"Bench.{name}"])["latest"][f"Bench.{name}"][1] == length - 1
        )
        times = []
        for _ in range(calls):
            start = time.perf_counter()
            client.request(getLatest=[f"Bench.{name}"])
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    with rtoc_server() as port:
        emit(
            "one sample per message, connection kept open, 64 requests in flight",
            pipelined(port, 100_000),
            "messages/s",
            ">= 25000",
        )
        emit(
            "one sample per message, connection kept open, waiting for each reply",
            round_trips(port, 20_000),
            "messages/s",
            "(no target; latency-bound)",
        )
        emit(
            "one sample per message, a new connection for each (RTOC's client)",
            connection_per_message(port, 5_000),
            "messages/s",
            "(no target here; see bench_tcp_vs_rtoc.py)",
        )
        emit(
            "1000 samples per message",
            blocks(port, 3000),
            "samples/s",
            ">= 2000000",
        )
        for length in (1, 500_000):
            emit(
                f"getLatest round trip, median, signal of {length} samples",
                get_latest_median(port, length),
                "ms",
                "< 0.3",
            )
    with rtoc_server(PASSWORD) as port:
        emit(
            "1000 samples per message with a password (AES-EAX)",
            blocks(port, 3000, password=PASSWORD),
            "samples/s",
            ">= 1000000",
        )


if __name__ == "__main__":
    main()
