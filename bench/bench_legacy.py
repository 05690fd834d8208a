"""RTOC's plugin API side by side with RTOC 2.1.8 (issue 12, item 15): one JSON line per figure.

``LoggerPlugin.stream(y=float, snames=[s], unit=[u])``, one sample per call,
the way RTOC 2.x plugins send data. RTOC's figure comes from the ingest child
of ``orig_rtoc_bench.py`` (``--only ingest`` runs the same child once per
variant; here only ``stream1``), rtoc's from the same loop in a process of
its own: 300,000 calls into a new signal, three repeats, the median. The two
run in turns, RTOC then rtoc, ``--rounds`` times; the figure is the median
ratio and its range.

Without the baseline or its venv (``python3 orig_rtoc_bench.py --only ingest
--quick`` builds it) it says so on stderr and prints nothing. Usage::

    python bench/bench_legacy.py [--baseline .../orig_rtoc_bench.py] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from figures import emit

CALLS = 300_000
REPEATS = 3
RECORD_LENGTH = 4_000_001  # what the baseline gives RTOC
#: where the repository's README puts it: ../shared/baseline next to the clone
DEFAULT_BASELINE = Path(__file__).resolve().parents[2] / "shared/baseline/orig_rtoc_bench.py"
DEFAULT_WORKDIR = Path(tempfile.gettempdir(), "rtoc-baseline")  # the baseline's default


def rtoc_child() -> None:
    """rtoc's side, as the baseline's ``run_stream1``: prints the median samples/s."""
    import attrs

    from rtoc.compat import LoggerPlugin
    from rtoc.config import Config
    from rtoc.logger import Logger

    config = Config()
    config = attrs.evolve(config, global_=attrs.evolve(config.global_, recordLength=RECORD_LENGTH))
    logger = Logger(config)
    device = LoggerPlugin(logger)
    device.setDeviceName("Bench")
    rates = []
    for repeat in range(REPEATS):
        name = f"Sig{repeat}"
        start = time.perf_counter()
        for n in range(CALLS):
            device.stream(y=float(n), snames=[name], unit=["V"])
        rates.append(CALLS / (time.perf_counter() - start))
        if len(logger.store.get("Bench", name)) != CALLS:
            raise AssertionError("rtoc did not keep every sample")
        logger.store.remove("Bench", name)
    logger.close()
    print(json.dumps({"median_samples_per_s": statistics.median(rates)}))


def rtoc_rate() -> float:
    out = subprocess.run(
        [sys.executable, __file__, "--rtoc-child"], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.splitlines()[-1])["median_samples_per_s"]


def rtoc_2_rate(baseline: Path, workdir: Path) -> float:
    """RTOC 2.1.8's stream1 figure from the baseline's ingest child."""
    python = workdir / "venv" / "bin" / "python"
    with tempfile.TemporaryDirectory() as child_dir:
        Path(child_dir, "child_args.json").write_text('{"config": null, "benchdev": false}')
        out = subprocess.run(
            [str(python), str(baseline), "--child", "ingest", "--variant", "stream1",
             "--workdir", str(workdir), "--child-dir", child_dir],
            capture_output=True, text=True, check=True, timeout=300,
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        ).stdout  # fmt: skip
    for line in out.splitlines():
        if line.startswith("{") and '"a.ingest.stream_1_sample_per_call"' in line:
            return json.loads(line)["median_samples_per_s"]
    raise RuntimeError(f"the baseline printed no stream1 figure:\n{out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, default=DEFAULT_BASELINE)
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rtoc-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rtoc_child:
        rtoc_child()
        return
    python = args.workdir / "venv" / "bin" / "python"
    if not (args.baseline.exists() and python.exists()):  # nox -s bench runs every script
        print(
            f"bench_legacy skipped: needs {args.baseline} and its venv {python} "
            f"(python3 {args.baseline} --only ingest --quick builds it)",
            file=sys.stderr,
        )
        return
    pairs = []
    for _ in range(args.rounds):
        pairs.append((rtoc_2_rate(args.baseline, args.workdir), rtoc_rate()))
    ratios = [ours / theirs for theirs, ours in pairs]
    emit(
        "LoggerPlugin.stream, 1 sample per call, ratio rtoc / RTOC 2.1.8 (same run)",
        statistics.median(ratios),
        "x",
        ">= 2",
        digits=2,
        ratio_range=[round(min(ratios), 2), round(max(ratios), 2)],
        rtoc_samples_per_s=[round(ours) for _, ours in pairs],
        rtoc_2_1_8_samples_per_s=[round(theirs) for theirs, _ in pairs],
    )


if __name__ == "__main__":
    main()
