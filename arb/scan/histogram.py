"""The distribution of spreads that did not make an opportunity, for research.

Every pair the scanner looks at without emitting an opportunity contributes its
*top-of-book net spread* in basis points: ``(bid_B·(1−fee_B) − ask_A·(1+fee_A)) / ask_A ×
10 000``, floored to a whole bps (exact integer arithmetic). Negative values are pairs
where fees exceed the spread; positive ones cleared the fees but not the minimum profit
(too little depth, balance or size).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

import msgspec

from arb.scan.scanner import ScanResult


#: ``Counter.update`` on ``counts`` (a ``Counter`` kept in a field typed as a plain dict,
#: which is what msgspec decodes): the C method, called unbound — a ``cast`` costs a
#: Python call per scan.
_count: Callable[..., None] = Counter.update


class SpreadHistogram(msgspec.Struct, kw_only=True):
    """Counts of net spreads by bucket of ``bucket_bps`` basis points, plus scan counters.

    ``counts`` maps a bucket's lower edge (bps, a multiple of ``bucket_bps``) to how many
    spreads fell in ``[edge, edge + bucket_bps)``. :meth:`add_result` also sums a
    :class:`~arb.scan.scanner.ScanResult`'s counters. Serializable (msgspec) for artifacts:
    ``counts`` is declared a ``dict`` (the wire schema; msgspec decodes no ``Counter``) and is
    a ``Counter`` from ``__post_init__`` on, whose ``update`` adds counts.
    """

    bucket_bps: int = 1
    counts: dict[int, int] = msgspec.field(default_factory=Counter)
    spreads: int = 0
    scans: int = 0
    pairs_checked: int = 0
    opportunities: int = 0
    views_stale: int = 0
    views_unhealthy: int = 0
    views_crossed: int = 0
    views_unusable: int = 0

    def __post_init__(self) -> None:
        if type(self.counts) is not Counter:  # decoded from JSON as a plain dict
            self.counts = Counter(self.counts)

    @property
    def negative(self) -> int:
        """Spreads where the fees exceeded the spread (bucket edges below zero)."""
        return sum(n for edge, n in self.counts.items() if edge < 0)

    def add(self, spread_bps: int) -> None:
        """Count one net spread (whole bps)."""
        self.add_all((spread_bps,))

    def add_all(self, spreads_bps: Iterable[int]) -> None:
        """Count many spreads (a C-level count for the default 1-bps buckets: scans are hot)."""
        width = self.bucket_bps
        spreads = spreads_bps if type(spreads_bps) is list else list(spreads_bps)
        if width != 1:
            spreads = [s - s % width for s in spreads]
        _count(self.counts, spreads)
        self.spreads += len(spreads)

    def add_result(self, result: ScanResult) -> None:
        """Count a scan: its sub-threshold spreads and its counters."""
        self.add_all(result.spreads_bps)
        self.scans += 1
        self.pairs_checked += result.pairs_checked
        self.opportunities += len(result.opportunities)
        self.views_stale += result.views_stale
        self.views_unhealthy += result.views_unhealthy
        self.views_crossed += result.views_crossed
        self.views_unusable += result.views_unusable

    def merge(self, other: SpreadHistogram) -> None:
        """Add another histogram's counts (same ``bucket_bps``) — e.g. from other shards."""
        if other.bucket_bps != self.bucket_bps:
            raise ValueError(f"bucket widths differ: {self.bucket_bps} vs {other.bucket_bps}")
        _count(self.counts, other.counts)
        for name in ("spreads", "scans", "pairs_checked", "opportunities",
                     "views_stale", "views_unhealthy", "views_crossed", "views_unusable"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def buckets(self) -> list[tuple[int, int]]:
        """``(lower edge bps, count)`` sorted by edge."""
        return sorted(self.counts.items())

    def quantile(self, q: float) -> int | None:
        """Lower edge of the bucket holding quantile ``q`` (0…1) of the spreads; None if empty."""
        if not self.spreads:
            return None
        target = q * self.spreads
        seen = 0
        items = self.buckets()
        for edge, n in items:
            seen += n
            if seen >= target:
                return edge
        return items[-1][0]
