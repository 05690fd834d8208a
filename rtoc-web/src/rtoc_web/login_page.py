"""The login and logout pages: plain HTML forms that work without JavaScript.

They are rendered by Flask's Jinja with autoescaping, so a user name or a
``next`` path typed by anyone appears as text. The one stylesheet is inline
and allowed by its hash in the page's Content-Security-Policy, which allows
nothing else: no script, no frame, forms posting only to this site.
"""

from __future__ import annotations

import base64
import hashlib

from flask import Response, render_template_string
from markupsafe import Markup

__all__ = ["render_login", "render_logout"]

_CSS = """
:root { color-scheme: light dark; --accent: #2563eb; --bg: #f3f4f6; --card: #fff;
  --text: #111827; --muted: #6b7280; --line: #d1d5db; --bad: #b91c1c; --bad-bg: #fef2f2;
  --ok-bg: #eff6ff; }
@media (prefers-color-scheme: dark) { :root { --bg: #111827; --card: #1f2937;
  --text: #f9fafb; --muted: #9ca3af; --line: #374151; --bad: #fca5a5; --bad-bg: #3f1d1d;
  --ok-bg: #1e293b; } }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: var(--bg);
  color: var(--text); font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { width: min(92vw, 22rem); background: var(--card); border: 1px solid var(--line);
  border-radius: 12px; padding: 2rem; box-shadow: 0 10px 30px rgb(0 0 0 / 8%); }
h1 { margin: 0 0 .25rem; font-size: 1.5rem; }
h1 span { color: var(--accent); }
p.lead { margin: 0 0 1.5rem; color: var(--muted); }
label { display: block; margin: 0 0 1rem; font-weight: 600; font-size: .9rem; }
input { display: block; width: 100%; margin-top: .35rem; padding: .6rem .75rem; font: inherit;
  font-weight: 400; color: inherit; background: transparent; border: 1px solid var(--line);
  border-radius: 8px; }
input:focus { outline: 2px solid var(--accent); outline-offset: 1px; border-color: var(--accent); }
button { width: 100%; margin-top: .5rem; padding: .65rem; font: inherit; font-weight: 600;
  color: #fff; background: var(--accent); border: 0; border-radius: 8px; cursor: pointer; }
button:hover { filter: brightness(1.1); }
.notice { margin: 0 0 1rem; padding: .6rem .75rem; border-radius: 8px; background: var(--ok-bg); }
.notice.error { color: var(--bad); background: var(--bad-bg); }
a { color: var(--accent); }
"""

_CSP = (
    "default-src 'none'; "
    f"style-src 'sha256-{base64.b64encode(hashlib.sha256(_CSS.encode()).digest()).decode()}'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{ title }} · rtoc</title>
<style>{{ css }}</style>
</head>
<body>
<main>
<h1><span>rtoc</span> {{ title }}</h1>
{% if kind == "login" %}
<p class="lead">Sign in to the measurement dashboard.</p>
{% if notice %}<p class="notice{{ ' error' if error }}" role="alert">{{ notice }}</p>{% endif %}
<form method="post" action="{{ action }}">
<input type="hidden" name="next" value="{{ next }}">
<label>User name
<input name="name" value="{{ name }}" autocomplete="username" autocapitalize="none"
 spellcheck="false" required {{ '' if name else 'autofocus' }}></label>
<label>Password
<input name="password" type="password" autocomplete="current-password" required
 {{ 'autofocus' if name }}></label>
<button type="submit">Log in</button>
</form>
{% else %}
<p class="lead">Signed in as <strong>{{ name }}</strong>.</p>
<form method="post" action="{{ action }}">
<button type="submit">Log out</button>
</form>
<p><a href="{{ back }}">Back to the dashboard</a></p>
{% endif %}
</main>
</body>
</html>
"""


def _page(status: int, **values: object) -> Response:
    html = render_template_string(_PAGE, css=Markup(_CSS), **values)
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = _CSP
    response.headers["Cache-Control"] = "no-store"
    return response


def render_login(
    *,
    action: str,
    next: str,
    name: str = "",
    notice: str = "",
    error: bool = False,
    status: int = 200,
) -> Response:
    """The login form posting to ``action``, with an optional notice (``error``: shown in red)."""
    return _page(
        status,
        kind="login",
        title="Log in",
        action=action,
        next=next,
        name=name,
        notice=notice,
        error=error,
    )


def render_logout(*, action: str, name: str, back: str) -> Response:
    """A page with one button that logs ``name`` out (a POST to ``action``)."""
    return _page(200, kind="logout", title="Log out", action=action, name=name, back=back)
