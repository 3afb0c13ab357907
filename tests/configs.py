"""Short ways to build domain configs in tests, starting from the schema's defaults.

:class:`~arb.scan.ScanConfig` and :class:`~arb.risk.RiskLimits` have no defaults of their
own: these helpers start from what :mod:`arb.runtime.settings` builds for ``ArbConf()`` —
the defaults of :mod:`arb.config` — and replace the fields given. Money and fractions are
given as decimal text (``"0.5"``) and converted exactly, a bad one naming its key.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import msgspec

from arb.config import ArbConf
from arb.risk import RiskLimits
from arb.runtime import settings
from arb.scan import ScanConfig, fee_rate

_DEFAULTS = ArbConf()


def _exact(fields: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    for name in names:
        value = fields.get(name)
        if isinstance(value, Mapping):
            fields[name] = {k: settings.fixed(f"{name}.{k}", v) for k, v in sorted(value.items())}
        elif value is not None:
            fields[name] = settings.fixed(name, value)
    return fields


def scan_config(taker_fee_rates: Mapping[str, Decimal | str], **fields: Any) -> ScanConfig:
    """A :class:`ScanConfig` for freely named venues (``"a"``, ``"b"``): the schema's
    strategy (minimum profit 0.50, 5 s, 20 levels) without a notional cap — scanner tests
    size freely unless they pass ``max_notional_quote`` — with ``fields`` replaced."""
    values = msgspec.structs.asdict(settings.scan_config(_DEFAULTS))
    values["taker_fee_rates"] = {v: fee_rate(r, f"taker_fee_rates.{v}") for v, r in sorted(taker_fee_rates.items())}
    values["max_notional_quote"] = None
    return ScanConfig(**(values | _exact(dict(fields), ("min_profit_quote", "max_notional_quote"))))


def risk_limits(**fields: Any) -> RiskLimits:
    """The schema's risk limits (``risk.*`` and ``strategy.max_age_s`` defaults) with
    ``fields`` replaced."""
    values = msgspec.structs.asdict(settings.risk_limits(_DEFAULTS))
    exact = _exact(dict(fields), ("max_notional_quote", "max_position", "default_max_position", "error_rate_limit",
                                  "max_daily_notional_quote"))
    return RiskLimits(**(values | exact))
