"""Binance spot REST signing: HMAC-SHA256 over the query and body (rest-api.md).

Official vectors: samples/venues/binance/signing_test_vectors.json.
"""

from __future__ import annotations

import hashlib
import hmac


def sign(secret: str, query: str, body: str = "") -> str:
    """HMAC-SHA256 request signature: ``hex(HMAC(secret, query + body))`` (rest-api.md).

    The caller adds ``timestamp`` (ms, passed in — never read from a clock here) and
    ``recvWindow`` to the query before signing, then appends ``&signature=…``.
    """
    return hmac.new(secret.encode(), (query + body).encode(), hashlib.sha256).hexdigest()
