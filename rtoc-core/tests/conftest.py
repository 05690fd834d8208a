"""Fixtures of the tests that change recorded data (test_logger_edits.py,
test_logger_resample.py): a logger recording into a real SQLite file, and that
logger as each kind of frontend reaches it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rtoc.frontend import LoggerView
from rtoc.logger import Logger
from rtoc.net.remote import RemoteLogger
from rtoc.net.server import ServerSettings, TcpServer
from rtoc.storage.sqlite import SQLiteStorage

PASSWORD = "a long passphrase"


@pytest.fixture
def logger(tmp_path) -> Iterator[Logger]:
    """A started logger on ``rtoc.sqlite`` in the test's folder (modules with a logger of
    their own keep theirs)."""
    logger = Logger(storage=SQLiteStorage(tmp_path / "rtoc.sqlite"))
    logger.start()
    yield logger
    logger.close()


@pytest.fixture(params=["in process", "tcp", "tcp with password"])
def editor(request, logger) -> Iterator[LoggerView]:
    """The logger as a frontend reaches it."""
    if request.param == "in process":
        yield logger
        return
    password = PASSWORD if request.param == "tcp with password" else ""
    server = TcpServer()
    host, port = server.serve(logger, ServerSettings(port=0, host="127.0.0.1", password=password))
    with RemoteLogger(host, port, password or None) as remote:
        yield remote
    server.stop()
