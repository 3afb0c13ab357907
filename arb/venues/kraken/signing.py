"""Kraken REST signing: ``API-Sign`` (HMAC-SHA512 over the path and SHA256(nonce + body)).

Official vector: samples/venues/kraken/signing_test_vectors.json.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def sign(secret_b64: str, uri_path: str, nonce: str | int, post_data: str) -> str:
    """``API-Sign``: ``base64(HMAC-SHA512(b64decode(secret), uri_path + SHA256(nonce + post_data)))``.

    ``nonce`` (an ever-increasing integer, usually ms) is passed in — never read from a
    clock here — and must also be the ``nonce`` field inside ``post_data``.
    """
    digest = hashlib.sha256((str(nonce) + post_data).encode()).digest()
    mac = hmac.new(base64.b64decode(secret_b64), uri_path.encode() + digest, hashlib.sha512)
    return base64.b64encode(mac.digest()).decode()
