"""A fresh PostgreSQL database for this test run, on the server at 127.0.0.1:5432.

Without a reachable server the tests skip, saying why, unless
RTOC_REQUIRE_SERVICES is set (as CI sets it): then they fail.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import uuid

import psycopg2
import pytest

SERVER = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}


def _admin() -> psycopg2.extensions.connection:
    connection = psycopg2.connect(connect_timeout=3, **SERVER)
    connection.autocommit = True
    return connection


@pytest.fixture(scope="session")
def database() -> dict:
    """Connection settings of a database created for this run and dropped after it."""
    try:
        admin = _admin()
    except psycopg2.OperationalError as error:
        reason = f"no PostgreSQL server at 127.0.0.1:5432: {str(error).strip()}"
        if os.environ.get("RTOC_REQUIRE_SERVICES"):
            pytest.fail(f"{reason} (RTOC_REQUIRE_SERVICES is set)")
        pytest.skip(reason)
    name = f"rtoc_test_{uuid.uuid4().hex[:12]}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {**SERVER, "dbname": name}
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def own_database(database) -> dict:
    """A database of this test alone, for ``rtoc run`` (which always uses the schema rtoc)."""
    name = f"rtoc_own_{uuid.uuid4().hex[:12]}"
    admin = _admin()
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield {**database, "dbname": name}
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.close()


@pytest.fixture
def schema() -> str:
    """A schema name of its own for each test: tests never see each other's rows."""
    return f"t_{uuid.uuid4().hex[:12]}"


class Proxy:
    """A loopback TCP proxy to the PostgreSQL server that a test can cut and restore.

    ``cut()`` closes the listening socket and every open connection, so the
    database is unreachable as after a network failure; ``restore()`` listens
    again on the same port. ``stall()`` keeps every connection open and accepts
    new ones, but forwards nothing, in either direction, until ``flow()``: a
    database that stopped answering.
    """

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._flowing = threading.Event()
        self._flowing.set()
        self.restore()

    def stall(self) -> None:
        self._flowing.clear()

    def flow(self) -> None:
        self._flowing.set()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, set()
        if listener is not None:
            listener.close()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    server.close()
                    return
                self._sockets |= {client, server}
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                self._flowing.wait()
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def proxy(database):
    proxy = Proxy((database["host"], database["port"]))
    yield proxy
    proxy.flow()
    proxy.cut()
