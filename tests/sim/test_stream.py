"""Sequencer and Connection: update ids chain per symbol; only subscribed books stream."""

from __future__ import annotations

import random

from arb.sim.market import DEFAULT_START_NS, MarketModel
from arb.sim.presets import market
from arb.sim.stream import Connection, Sequencer
from arb.venues.registry import encoder as get_encoder
from arb.venues.registry import get as get_spec


def test_ids_chain_per_symbol_and_cover_every_level():
    # Arrange
    seed = 3
    print("seed", seed)
    model = MarketModel(market(("kucoin",), 3), seed)
    sequencer = Sequencer(model.config.symbol_names, random.Random(seed))
    last = dict(sequencer.last)
    widened = 0

    # Act / Assert
    for i in range(1, 301):
        for change in model.step(DEFAULT_START_NS + i * 10_000_000):
            first, end = sequencer.advance(change)
            assert first == last[change.symbol] + 1
            assert end - first + 1 >= len(change.bids) + len(change.asks)
            widened += end - first + 1 > len(change.bids) + len(change.asks)
            last[change.symbol] = end
    assert widened > 0


def test_connection_streams_a_symbol_only_after_its_subscription_starts():
    # Arrange
    model = MarketModel(market(("okx",), 2), 4)
    spec = get_spec("okx")
    symbols = model.config.symbol_names
    smap = spec.symbol_map(symbols)
    conn = Connection(1, spec, symbols, get_encoder("okx")(smap, spec.depth), [smap.venue_symbol(s) for s in symbols])
    changes = model.step(DEFAULT_START_NS + 200_000_000)
    btc = next(c for c in changes if c.symbol == "BTC/USDT")

    # Act
    before = conn.delta(btc, 10, 12)
    started = conn.start("BTC/USDT", model.book("okx", "BTC/USDT"), 12, btc.ts_ns)
    after = conn.delta(btc, 13, 14)

    # Assert
    assert before == []
    assert '"event":"subscribe"' in started[0] and '"action":"snapshot"' in started[1]
    assert '"prevSeqId":12' in after[0] and '"seqId":14' in after[0]
    assert conn.url() == spec.ws_url and conn.subscribe_frames(btc.ts_ns) == spec.subscribe_frames(["BTC-USDT", "ETH-USDT"], None, btc.ts_ns // 1_000_000)
