"""Users and roles (rtoc.users): hashing, roles, rules for names and passwords, the file.

Most tests hash with a deliberately cheap argon2 hasher (``FAST``) so they run
in milliseconds; production uses argon2-cffi's defaults, which
``test_the_default_hasher_is_argon2s_default`` and the ``rtoc`` process test
in test_users_cli.py cover.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from rtoc.users import (
    MAX_NAME_LENGTH,
    PermissionDenied,
    Role,
    User,
    UserError,
    UsersFileError,
    UserStore,
)

FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "correct horse"


class CountingHasher(PasswordHasher):
    """A real argon2 hasher that also counts its verifications."""

    def __init__(self, **kwargs: int) -> None:
        super().__init__(**kwargs)
        self.verified: list[str] = []

    def verify(self, hash: str | bytes, password: str | bytes):
        self.verified.append(hash if isinstance(hash, str) else hash.decode())
        return super().verify(hash, password)


@pytest.fixture
def store(tmp_path: Path) -> UserStore:
    return UserStore(tmp_path, FAST)


def stored(store: UserStore) -> dict:
    return json.loads(store.path.read_text(encoding="utf-8"))["users"]


# --- hashing -----------------------------------------------------------------


def test_the_right_password_authenticates_and_a_wrong_one_does_not(store: UserStore) -> None:
    added = store.add("alice", PASSWORD, "write")

    assert store.authenticate("alice", PASSWORD) == added
    assert store.authenticate("alice", PASSWORD + "!") is None
    assert store.authenticate("ALICE", PASSWORD) == added  # names regardless of case
    digest = stored(store)["alice"]["hash"]
    assert digest.startswith("$argon2id$") and PASSWORD not in store.path.read_text()


def test_a_hash_with_old_parameters_is_replaced_on_the_next_login(tmp_path: Path) -> None:
    UserStore(tmp_path, FAST).add("alice", PASSWORD, "read")
    old = stored(UserStore(tmp_path, FAST))["alice"]["hash"]
    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    store = UserStore(tmp_path, stronger)

    assert store.authenticate("alice", "wrong password") is None
    assert stored(store)["alice"]["hash"] == old  # a failed login changes nothing
    assert store.authenticate("alice", PASSWORD) is not None
    new = stored(store)["alice"]["hash"]
    assert new != old and "m=16,t=2,p=1" in new and not stronger.check_needs_rehash(new)
    assert UserStore(tmp_path, stronger).authenticate("alice", PASSWORD) is not None


def test_an_unknown_name_costs_one_verification_with_the_same_parameters(tmp_path: Path) -> None:
    hasher = CountingHasher(time_cost=1, memory_cost=8, parallelism=1)
    store = UserStore(tmp_path, hasher)
    store.add("alice", PASSWORD, "read")

    assert store.authenticate("bob", PASSWORD) is None
    assert store.authenticate("x" * 10_000, "y" * 10_000) is None
    assert store.authenticate("alice", "wrong password") is None
    assert len(hasher.verified) == 3  # every failure ran argon2 once
    dummy = hasher.verified[0]
    assert dummy != stored(store)["alice"]["hash"] and not hasher.check_needs_rehash(dummy)


def test_the_default_hasher_is_argon2s_default(tmp_path: Path) -> None:
    store = UserStore(tmp_path)
    store.add("alice", PASSWORD, "read")

    digest = stored(store)["alice"]["hash"]
    assert not PasswordHasher().check_needs_rehash(digest)
    assert store.authenticate("alice", PASSWORD) is not None


def test_a_blocked_user_cannot_log_in(store: UserStore) -> None:
    store.add("mallory", PASSWORD, "blocked")

    assert store.authenticate("mallory", PASSWORD) is None
    assert not store.get("mallory").may("read")


def test_a_password_is_compared_in_unicode_nfc(store: UserStore) -> None:
    store.add("jose", "caf\u00e9-au-lait", "read")  # é as one character

    assert store.authenticate("jose", "cafe\u0301-au-lait") is not None  # e + accent


# --- roles -------------------------------------------------------------------


def test_roles_are_ordered_as_rtocs_telegram_permissions() -> None:
    assert Role.BLOCKED < Role.READ < Role.WRITE < Role.ADMIN
    assert [str(role) for role in Role] == ["blocked", "read", "write", "admin"]
    assert Role.parse("Write") is Role.WRITE
    with pytest.raises(UserError, match="unknown role 'boss'; one of: blocked, read, write, admin"):
        Role.parse("boss")


def test_may_and_require_follow_the_order(store: UserStore) -> None:
    writer = store.add("wendy", PASSWORD, Role.WRITE)

    assert writer.may("read") and writer.may(Role.WRITE) and not writer.may("admin")
    writer.require("write", "starting a device")
    with pytest.raises(PermissionDenied) as denied:
        writer.require(Role.ADMIN, "editing automation code")
    assert str(denied.value) == (
        "editing automation code needs the admin role or higher; user 'wendy' has write"
    )
    assert denied.value.needed is Role.ADMIN and denied.value.user == writer


# --- names and passwords -----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "must not be empty"),
        ("a b", "spaces or control characters"),
        ("tab\there", "spaces or control characters"),
        ("nul\x00", "spaces or control characters"),
        ("zero\u200bwidth", "spaces or control characters"),
        (" ", "spaces or control characters"),
        ("x" * (MAX_NAME_LENGTH + 1), f"at most {MAX_NAME_LENGTH} characters"),
    ],
)
def test_bad_names_are_refused(store: UserStore, name: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        store.add(name, PASSWORD, "read")
    assert not store.path.exists()


def test_good_names_and_case_insensitive_uniqueness(store: UserStore) -> None:
    store.add("x" * MAX_NAME_LENGTH, PASSWORD, "read")
    store.add("Jos\u00e9", PASSWORD, "read")
    with pytest.raises(UserError, match="user 'Jos\u00e9' exists already"):
        store.add("JOSE\u0301", PASSWORD, "admin")  # the same name, other case and form
    assert [user.name for user in store.users()] == ["Jos\u00e9", "x" * MAX_NAME_LENGTH]


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("", "a password must not be empty"),
        ("seven77", "at least 8 characters"),
        ("x" * 1025, "at most 1024 characters"),
    ],
)
def test_bad_passwords_are_refused(store: UserStore, password: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        store.add("alice", password, "read")
    store.add("alice", PASSWORD, "read")
    with pytest.raises(UserError, match=message):
        store.set_password("alice", password)
    assert store.authenticate("alice", PASSWORD) is not None


# --- changes -----------------------------------------------------------------


def test_password_and_role_changes(store: UserStore) -> None:
    store.add("alice", PASSWORD, "admin")
    store.add("bob", PASSWORD, "read")

    store.set_password("Bob", "another password")
    assert store.authenticate("bob", PASSWORD) is None
    assert store.authenticate("bob", "another password") is not None
    assert store.set_role("bob", "write").role is Role.WRITE
    assert store.get("bob").role is Role.WRITE
    store.remove("bob")
    assert store.get("bob") is None
    with pytest.raises(UserError, match=r"no user 'bob' in .*users\.json"):
        store.remove("bob")


def test_the_stamp_changes_with_the_password_only(store: UserStore) -> None:
    store.add("bob", PASSWORD, "read")
    user, stamp = store.get_with_stamp("BOB")
    assert user == store.get("bob")
    assert len(stamp) == 32 and stamp not in store.path.read_text(encoding="utf-8")
    store.set_role("bob", "write")
    assert store.get_with_stamp("bob")[1] == stamp  # a role change is no new password
    store.set_password("bob", "another password")
    assert store.get_with_stamp("bob")[1] != stamp
    store.remove("bob")
    assert store.get_with_stamp("bob") is None


def test_the_last_admin_stays_while_other_users_remain(store: UserStore) -> None:
    store.add("alice", PASSWORD, "admin")
    store.add("bob", PASSWORD, "write")
    before = store.path.read_bytes()

    for change in (lambda: store.remove("alice"), lambda: store.set_role("alice", "write")):
        with pytest.raises(UserError, match="'alice' is the last admin: without one nobody"):
            change()
    assert store.path.read_bytes() == before

    store.set_role("bob", "admin")
    store.set_role("alice", "read")  # bob is admin now
    store.remove("alice")
    store.set_role("bob", "admin")  # unchanged role is no demotion
    store.remove("bob")  # the only user: nobody is left to manage
    assert store.users() == []


def test_users_without_any_admin_can_still_be_removed(store: UserStore) -> None:
    store.add("reader", PASSWORD, "read")
    store.add("writer", PASSWORD, "write")

    store.remove("reader")
    assert [user.name for user in store.users()] == ["writer"]


def test_concurrent_adds_keep_every_user(tmp_path: Path) -> None:
    names = [f"user{i}" for i in range(16)]
    start = threading.Barrier(len(names))

    def add(name: str) -> None:
        start.wait()
        UserStore(tmp_path, FAST).add(name, PASSWORD, "read")

    threads = [threading.Thread(target=add, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(user.name for user in UserStore(tmp_path, FAST).users()) == sorted(names)


# --- the file ----------------------------------------------------------------


def test_the_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        UserStore(tmp_path / "new-home", FAST).add("alice", PASSWORD, "admin")
    finally:
        os.umask(old)
    path = tmp_path / "new-home" / "users.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "new-home" / "users.lock").stat().st_mode) == 0o600


def test_no_file_means_no_users(store: UserStore) -> None:
    assert store.users() == [] and store.get("alice") is None
    assert store.authenticate("alice", PASSWORD) is None
    assert not store.path.exists()


CORRUPT = [
    ('{"version": 1, "users": {', "not JSON"),
    ("[]", 'expected {"version": 1'),
    ('{"version": 2, "users": {}}', "version 2, this rtoc reads version 1"),
    ('{"version": 1, "users": {"a": {"role": "boss", "hash": "$argon2id$x", '
     '"created": "2026-01-01T00:00:00Z"}}}', "user 'a': unknown role 'boss'"),
    ('{"version": 1, "users": {"a": {"role": "read", "created": "2026-01-01T00:00:00Z"}}}',
     "user 'a'"),
    ('{"version": 1, "users": {"a": {"role": "read", "hash": "plain", '
     '"created": "2026-01-01T00:00:00Z"}}}', "not an argon2 hash"),
    ('{"version": 1, "users": {"a b": {}}}', "spaces or control characters"),
    ('{"version": 1, "users": {}, "users": {}}', "'users' appears twice"),
    ('{"version": 1, "users": {"a": {"role": "read", "hash": "$argon2id$x", '
     '"created": "2026-01-01T00:00:00Z"}, "A": {"role": "admin", "hash": "$argon2id$x", '
     '"created": "2026-01-01T00:00:00Z"}}}', "clash"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "reason"), CORRUPT)
def test_a_corrupt_file_is_refused_by_name_and_left_untouched(
    store: UserStore, text: str, reason: str
) -> None:
    store.path.write_text(text, encoding="utf-8")

    for attempt in (
        store.users,
        lambda: store.get("a"),
        lambda: store.authenticate("a", PASSWORD),  # never "no users": that would open doors
        lambda: store.add("bob", PASSWORD, "admin"),
        lambda: store.remove("a"),
        lambda: store.set_role("a", "admin"),
        lambda: store.set_password("a", PASSWORD),
    ):
        with pytest.raises(UsersFileError) as refused:
            attempt()
        assert str(refused.value).startswith(f"{store.path}: not a valid users file (")
        assert reason in str(refused.value) and "repair or remove it" in str(refused.value)
    assert store.path.read_text(encoding="utf-8") == text


_FULL_DISK = """
import resource, signal, sys
from argon2 import PasswordHasher
from rtoc.users import UserStore

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead
limit = int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
store = UserStore(sys.argv[1], PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
try:
    store.add("y" * 60, "correct horse", "read")
except OSError as error:
    print(error.errno)
"""


def test_a_failed_write_leaves_the_old_file_whole_and_no_partial_one(tmp_path: Path) -> None:
    """A real file size limit (RLIMIT_FSIZE) in a process of its own makes the
    write fail halfway, as a full disk does."""
    store = UserStore(tmp_path, FAST)
    store.add("alice", PASSWORD, "admin")
    before = store.path.read_bytes()
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_FULL_DISK), str(tmp_path), str(len(before) + 50)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "27"  # EFBIG: the write did fail
    assert store.path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["users.json", "users.lock"]
    assert [user.name for user in store.users()] == ["alice"]


def test_user_is_what_frontends_see(store: UserStore) -> None:
    user = store.add("alice", PASSWORD, "admin")

    assert isinstance(user, User) and not hasattr(user, "hash")
    assert user.created.tzinfo is not None and store.get("alice") == user
