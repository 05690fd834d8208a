"""Every change a page makes goes through :func:`attempt`: role checked on the server,
then the change, and whatever refused it as a sentence for the page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from rtoc.device import DeviceError
from rtoc.frontend import ControlUnavailable
from rtoc.users import PermissionDenied, Role

T = TypeVar("T")


class Refused(Exception):
    """The change was not made; the text says why (for the page)."""


def attempt(auth: Any, role: Role, action: str, work: Callable[[], T]) -> T:
    """``work()`` if the current user has ``role``; :class:`Refused` with the reason otherwise,
    or when the source refuses (no control, a value the device does not take, its error)."""
    try:
        auth.require(role, action)
    except PermissionDenied as error:
        raise Refused(f"Refused: {error}") from None
    try:
        return work()
    except ControlUnavailable as error:
        raise Refused(f"Not possible here: {error}") from None
    except (DeviceError, KeyError, LookupError, ValueError, TypeError) as error:
        text = error.args[0] if isinstance(error, KeyError) and error.args else error
        raise Refused(f"{action}: {text}") from None
    except Exception as error:  # a device's own function may raise anything
        raise Refused(f"{action} failed: {type(error).__name__}: {error}") from None
