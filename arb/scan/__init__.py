"""Opportunity scanner: a pure function of book views, fees, limits and balances.

Public API::

    from arb.scan import ScanConfig, Scanner, ScanResult, Opportunity, SpreadHistogram

    config = arb.runtime.settings.scan_config(conf)  # or ScanConfig(...), every field exact
    scanner = Scanner(config, instruments)            # arb.core.instruments.Instruments
    result = scanner.scan("BTC/USDT", views, now_ns, balances, changed_venue="okx")
    histogram.add_result(result)                      # sub-threshold spread distribution

Rounding and fee rules shared with risk and execution live in :mod:`arb.scan.costs`.
"""

from arb.scan.costs import fee_rate, pay_quote, receive_quote, reserve_quote, take, taker_fee
from arb.scan.histogram import SpreadHistogram
from arb.scan.opportunity import Balances, Opportunity, ScanConfig
from arb.scan.scanner import Scanner, ScanResult, optimal_qty

__all__ = [
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
