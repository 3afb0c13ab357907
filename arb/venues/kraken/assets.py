"""Kraken's asset ids ↔ canonical asset codes.

Kraken's REST API names assets by id: those listed before its 2018 naming change carry an
``X`` (crypto) or ``Z`` (fiat) prefix — ``XXBT``, ``XETH``, ``ZUSD`` — and every later one is
just its code (``USDT``, ``SOL``, ``DOT``). The prefixed set is closed, so it is a table
(ids from the ``Assets`` endpoint, ``altname`` after the arrow), never a rule that would
strip the first letter of a new four-letter code. Altnames go through
:func:`arb.core.symbols.canonical_asset` (``XBT`` → ``BTC``, ``XDG`` → ``DOGE``).

Balance variants with a suffix (``USDT.F`` auto-earn, ``ETH2.S`` staked, ``.M``, ``.B``,
``.T``, ``.HOLD``) are separate ledgers: :func:`is_variant` names them.
"""

from __future__ import annotations

from arb.core.symbols import canonical_asset

#: Prefixed Kraken asset id → its altname.
LEGACY: dict[str, str] = {
    "XXBT": "XBT", "XETH": "ETH", "XLTC": "LTC", "XXRP": "XRP", "XXLM": "XLM", "XXDG": "XDG", "XETC": "ETC",
    "XREP": "REP", "XMLN": "MLN", "XXMR": "XMR", "XZEC": "ZEC", "XICN": "ICN", "XNMC": "NMC", "XXVN": "XVN",
    "XDAO": "DAO", "ZUSD": "USD", "ZEUR": "EUR", "ZGBP": "GBP", "ZCAD": "CAD", "ZJPY": "JPY", "ZAUD": "AUD",
    "ZKRW": "KRW",
}
_ALTNAMES = {"BTC": "XBT", "DOGE": "XDG"}
_IDS = {alt: asset_id for asset_id, alt in LEGACY.items()}


def asset_code(asset_id: str) -> str:
    """Kraken asset id (``XXBT``, ``ZUSD``, ``USDT``) → canonical code (``BTC``, ``USD``, ``USDT``)."""
    return canonical_asset(LEGACY.get(asset_id, asset_id))


def altname(code: str) -> str:
    """Canonical code → Kraken's altname (``BTC`` → ``XBT``; most codes are their own)."""
    return _ALTNAMES.get(code, code)


def asset_id(code: str) -> str:
    """Canonical code → Kraken's asset id (``BTC`` → ``XXBT``, ``USD`` → ``ZUSD``, ``SOL`` → ``SOL``)."""
    alt = altname(code)
    return _IDS.get(alt, alt)


def is_variant(asset_id: str) -> bool:
    """A suffixed balance (``USDT.F``, ``ETH2.S`` …): a separate earn/staking ledger."""
    return "." in asset_id
