"""The wire-encoder registry: one encoder per venue arb speaks, built the same way."""

from __future__ import annotations

import pytest

from arb.core.errors import ConfigError
from arb.venues import registry
from arb.venues.registry import VENUES


def test_every_venue_has_an_encoder_and_nothing_else_does():
    assert set(registry.ENCODERS) == set(VENUES)


@pytest.mark.parametrize("venue", sorted(registry.ENCODERS))
def test_encoders_build_from_a_symbol_map_and_depth(venue):
    spec = VENUES[venue]
    encoder = registry.encoder(venue)(spec.symbol_map(["BTC/USDT"]), spec.depth)
    for method in ("snapshot", "delta", "rest_snapshot", "heartbeat"):
        assert callable(getattr(encoder, method))


def test_unknown_venue_names_the_known_ones():
    with pytest.raises(ConfigError, match="binance"):
        registry.encoder("nowhere")
