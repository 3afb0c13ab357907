"""The wire encoders by venue name: an explicit dict, no discovery magic."""

from __future__ import annotations

from collections.abc import Callable

from arb.core.errors import ConfigError
from arb.core.symbols import SymbolMap
from arb.sim.wire import Encoder, binance, coinbase, gateio, kraken, kucoin, mexc, okx

#: ``factory(symbols, depth) → Encoder`` for one connection.
EncoderFactory = Callable[[SymbolMap, int | None], Encoder]

ENCODERS: dict[str, EncoderFactory] = {
    "binance": binance.Encoder,
    "coinbase": coinbase.Encoder,
    "gateio": gateio.Encoder,
    "kraken": kraken.Encoder,
    "kucoin": kucoin.Encoder,
    "mexc": mexc.Encoder,
    "okx": okx.Encoder,
}


def get(name: str) -> EncoderFactory:
    """The encoder class of venue ``name``; :class:`ConfigError` names the known ones."""
    try:
        return ENCODERS[name]
    except KeyError:
        raise ConfigError(f"no wire encoder for venue {name!r}; known: {', '.join(sorted(ENCODERS))}") from None
