"""A fresh PostgreSQL database for this test run, on the server at 127.0.0.1:5432.

Without a reachable server the tests skip, saying why, unless
RTOC_REQUIRE_SERVICES is set (as CI sets it): then they fail.
"""

from __future__ import annotations

import os
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
def schema() -> str:
    """A schema name of its own for each test: tests never see each other's rows."""
    return f"t_{uuid.uuid4().hex[:12]}"
