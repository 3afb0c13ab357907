"""The simulator has one protocol per registered venue, keyed by the venue registry's names."""

from __future__ import annotations

import pytest

from arb.core.errors import ConfigError
from arb.sim.server import registry
from arb.venues.registry import NAMES


def test_every_registered_venue_has_exactly_one_protocol_and_none_is_left_out():
    assert list(registry.PROTOCOLS) == list(NAMES)
    assert sorted(p.name for p in registry.CLASSES) == sorted(NAMES)  # no class for an unknown venue, none twice
    assert all(registry.get(name).name == name for name in NAMES)


def test_unknown_venue_names_the_known_ones():
    with pytest.raises(ConfigError, match=r"no simulator for venue 'nowhere'.*binance"):
        registry.get("nowhere")
