"""The decision core: a decider (views in, opportunities out) and a trader (opportunities,
order events and views in; order commands out), sans-I/O, hosted unchanged by backtests, the
local runtime and the Ray actors.

Public API::

    from arb.decision import Decider, Trader, TraderConfig, Desk, DecisionCore

    decider = Decider(scanner, depth=20)
    trader = Trader(config, portfolio, market=decider.view, risk=risk, journal=journal,
                    reporting_price=decider.price)
    core = DecisionCore(decider, Desk(trader, PaperVenue(fees, decider.view)))
    core.on_books(changed_books, now_ns)      # scan, risk-check, send orders
    core.advance(now_ns)                      # order events due → trader → follow-ups

    settings = change(decider.settings(), venues, min_profit_quote="2")   # operator controls
    decider.apply_settings(settings); trader.apply_settings(settings, "reason", now_ns)
    trader.kill("reason", now_ns)                                         # journalled, restored
"""

from arb.decision.controls import Settings, change
from arb.decision.core import DecisionCore
from arb.decision.decider import Decider
from arb.decision.desk import Desk
from arb.decision.trader import Trader, TraderConfig
from arb.decision.views import USD_LIKE, ViewStore, mark, usd_price

__all__ = [
    "USD_LIKE", "DecisionCore", "Decider", "Desk", "Settings", "Trader", "TraderConfig", "ViewStore", "change", "mark",
    "usd_price",
]
