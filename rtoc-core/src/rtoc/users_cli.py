"""``rtoc users``: add, list, remove users of the remote doors and change their password or role."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from argon2 import PasswordHasher

from rtoc.users import Role, UserError, UserStore, check_name, check_password, utc_text

__all__ = ["users_command"]

PASSWORD_TRIES = 3
ROLE_NAMES = [str(role) for role in Role]


def _store() -> UserStore:
    """The users of the home set by the parent ``rtoc`` group, else $RTOC_HOME or ~/.RTOC.

    A ``password_hasher`` in the context object replaces argon2's default
    parameters; only tests set one, to hash fast.
    """
    obj = click.get_current_context().obj or {}
    home = obj.get("home") or Path(os.environ.get("RTOC_HOME", "~/.RTOC")).expanduser()
    hasher: PasswordHasher | None = obj.get("password_hasher")
    return UserStore(home, hasher)


@contextmanager
def _reported() -> Iterator[None]:
    """Turn refused changes and file errors into a one-line message and exit code 1."""
    try:
        yield
    except UserError as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(f"{exc.filename}: {exc.strerror}") from exc


def _new_password(name: str, from_stdin: bool) -> str:
    """A password that keeps the rules: one line of stdin, or typed twice, hidden."""
    if from_stdin:
        text = sys.stdin.read()
        text = text.removesuffix("\n").removesuffix("\r")
        if "\n" in text:
            raise UserError("--password-stdin reads one line, got several; nothing changed")
        return check_password(text)
    for _ in range(PASSWORD_TRIES):
        first = click.prompt(
            f"New password for {name}", hide_input=True, default="", show_default=False
        )
        try:
            check_password(first)
        except UserError as error:
            click.echo(f"{error}; try again.", err=True)
            continue
        again = click.prompt("Repeat it", hide_input=True, default="", show_default=False)
        if again == first:
            return first
        click.echo("The two passwords differ; try again.", err=True)
    raise UserError(f"no password set after {PASSWORD_TRIES} tries; nothing changed")


_password_stdin = click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from one line of standard input (for scripts) instead of prompting.",
)


@click.group("users")
def users_command() -> None:
    """Manage who may log in to rtoc's remote doors (web, Telegram, remote GUI), and their role.

    Roles, each with the rights of those below: read (see signals, events,
    plots), write (also control devices, send events and signals), admin
    (also automation and code, deleting data, settings). A blocked user
    cannot log in. Users are kept in users.json in the rtoc home.
    """


@users_command.command("add")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(ROLE_NAMES, case_sensitive=False),
    help="The user's role; default admin for the first user (as in RTOC), read after that.",
)
@_password_stdin
def add(name: str, role: str | None, password_stdin: bool) -> None:
    """Add user NAME, asking for their password twice (hidden)."""
    store = _store()
    with _reported():
        name = check_name(name)
        existing = store.get(name)
        if existing is not None:  # asked before the password is typed; add() checks again
            raise UserError(f"user {existing.name!r} exists already")
        first = not store.users()
        chosen = Role.parse(role) if role else Role.ADMIN if first else Role.READ
        user = store.add(name, _new_password(name, password_stdin), chosen)
    why = " (the first user, as in RTOC)" if role is None and first else ""
    click.echo(f"Added {user.name} as {user.role}{why}.")


@users_command.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def list_(as_json: bool) -> None:
    """List the users: name, role and when they were added (never a password hash)."""
    with _reported():
        users = _store().users()
    rows = [{"name": u.name, "role": str(u.role), "created": utc_text(u.created)} for u in users]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("No users yet; add one with: rtoc users add NAME --role admin")
        return
    width = max(len("name"), *(len(row["name"]) for row in rows))
    click.echo(f"{'name':<{width}}  {'role':<7}  created (UTC)")
    for row in rows:
        click.echo(f"{row['name']:<{width}}  {row['role']:<7}  {row['created']}")


@users_command.command("remove")
@click.argument("name")
def remove(name: str) -> None:
    """Remove user NAME; the last admin stays while other users remain."""
    with _reported():
        _store().remove(name)
    click.echo(f"Removed {name}.")


@users_command.command("passwd")
@click.argument("name")
@_password_stdin
def passwd(name: str, password_stdin: bool) -> None:
    """Give user NAME a new password, asked twice (hidden)."""
    store = _store()
    with _reported():
        user = store.get(name)
        if user is None:  # asked before the password is typed
            raise UserError(f"no user {name!r} in {store.path}")
        store.set_password(user.name, _new_password(user.name, password_stdin))
    click.echo(f"Changed the password of {user.name}.")


@users_command.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLE_NAMES, case_sensitive=False))
def role_(name: str, role: str) -> None:
    """Give user NAME the role ROLE; the last admin cannot be demoted."""
    with _reported():
        user = _store().set_role(name, role)
    click.echo(f"{user.name} is {user.role} now.")
