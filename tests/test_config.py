"""Config schema: every mistake fails at start, naming the key; secrets stay secret."""

from __future__ import annotations

import pytest
from hydra import compose, initialize_config_dir
from hydra.errors import ConfigCompositionException
from omegaconf.errors import ConfigAttributeError, ValidationError

from arb.config import ArbConf, flatten, redacted
from arb.core.errors import ConfigError
from workflows.config import CONF_DIR, load


def composed(*overrides: str) -> ArbConf:
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return load(compose(config_name="config", overrides=list(overrides)))


def test_defaults_compose_and_validate():
    conf = composed()
    assert conf.universe.venues == ["binance", "kraken", "okx"]
    assert conf.strategy.min_profit_quote == 0.5 and conf.strategy.max_age_s == 5
    assert conf.venue("binance").api_key is None


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("strategy.min_profit_quote=abc", "strategy.min_profit_quote"),
        ("risk.max_open_legs=many", "risk.max_open_legs"),
        ("strategy.bogus=1", "strategy.bogus"),
        ("executor.latency_ms=[1,2]", "executor.latency_ms"),
    ],
)
def test_wrong_type_or_unknown_key_fails_naming_the_key(override, key):
    with pytest.raises((ConfigCompositionException, ValidationError, ConfigAttributeError)) as err:
        composed(override)
    text = str(err.value) + str(err.value.__cause__)
    assert key.split(".")[-1] in text


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("risk.max_notional_quote=-5", "risk.max_notional_quote"),
        ("strategy.min_profit_quote=-0.1", "strategy.min_profit_quote"),
        ("executor.latency_ms=-1", "executor.latency_ms"),
        ("venues.kraken.taker_fee=-0.001", "venues.kraken.taker_fee"),
        ("venues.kraken.taker_fee=2", "venues.kraken.taker_fee"),
        ("risk.error_rate_limit=1.5", "risk.error_rate_limit"),
        ("executor.one_legged_policy=pray", "executor.one_legged_policy"),
        ("universe.venues=[binance,nasdaq]", "universe.venues"),
        ("universe.venues=[binance]", "universe.venues"),
        ("universe.symbols=[BTCUSDT]", "universe.symbols"),
        ("backtest.sim.duration_s=0", "backtest.sim.duration_s"),
    ],
)
def test_out_of_range_values_fail_naming_the_key(override, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        composed(override)


def test_credentials_only_from_the_environment(monkeypatch):
    with pytest.raises(ConfigError, match="venues.okx.api_secret: credentials may only come from the environment"):
        composed("venues.okx.api_secret=hunter2")
    monkeypatch.setenv("ARB_OKX_API_SECRET", "hunter2")
    conf = composed()
    assert conf.venue("okx").api_secret == "hunter2"
    # Masked wherever a config is shown or logged.
    assert "hunter2" not in repr(redacted(conf))
    params = flatten(conf)
    assert params["venues.okx.api_secret"] == "***" and "hunter2" not in str(params)
