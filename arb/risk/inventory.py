"""Inventory: where each asset sits across venues, and the transfers that would restore the
split arb aims for.

An arbitrageur's real constraint is inventory: every trade moves quote to the venue it bought
on and base to the one it sold on, so after a while one direction runs dry (the risk gate's
``inventory_floor`` pauses it). :func:`rebalance` says which transfers between venues would
restore the configured split of each asset, and what they would cost at each venue's
withdrawal fee. It only reports: moving funds between venues is left to the operator.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import msgspec

from arb.core.numbers import ONE


class Transfer(msgspec.Struct, frozen=True):
    """Move ``amount`` of ``asset`` from ``source`` to ``target``; ``fee`` (in ``asset``) is what
    ``source`` charges to withdraw it (the target receives ``amount − fee``)."""

    asset: str
    source: str
    target: str
    amount: int
    fee: int


def rebalance(
    balances: Mapping[tuple[str, str], int],
    venues: Iterable[str],
    targets: Mapping[str, Mapping[str, int]] | None = None,
    withdrawal_fees: Mapping[tuple[str, str], int] | None = None,
    min_transfer: Mapping[str, int] | None = None,
) -> list[Transfer]:
    """Transfers restoring each asset's split over ``venues``.

    ``balances``: ``(venue, asset) → amount``. ``targets``: asset → venue → share (fixed ints,
    any scale; an asset not listed: equal shares over ``venues``). ``withdrawal_fees``:
    ``(venue, asset) → fee`` (missing: 0). ``min_transfer``: asset → the smallest transfer worth
    making (default: none). The largest surplus pays the largest deficit first; amounts are
    exact and the sum moved equals the sum missing (up to one unit of rounding per venue).
    """
    venues = list(venues)
    fees = withdrawal_fees or {}
    out: list[Transfer] = []
    assets = sorted({asset for (venue, asset) in balances if venue in venues})
    for asset in assets:
        shares = dict((targets or {}).get(asset) or {v: ONE for v in venues})
        shares = {v: s for v, s in shares.items() if v in venues and s > 0}
        if not shares:
            continue
        total = sum(balances.get((v, asset), 0) for v in venues)
        weight = sum(shares.values())
        want = {v: total * shares.get(v, 0) // weight for v in venues}
        surplus = sorted(((balances.get((v, asset), 0) - want[v], v) for v in venues if balances.get((v, asset), 0) > want[v]), reverse=True)
        deficit = sorted(((want[v] - balances.get((v, asset), 0), v) for v in venues if balances.get((v, asset), 0) < want[v]), reverse=True)
        floor = (min_transfer or {}).get(asset, 1)
        gives = [[amount, v] for amount, v in surplus]
        for need, target in deficit:
            for give in gives:
                if need <= 0:
                    break
                amount = min(need, give[0])
                if amount >= floor:
                    out.append(Transfer(asset, give[1], target, amount, fees.get((give[1], asset), 0)))
                    give[0] -= amount
                    need -= amount
    return out
