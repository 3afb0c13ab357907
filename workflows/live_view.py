"""The live terminal view: venue health, opportunities, trades and P&L, refreshed in place.

``rich`` draws it on a terminal; elsewhere (CI, a log file) :func:`plain_status` gives one
line per refresh. Everything shown is read from plain objects (feed health snapshots, the
decision core's counters); nothing here changes state.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TypedDict

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table

from arb.core.numbers import to_float, to_plain
from arb.io.health import VenueHealth
from arb.risk.inventory import Transfer, rebalance
from arb.runtime.live import LocalRuntime


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds * 1000:.0f}ms" if seconds < 1 else f"{seconds:.1f}s"


@dataclass(frozen=True)
class Inventory:
    """What the inventory report needs from the config: the split to aim for per asset and
    each venue's withdrawal fees (:mod:`arb.risk.inventory`)."""

    venues: tuple[str, ...]
    targets: dict[str, dict[str, int]]
    fees: dict[tuple[str, str], int]

    def plan(self, balances: dict[tuple[str, str], int]) -> list[Transfer]:
        """Transfers of at least 1 % of an asset's total (smaller drifts are noise, not a plan)."""
        totals: dict[str, int] = {}
        for (venue, asset), amount in balances.items():
            if venue in self.venues:
                totals[asset] = totals.get(asset, 0) + amount
        return rebalance(balances, self.venues, self.targets, self.fees, {a: max(1, t // 100) for a, t in totals.items()})


class Snapshot(TypedDict):
    """What :func:`snapshot` returns."""

    uptime_s: float
    state: str
    pnl_usd: float | None
    realized_usd: float
    trades: int
    one_legged: int
    opportunities_seen: int
    opportunities_taken: int
    messages: int
    gaps: int
    resyncs: int
    reconnects: int
    checksum_failures: int
    decode_errors: int
    internal_errors: int
    listing_refreshes: int
    listing_refresh_failures: int
    inventory_paused: int
    rebalance: list[Transfer]
    health: dict[str, VenueHealth]


def snapshot(live: LocalRuntime, now_ns: int, inventory: Inventory | None = None) -> Snapshot:
    """The numbers the view shows, as plain values (also logged to MLflow). ``pnl_usd`` is
    None while an asset held has never had a price (never a nan). With ``inventory``, the
    transfers that would restore the configured split (``rebalance``) and how many trades the
    inventory floors paused."""
    core = live.core
    pnl = core.pnl()
    trades = core.trades
    health = live.health()
    plan = inventory.plan(core.trader.portfolio.balances()) if inventory is not None else []
    return {
        "uptime_s": (now_ns - live.stats.started_ns) / 1e9 if live.stats.started_ns else 0.0,
        "state": str(live.parts.risk.state),
        "pnl_usd": to_float(pnl) if pnl is not None else None,
        "realized_usd": sum(to_float(t.realized_pnl_reporting or 0) for t in trades),
        "trades": len(trades),
        "one_legged": sum(t.one_legged for t in trades),
        "opportunities_seen": core.decider.opportunities_seen,
        "opportunities_taken": core.trader.opportunities_taken,
        "messages": sum(h.messages for h in health.values()),
        "gaps": sum(h.gaps for h in health.values()),
        "resyncs": sum(h.resyncs for h in health.values()),
        "reconnects": sum(c.reconnects for h in health.values() for c in h.connections),
        "checksum_failures": sum(h.checksum_failures for h in health.values()),
        "decode_errors": sum(h.decode_errors for h in health.values()),
        "internal_errors": live.stats.errors,
        "listing_refreshes": live.stats.refreshes,
        "listing_refresh_failures": live.stats.refresh_failures,
        "inventory_paused": core.trader.rejections.get("inventory", 0),
        "rebalance": plan,
        "health": health,
    }


def _usd(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.2f}"


class RateMeter:
    """Messages per second per venue between two refreshes."""

    def __init__(self) -> None:
        self._last: dict[str, tuple[float, int]] = {}

    def rate(self, venue: str, messages: int) -> float:
        now = time.monotonic()
        t0, n0 = self._last.get(venue, (now, messages))
        self._last[venue] = (now, messages)
        return (messages - n0) / (now - t0) if now > t0 else 0.0


def render(live: LocalRuntime, snap: Snapshot, rates: RateMeter, source: str) -> Group:
    header = Table.grid(padding=(0, 3))
    header.add_row(
        f"[bold]arb live[/] ({source})",
        f"up {snap['uptime_s']:.0f}s",
        f"trading [bold]{snap['state']}[/]",
        f"P&L [bold]{_usd(snap['pnl_usd'])}[/] USD",
        f"trades {snap['trades']} ({snap['one_legged']} one-legged)",
        f"opportunities {snap['opportunities_seen']} seen / {snap['opportunities_taken']} taken",
    )
    venues = Table(title="venues", title_justify="left", expand=True)
    for col in ("venue", "state", "books live", "msg/s", "last msg", "reconnects", "gaps", "resyncs", "checksum fails", "decode errs", "breaker"):
        venues.add_column(col, justify="right" if col not in ("venue", "state", "breaker") else "left")
    for venue, h in snap["health"].items():
        ages = [c.last_message_age_s for c in h.connections if c.last_message_age_s is not None]
        live_books = h.books.get("live", 0)
        total = sum(h.books.values())
        color = "green" if h.state == "up" else "yellow" if h.state == "degraded" else "red"
        venues.add_row(
            venue, f"[{color}]{h.state}[/]", f"{live_books}/{total}", f"{rates.rate(venue, h.messages):,.0f}",
            _age(max(ages) if ages else None), str(sum(c.reconnects for c in h.connections)), str(h.gaps),
            str(h.resyncs), str(h.checksum_failures), str(h.decode_errors), h.breaker,
        )
    opps = Table(title="latest opportunities taken", title_justify="left", expand=True)
    for col in ("symbol", "buy", "sell", "qty", "net (quote)"):
        opps.add_column(col)
    for o in reversed(list(live.core.trader.recent)[-6:]):
        opps.add_row(o.symbol, o.buy_venue, o.sell_venue, f"{to_float(o.qty):g}", f"{to_float(o.net_profit):.4f}")
    trades = Table(title="latest trades", title_justify="left", expand=True)
    for col in ("symbol", "buy → sell", "filled buy/sell", "realized (quote)", "action"):
        trades.add_column(col)
    for t in reversed(live.core.trades[-6:]):
        trades.add_row(
            t.symbol, f"{t.buy_venue} → {t.sell_venue}", f"{to_float(t.buy_filled):g} / {to_float(t.sell_filled):g}",
            f"{to_float(t.realized_pnl_quote):+.4f}", t.action,
        )
    parts: list[RenderableType] = [Panel(header), venues, opps, trades]
    if snap.get("rebalance"):
        moves = Table(title=f"rebalancing (inventory floors paused {snap['inventory_paused']} trades)", title_justify="left", expand=True)
        for col in ("asset", "from → to", "amount", "withdrawal fee"):
            moves.add_column(col)
        for move in snap["rebalance"][:6]:
            moves.add_row(move.asset, f"{move.source} → {move.target}", to_plain(move.amount), to_plain(move.fee))
        parts.append(moves)
    return Group(*parts)


def plain_status(snap: Snapshot) -> str:
    down = [v for v, h in snap["health"].items() if h.state != "up"]
    return (
        f"up {snap['uptime_s']:.0f}s state={snap['state']} pnl={_usd(snap['pnl_usd'])}USD trades={snap['trades']} "
        f"opps={snap['opportunities_seen']}/{snap['opportunities_taken']} msgs={snap['messages']} gaps={snap['gaps']} "
        f"resyncs={snap['resyncs']} reconnects={snap['reconnects']}" + (f" not-up={','.join(down)}" if down else "")
        + (f" rebalance={len(snap['rebalance'])} transfers" if snap.get("rebalance") else "")
    )
