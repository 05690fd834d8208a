"""Runner picks the storage backend the config asks for, or says what is missing."""

from __future__ import annotations

import json
import os

import pytest

from rtoc.plugins import PluginRegistry
from rtoc.runner import Runner, RunnerError
from rtoc.testing.installed import run_rtoc


def test_postgresql_active_without_the_backend_says_what_to_install(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"postgresql": {"active": True}}))
    registry = PluginRegistry.load(entry_points=False)  # rtoc-core alone
    with pytest.raises(RunnerError) as caught:
        Runner(tmp_path, registry)
    message = str(caught.value)
    assert (
        "postgresql.active: no storage backend 'postgresql' (pip install rtoc-postgres)" in message
    )
    assert "installed: memory, sqlite" in message


def test_backup_off_and_postgresql_off_means_no_storage(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"backup": {"active": False}}))
    runner = Runner(tmp_path, PluginRegistry.load(entry_points=False))
    assert runner.logger.storage is None and runner.backend == ""
    runner.logger.close()


def test_a_second_run_on_the_same_home_names_the_holder_and_exits_non_zero(tmp_path):
    first = Runner(tmp_path, PluginRegistry.load(entry_points=False))
    try:
        holder = f"in use by another rtoc \\(process {os.getpid()}\\)"
        with pytest.raises(RunnerError, match=holder):
            Runner(tmp_path, PluginRegistry.load(entry_points=False))
        second = run_rtoc(tmp_path, "run", "--duration", "0.1", timeout=30)
        assert second.returncode != 0
        assert f"{tmp_path} is in use by another rtoc (process {os.getpid()})" in second.stderr
    finally:
        first.stop(echo=lambda text: None)
    again = run_rtoc(tmp_path, "run", "--duration", "0.1", timeout=30)
    assert again.returncode == 0, again.stderr
