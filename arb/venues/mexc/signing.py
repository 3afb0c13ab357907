"""MEXC spot v3 REST signing: HMAC-SHA256 over the query and body, lowercase hex.

Vectors: samples/venues/mexc/signing_test_vectors.json (see its notes: one documented
signature is not the HMAC of its payload).
"""

from __future__ import annotations

import hashlib
import hmac


def sign(secret: str, query: str, body: str = "") -> str:
    """``lowercase hex(HMAC-SHA256(secret, query + body))`` — no separator between them.

    The caller adds ``timestamp`` (ms, passed in — never read from a clock here) and an
    optional ``recvWindow`` before signing, sends the result as ``signature`` and the API
    key in the ``X-MEXC-APIKEY`` header.
    """
    return hmac.new(secret.encode(), (query + body).encode(), hashlib.sha256).hexdigest()
