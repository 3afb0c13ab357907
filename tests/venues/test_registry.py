"""One registry names the venues (arb/venues/registry.py); every other list of venues must
equal it: the venue packages, arb.config, the import-linter independence contract and the
conf/ YAML files (the simulator's lists: tests/sim)."""

from __future__ import annotations

import importlib
import tomllib
from pathlib import Path

import pytest
import yaml

from arb import config
from arb.core.errors import ConfigError
from arb.venues import registry
from arb.venues.registry import NAMES, REGISTRY, VENUES

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", NAMES)
def test_each_venue_is_a_package_exposing_its_spec_and_encoder(name):
    package = importlib.import_module(f"arb.venues.{name}")
    venue = REGISTRY[name]
    assert venue.package == package.__name__ and package.__path__  # a folder, not a module
    assert package.SPEC is venue.spec is VENUES[name] is registry.get(name) and venue.spec.name == name
    assert package.Encoder is venue.encoder is registry.encoder(name)


def test_every_venue_has_a_spec_and_an_encoder_and_nothing_else_does():
    assert list(VENUES) == list(registry.ENCODERS) == list(REGISTRY) == list(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_encoders_build_from_a_symbol_map_and_depth(name):
    spec = VENUES[name]
    encoder = registry.encoder(name)(spec.symbol_map(["BTC/USDT"]), spec.depth)
    for method in ("snapshot", "delta", "rest_snapshot", "heartbeat"):
        assert callable(getattr(encoder, method))


def test_unknown_venue_names_the_known_ones():
    for lookup in (registry.get, registry.encoder):
        with pytest.raises(ConfigError, match="binance"):
            lookup("nowhere")


def test_config_knows_exactly_the_registered_venues():
    assert config.VENUE_NAMES == NAMES


def test_the_independence_contract_lists_exactly_the_venue_packages():
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    [independence] = [c for c in contracts if c["type"] == "independence"]
    assert sorted(independence["modules"]) == sorted(v.package for v in REGISTRY.values())


@pytest.mark.parametrize("path", ["conf/universe/all.yaml", "conf/venues/default.yaml"])
def test_conf_venue_lists_equal_the_registry(path):
    # conf/ belongs to the config schema's owner: when a venue is added to the registry, add
    # it to conf/universe/all.yaml (venues) and conf/venues/default.yaml (credentials) too.
    data = yaml.safe_load((ROOT / path).read_text())
    listed = data["venues"] if path.endswith("all.yaml") else list(data)
    assert sorted(listed) == sorted(NAMES), f"{path} lists {listed}; the venue registry names {list(NAMES)}"
