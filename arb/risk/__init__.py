"""Pre-trade risk as values: limits, trading states, an error-rate breaker, a kill switch.

Public API::

    from arb.risk import RiskEngine, RiskLimits, RiskDecision, TradingState

    risk = RiskEngine(arb.runtime.settings.risk_limits(conf))  # or RiskLimits(...), every field exact
    decision = risk.check(opportunity, portfolio, now_ns, open_legs=executor.open_legs())
    if decision.approved: executor.submit(opportunity, now_ns)
    risk.record_order(ok, now_ns)       # the paper executor does this when given ``risk``
    risk.kill("operator"); risk.set_state(TradingState.REDUCING, "end of day")
"""

from arb.risk.engine import RiskEngine
from arb.risk.limits import APPROVED, PortfolioView, RiskDecision, RiskLimits, TradingState

__all__ = ["APPROVED", "PortfolioView", "RiskDecision", "RiskEngine", "RiskLimits", "TradingState"]
