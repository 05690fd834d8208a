"""``rtoc users``: through click's CliRunner (with a cheap argon2 hasher) and the real command.

CliRunner runs pass ``password_hasher`` in the context object so a hash takes
microseconds; the ``rtoc`` process test uses argon2's default parameters.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from argon2 import PasswordHasher
from click.testing import CliRunner, Result

from rtoc.users import Role, UserStore
from rtoc.users_cli import users_command

FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "correct horse"


def run(home: Path, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(
        users_command, list(args), input=input, obj={"home": home, "password_hasher": FAST}
    )


def store(home: Path) -> UserStore:
    return UserStore(home, FAST)


def test_add_asks_for_the_password_twice_hidden(tmp_path: Path) -> None:
    result = run(tmp_path, "add", "alice", "--role", "write", input=f"{PASSWORD}\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert "New password for alice: \nRepeat it: \n" in result.output  # typed text not echoed
    assert PASSWORD not in result.output
    assert result.output.endswith("Added alice as write.\n")
    assert store(tmp_path).authenticate("alice", PASSWORD).role is Role.WRITE


def test_two_different_passwords_are_asked_again(tmp_path: Path) -> None:
    typed = f"{PASSWORD}\nsomething else\n{PASSWORD}\n{PASSWORD}\n"
    result = run(tmp_path, "add", "alice", input=typed)

    assert result.exit_code == 0, result.output
    assert "The two passwords differ; try again." in result.output
    assert store(tmp_path).authenticate("alice", PASSWORD) is not None


def test_a_password_breaking_a_rule_is_asked_again_with_the_reason(tmp_path: Path) -> None:
    result = run(tmp_path, "add", "alice", input=f"\nshort\n{PASSWORD}\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert "a password must not be empty; try again." in result.output
    assert "a password needs at least 8 characters; try again." in result.output


def test_three_failed_tries_change_nothing(tmp_path: Path) -> None:
    result = run(tmp_path, "add", "alice", input="aaaaaaaa\nbbbbbbbb\n" * 3)

    assert result.exit_code == 1
    assert "Error: no password set after 3 tries; nothing changed" in result.output
    assert not (tmp_path / "users.json").exists()


def test_password_stdin_for_scripts(tmp_path: Path) -> None:
    result = run(tmp_path, "add", "bot", "--role", "read", "--password-stdin", input=PASSWORD)

    assert result.exit_code == 0, result.output
    assert result.output == "Added bot as read.\n"  # no prompt
    assert store(tmp_path).authenticate("bot", PASSWORD) is not None
    result = run(tmp_path, "passwd", "bot", "--password-stdin", input="new password 1\r\n")
    assert result.exit_code == 0, result.output
    assert store(tmp_path).authenticate("bot", "new password 1") is not None


def test_password_stdin_refuses_several_lines_and_short_ones(tmp_path: Path) -> None:
    several = run(tmp_path, "add", "bot", "--password-stdin", input=f"{PASSWORD}\nmore\n")
    short = run(tmp_path, "add", "bot", "--password-stdin", input="short\n")

    assert several.exit_code == 1 and "reads one line, got several" in several.output
    assert short.exit_code == 1 and "a password needs at least 8 characters" in short.output
    assert not (tmp_path / "users.json").exists()


def test_the_first_user_is_admin_and_later_ones_read_unless_told(tmp_path: Path) -> None:
    first = run(tmp_path, "add", "alice", "--password-stdin", input=PASSWORD)
    second = run(tmp_path, "add", "bob", "--password-stdin", input=PASSWORD)

    assert first.output == "Added alice as admin (the first user, as in RTOC).\n"
    assert second.output == "Added bob as read.\n"


def test_a_taken_or_bad_name_is_refused_before_the_password_is_asked(tmp_path: Path) -> None:
    run(tmp_path, "add", "alice", "--password-stdin", input=PASSWORD)

    taken = run(tmp_path, "add", "Alice", input="")
    bad = run(tmp_path, "add", "a b", input="")
    assert taken.exit_code == 1 and taken.output == "Error: user 'alice' exists already\n"
    assert bad.exit_code == 1 and "must not contain spaces or control characters" in bad.output


def test_list_shows_name_role_and_created_never_a_hash(tmp_path: Path) -> None:
    assert run(tmp_path, "list").output.startswith("No users yet; add one with: rtoc users add")
    run(tmp_path, "add", "alice", "--password-stdin", input=PASSWORD)
    run(tmp_path, "add", "bob", "--role", "write", "--password-stdin", input=PASSWORD)

    text = run(tmp_path, "list")
    rows = json.loads(run(tmp_path, "list", "--json").output)
    assert text.exit_code == 0 and "$argon2" not in text.output
    lines = text.output.splitlines()
    assert lines[0].split() == ["name", "role", "created", "(UTC)"]
    assert [line.split()[:2] for line in lines[1:]] == [["alice", "admin"], ["bob", "write"]]
    assert [set(row) for row in rows] == [{"name", "role", "created"}] * 2
    assert rows[1]["name"] == "bob" and rows[1]["created"].endswith("Z")


def test_role_remove_and_the_last_admin(tmp_path: Path) -> None:
    run(tmp_path, "add", "alice", "--password-stdin", input=PASSWORD)
    run(tmp_path, "add", "bob", "--password-stdin", input=PASSWORD)
    before = (tmp_path / "users.json").read_bytes()

    demote = run(tmp_path, "role", "alice", "write")
    remove = run(tmp_path, "remove", "alice")
    for result, verb in ((demote, "demote"), (remove, "remove")):
        assert result.exit_code == 1
        assert result.output == (
            "Error: 'alice' is the last admin: without one nobody could manage users or "
            "automation from a frontend. Make another user admin first "
            f"(rtoc users role NAME admin), then {verb} 'alice'\n"
        )
    assert (tmp_path / "users.json").read_bytes() == before

    assert run(tmp_path, "role", "bob", "ADMIN").output == "bob is admin now.\n"
    assert run(tmp_path, "remove", "alice").output == "Removed alice.\n"
    assert [user.name for user in store(tmp_path).users()] == ["bob"]


def test_unknown_users_and_roles(tmp_path: Path) -> None:
    for args in (("remove", "carol"), ("role", "carol", "read"), ("passwd", "carol")):
        result = run(tmp_path, *args, input="")
        assert result.exit_code == 1
        assert result.output == f"Error: no user 'carol' in {tmp_path / 'users.json'}\n"
    result = run(tmp_path, "role", "carol", "boss")
    assert result.exit_code == 2 and "'boss' is not one of 'blocked', 'read'" in result.output


def test_passwd_asks_twice_and_replaces_the_password(tmp_path: Path) -> None:
    run(tmp_path, "add", "alice", "--password-stdin", input=PASSWORD)

    result = run(tmp_path, "passwd", "ALICE", input="new password 2\nnew password 2\n")
    assert result.exit_code == 0, result.output
    assert result.output.endswith("Changed the password of alice.\n")
    assert store(tmp_path).authenticate("alice", PASSWORD) is None
    assert store(tmp_path).authenticate("alice", "new password 2") is not None


def test_a_corrupt_file_is_named_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    path.write_text("{oops", encoding="utf-8")

    for args in (("list",), ("add", "bob", "--password-stdin"), ("remove", "bob")):
        result = run(tmp_path, *args, input=PASSWORD)
        assert result.exit_code == 1
        assert result.output.startswith(f"Error: {path}: not a valid users file (not JSON")
    assert path.read_text(encoding="utf-8") == "{oops"


def test_the_rtoc_command_has_the_users_group(tmp_path: Path) -> None:
    """The real command, as a process, with argon2's default parameters."""

    def rtoc(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "rtoc", "--home", str(tmp_path), "users", *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    added = rtoc("add", "alice", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert added.stdout == "Added alice as admin.\n"
    listed = rtoc("list")
    assert listed.stdout.splitlines()[1].split()[:2] == ["alice", "admin"]
    refused = rtoc("remove", "nobody")
    assert refused.returncode == 1 and "no user 'nobody'" in refused.stderr
    digest = json.loads((tmp_path / "users.json").read_text())["users"]["alice"]["hash"]
    assert not PasswordHasher().check_needs_rehash(digest)
    assert UserStore(tmp_path).authenticate("alice", PASSWORD) is not None
