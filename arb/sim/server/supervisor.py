"""Start and stop a set of simulated venues in one asyncio loop.

::

    async with SimulatedVenues(SimConfig(market=presets.seven_venues(20), seed=7)) as sims:
        sims["binance"].ws_url, sims["binance"].rest_url   # point a venue config here
        sims["binance"].book("BTC/USDT")                    # the true book now

Market mode (the default): one :class:`~arb.sim.market.MarketModel` for all venues,
stepped in real time at ``speed`` (``speed=None``: only :meth:`SimulatedVenues.advance`
steps it); each venue serves the symbols it lists (``VenueConfig.listed``), its halted ones
marked so (``Exchange.halted``). Replay mode (``recordings`` given): one server per venue found in the files,
serving their frames and REST bodies. Faults per venue (:class:`FaultConfig`), seeded.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from arb.core.errors import ConfigError
from arb.sim import presets
from arb.sim.config import MarketConfig
from arb.sim.exchange import ApiKey
from arb.sim.market import MarketModel
from arb.sim.market import instruments as market_instruments
from arb.sim.server import replay as replay_mod
from arb.sim.server import tape
from arb.sim.server.driver import MarketDriver
from arb.sim.server.faults import FaultConfig
from arb.sim.server.registry import get as get_protocol
from arb.sim.server.venue import SendHook, ServerOptions, VenueServer
from arb.venues.registry import get as get_spec


@dataclass(frozen=True)
class SimConfig:
    """What to simulate.

    - ``market`` (None: :func:`~arb.sim.presets.seven_venues`), ``seed``, ``speed``
      (model seconds per wall second; None: manual :meth:`SimulatedVenues.advance`).
    - ``prepare_s``: precompute this much market (model seconds) before serving, so the
      serving loop only writes ready frames (:mod:`arb.sim.server.tape`); the live model
      continues after it. Costs start-up time and memory (~1 KB per change).
    - ``recordings``: files to replay instead (``replay_speed`` 1.0 keeps the recorded
      spacing, None serves as fast as clients read).
    - ``faults``: per venue name. ``options``: transport settings for every venue;
      ``venue_options``: per-venue replacements (fixed ports, …).
    """

    market: MarketConfig | None = None
    seed: int = 0
    speed: float | None = 1.0
    prepare_s: float | None = None
    recordings: tuple[str | os.PathLike[str], ...] = ()
    replay_speed: float | None = 1.0
    faults: Mapping[str, FaultConfig] = field(default_factory=dict)
    options: ServerOptions = field(default_factory=ServerOptions)
    venue_options: Mapping[str, ServerOptions] = field(default_factory=dict)

    def validate(self, venues: tuple[str, ...]) -> list[str]:
        """Every problem as ``"key: reason"`` (empty when usable)."""
        problems = []
        if self.prepare_s is not None and self.prepare_s < 0:
            problems.append(f"prepare_s: must not be negative, got {self.prepare_s!r}")
        if self.prepare_s and self.recordings:
            problems.append("prepare_s: only for a market, not for replaying recordings")
        if self.speed is not None and self.speed <= 0:
            problems.append(f"speed: must be positive or None, got {self.speed!r}")
        if self.replay_speed is not None and self.replay_speed <= 0:
            problems.append(f"replay_speed: must be positive or None, got {self.replay_speed!r}")
        for venue, faults in self.faults.items():
            if venue not in venues:
                problems.append(f"faults.{venue}: not a simulated venue (simulating {', '.join(venues)})")
                continue
            problems += faults.validate(venue, get_spec(venue).checksum is not None)
        for venue in self.venue_options:
            if venue not in venues:
                problems.append(f"venue_options.{venue}: not a simulated venue")
        return problems


class SimulatedVenues:
    """A set of venue servers (``sims["okx"]``), started and stopped together.

    ``clock`` (wall ns) stamps frames; ``on_send(venue, symbol, last_seq, send_ts_ns)``
    is called for every delta written to client sockets (after the write).
    """

    def __init__(self, config: SimConfig = SimConfig(), *, clock: Callable[[], int] = time.time_ns, on_send: SendHook | None = None) -> None:
        self.config = config
        self.clock = clock
        self.on_send = on_send
        self.model: MarketModel | None = None
        self.driver: MarketDriver | None = None
        self.replays: dict[str, replay_mod.ReplaySource] = {}
        self.servers: dict[str, VenueServer] = {}
        self._task: asyncio.Task[None] | None = None
        #: How late serving started after a tape's planned start (its frames look this old).
        self.tape_lag_ns = 0

    # -- lifecycle ------------------------------------------------------------------------
    async def start(self) -> None:
        """Build and bind every venue server; start the market timer or the replays."""
        config = self.config
        if config.recordings:
            self.replays = replay_mod.load(config.recordings, config.replay_speed)
            venues = tuple(self.replays)
        else:
            market = config.market or presets.seven_venues()
            venues = market.venue_names
        problems = config.validate(venues)
        if problems:
            raise ConfigError("simulator config: " + "; ".join(problems))
        if config.recordings:
            for venue, source in self.replays.items():
                self.servers[venue] = self._server(venue, source.symbols, replay=source)
        else:
            # With a tape, serving starts once it is recorded: frames are stamped for then.
            prepare_s = config.prepare_s if config.speed is not None else None
            lead_s = tape.estimate_s(market, prepare_s) if prepare_s else 0.0
            self.model = MarketModel(market, config.seed, self.clock() + round(lead_s * 1e9))
            model = self.model
            rules = market_instruments(market)
            halted = {v.name: v.halted for v in market.venues}
            for venue in venues:
                self.servers[venue] = self._server(
                    venue, market.listed(venue), books=_books_of(model, venue), instruments=rules, halted=halted[venue],
                )
            self.driver = MarketDriver(model, self.servers, config.speed, self.clock)
            if config.prepare_s:
                # CPU-bound for seconds: in a thread, so a loop shared with others keeps turning.
                await asyncio.to_thread(self.driver.prepare, config.prepare_s)
        try:
            for server in self.servers.values():
                await server.start()
        except BaseException:
            await self.stop()
            raise
        if self.driver is not None and config.speed is not None:
            if config.prepare_s:
                wait_ns = self.driver.model.start_ns - self.clock()
                self.tape_lag_ns = max(0, -wait_ns)
                await asyncio.sleep(max(0, wait_ns) / 1e9)
            self._task = asyncio.create_task(self.driver.run(), name="sim-market")

    def _server(self, venue: str, symbols: Any, **kwargs: Any) -> VenueServer:
        config = self.config
        return VenueServer(
            get_spec(venue), get_protocol(venue), symbols, seed=config.seed, faults=config.faults.get(venue),
            options=config.venue_options.get(venue, config.options), clock=self.clock, on_send=self.on_send, **kwargs,
        )

    async def stop(self) -> None:
        """Stop the timer and close every server."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        for server in self.servers.values():
            await server.stop()

    async def __aenter__(self) -> SimulatedVenues:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- access ---------------------------------------------------------------------------
    def __getitem__(self, venue: str) -> VenueServer:
        return self.servers[venue]

    def __iter__(self) -> Iterator[str]:
        return iter(self.servers)

    def __len__(self) -> int:
        return len(self.servers)

    def urls(self) -> dict[str, dict[str, str]]:
        """``{venue: {"ws_url": …, "rest_url": …}}`` — what venue configs point at."""
        return {name: {"ws_url": s.ws_url, "rest_url": s.rest_url} for name, s in self.servers.items()}

    def advance(self, ms: float) -> int:
        """Step the market ``ms`` of model time now and publish (market mode)."""
        if self.driver is None:
            raise RuntimeError("advance() needs market mode (no recordings)")
        return self.driver.advance(ms)

    def provision(self, balances: Mapping[str, int], venues: Iterable[str] | None = None) -> dict[str, ApiKey]:
        """A new API key on every venue (or ``venues``), its account funded with ``balances``
        (asset → fixed amount). Market mode only."""
        keys = {}
        for name in venues if venues is not None else self.servers:
            exchange = self.servers[name].exchange
            if exchange is None:
                raise RuntimeError(f"{name}: a replaying simulator has no accounts")
            keys[name] = exchange.provision(balances)
        return keys

    @staticmethod
    def write_credentials(keys: Mapping[str, ApiKey], path: str | os.PathLike[str]) -> Path:
        """The keys as the ``ARB_<VENUE>_API_KEY=…`` lines ``arb live`` reads (owner-only file)."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        lines = []
        for venue, key in sorted(keys.items()):
            prefix = f"ARB_{venue.upper()}_API"
            # A PEM secret (Coinbase) spans lines: one line with backslash-n escapes, the way such
            # keys are kept in the environment (the Coinbase trading module reads both forms).
            secret = key.secret.replace("\n", "\\n")
            lines += [f"{prefix}_KEY={key.key}", f"{prefix}_SECRET={secret}", f"{prefix}_PASSPHRASE={key.passphrase}"]
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write("\n".join(lines) + "\n")
        os.chmod(target, 0o600)
        return target


def _books_of(model: MarketModel, venue: str) -> Callable[[str], Any]:
    def book(symbol: str) -> Any:
        return model.book(venue, symbol)

    return book
