"""TCP security figures (issue 12, item 3): one JSON line per figure on stdout.

What the replay check costs a password-protected server (every accepted
encrypted frame's nonce is written to ``$RTOC_HOME/tcp-nonces.bin``; control
frames are flushed to disk first), and how many password guesses one address
gets evaluated. The server is a real ``rtoc run`` in its own process, the
load comes from this process over loopback. Run with
``python bench/bench_tcp_security.py``.
"""

from __future__ import annotations

import socket
import statistics
import time

from bench_tcp import PASSWORD, rtoc_server
from figures import emit

from rtoc.net import Client
from rtoc.net.frame import Cipher, FrameDecoder, encode, loads


def encrypted_round_trips(port: int, count: int) -> float:
    """One sample per encrypted message, waiting for each reply: messages/s."""
    with Client("127.0.0.1", port, PASSWORD) as client:
        start = time.perf_counter()
        for i in range(count):
            client.request(y=[float(i)], sname=["Single"], dname="Bench")
        return count / (time.perf_counter() - start)


def control_round_trip_median(port: int, count: int) -> float:
    """Median round trip of an encrypted control request (``logger.info``), ms."""
    times = []
    with Client("127.0.0.1", port, PASSWORD) as client:
        for _ in range(count):
            start = time.perf_counter()
            client.request(logger={"info": True})
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def guesses_evaluated(port: int, seconds: float) -> int:
    """Wrong-password frames from one address whose tag the server checked within ``seconds``."""
    wrong = encode({"getLatest": True}, Cipher("a guess"))
    checked = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.create_connection(("127.0.0.1", port), 5) as sock:
            sock.sendall(wrong)
            reply = FrameDecoder().feed(sock.recv(65536))[0]
            checked += "tag does not verify" in loads(reply.body)["message"]
    return checked


def main() -> None:
    with rtoc_server(PASSWORD) as port:
        emit(
            "one sample per encrypted message, waiting for each reply",
            encrypted_round_trips(port, 5_000),
            "messages/s",
            "(no target; nonce written per frame)",
        )
        emit(
            "encrypted control request (logger.info) round trip, median",
            control_round_trip_median(port, 300),
            "ms",
            "(no target; nonce flushed to disk per control frame)",
        )
        emit(
            "wrong passwords checked from one address in 5 s",
            guesses_evaluated(port, 5.0),
            "guesses",
            "<= 10",
            before_issue_12="about 7500 (1,500/s)",
        )


if __name__ == "__main__":
    main()
