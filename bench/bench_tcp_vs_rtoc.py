"""rtoc's TCP server side by side with RTOC 2.1.8's, in one run (issue 12, item 15).

Both servers get the same load from the same client: the raw wire-format
client of ``orig_rtoc_bench.py`` (the RTOC baseline tool in
``../shared/baseline/``), run by the same Python 3.8 interpreter. RTOC 2.1.8
runs as that tool starts it (``--only tcp``); rtoc runs as ``rtoc run`` with
its default SQLite recording, measured with the tool's ``--external`` mode.
The two take turns, ``--rounds`` each, and every figure is printed as the
median ratio rtoc / RTOC with its range, one JSON line each.

A third server takes its turn too: a blocking accept loop that answers every
connection with a constant reply and does no work at all (:data:`FLOOR_SERVER`).
Its ratio to RTOC is the most any Python server can reach with this client on
this machine, which puts the ratio of rtoc in proportion.

Run with ``python bench/bench_tcp_vs_rtoc.py [--quick] [--rounds 3]``; without
the baseline tool it prints one line saying so and does nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bench_tcp import free_port, rtoc_server
from figures import emit

BASELINE = Path(
    os.environ.get(
        "RTOC_BASELINE",
        Path(__file__).resolve().parents[2] / "shared" / "baseline" / "orig_rtoc_bench.py",
    )
)
WORKDIR = Path(tempfile.gettempdir()) / "rtoc-baseline"

#: (figure, which line of the tool, what of it, unit, better when higher)
FIGURES = [
    (
        "one sample per message, a new connection for each (RTOC's client)",
        lambda line: line.get("test") == "b.tcp.ingest_1_sample_per_message",
        "msgs_per_s",
        "messages/s",
        True,
    ),
    (
        "getLatest of a one-sample signal on a new connection, median",
        lambda line: (
            line.get("test") == "b.tcp.getLatest_roundtrip"
            and "(signal with 1 samples)" in line.get("request", "")
        ),
        "median_ms",
        "ms",
        False,
    ),
    (
        "1000 samples per message, a new connection for each",
        lambda line: line.get("test") == "b.tcp.ingest_1000_samples_per_message",
        "samples_per_s",
        "samples/s",
        True,
    ),
]
#: A server that reads each frame whole and answers "sent", one connection at a time.
FLOOR_SERVER = """
import socket, sys
reply = b'{"error": false, "sent": true, "latest": {}}'
frame = b"%d,0,0\\n%s" % (len(reply), reply)
server = socket.create_server(("127.0.0.1", int(sys.argv[1])), backlog=128)
while True:
    connection, _ = server.accept()
    data = connection.recv(1 << 20)
    if not data:  # a probe that only connects
        connection.close()
        continue
    header, _, body = data.partition(b"\\n")
    missing = sum(int(part) for part in header.split(b",")) - len(body)
    while missing > 0 and (chunk := connection.recv(1 << 20)):
        missing -= len(chunk)
    connection.sendall(frame)
    connection.close()
"""
TARGETS = {
    "messages/s": "rtoc >= 1.5 x RTOC",
    "ms": "rtoc <= RTOC",
    "samples/s": "(no target)",
}


def run_tool(*arguments: str, python: str = sys.executable) -> list[dict]:
    """The baseline tool's JSON lines."""
    done = subprocess.run(
        [python, str(BASELINE), "--workdir", str(WORKDIR), *arguments],
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    )
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


@contextlib.contextmanager
def floor_server() -> Iterator[int]:
    """:data:`FLOOR_SERVER` on a free port; yields the port."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", FLOOR_SERVER, str(port)])
    try:
        for _ in range(100):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                break
            time.sleep(0.05)
        yield port
    finally:
        process.kill()
        process.wait()


def external(port: int, quick: list[str]) -> list[dict]:
    """The tool's TCP workloads against the server on ``port``, from its Python 3.8."""
    python = str(WORKDIR / "venv/bin/python")
    return run_tool("--external", f"127.0.0.1:{port}", *quick, python=python)


def pick(lines: list[dict], client: str) -> dict[str, float]:
    """The figures from the lines of one run, for the raw client."""
    found = {}
    for figure, matches, key, _, _ in FIGURES:
        for line in lines:
            if matches(line) and line.get("client", "").startswith(client):
                found[figure] = float(line[key])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="the tool's shorter runs")
    options = parser.parse_args()
    if not BASELINE.exists():
        print(json.dumps({"skipped": f"no RTOC baseline tool at {BASELINE}"}), flush=True)
        return
    quick = ["--quick"] if options.quick else []
    rtoc_2_1_8: list[dict[str, float]] = []
    ours: list[dict[str, float]] = []
    floor: list[dict[str, float]] = []
    for _ in range(options.rounds):
        # RTOC first: the tool builds its Python 3.8 venv in WORKDIR on first use
        lines = run_tool("--only", "tcp", "--port", str(free_port()), *quick, python="python3")
        rtoc_2_1_8.append(pick(lines, "raw"))
        with rtoc_server() as port:
            ours.append(pick(external(port, quick), "raw"))
        with floor_server() as port:
            floor.append(pick(external(port, quick), "raw"))
    for figure, _, _, unit, higher_is_better in FIGURES:
        ratios = [
            mine[figure] / theirs[figure] for mine, theirs in zip(ours, rtoc_2_1_8, strict=True)
        ]
        floor_ratios = [
            best[figure] / theirs[figure]
            for best, theirs in zip(floor, rtoc_2_1_8, strict=True)
            if figure in best
        ]
        emit(
            figure,
            statistics.median(ratios),
            "x RTOC 2.1.8 (rtoc / RTOC, median of turns)",
            TARGETS[unit],
            ratio_range=[round(min(ratios), 3), round(max(ratios), 3)],
            rtoc=[round(run[figure], 4) for run in ours],
            rtoc_2_1_8=[round(run[figure], 4) for run in rtoc_2_1_8],
            do_nothing_server_ratio=(
                round(statistics.median(floor_ratios), 3) if floor_ratios else None
            ),
            unit_of_runs=unit,
            higher_is_better=higher_is_better,
        )


if __name__ == "__main__":
    main()
