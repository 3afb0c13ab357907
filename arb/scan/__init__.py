"""Opportunity scanner: a pure function of book views, fees, limits and balances.

Public API::

    from arb.scan import ScanConfig, Scanner, ScanResult, Opportunity, SpreadHistogram

    config = ScanConfig.from_decimals({"binance": "0.001", "okx": "0.001"}, min_profit_quote="0.5")
    scanner = Scanner(config, instruments)            # arb.core.instruments.Instruments
    result = scanner.scan("BTC/USDT", views, now_ns, balances, changed_venue="okx")
    histogram.add_result(result)                      # sub-threshold spread distribution

Rounding and fee rules shared with risk and execution live in :mod:`arb.scan.costs`.
"""

from arb.scan.costs import fee_rate, pay_quote, receive_quote, reserve_quote, take, taker_fee
from arb.scan.histogram import SpreadHistogram
from arb.scan.opportunity import (
    DEFAULT_DEPTH,
    DEFAULT_MAX_AGE_NS,
    DEFAULT_MIN_PROFIT_QUOTE,
    Balances,
    Opportunity,
    ScanConfig,
)
from arb.scan.scanner import Scanner, ScanResult, optimal_qty

__all__ = [
    "DEFAULT_DEPTH",
    "DEFAULT_MAX_AGE_NS",
    "DEFAULT_MIN_PROFIT_QUOTE",
    "Balances",
    "Opportunity",
    "ScanConfig",
    "ScanResult",
    "Scanner",
    "SpreadHistogram",
    "fee_rate",
    "optimal_qty",
    "pay_quote",
    "receive_quote",
    "reserve_quote",
    "take",
    "taker_fee",
]
