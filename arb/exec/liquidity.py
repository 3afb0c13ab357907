"""Depth our own paper orders already took, so two paper trades never eat the same liquidity.

A book view does not show our paper fills, so after a fill the executor remembers, per
(venue, symbol, side) and price level, the level's quantity as seen and how much of it we
took. A later walk over the same level sees only the rest — until a later view shows a
different quantity at that price (the venue's book moved on), which clears the memory of
that level.
"""

from __future__ import annotations

import msgspec


class Sweep(msgspec.Struct, frozen=True, gc=False):
    """A planned walk: ``filled`` base, exact ``raw`` Σ price × qty (10**-36), last price
    touched, and ``parts`` ``((price, level qty seen, taken), …)`` to :meth:`commit`."""

    filled: int
    raw: int
    worst_price: int
    parts: tuple[tuple[int, int, int], ...]


def walk(levels: tuple[tuple[int, int], ...], buy: bool, qty: int, limit_price: int) -> Sweep:
    """Walk ``levels`` (asks when ``buy``, bids otherwise; best first) for up to ``qty``,
    never past ``limit_price``: what an immediate-or-cancel order would take from them."""
    return _EMPTY.sweep("", "", buy, levels, qty, limit_price)


class LiquidityMemory:
    """Taken depth by ``(venue, symbol, side)`` → ``{price: (level qty seen, taken)}``."""

    __slots__ = ("_taken",)

    def __init__(self) -> None:
        self._taken: dict[tuple[str, str, str], dict[int, tuple[int, int]]] = {}

    def sweep(
        self,
        venue: str,
        symbol: str,
        buy: bool,
        levels: tuple[tuple[int, int], ...],
        qty: int,
        limit_price: int,
    ) -> Sweep:
        """Walk ``levels`` (asks when ``buy``, bids otherwise; best first) for up to ``qty``,
        never past ``limit_price``, skipping what we already took. Changes nothing."""
        memo = self._taken.get((venue, symbol, "buy" if buy else "sell"), {})
        filled = raw = worst = 0
        parts = []
        for price, size in levels:
            if filled >= qty or (price > limit_price if buy else price < limit_price):
                break
            seen = memo.get(price)
            free = size - seen[1] if seen is not None and seen[0] == size else size
            part = min(free, qty - filled)
            if part <= 0:
                continue
            filled += part
            raw += part * price
            worst = price
            parts.append((price, size, part))
        return Sweep(filled=filled, raw=raw, worst_price=worst, parts=tuple(parts))

    def commit(self, venue: str, symbol: str, buy: bool, levels: tuple[tuple[int, int], ...], sweep: Sweep) -> None:
        """Remember what ``sweep`` took; forget levels of the shown range that have changed."""
        key = (venue, symbol, "buy" if buy else "sell")
        memo = self._taken.setdefault(key, {})
        if memo and levels:
            last = levels[-1][0]
            shown = dict(levels)
            for price in [p for p in memo if (p <= last if buy else p >= last) and shown.get(p) != memo[p][0]]:
                del memo[price]
        for price, size, part in sweep.parts:
            seen = memo.get(price)
            before = seen[1] if seen is not None and seen[0] == size else 0
            memo[price] = (size, before + part)

    def taken(self, venue: str, symbol: str, buy: bool) -> dict[int, tuple[int, int]]:
        """A copy of what is remembered for one book side (for tests and reports)."""
        return dict(self._taken.get((venue, symbol, "buy" if buy else "sell"), {}))


#: Remembers nothing: its sweeps are plain walks (never committed to).
_EMPTY = LiquidityMemory()
