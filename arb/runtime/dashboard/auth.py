"""Who may talk to the dashboard: one token per engine, and requests from the page only.

- **The token** comes from ``ARB_DASHBOARD_TOKEN`` when set (at least 16 characters), or is
  generated at start (256 random bits) and written to ``dashboard.token_file`` readable by
  the owner only (0600), for command-line tools: ``curl -H "Authorization: Bearer $(cat
  data/dashboard.token)" …``. It is printed once, in the URL that opens the page.
- **Every request** must carry it: ``Authorization: Bearer <token>`` (tools), or the
  ``arb_dashboard`` cookie (the page) — set, HttpOnly and SameSite=Strict, by opening
  ``/?token=<token>``, which redirects to ``/`` so the token leaves the address bar.
- **Controls are POSTs** and, from a cookie session, must send ``X-CSRF-Token`` (a value
  derived from the token, given to the page in its HTML) and, when the browser sends an
  ``Origin``, come from the dashboard's own origin. A cross-site page can make a browser
  send the cookie (not with SameSite=Strict, but defence in depth) — never read the page or
  set that header. Bearer requests need neither: browsers never add that header on their own.

Comparisons are constant-time. :class:`Guard` only decides; the server turns its answers
into 401/403 responses.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from arb.core.errors import ConfigError

TOKEN_ENV = "ARB_DASHBOARD_TOKEN"
COOKIE = "arb_dashboard"
CSRF_HEADER = "X-CSRF-Token"
_MIN_TOKEN = 16


def resolve_token(environ: Mapping[str, str], token_file: Path) -> tuple[str, str]:
    """``(token, where it is)``: from ``ARB_DASHBOARD_TOKEN`` in ``environ``, else a new one
    written to ``token_file`` (0600, replacing the last run's)."""
    configured = environ.get(TOKEN_ENV)
    if configured:
        if len(configured) < _MIN_TOKEN or not configured.isprintable() or " " in configured:
            raise ConfigError(f"{TOKEN_ENV} must be at least {_MIN_TOKEN} printable characters without spaces")
        return configured, f"${TOKEN_ENV}"
    token = secrets.token_urlsafe(32)
    write_secret(token_file, token)
    return token, str(token_file)


def write_secret(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by the owner only, atomically (never world-readable,
    not even for a moment)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        os.write(fd, (text + "\n").encode())
    finally:
        os.close(fd)
    os.replace(tmp, path)


class Guard:
    """Checks a request's credentials against the engine's token."""

    def __init__(self, token: str) -> None:
        self._token = token.encode()
        #: What the page sends back in ``X-CSRF-Token`` (derived: the token itself never
        #: appears in the page).
        self.csrf = hmac.new(self._token, b"arb-dashboard-csrf", hashlib.sha256).hexdigest()

    def valid(self, presented: str | None) -> bool:
        return presented is not None and hmac.compare_digest(presented.encode(), self._token)

    def bearer(self, headers: Mapping[str, str]) -> bool:
        """The request carries ``Authorization: Bearer <token>``."""
        value = headers.get("Authorization", "")
        scheme, _, credentials = value.partition(" ")
        return scheme.lower() == "bearer" and self.valid(credentials.strip())

    def authenticated(self, headers: Mapping[str, str], cookies: Mapping[str, str]) -> bool:
        return self.bearer(headers) or self.valid(cookies.get(COOKIE))

    def may_change(self, headers: Mapping[str, str], host: str, scheme: str) -> str | None:
        """None when an authenticated POST may act; else why not (a 403)."""
        if self.bearer(headers):
            return None
        origin = headers.get("Origin")
        if origin is not None and origin != f"{scheme}://{host}":
            return f"cross-origin request from {origin[:80]} refused"
        sent = headers.get(CSRF_HEADER)
        if sent is None or not hmac.compare_digest(sent.encode(), self.csrf.encode()):
            return f"missing or wrong {CSRF_HEADER} header"
        return None
