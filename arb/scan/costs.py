"""How a trade's quote amounts and taker fees are rounded — one definition for all of arb.

The scanner, the risk engine, the paper executor and the portfolio all call these, so an
opportunity's expected figures and a paper fill's figures agree to the last unit.

Rounding always goes against us: what we pay is rounded up, what we receive down, and a fee
up. Fees are charged **in quote on both legs** (a simplification: real venues take the buy
fee in base or in a fee token); a fee is the rate times that leg's rounded quote amount.

All values are fixed ints (:mod:`arb.core.numbers`); a fee *rate* is a fixed int too
(``0.001`` → ``10**15``). "raw" amounts are exact sums of ``price × qty`` in 10**-36 units.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from arb.core.errors import ConfigError
from arb.core.numbers import ONE, from_decimal


def fee_rate(rate: Decimal | str | int, name: str = "fee rate") -> int:
    """An exact fee rate (``Decimal("0.001")``, ``"0.001"``) → fixed int, checked 0 ≤ rate < 1.

    Raises :class:`~arb.core.errors.ConfigError` naming ``name`` otherwise. A bare ``int`` is
    taken as a whole number (so only ``0`` is valid), never as fixed units.
    """
    try:
        value = from_decimal(rate)
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}") from None
    if not 0 <= value < ONE:
        raise ConfigError(f"{name}: must be in [0, 1), got {rate}")
    return value


def pay_quote(raw: int) -> int:
    """Quote paid for a buy whose exact cost is ``raw`` (10**-36 units): rounded up."""
    return -((-raw) // ONE)


def receive_quote(raw: int) -> int:
    """Quote received for a sell whose exact proceeds are ``raw``: rounded down."""
    return raw // ONE


def taker_fee(quote: int, rate: int) -> int:
    """Fee on a leg of ``quote`` (fixed) at fixed ``rate``: rounded up, in quote."""
    return -((-quote * rate) // ONE)


def reserve_quote(limit_price: int, qty: int, rate: int) -> int:
    """Quote a buy of ``qty`` at ``limit_price`` locks: the most it can cost, fee included.

    Venues lock limit × quantity for an open buy; the scanner sizes trades so that this
    fits the quote balance, and the risk engine and the executor check the same figure.
    """
    quote = pay_quote(limit_price * qty)
    return quote + taker_fee(quote, rate)


def take(levels: Sequence[tuple[int, int]], qty: int, depth: int | None = None) -> tuple[int, int, int]:
    """Walk ``(price, qty)`` levels (best first; the first ``depth`` only, when given) for ``qty``.

    Returns ``(filled, raw, worst_price)``: base filled (less than ``qty`` when the levels run
    out), its exact ``Σ price × qty`` and the last price touched (0 when nothing filled).
    """
    filled = raw = worst = 0
    n = len(levels) if depth is None else min(depth, len(levels))
    for i in range(n):
        price, size = levels[i]
        left = qty - filled
        if left <= 0:
            break
        part = size if size < left else left
        if part <= 0:
            continue
        filled += part
        raw += part * price
        worst = price
    return filled, raw, worst
