"""What ``rtoc web`` prints per HTTP request at rtoc's default log level (INFO).

Every open page asks about twice a second (plot tick, signal list), so a line
per request is ~40 lines a second for 20 browsers in a Raspberry Pi's journal.
They go to the debug log instead (``rtoc_web.serve.QuietRequestHandler``).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from test_cli import fetch, stored_home
from test_plugin import free_port
from test_standalone import running

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]


def test_requests_are_not_logged_one_line_each(tmp_path: Path) -> None:
    stored_home(tmp_path)
    port = free_port()
    with running(tmp_path, "web", "--port", str(port), ready=f"127.0.0.1:{port}") as web:
        fetch(f"http://127.0.0.1:{port}/_dash-layout", time.monotonic() + 30)
    assert "_dash-layout" not in web.output
