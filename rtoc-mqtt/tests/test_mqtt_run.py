"""``rtoc run`` with the ``mqtt`` section: the installed distribution found by its entry
point, the demo Generator published, stopped cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from mqtt_rig import end_session

from rtoc_mqtt.config import base_topic


def test_rtoc_run_publishes_the_demo_generator(tmp_path, watcher, name):
    section = {"active": True, "publish": ["Generator.Sine"], "publishRate": 10.0}
    config = {"global": {"name": name}, "mqtt": section, "backup": {"active": False}}
    (tmp_path / "config.json").write_text(json.dumps(config))
    topic = f"{base_topic(name)}/Generator/Sine"
    watcher.subscribe(f"{topic}/#")
    process = subprocess.Popen(
        [sys.executable, "-m", "rtoc", "--home", str(tmp_path), "run", "--demo"],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        batch = json.loads(watcher.wait_for(f"{topic}/samples", timeout=15)[0].payload)
        assert batch["dname"] == "Generator" and batch["unit"] == "V" and batch["y"]
        assert -1.0 <= float(watcher.wait_for(topic)[0].payload) <= 1.0
        process.send_signal(signal.SIGINT)
        output, errors = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, errors
    assert "Frontend mqtt failed" not in output
    end_session(f"rtoc-{name}", [f"{base_topic(name)}/status", topic])  # as it was
