"""Config schema: every mistake fails at start, naming the key; secrets stay secret."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.errors import ConfigCompositionException
from omegaconf import OmegaConf
from omegaconf.errors import ConfigAttributeError, ValidationError

from arb.config import ArbConf, flatten, redact_overrides, redacted
from arb.core.errors import ConfigError
from arb.risk import RiskLimits
from arb.scan import ScanConfig
from workflows.config import CONF_DIR, check_overrides, load


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
    with pytest.raises(ConfigError, match=r"venues\.okx\.api_secret: credentials may only come from the environment"):
        composed("venues.okx.api_secret=hunter2")
    monkeypatch.setenv("ARB_OKX_API_SECRET", "hunter2")
    conf = composed()
    assert conf.venue("okx").api_secret == "hunter2"
    # Masked wherever a config is shown or logged.
    assert "hunter2" not in repr(redacted(conf))
    params = flatten(conf)
    assert params["venues.okx.api_secret"] == "***" and "hunter2" not in str(params)


# -- issue 10: no silent wrong answers --------------------------------------------------------
def test_a_key_added_with_plus_must_exist_too():
    # Hydra's own message for strategy.min_profti_quote=1 advises the "+": it must not pass.
    with pytest.raises(ConfigError, match=r"strategy\.min_profti_quote: unknown key \(did you mean strategy\.min_profit_quote\?\)"):
        composed("+strategy.min_profti_quote=1")
    with pytest.raises(ConfigError, match=r"risk\.kill_swich: unknown key \(did you mean risk\.kill_switch\?\)"):
        composed("+risk.kill_swich=true")


def test_unknown_keys_on_the_command_line_are_refused_before_hydra_with_a_suggestion():
    with pytest.raises(ConfigError, match=r"did you mean strategy\.min_profit_quote\?"):
        check_overrides(["strategy.min_profti_quote=1"])
    with pytest.raises(ConfigError, match=r"venues\.binanse: unknown name \(did you mean venues\.binance\?\)"):
        check_overrides(["venues.binanse.taker_fee=0.001"])
    with pytest.raises(ConfigError, match=r"did you mean live\.sim\.faults\.okx\?"):
        check_overrides(["live.sim.faults.okxx.gap=0.1"])
    with pytest.raises(ConfigError, match=r"strategy\.min_profit_quote is a single value"):
        check_overrides(["strategy.min_profit_quote.x=1"])
    with pytest.raises(ConfigError, match="sim_recordings"):
        check_overrides(["+sim_recordings=[a.jsonl]"])
    # Groups, hydra settings, dict entries, sweeps and a workflow's own keys pass.
    check_overrides(["live=public", "runtime=ray", "hydra.run.dir=/tmp/x", "hydra/launcher=basic",
                     "+risk.max_position.BTC=0.1", "strategy.min_profit_quote=0.25,1", "venues.okx.taker_fee=0.001"])
    check_overrides(["+sim_recordings=[a.jsonl]"], extra_keys=("sim_recordings",))


def test_live_on_real_venues_needs_an_explicit_confirmation():
    """(Issue 10 asked the live executor to be refused until it existed; issue 11 built it.)"""
    with pytest.raises(ConfigError, match=r"executor\.confirm_live=true"):
        composed("executor=live", "live=public")
    assert composed("executor=live", "live=public", "executor.confirm_live=true").executor.mode == "live"
    assert composed("executor=live").executor.mode == "live"  # the simulators: no real money


@pytest.mark.parametrize(
    ("override", "why"),
    [
        ("venues.okx.maker_fee=0.001", "nothing places maker orders yet"),
        ("live.feed.stale_after_s=3", "strategy.max_age_s, the one freshness rule"),
    ],
)
def test_keys_that_were_never_read_are_gone_and_say_why(override, why):
    with pytest.raises(ConfigError, match=why):
        check_overrides([override])
    with pytest.raises(ConfigError, match=why):
        composed("+" + override)


def test_max_open_legs_is_checked_by_the_schema_with_its_key():
    with pytest.raises(ConfigError, match=r"^risk\.max_open_legs must be at least 2"):
        composed("risk.max_open_legs=1")
    assert composed("risk.max_open_legs=2").risk.max_open_legs == 2


def test_a_disabled_venue_leaves_the_universe_and_too_few_venues_fail():
    conf = composed("venues.kraken.enabled=false")
    assert conf.universe.venues == ["binance", "kraken", "okx"]
    assert conf.active_venues() == ["binance", "okx"]
    with pytest.raises(ConfigError, match=r"universe\.venues: arbitrage needs at least two enabled venues; venues\.kraken\.enabled=false venues\.okx\.enabled=false leaves binance"):
        composed("venues.kraken.enabled=false", "venues.okx.enabled=false")


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        (("strategy.max_notional_quote=5000", "risk.max_notional_quote=10"),
         "strategy.max_notional_quote=5000 exceeds risk.max_notional_quote=10"),
        (("risk.max_notional_quote=5000", "strategy.max_notional_quote=1", "strategy.min_profit_quote=1"),
         "strategy.min_profit_quote=1 is not below strategy.max_notional_quote=1"),
        (("universe.symbols=[BTC/USDT,BTC/USDT]",), "universe.symbols: BTC/USDT listed more than once"),
    ],
)
def test_settings_that_contradict_each_other_fail_at_start(overrides, words):
    with pytest.raises(ConfigError, match=re.escape(words)):
        composed(*overrides)


def test_doubtful_settings_are_warned_about_loudly(caplog):
    with caplog.at_level(logging.WARNING, logger="arb.config"):
        conf = composed(
            "risk.kill_switch=true", "+risk.max_position.BTCC=1", "+risk.max_position.ETH=0",
            "universe.symbols=[BTC/USDT,ETH/BTC,SOL/EUR]", "executor.base_value_quote=0",
        )
    warned = conf.warnings()
    assert warned == [message for message in caplog.messages]
    text = "\n".join(warned)
    assert "risk.kill_switch=true: trading is halted from the start" in text
    assert "risk.max_position.BTCC: no universe symbol trades BTCC" in text and "did you mean risk.max_position.BTC?" in text
    assert "risk.max_position.ETH=0: no ETH trade can pass" in text
    assert "SOL/EUR can never be bought: no EUR in executor.balances" in text
    assert "ETH/BTC can never be bought: no BTC in executor.balances" in text  # BTC is not seeded either
    assert "BTC/USDT can never be sold: no BTC in executor.balances and executor.base_value_quote=0" in text
    assert composed().warnings() == []


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("strategy.max_age_s=0.0000000001", "strategy.max_age_s"),
        ("executor.latency_ms=0.0000001", "executor.latency_ms"),
        ("strategy.min_profit_quote=0.0000000000000000001", "strategy.min_profit_quote"),
        ("+risk.max_position.BTC=0.0000000000000000001", "risk.max_position.BTC"),
    ],
)
def test_values_that_cannot_be_held_exactly_fail_at_start_naming_the_key(override, key):
    with pytest.raises(ConfigError, match=f"^{re.escape(key)}: "):
        composed(override)


def test_credentials_refuse_a_default_inside_the_environment_reference(monkeypatch):
    monkeypatch.delenv("UNSET_VAR", raising=False)
    with pytest.raises(ConfigError, match=r"venues\.okx\.api_secret: credentials may only come from the environment"):
        composed("venues.okx.api_secret=${oc.env:UNSET_VAR,LITERAL}")
    monkeypatch.setenv("ARB_TEST_SECRET", "hunter2")
    assert composed("venues.okx.api_secret=${oc.env:ARB_TEST_SECRET}").venue("okx").api_secret == "hunter2"
    assert composed("venues.okx.api_secret=${oc.env:UNSET_VAR,null}").venue("okx").api_secret is None


def test_redact_overrides_masks_every_credential():
    overrides = ["venues.binance.api_secret=SEKRET", "+venues.okx.api_passphrase=PASS", "strategy.min_profit_quote=1",
                 "venues.kucoin={api_key: KEY, taker_fee: 0.001}", "~venues.okx.api_key", "live=public"]
    assert redact_overrides(overrides) == [
        "venues.binance.api_secret=***", "+venues.okx.api_passphrase=***", "strategy.min_profit_quote=1",
        "venues.kucoin=***", "~venues.okx.api_key", "live=public",
    ]


def test_the_mlflow_overrides_tag_holds_no_resolved_secret(monkeypatch):
    from hydra.core.hydra_config import HydraConfig

    from workflows.backtest import _sweep_tags

    monkeypatch.setenv("ARB_BINANCE_API_SECRET", "s3cr3t-in-a-tag")
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose(config_name="config", overrides=["hydra.mode=RUN", "venues.binance.api_secret=${oc.env:ARB_BINANCE_API_SECRET}"],
                      return_hydra_config=True)
    HydraConfig.instance().set_config(cfg)
    assert _sweep_tags() == {"arb.overrides": "venues.binance.api_secret=***"}


# -- defaults written once -----------------------------------------------------------------------
def _schema_default(path: list[str]):
    node = ArbConf()
    for part in path:
        node = node[part] if isinstance(node, dict) else getattr(node, part)
    return node


def _leaves(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    else:
        yield list(path), node


def test_conf_yaml_repeats_no_schema_default():
    conf_dir = Path(CONF_DIR)
    repeated = []
    for file in sorted(conf_dir.glob("*/*.yaml")):
        tree = OmegaConf.to_container(OmegaConf.load(file), resolve=False) or {}
        package = [] if "@package _global_" in file.read_text() else [file.parent.name]
        for path, value in _leaves({k: v for k, v in tree.items() if k not in ("defaults", "hydra")}):
            try:
                default = _schema_default(package + path)
            except (AttributeError, KeyError):
                continue  # e.g. venues.<name>.api_key: not in ArbConf(); the schema default is None
            if default == value:
                repeated.append(f"{file.relative_to(conf_dir)}: {'.'.join(path)}: {value!r}")
    assert repeated == []


def test_the_composed_config_still_has_every_schema_key():
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose(config_name="config")
    composed_keys = set(flatten(OmegaConf.to_container(cfg, resolve=False)))
    schema_keys = {k for k in flatten(ArbConf()) if not k.startswith("venues.")}
    assert schema_keys <= composed_keys
    assert {f"venues.okx.{f}" for f in ("enabled", "taker_fee", "depth", "latency_ms", "api_key")} <= composed_keys


def test_domain_objects_have_no_defaults_of_their_own():
    with pytest.raises(TypeError):
        ScanConfig(taker_fee_rates={})
    with pytest.raises(TypeError):
        RiskLimits()
