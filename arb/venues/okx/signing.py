"""OKX API v5 REST signing: ``OK-ACCESS-SIGN`` (base64 HMAC-SHA256).
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def sign(secret: str, timestamp: str, method: str, request_path: str, body: str = "") -> str:
    """``OK-ACCESS-SIGN``: ``base64(HMAC-SHA256(secret, timestamp + METHOD + requestPath + body))``.

    ``timestamp`` is the ``OK-ACCESS-TIMESTAMP`` header value (ISO-8601 UTC with ms, e.g.
    ``2020-12-08T09:08:57.715Z``), passed in — never read from a clock here; ``request_path``
    includes the query string for GET requests.
    """
    message = timestamp + method.upper() + request_path + body
    return base64.b64encode(hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()).decode()
