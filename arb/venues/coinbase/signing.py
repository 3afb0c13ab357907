"""Coinbase Advanced Trade REST and websocket auth: ES256 JWTs for CDP API keys.

``Authorization: Bearer <jwt>`` on REST (the ``uri`` claim names the request); websocket JWTs
carry no ``uri``. ``cryptography`` signs: only this module imports it (the market-data
module never does; the package loads it with its trading requests, :mod:`.trading`).
"""

from __future__ import annotations

import base64
from typing import Any

import msgspec
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

REST_HOST = "api.coinbase.com"
#: JWTs expire this many seconds after ``nbf`` (Coinbase: two minutes).
JWT_LIFETIME_S = 120

_json = msgspec.json.Encoder()


def format_jwt_uri(method: str, path: str, host: str = REST_HOST) -> str:
    """The ``uri`` claim: ``"GET api.coinbase.com/api/v3/brokerage/accounts"``."""
    return f"{method.upper()} {host}{path}"


def jwt_header(key_name: str, nonce: str) -> dict[str, str]:
    return {"alg": "ES256", "kid": key_name, "nonce": nonce, "typ": "JWT"}


def jwt_claims(key_name: str, now_s: int, uri: str | None) -> dict[str, Any]:
    """Claims for a CDP key; websocket JWTs have no ``uri``."""
    claims: dict[str, Any] = {"iss": "cdp", "sub": key_name, "nbf": now_s, "exp": now_s + JWT_LIFETIME_S}
    if uri is not None:
        claims["uri"] = uri
    return claims


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwt_signing_input(key_name: str, uri: str | None, now_s: int, nonce: str) -> str:
    """``base64url(header) + "." + base64url(claims)``: what the key signs."""
    header = _b64url(_json.encode(jwt_header(key_name, nonce)))
    claims = _b64url(_json.encode(jwt_claims(key_name, now_s, uri)))
    return f"{header}.{claims}"


def build_jwt(key_name: str, private_key_pem: str, uri: str | None, now_s: int, nonce: str) -> str:
    """A signed ES256 JWT for a CDP API key (EC P-256 private key in PEM).

    ``now_s`` (epoch seconds) and ``nonce`` (random hex) are passed in: nothing here reads a
    clock or draws randomness except ECDSA's own signing nonce.
    """
    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError("Coinbase ES256 JWTs need an EC P-256 private key")
    signing_input = jwt_signing_input(key_name, uri, now_s, nonce)
    r, s = decode_dss_signature(key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256())))
    return f"{signing_input}.{_b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def sign(key_name: str, private_key_pem: str, method: str, path: str, now_s: int, nonce: str) -> str:
    """The bearer token for one REST request (``Authorization: Bearer <token>``)."""
    return build_jwt(key_name, private_key_pem, format_jwt_uri(method, path), now_s, nonce)

