"""``rtoc run`` starts the bot (``rtoc_frontends``) when telegram.active and a token are set."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from telegram_rig import ADA

from rtoc_telegram.testing import BotApiStub

pytestmark = pytest.mark.timeout(60)
RTOC = str(Path(sys.executable).with_name("rtoc"))


def test_rtoc_run_serves_the_bot_and_stops_it_on_sigterm(tmp_path: Path) -> None:
    with BotApiStub() as api:
        config = {"telegram": {"active": True, "token": api.token, "base_url": api.base_url}}
        (tmp_path / "config.json").write_text(json.dumps(config))
        process = subprocess.Popen(
            [RTOC, "--home", str(tmp_path), "run", "--device", "Generator"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "RTOC_HOME": str(tmp_path)},
        )
        try:
            api.wait_for_call("getMe", timeout=30)
            api.send_text(ADA, "/start")
            menu = api.wait_for_message(ADA, lambda m: bool(m.buttons))
            assert "admin" in menu.text
            # telegram.inlineMenu is false by default: the menu is a reply keyboard
            assert menu.parameters["reply_markup"]["keyboard"][0][0]["text"] == "📈 Latest values"
            after = len(api.sent)
            api.send_text(ADA, "📈 Latest values")
            latest = api.wait_for_message(ADA, lambda m: "Generator." in m.text, after=after)
            assert " s ago)" in latest.text
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=30)
        assert process.returncode == 0, output
        stored = json.loads((tmp_path / "telegram_clients.json").read_text())
        assert stored[str(ADA.id)]["permission"] == "admin"
