"""KuCoin REST signing (API key version 3): ``KC-API-SIGN``, ``KC-API-PASSPHRASE`` and the
headers of a signed request, e.g. the full order book snapshot (:func:`sign_request`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import replace
from urllib.parse import urlsplit

from arb.venues.base import Credentials, RestRequest


def sign(secret: str, timestamp_ms: int, method: str, path: str, body: str = "") -> str:
    """``KC-API-SIGN``: ``base64(HMAC_SHA256(secret, timestamp + METHOD + path_with_query + body))``.

    ``timestamp_ms`` is passed in (never read from a clock here) and is also sent as
    ``KC-API-TIMESTAMP``.
    """
    prehash = f"{timestamp_ms}{method.upper()}{path}{body}"
    return base64.b64encode(hmac.new(secret.encode(), prehash.encode(), hashlib.sha256).digest()).decode()


def sign_passphrase(secret: str, passphrase: str) -> str:
    """``KC-API-PASSPHRASE`` for key versions 2 and 3: ``base64(HMAC_SHA256(secret, passphrase))``."""
    return base64.b64encode(hmac.new(secret.encode(), passphrase.encode(), hashlib.sha256).digest()).decode()


def auth_headers(
    key: str, secret: str, passphrase: str, timestamp_ms: int, method: str, path: str, body: str = "", key_version: str = "3"
) -> dict[str, str]:
    """Headers of a signed REST request (``path`` with its query string)."""
    return {
        "KC-API-KEY": key,
        "KC-API-SIGN": sign(secret, timestamp_ms, method, path, body),
        "KC-API-TIMESTAMP": str(timestamp_ms),
        "KC-API-PASSPHRASE": sign_passphrase(secret, passphrase),
        "KC-API-KEY-VERSION": key_version,
        "Content-Type": "application/json",
    }


def sign_request(request: RestRequest, credentials: Credentials, now_ms: int) -> RestRequest:
    """``request`` with KuCoin's auth headers (:func:`auth_headers`) for ``now_ms``."""
    parts = urlsplit(request.url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = auth_headers(
        credentials.key, credentials.secret, credentials.passphrase, now_ms, request.method, path, request.body
    )
    return replace(request, headers={**request.headers, **headers})
