"""Pre-trade risk: every check returns a :class:`RiskDecision` with a reason, never raises.

Checks, in order (the first failure is the reason): trading state, data age, notional, open
legs, notional placed today, balance sufficiency on both venues, inventory floors, position cap. Balances and positions are read
fresh from the portfolio on every call. Orders' outcomes feed an error-rate circuit
breaker; a kill switch halts everything until it is explicitly released.
"""

from __future__ import annotations

from collections import deque

from arb.core.errors import ArbError
from arb.core.numbers import ONE, to_plain
from arb.core.symbols import split
from arb.risk.limits import APPROVED, PortfolioView, RiskDecision, RiskLimits, TradingState
from arb.scan.opportunity import Opportunity


_DAY_NS = 86_400 * 1_000_000_000


def _deny(code: str, reason: str) -> RiskDecision:
    return RiskDecision(False, code, reason)


class RiskEngine:
    """Limits plus the trading state (``ACTIVE``/``REDUCING``/``HALTED``) and its reason.

    ``decisions`` counts every decision by code (``ok``, ``halted``, ``stale`` …).
    """

    def __init__(self, limits: RiskLimits, state: TradingState = TradingState.ACTIVE) -> None:
        self.limits = limits
        self.state = state
        self.reason = "start"
        self.killed = False
        self.decisions: dict[str, int] = {}
        self._window: deque[bool] = deque(maxlen=limits.error_window_orders)
        self._failures = 0
        #: When the state last changed (ns, as passed in; 0 when unknown).
        self.state_since_ns = 0
        #: Notional placed on the current UTC day (see :meth:`record_notional`).
        self.day = -1
        self.day_notional = 0

    # -- checks ------------------------------------------------------------------------
    def check(self, opportunity: Opportunity, portfolio: PortfolioView, now_ns: int, open_legs: int) -> RiskDecision:
        """May this opportunity be traded now? ``open_legs``: orders in flight."""
        decision = self._check(opportunity, portfolio, now_ns, open_legs)
        self.decisions[decision.code] = self.decisions.get(decision.code, 0) + 1
        return decision

    def _check(self, opp: Opportunity, portfolio: PortfolioView, now_ns: int, open_legs: int) -> RiskDecision:
        limits = self.limits
        if self.state is TradingState.HALTED:
            return _deny("halted", f"trading halted: {self.reason}")
        if self.state is TradingState.REDUCING:
            # Both legs together are exposure-neutral; either alone grows an exposure.
            return _deny("reducing", f"reducing only ({self.reason}): a new arbitrage adds no reduction")
        try:
            base, quote = split(opp.symbol)
        except ArbError as exc:
            return _deny("invalid", str(exc))
        if opp.qty <= 0:
            return _deny("invalid", "quantity must be positive")
        age_ns = now_ns - opp.data_ts_recv_ns
        if age_ns > limits.max_data_age_ns:
            return _deny("stale", f"market data {age_ns / 1e9:.3f} s old > {limits.max_data_age_ns / 1e9:.3f} s")
        if limits.max_notional_quote is not None and opp.notional_quote > limits.max_notional_quote:
            return _deny(
                "notional",
                f"notional {to_plain(opp.notional_quote)} > {to_plain(limits.max_notional_quote)} {quote}",
            )
        if open_legs + 2 > limits.max_open_legs:
            return _deny("open-legs", f"{open_legs} legs open + 2 > {limits.max_open_legs}")
        daily = limits.max_daily_notional_quote
        if daily is not None:
            today = self.day_notional if now_ns // _DAY_NS == self.day else 0
            if today + opp.notional_quote > daily:
                return _deny("daily-notional", f"{to_plain(today)} + {to_plain(opp.notional_quote)} {quote} today > {to_plain(daily)}")
        need_quote = opp.buy_reserve_quote
        free_quote = portfolio.available(opp.buy_venue, quote)
        if free_quote < need_quote:
            return _deny(
                "balance",
                f"{opp.buy_venue}: {to_plain(free_quote)} {quote} free < {to_plain(need_quote)} needed",
            )
        free_base = portfolio.available(opp.sell_venue, base)
        if free_base < opp.qty:
            return _deny("balance", f"{opp.sell_venue}: {to_plain(free_base)} {base} free < {to_plain(opp.qty)} needed")
        floors = limits.inventory_floor
        if floors:
            for venue, asset, left in ((opp.buy_venue, quote, free_quote - need_quote), (opp.sell_venue, base, free_base - opp.qty)):
                floor = floors.get((venue, asset))
                if floor is not None and left < floor:
                    return _deny("inventory", f"{venue} {asset} would fall to {to_plain(left)}, below its floor {to_plain(floor)}: "
                                              f"buying on {opp.buy_venue} / selling on {opp.sell_venue} pauses until it is refilled")
        cap = limits.position_cap(base)
        if cap is not None:
            exposure = portfolio.exposure(base)
            open_sells, open_buys = portfolio.pending(base)
            high = exposure + open_buys + opp.qty  # only the buy leg fills
            low = exposure - open_sells - opp.qty  # only the sell leg fills
            if high > cap or -low > cap:
                worst = high if high >= -low else low
                return _deny(
                    "position",
                    f"{base} exposure could reach {to_plain(worst)} (cap ±{to_plain(cap)}) if one leg fills",
                )
        return APPROVED

    def check_order(self, symbol: str, side: str, qty: int, portfolio: PortfolioView) -> RiskDecision:
        """May a single order (an unwind or hedge) be sent? ``side`` is ``"buy"``/``"sell"``.

        An order that shrinks the base exposure toward zero (without crossing it) is allowed
        in ``ACTIVE`` and ``REDUCING``; any other must keep the position cap in the worst
        case and is refused in ``REDUCING``. Nothing passes in ``HALTED``.
        """
        decision = self._check_order(symbol, side, qty, portfolio)
        self.decisions[decision.code] = self.decisions.get(decision.code, 0) + 1
        return decision

    def _check_order(self, symbol: str, side: str, qty: int, portfolio: PortfolioView) -> RiskDecision:
        if self.state is TradingState.HALTED:
            return _deny("halted", f"trading halted: {self.reason}")
        try:
            base, _ = split(symbol)
        except ArbError as exc:
            return _deny("invalid", str(exc))
        if qty <= 0 or side not in ("buy", "sell"):
            return _deny("invalid", f"bad order: {side} {qty}")
        exposure = portfolio.exposure(base)
        reduces = qty <= exposure if side == "sell" else qty <= -exposure
        if reduces:
            return APPROVED
        if self.state is TradingState.REDUCING:
            return _deny("reducing", f"reducing only ({self.reason}): {side} {to_plain(qty)} {base} does not reduce")
        cap = self.limits.position_cap(base)
        if cap is not None:
            open_sells, open_buys = portfolio.pending(base)
            worst = exposure + open_buys + qty if side == "buy" else exposure - open_sells - qty
            if abs(worst) > cap:
                return _deny("position", f"{base} exposure could reach {to_plain(worst)} (cap ±{to_plain(cap)})")
        return APPROVED

    def record_notional(self, amount: int, now_ns: int) -> None:
        """A trade of ``amount`` quote notional was placed (the daily cap counts it)."""
        day = now_ns // _DAY_NS
        if day != self.day:
            self.day, self.day_notional = day, 0
        self.day_notional += amount

    # -- circuit breaker and state -------------------------------------------------------
    def record_order(self, ok: bool, now_ns: int) -> RiskDecision:
        """Count one order outcome (``ok=False``: it failed). Trips the breaker when the
        failures in the window exceed the limit; returns the breaker's verdict."""
        window = self._window
        if len(window) == window.maxlen and not window[0]:
            self._failures -= 1
        window.append(ok)
        if not ok:
            self._failures += 1
        limits = self.limits
        if self._failures * ONE > limits.error_rate_limit * limits.error_window_orders:
            reason = (
                f"circuit breaker: {self._failures} of the last {len(window)} orders failed "
                f"(limit {to_plain(limits.error_rate_limit * 100)} % of {limits.error_window_orders})"
            )
            if self.state is not TradingState.HALTED:
                self._set(TradingState.HALTED, reason, now_ns)
            return _deny("error-rate", reason)
        return APPROVED

    @property
    def failures(self) -> int:
        """Failed orders in the current window."""
        return self._failures

    def kill(self, reason: str, now_ns: int = 0) -> None:
        """Kill switch: halt everything until :meth:`release_kill`."""
        self.killed = True
        self._set(TradingState.HALTED, f"kill switch: {reason}", now_ns)

    def release_kill(self, reason: str, now_ns: int = 0) -> None:
        """Disarm the kill switch; trading stays ``HALTED`` until :meth:`set_state`."""
        self.killed = False
        self._set(TradingState.HALTED, f"kill switch released: {reason}", now_ns)

    def set_state(self, state: TradingState, reason: str, now_ns: int = 0) -> RiskDecision:
        """Operator's state change. Leaving ``HALTED`` clears the breaker's window; it is
        refused while the kill switch is engaged."""
        if self.killed and state is not TradingState.HALTED:
            return _deny("killed", f"kill switch engaged ({self.reason}); release it first")
        if self.state is TradingState.HALTED and state is not TradingState.HALTED:
            self._window.clear()
            self._failures = 0
        self._set(state, reason, now_ns)
        return APPROVED

    def _set(self, state: TradingState, reason: str, now_ns: int) -> None:
        self.state = state
        self.reason = reason
        self.state_since_ns = now_ns
