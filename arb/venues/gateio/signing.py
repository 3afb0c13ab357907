"""Gate API v4 signing: REST ``SIGN`` headers and private-channel websocket ``auth``
(HMAC-SHA512 over a documented payload).
"""

from __future__ import annotations

import hashlib
import hmac


def signature_payload(method: str, path: str, query: str, body: str, timestamp_s: int | str) -> str:
    """The text Gate signs: ``METHOD\\n/api/v4/path\\nquery\\nhex(SHA512(body))\\ntimestamp``
    (``timestamp_s`` as sent in the ``Timestamp`` header: an int, or that header's text)."""
    body_hash = hashlib.sha512(body.encode()).hexdigest()
    return f"{method.upper()}\n{path}\n{query}\n{body_hash}\n{timestamp_s}"


def sign(secret: str, method: str, path: str, query: str, body: str, timestamp_s: int | str) -> str:
    """REST signature ``hex(HMAC_SHA512(secret, signature_payload(…)))``.

    ``path`` includes the ``/api/v4`` prefix; ``timestamp_s`` (unix seconds, passed in —
    never read from a clock here) also goes in the ``Timestamp`` header, with ``KEY`` and
    ``SIGN``.
    """
    payload = signature_payload(method, path, query, body, timestamp_s)
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha512).hexdigest()


def auth_headers(key: str, secret: str, method: str, path: str, query: str, body: str, timestamp_s: int) -> dict[str, str]:
    """Headers of a signed REST request."""
    return {"KEY": key, "Timestamp": str(timestamp_s), "SIGN": sign(secret, method, path, query, body, timestamp_s)}


def ws_sign(secret: str, channel: str, event: str, time_s: int) -> str:
    """Private-channel ``auth.SIGN``: ``hex(HMAC_SHA512(secret, "channel=…&event=…&time=…"))``."""
    return hmac.new(secret.encode(), f"channel={channel}&event={event}&time={time_s}".encode(), hashlib.sha512).hexdigest()
