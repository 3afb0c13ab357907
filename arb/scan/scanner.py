"""The opportunity scanner: a pure function of book views, fees, limits and balances.

For one symbol update it looks at every ordered venue pair (buy on A's asks, sell into B's
bids) — or only the pairs involving the venue that changed — and returns the trades that
clear the minimum net profit after both taker fees, sized by walking real depth.

How a pair is sized:

1. **Pre-filter** (exact ints, no walk): with ``fA``/``fB`` the taker fee rates, the pair is
   walked only when ``best_bid_B·(1−fB) > best_ask_A·(1+fA)``. Almost every pair stops here;
   its net top-of-book spread in bps goes to :attr:`ScanResult.spreads_bps`.
2. **Walk** both books level by level. The marginal profit of one more unit,
   ``bid_j·(1−fB) − ask_i·(1+fA)``, only decreases, so the walk stops as soon as it is ≤ 0
   (that size maximizes net profit) or a cap binds: max notional (either leg's quote
   amount), the quote balance on A (the buy's lock, limit × qty plus fee:
   :func:`~arb.scan.costs.reserve_quote`, with a 3-unit margin for rounding), the base
   balance on B, the top ``depth`` levels.
3. **Round** the size to a multiple of both venues' lot sizes: the lot multiple just below
   the optimum and the one just above (profit is concave in size, so the best is one of
   them), each checked exactly against every cap, both venues' minimum quantity and
   minimum notional (at each leg's limit price, as a venue checks a limit order).
4. **Recompute exactly** at the final size (:mod:`arb.scan.costs`: paid quote rounded up,
   received rounded down, fees rounded up, all in quote) and emit an :class:`Opportunity`
   when ``net_profit ≥ min_profit_quote``.

Views are skipped when not live, when ``now_ns − ts_recv_ns > max_age_ns``, when crossed
(bid ≥ ask), empty on a side, for another symbol, or on a venue without a configured fee.
Opportunities of one scan are independent of each other (two may want the same liquidity
or balance); they come sorted by net profit, best first. Tick size needs no rounding here:
limit prices are book prices. A size below a venue's minimum is not grown to reach it.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from math import lcm
from typing import Final, TypeAlias

import msgspec

from arb.book.view import BookView
from arb.core.instruments import Instrument, Instruments
from arb.core.numbers import ONE
from arb.core.symbols import split
from arb.scan.costs import pay_quote, receive_quote, reserve_quote, take, taker_fee
from arb.scan.opportunity import Balances, Opportunity, ScanConfig, opportunity_id

#: Quote units (10**-18) kept free of the balance cap to absorb the three roundings up.
_ROUNDING_MARGIN = 3
_BPS = 10_000


class ScanResult(msgspec.Struct, kw_only=True):
    """One scan's outcome.

    ``opportunities``: best net profit first. ``spreads_bps``: the net top-of-book spread
    (whole bps, floored) of every pair checked that gave no opportunity — feed it to a
    :class:`~arb.scan.histogram.SpreadHistogram`. ``pairs_checked``: pairs looked at;
    ``pairs_walked``: pairs that passed the pre-filter. ``views_*``: views skipped, by cause.
    """

    symbol: str
    ts_decision_ns: int
    opportunities: list[Opportunity]
    spreads_bps: list[int]
    pairs_checked: int = 0
    pairs_walked: int = 0
    views_stale: int = 0
    views_unhealthy: int = 0
    views_crossed: int = 0
    views_unusable: int = 0

    @property
    def below_threshold(self) -> int:
        """Pairs checked that did not make an opportunity."""
        return len(self.spreads_bps)


class _Skip(Enum):
    """Why the pre-filter cannot use a view (compared by identity: ``side is _UNHEALTHY``)."""

    UNHEALTHY = "unhealthy"
    UNUSABLE = "unusable"
    CROSSED = "crossed"


_UNHEALTHY: Final = _Skip.UNHEALTHY
_UNUSABLE: Final = _Skip.UNUSABLE
_CROSSED: Final = _Skip.CROSSED

#: What the pre-filter keeps of a usable view: ``(venue, view, best ask × (1+f),
#: best bid × (1−f), best ask in 10**-36 units)``.
_Side: TypeAlias = tuple[str, BookView, int, int, int]
#: The levels of one side of a view: ``((price, qty), …)`` fixed ints, best first.
_Levels: TypeAlias = tuple[tuple[int, int], ...]
#: ``(qty, buy_limit, sell_limit, buy_quote, sell_quote, buy_fee, sell_fee, net)``.
_Figures: TypeAlias = tuple[int, int, int, int, int, int, int, int]


class Scanner:
    """Finds cross-venue opportunities for one symbol at a time. Holds no market state.

    ``instruments`` gives lot size, minimum quantity and minimum notional per (venue,
    symbol); a venue without an instrument is unconstrained, and one whose instrument is not
    trading (halted, delisted) is not used — its book may still be quoted, frozen. Call
    :meth:`instruments_changed` after changing ``instruments`` in place.
    """

    __slots__ = ("config", "instruments", "_rates", "_up", "_down", "_assets", "_sides")

    def __init__(self, config: ScanConfig, instruments: Instruments | None = None) -> None:
        self.config = config
        self.instruments = instruments if instruments is not None else Instruments()
        self._rates = dict(config.taker_fee_rates)
        self._up = {venue: ONE + rate for venue, rate in self._rates.items()}
        self._down = {venue: ONE - rate for venue, rate in self._rates.items()}
        self._assets: dict[str, tuple[str, str]] = {}
        #: Per symbol, per venue: the last view seen and what the pre-filter made of it
        #: (a side tuple, or the reason it cannot be used). Views are immutable, so an
        #: unchanged view — six of seven venues on a typical update — is not re-derived.
        self._sides: dict[str, dict[str, tuple[BookView, _Side | _Skip]]] = {}

    def scan(
        self,
        symbol: str,
        views: Mapping[str, BookView],
        now_ns: int,
        balances: Balances | None = None,
        changed_venue: str | None = None,
    ) -> ScanResult:
        """Scan one symbol: ``views`` maps venue → its latest view of ``symbol``.

        ``balances`` caps sizes by what is free (``None``: unconstrained, for research);
        with ``changed_venue`` only pairs involving that venue are checked.
        """
        oldest = now_ns - self.config.max_age_ns
        up_rates = self._up
        down_rates = self._down
        usable: list[_Side] = []
        changed: _Side | None = None
        stale = unhealthy = crossed = unusable = 0
        memo = self._sides.get(symbol)
        if memo is None:
            memo = self._sides[symbol] = {}
        for venue, view in views.items():
            hit = memo.get(venue)
            if hit is not None and hit[0] is view:
                side = hit[1]
            else:
                side = self._side(symbol, venue, view, up_rates, down_rates, self.instruments.not_trading)
                memo[venue] = (view, side)
            if side is _UNHEALTHY:
                unhealthy += 1
            elif view.ts_recv_ns < oldest:
                stale += 1
            elif side is _UNUSABLE:
                unusable += 1
            elif side is _CROSSED:
                crossed += 1
            else:
                usable.append(side)
                if venue == changed_venue:
                    changed = side

        opportunities: list[Opportunity] = []
        spreads: list[int] = []
        walked = 0
        if changed_venue is None:
            for a in usable:
                ask_eff = a[2]
                for b in usable:
                    if b is a:
                        continue
                    diff = b[3] - ask_eff
                    if diff <= 0:
                        spreads.append(diff * _BPS // a[4])
                        continue
                    walked += 1
                    opp = self._size(symbol, a, b, balances, now_ns)
                    if opp is None:
                        spreads.append(diff * _BPS // a[4])
                    else:
                        opportunities.append(opp)
            checked = len(usable) * (len(usable) - 1)
        elif changed is not None:
            c_ask_eff = changed[2]
            c_bid_eff = changed[3]
            c_ask_one = changed[4]
            for o in usable:
                if o is changed:
                    continue
                diff = o[3] - c_ask_eff  # buy on the changed venue, sell on o
                if diff <= 0:
                    spreads.append(diff * _BPS // c_ask_one)
                else:
                    walked += 1
                    opp = self._size(symbol, changed, o, balances, now_ns)
                    if opp is None:
                        spreads.append(diff * _BPS // c_ask_one)
                    else:
                        opportunities.append(opp)
                diff = c_bid_eff - o[2]  # buy on o, sell on the changed venue
                if diff <= 0:
                    spreads.append(diff * _BPS // o[4])
                else:
                    walked += 1
                    opp = self._size(symbol, o, changed, balances, now_ns)
                    if opp is None:
                        spreads.append(diff * _BPS // o[4])
                    else:
                        opportunities.append(opp)
            checked = 2 * (len(usable) - 1)
        else:
            checked = 0
        if len(opportunities) > 1:
            opportunities.sort(key=_rank)
        return ScanResult(
            symbol=symbol,
            ts_decision_ns=now_ns,
            opportunities=opportunities,
            spreads_bps=spreads,
            pairs_checked=checked,
            pairs_walked=walked,
            views_stale=stale,
            views_unhealthy=unhealthy,
            views_crossed=crossed,
            views_unusable=unusable,
        )

    def instruments_changed(self) -> None:
        """``instruments`` changed in place (a listing refreshed): derive every view again."""
        self._sides.clear()

    @staticmethod
    def _side(
        symbol: str, venue: str, view: BookView, up_rates: dict[str, int], down_rates: dict[str, int],
        not_trading: set[tuple[str, str]],
    ) -> _Side | _Skip:
        """What the pre-filter needs of one view, or why it cannot be used."""
        if view.state != "live":
            return _UNHEALTHY
        if not_trading and (venue, symbol) in not_trading:
            return _UNUSABLE
        bids = view.bids
        asks = view.asks
        if not bids or not asks or view.symbol != symbol:
            return _UNUSABLE
        bid = bids[0][0]
        ask = asks[0][0]
        if bid >= ask:
            return _CROSSED
        up = up_rates.get(venue)
        if up is None:
            return _UNUSABLE
        # (venue, view, best ask × (1+f), best bid × (1−f), best ask in 10**-36 units)
        return (venue, view, ask * up, bid * down_rates[venue], ask * ONE)

    def _size(self, symbol: str, a: _Side, b: _Side, balances: Balances | None, now_ns: int) -> Opportunity | None:
        """Size the pair buy-on-``a`` / sell-on-``b`` (pre-filter passed); None if not worth it."""
        cfg = self.config
        buy_venue, buy_view = a[0], a[1]
        sell_venue, sell_view = b[0], b[1]
        assets = self._assets.get(symbol)
        if assets is None:
            assets = self._assets[symbol] = split(symbol)
        base, quote = assets
        rate_a = self._rates[buy_venue]
        rate_b = self._rates[sell_venue]

        max_base = budget = quote_free = None
        if balances is not None:
            max_base = balances.available(sell_venue, base)
            quote_free = balances.available(buy_venue, quote)
            if max_base <= 0 or quote_free <= _ROUNDING_MARGIN:
                return None
            budget = (quote_free - _ROUNDING_MARGIN) * ONE * ONE
        notional = cfg.max_notional_quote
        qty, capped = optimal_qty(
            buy_view.asks, sell_view.bids, ONE + rate_a, ONE - rate_b, cfg.depth,
            max_base, budget, None if notional is None else notional * ONE,
        )

        inst_a = self.instruments.get(buy_venue, symbol)
        inst_b = self.instruments.get(sell_venue, symbol)
        step = lcm(inst_a.lot_size if inst_a is not None and inst_a.lot_size else 1,
                   inst_b.lot_size if inst_b is not None and inst_b.lot_size else 1)
        low = qty - qty % step
        # Profit is concave in size: the best lot multiple is next to the optimum, below or
        # above it (above only when no cap stopped the walk: a cap would refuse it).
        best = self._exact(low, buy_view.asks, sell_view.bids, rate_a, rate_b, inst_a, inst_b, max_base, quote_free)
        if low != qty and not capped:
            above = self._exact(low + step, buy_view.asks, sell_view.bids, rate_a, rate_b, inst_a, inst_b,
                                max_base, quote_free)
            if above is not None and (best is None or above[-1] > best[-1]):
                best = above
        if best is None or best[-1] < cfg.min_profit_quote:
            return None
        qty, buy_limit, sell_limit, buy_quote, sell_quote, buy_fee, sell_fee, net = best
        return Opportunity(
            id=opportunity_id(now_ns, symbol, buy_venue, sell_venue, buy_view.ts_recv_ns, sell_view.ts_recv_ns),
            symbol=symbol,
            buy_venue=buy_venue,
            sell_venue=sell_venue,
            qty=qty,
            buy_limit=buy_limit,
            sell_limit=sell_limit,
            buy_quote=buy_quote,
            sell_quote=sell_quote,
            buy_fee=buy_fee,
            sell_fee=sell_fee,
            gross_profit=sell_quote - buy_quote,
            net_profit=net,
            buy_fee_rate=rate_a,
            sell_fee_rate=rate_b,
            buy_ts_event_ns=buy_view.ts_event_ns,
            buy_ts_recv_ns=buy_view.ts_recv_ns,
            sell_ts_event_ns=sell_view.ts_event_ns,
            sell_ts_recv_ns=sell_view.ts_recv_ns,
            ts_decision_ns=now_ns,
        )

    def _exact(
        self, qty: int, asks: _Levels, bids: _Levels, rate_a: int, rate_b: int,
        inst_a: Instrument | None, inst_b: Instrument | None, max_base: int | None, quote_free: int | None,
    ) -> _Figures | None:
        """Exact figures of a trade of ``qty`` if every constraint holds at that size:
        ``(qty, buy_limit, sell_limit, buy_quote, sell_quote, buy_fee, sell_fee, net)``."""
        if qty <= 0:
            return None
        depth = self.config.depth
        bought, buy_raw, buy_limit = take(asks, qty, depth)
        sold, sell_raw, sell_limit = take(bids, qty, depth)
        if bought < qty or sold < qty:
            return None
        if inst_a is not None and not inst_a.accepts(buy_limit, qty):
            return None
        if inst_b is not None and not inst_b.accepts(sell_limit, qty):
            return None
        buy_quote = pay_quote(buy_raw)
        sell_quote = receive_quote(sell_raw)
        notional = self.config.max_notional_quote
        if notional is not None and (buy_quote > notional or sell_quote > notional):
            return None
        if max_base is not None and qty > max_base:
            return None
        if quote_free is not None and reserve_quote(buy_limit, qty, rate_a) > quote_free:
            return None
        buy_fee = taker_fee(buy_quote, rate_a)
        sell_fee = taker_fee(sell_quote, rate_b)
        return qty, buy_limit, sell_limit, buy_quote, sell_quote, buy_fee, sell_fee, sell_quote - buy_quote - buy_fee - sell_fee


def _rank(opp: Opportunity) -> tuple[int, str]:
    return (-opp.net_profit, opp.id)


def optimal_qty(
    asks: _Levels,
    bids: _Levels,
    buy_up: int,
    sell_down: int,
    depth: int,
    max_base: int | None = None,
    budget: int | None = None,
    notional: int | None = None,
) -> tuple[int, bool]:
    """Base quantity maximizing ``Σ bid·(1−fB) − ask·(1+fA)`` over the top ``depth`` levels.

    Returns ``(qty, capped)``: ``capped`` when a cap, not the profit, ended the walk.

    ``buy_up = ONE + fA``, ``sell_down = ONE − fB`` (fixed). Caps (``None``: none):
    ``max_base`` on the quantity; ``budget`` (10**-54 units) on ``qty × worst ask ×
    buy_up``; ``notional`` (10**-36 units) on both legs' exact ``Σ price × qty``.
    Levels are consumed pairwise while the marginal unit profit is positive.
    """
    n_asks = min(len(asks), depth)
    n_bids = min(len(bids), depth)
    if not n_asks or not n_bids:
        return 0, False
    i = j = 0
    ask, ask_left = asks[0]
    bid, bid_left = bids[0]
    qty = cost = proceeds = 0
    capped = False
    while bid * sell_down > ask * buy_up:
        part = ask_left if ask_left < bid_left else bid_left
        if max_base is not None and part >= max_base - qty:
            part = max_base - qty
            capped = True
        if budget is not None:
            room = budget // (ask * buy_up) - qty
            if part >= room:
                part = room
                capped = True
        if notional is not None:
            room = (notional - cost) // ask
            if part >= room:
                part = room
                capped = True
            room = (notional - proceeds) // bid
            if part >= room:
                part = room
                capped = True
        if part > 0:
            qty += part
            cost += part * ask
            proceeds += part * bid
            ask_left -= part
            bid_left -= part
        if capped:
            break
        if ask_left <= 0:
            i += 1
            if i >= n_asks:
                break
            ask, ask_left = asks[i]
        if bid_left <= 0:
            j += 1
            if j >= n_bids:
                break
            bid, bid_left = bids[j]
    return qty, capped
