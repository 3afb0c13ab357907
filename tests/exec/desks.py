"""A paper desk for tests: a :class:`~arb.decision.trader.Trader` trading through a
:class:`~arb.exec.paper.PaperVenue`, with the calls the execution tests make in one object.

Production hosts build the same parts with :mod:`arb.runtime.components`; this helper only
spares every test the wiring (and gives ``submit`` the orders it journalled, rejected ones
included, which tests inspect).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from arb.book.view import Market
from arb.core.instruments import Instruments
from arb.core.numbers import ONE
from arb.decision.desk import Desk
from arb.decision.trader import Trader, TraderConfig
from arb.exec.journal import Journal, MemoryJournal
from arb.exec.orders import OneLegged, Order
from arb.exec.paper import PaperVenue
from arb.exec.portfolio import Portfolio, PriceFn
from arb.risk.engine import RiskEngine
from tests.configs import risk_limits
from arb.scan.costs import fee_rate
from arb.scan.opportunity import Opportunity


def config(
    fees: Mapping[str, str],
    latency_ns: Mapping[str, int] | None = None,
    default_latency_ns: int = 0,
    one_legged: str = "unwind",
    market_slippage_bps: int = 100,
    base_value_quote: int = 0,
) -> TraderConfig:
    return TraderConfig(
        taker_fee_rates={v: fee_rate(r, f"taker_fee_rates.{v}") for v, r in sorted(fees.items())},
        latency_ns=dict(sorted((latency_ns or {}).items())),
        default_latency_ns=default_latency_ns,
        one_legged=OneLegged(one_legged),
        market_slippage_bps=market_slippage_bps,
        base_value_quote=base_value_quote,
    )


def permissive_risk() -> RiskEngine:
    """A gate with no caps whose breaker never trips (as if there were no risk engine)."""
    return RiskEngine(risk_limits(max_notional_quote=None, max_position={}, default_max_position=None, max_open_legs=10**9,
                                  error_rate_limit="1", error_window_orders=1))


class PaperDesk:
    """Trader + paper venue + the desk loop, with the old executor's calls."""

    def __init__(
        self,
        config: TraderConfig,
        portfolio: Portfolio,
        market: Market,
        journal: Journal | None = None,
        instruments: Instruments | None = None,
        risk: RiskEngine | None = None,
        reporting_price: PriceFn | None = None,
    ) -> None:
        self.config = config
        self.market = market
        self.reporting_price = reporting_price
        self.paper = PaperVenue(config.taker_fee_rates, market)
        self.trader = Trader(
            config, portfolio, market, risk if risk is not None else permissive_risk(),
            journal=journal if journal is not None else MemoryJournal(), instruments=instruments,
            reporting_price=reporting_price, sweep=self.paper.sweep,
        )
        self.desk = Desk(self.trader, self.paper)
        self.portfolio = portfolio
        self.journal = self.trader.journal

    def submit(self, opportunity: Opportunity, now_ns: int) -> list[Order]:
        """Both legs; returns the orders journalled by this call (open or rejected)."""
        before = len(list(self.journal))
        self.desk.submit(opportunity, now_ns)
        return [r for r in list(self.journal)[before:] if isinstance(r, Order) and r.trade_id == opportunity.id]

    def advance(self, now_ns: int):
        return self.desk.advance(now_ns)

    def next_due_ns(self) -> int | None:
        return self.desk.next_due_ns()

    def open_legs(self) -> int:
        return self.trader.open_legs()

    def open_orders(self) -> list[Order]:
        return self.trader.open_orders()

    def results(self):
        return self.trader.results()

    def deposit(self, venue: str, asset: str, amount: int, ts_ns: int, deposit_id: str | None = None) -> bool:
        return self.trader.deposit(venue, asset, amount, ts_ns, deposit_id)

    def fund(self, balances, ts_ns: int) -> int:
        return self.trader.fund(balances, ts_ns)

    def restore(self, records: Iterable | None = None) -> int:
        return self.desk.restore(records)

    def resume(self):
        return self.desk.resume()

    @property
    def _trades(self):
        return self.trader._trades


def usdt_price() -> PriceFn:
    return {"USDT": ONE}.get
