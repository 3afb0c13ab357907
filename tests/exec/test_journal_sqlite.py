"""The SQLite journal: durable, idempotent by id, crash-safe; an executor recovers from it alone."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arb.book.view import BookView
from arb.core.numbers import ONE
from arb.exec import (
    Deposit,
    Fill,
    Intent,
    JournalCorruptError,
    JournalError,
    JournalLockedError,
    MemoryJournal,
    Order,
    Portfolio,
    SqliteJournal,
    TradeResult,
    encode,
)
from tests.exec.desks import PaperDesk
from tests.exec.desks import config as paper_config
from arb.scan import Scanner
from tests.configs import scan_config
from tests.exec.test_paper import mutate
from tests.scan.books import SYMBOL
from tests.scan.test_scanner import market as random_market

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ("unwind", "hedge", "hold")


def deposits(n: int) -> list[Deposit]:
    return [Deposit(id=f"d{i}", venue="a", asset="USDT", amount=i * ONE, ts_ns=i) for i in range(n)]


# -- storage ------------------------------------------------------------------------------
def test_records_survive_reopening_in_order(tmp_path):
    path = tmp_path / "state" / "journal.db"
    with SqliteJournal(path) as journal:
        for record in deposits(5):
            assert journal.append(record) is not None
        assert len(journal) == 5
    with SqliteJournal(path) as journal:
        assert list(journal) == deposits(5)
        assert journal.of_kind(Deposit) == deposits(5) and journal.of_kind(Order) == []
        assert journal.get("deposit", "d3") == deposits(5)[3] and ("deposit", "d9") not in journal
        assert journal.torn == 0


def test_wal_and_the_chosen_fsync_level_are_set(tmp_path):
    with SqliteJournal(tmp_path / "j.db") as journal:
        assert journal._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert journal._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    with SqliteJournal(tmp_path / "j.db", synchronous="NORMAL") as journal:
        assert journal._db.execute("PRAGMA synchronous").fetchone()[0] == 1


def test_an_id_is_stored_once_and_a_repeat_returns_the_stored_record(tmp_path):
    with SqliteJournal(tmp_path / "j.db") as journal:
        first = Deposit(id="start/a/USDT", venue="a", asset="USDT", amount=5, ts_ns=1)
        assert journal.append(first) is first
        again = Deposit(id="start/a/USDT", venue="a", asset="USDT", amount=7, ts_ns=2)
        stored = journal.append(again)
        assert stored is not again and stored == first
        assert len(journal) == 1 and journal.duplicates == 1
        # the same id of another kind is another record
        fill = Fill(id="start/a/USDT", trade_id="t", role="buy", venue="a", symbol=SYMBOL, side="buy", qty_ordered=1,
                    qty=0, quote=0, fee=0, avg_price=0, worst_price=0, levels=0, ts_ns=3, status="expired")
        assert journal.append(fill) is fill and len(journal) == 2


def test_a_batch_commits_all_or_nothing(tmp_path):
    with SqliteJournal(tmp_path / "j.db") as journal:
        with journal.batch():
            for record in deposits(3):
                journal.append(record)
        with pytest.raises(RuntimeError), journal.batch():
            journal.append(Deposit(id="x", venue="a", asset="BTC", amount=1, ts_ns=9))
            raise RuntimeError("crash inside the call")
        assert [r.id for r in journal] == ["d0", "d1", "d2"]


def test_one_writer_at_a_time_but_readers_may_look(tmp_path):
    path = tmp_path / "j.db"
    writer = SqliteJournal(path)
    writer.append(deposits(1)[0])
    with pytest.raises(JournalLockedError):
        SqliteJournal(path)
    with SqliteJournal(path, readonly=True) as reader:
        assert len(reader) == 1
    writer.close()
    with SqliteJournal(path) as again:  # the lock went with the writer
        assert len(again) == 1


# -- torn and lost writes -----------------------------------------------------------------
def test_a_torn_last_record_is_quarantined_and_counted(tmp_path):
    path = tmp_path / "j.db"
    with SqliteJournal(path) as journal:
        for record in deposits(4):
            journal.append(record)
    with sqlite3.connect(path) as raw:  # half of the last body reached the disk
        raw.execute("UPDATE journal SET body = substr(body, 1, 20) WHERE seq = (SELECT max(seq) FROM journal)")
    with SqliteJournal(path) as journal:
        assert journal.torn == 1 and journal.torn_total() == 1
        assert list(journal) == deposits(3)
        journal.append(deposits(4)[3])  # the lost record can be written again
        assert list(journal) == deposits(4)
    with SqliteJournal(path) as journal:
        assert journal.torn == 0 and journal.torn_total() == 1


def test_a_bad_record_before_good_ones_is_never_skipped(tmp_path):
    path = tmp_path / "j.db"
    with SqliteJournal(path) as journal:
        for record in deposits(4):
            journal.append(record)
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE journal SET crc = crc + 1 WHERE seq = 2")
    with SqliteJournal(path) as journal, pytest.raises(JournalCorruptError, match="#2"):
        list(journal)


_WRITER = textwrap.dedent("""
    import os, signal, sys, time
    from arb.exec import Deposit, SqliteJournal
    path, committed, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    journal = SqliteJournal(path)
    journal._db.execute("PRAGMA wal_autocheckpoint = 0")  # keep every frame in the WAL
    for i in range(committed):
        journal.append(Deposit(id=f"d{i}", venue="a", asset="USDT", amount=i, ts_ns=i))
    if mode == "mid-batch":
        with journal.batch():
            for i in range(committed, committed + 50):
                journal.append(Deposit(id=f"d{i}", venue="a", asset="USDT", amount=i, ts_ns=i))
            os.kill(os.getpid(), signal.SIGKILL)
    else:
        print("ready", flush=True)
        i = committed
        while True:
            journal.append(Deposit(id=f"d{i}", venue="a", asset="USDT", amount=i, ts_ns=i))
            i += 1
""")


def _writer(path: Path, committed: int, mode: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", _WRITER, str(path), str(committed), mode], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)


def test_a_process_killed_inside_a_batch_leaves_the_committed_records(tmp_path):
    path = tmp_path / "j.db"
    proc = _writer(path, 20, "mid-batch")
    assert proc.wait(timeout=60) == -signal.SIGKILL
    with SqliteJournal(path) as journal:
        assert [r.id for r in journal] == [f"d{i}" for i in range(20)] and journal.torn == 0


def test_a_process_killed_while_appending_leaves_a_prefix_and_torn_wal_tails_open(tmp_path):
    path = tmp_path / "j.db"
    proc = _writer(path, 10, "loop")
    assert proc.stdout.readline().strip() == "ready"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    wal = Path(f"{path}-wal")
    assert wal.stat().st_size > 0
    with SqliteJournal(path, readonly=True) as journal:
        n = len(journal)
        assert n >= 10 and [r.id for r in journal] == [f"d{i}" for i in range(n)]
    # A crash mid-write leaves a partial last WAL frame: cut the WAL anywhere; the journal
    # still opens and holds a prefix (SQLite drops frames that fail their checksums).
    size = wal.stat().st_size
    for cut in sorted({size - 1, size - 4000, size // 2, size // 3 + 7, 33, 0}):
        if cut < 0:
            continue
        copy = tmp_path / f"cut{cut}"
        copy.mkdir()
        shutil.copy(path, copy / "j.db")
        with open(wal, "rb") as src, open(copy / "j.db-wal", "wb") as dst:
            dst.write(src.read(cut))
        with SqliteJournal(copy / "j.db") as journal:
            ids = [r.id for r in journal]
            assert ids == [f"d{i}" for i in range(len(ids))] and len(ids) <= n


# -- recovery -----------------------------------------------------------------------------
class MovingMarket:
    """``market(venue, symbol)`` over base views whose level sizes grow by ``now`` fixed units:
    every moment shows fresh sizes, so depth our paper fills took never carries over."""

    def __init__(self, views: dict[str, BookView]) -> None:
        self.base = dict(views)
        self.now = 0

    def __call__(self, venue: str, symbol: str) -> BookView | None:
        v = self.base.get(venue)
        if v is None or v.symbol != symbol:
            return None
        bump = self.now
        return BookView(v.venue, v.symbol, tuple((p, q + bump) for p, q in v.bids),
                        tuple((p, q + bump) for p, q in v.asks), v.ts_event_ns, v.ts_recv_ns, None, v.state)

    def views(self) -> dict[str, BookView]:
        return {venue: self(venue, SYMBOL) for venue in self.base}


class Recorder:
    """A journal that also notes the live portfolio just after every record."""

    def __init__(self, inner, portfolio: Portfolio) -> None:
        self.inner = inner
        self.portfolio = portfolio
        self.snapshots = [portfolio.snapshot()]

    def append(self, record):
        stored = self.inner.append(record)
        assert stored is record
        self.snapshots.append(self.portfolio.snapshot())
        return stored

    def __iter__(self):
        return iter(self.inner)


def apply(op: tuple, executor: PaperDesk, market: MovingMarket) -> None:
    kind = op[0]
    if kind == "view":
        market.base[op[1]] = op[2]
    elif kind == "deposit":
        executor.deposit(*op[1:])
    elif kind == "fund":
        executor.fund(op[1], op[2])
    elif kind == "submit":
        market.now = op[2]
        executor.submit(op[1], op[2])
    else:
        market.now = op[1]
        executor.advance(op[1])


def live_session(views, fees, policy, rng, journal, per_step=2, steps=20):
    """Random paper trading; returns the executor and the operations it ran (replayable)."""
    market = MovingMarket(views)
    latency = dict(zip(sorted(views), rng.sample(range(1, 1000), len(views))))  # distinct: unique due times
    config = paper_config(fees, latency_ns=latency, one_legged=policy)
    portfolio = Portfolio({})
    if callable(journal):  # a factory that wants the live portfolio
        journal = journal(portfolio)
    executor = PaperDesk(config, portfolio, market, journal, reporting_price={"USDT": ONE}.get)
    scanner = Scanner(scan_config(fees, min_profit_quote="0"))
    amounts = [0, ONE // 3, 2 * ONE, 500 * ONE, 3_000 * ONE]
    ops: list[tuple] = [("fund", {(v, a): rng.choice(amounts) for v in views for a in ("BTC", "USDT")}, 0)]
    apply(ops[0], executor, market)
    bounds = [len(list(executor.journal))]
    for step in range(steps):
        now = (step + 1) * 10_000
        venue = rng.choice(sorted(views))
        todo = [("view", venue, mutate(rng, market.base[venue]))]
        if rng.random() < 0.15:
            todo.append(("deposit", rng.choice(sorted(views)), rng.choice(["BTC", "USDT"]), rng.choice(amounts), now, f"top-up/{step}"))
        market.now = now
        found = scanner.scan(SYMBOL, {**market.views(), venue: todo[0][2]}, now, portfolio, changed_venue=venue).opportunities
        todo += [("submit", opp, now) for opp in found[:per_step] if rng.random() < 0.8]
        if rng.random() < 0.5:  # the market moves before the orders arrive: partial and one-legged fills
            moved = rng.choice(sorted(views))
            todo.append(("view", moved, mutate(rng, todo[0][2] if moved == venue else market.base[moved])))
        for op in todo:
            apply(op, executor, market)
            ops.append(op)
            bounds.append(len(list(executor.journal)))
        while (due := executor.next_due_ns()) is not None and due < now + 10_000:
            ops.append(("advance", due))
            apply(ops[-1], executor, market)
            bounds.append(len(list(executor.journal)))
    return executor, market, ops, bounds


def state(executor: PaperDesk) -> tuple:
    return (executor.portfolio.snapshot(), executor.open_orders(), executor.next_due_ns(), executor.results())


def fresh(executor: PaperDesk, views: dict[str, BookView], journal=None) -> PaperDesk:
    """A new executor like ``executor`` (same config), over the market as it started."""
    market = MovingMarket(views)
    return PaperDesk(executor.config, Portfolio({}), market, journal if journal is not None else MemoryJournal(),
                         reporting_price=executor.reporting_price)


@settings(max_examples=60, deadline=None)
@given(random_market(), st.sampled_from(POLICIES), st.randoms(use_true_random=False))
def test_recovering_at_any_prefix_gives_the_live_portfolio_and_open_legs(mkt, policy, rng):
    views, fees = mkt
    recorder: Recorder | None = None

    def make_journal(portfolio):
        nonlocal recorder
        recorder = Recorder(SqliteJournal(":memory:"), portfolio)
        return recorder

    live, _, ops, bounds = live_session(views, fees, policy, rng, make_journal)
    records = list(recorder.inner)  # decoded back from SQLite
    assert len(records) == len(recorder.snapshots) - 1
    kinds = {type(r) for r in records}
    assert Deposit in kinds

    for k in range(len(records) + 1):
        recovered = fresh(live, views)
        assert recovered.restore(records[:k]) == k
        assert recovered.portfolio.snapshot() == recorder.snapshots[k], f"after {k} of {len(records)} records"
    # between calls, the executor's own state matches too (open legs in processing order, results)
    boundary_states = {}
    replay = fresh(live, views)
    for op, bound in zip(ops, bounds):
        apply(op, replay, replay.market)
        boundary_states[bound] = state(replay)
    for bound, expected in boundary_states.items():
        recovered = fresh(live, views)
        recovered.restore(records[:bound])
        assert state(recovered) == expected
    assert state(replay) == state(live)


@settings(max_examples=60, deadline=None)
@given(random_market(), st.sampled_from(POLICIES), st.randoms(use_true_random=False), st.floats(0, 1))
def test_a_crash_at_any_record_loses_no_trade_and_duplicates_none(mkt, policy, rng, where):
    views, fees = mkt
    live, _, ops, bounds = live_session(views, fees, policy, rng, MemoryJournal(), per_step=1)
    records = list(live.journal)
    crash = round(where * len(records))
    # the operation the crash interrupted: the first one whose records reach past it
    interrupted = next((i for i, end in enumerate(bounds) if end > crash), len(ops))

    journal = SqliteJournal(":memory:")
    for record in records[:crash]:  # what reached the disk
        journal.append(record)
    restarted = fresh(live, views, journal)
    market = restarted.market
    for op in ops[:interrupted]:  # the market as it was (no executor calls)
        if op[0] == "view":
            market.base[op[1]] = op[2]
    if interrupted < len(ops) and ops[interrupted][0] in ("advance", "submit"):
        market.now = ops[interrupted][-1]
    restarted.restore()
    restarted.resume()
    for op in ops[interrupted:]:  # the caller retries the interrupted call, then carries on
        apply(op, restarted, market)

    assert [encode(r) for r in journal] == [encode(r) for r in records]
    assert state(restarted) == state(live)
    ids = [r.id for r in restarted.results()]
    assert len(ids) == len(set(ids)) == len(journal.of_kind(Intent)) - len(restarted._trades)


def test_restart_then_replayed_decisions_and_funding_change_nothing(tmp_path):
    views = {"a": BookView("a", SYMBOL, ((99 * ONE, 5 * ONE),), ((100 * ONE, ONE),), 0, 0, None, "live"),
             "b": BookView("b", SYMBOL, ((101 * ONE, ONE),), ((102 * ONE, 5 * ONE),), 0, 0, None, "live")}
    fees = {"a": "0.001", "b": "0.001"}
    config = paper_config(fees, latency_ns={"a": 5, "b": 7})
    start = {(v, a): 1_000 * ONE for v in views for a in ("BTC", "USDT")}
    path = tmp_path / "journal.db"

    first = PaperDesk(config, Portfolio({}), MovingMarket(views), SqliteJournal(path))
    assert first.restore() == 0 and first.fund(start, 0) == 4
    opp = Scanner(scan_config(fees)).scan(SYMBOL, views, 1_000, first.portfolio).opportunities[0]
    assert len(first.submit(opp, 1_000)) == 2
    first.advance(1_005)  # the buy filled; the sell is still open — then the process dies
    before = state(first)
    first.journal.close()

    second = PaperDesk(config, Portfolio({}), MovingMarket(views), SqliteJournal(path))
    assert second.restore() == 8  # 4 deposits, intent, 2 orders, 1 fill
    assert second.fund(start, 0) == 0 and second.submit(opp, 1_000) == [] and second.resume() == []
    assert state(second) == before and [o.role for o in second.open_orders()] == ["sell"]
    assert second.portfolio.locked("b", "BTC") == opp.qty
    (trade,) = second.advance(1_007)
    assert trade.buy_filled == trade.sell_filled == opp.qty and trade.realized_pnl_quote == opp.net_profit
    assert len(second.journal.of_kind(Order)) == 2 and len(second.journal.of_kind(TradeResult)) == 1
    # a decision journalled by an executor that was never restored is still not placed twice
    third = PaperDesk(config, Portfolio(start), MovingMarket(views), second.journal)
    assert third.submit(opp, 2_000) == [] and third.open_legs() == 0
    assert second.journal.duplicates == 1


def test_every_crash_point_of_a_one_legged_trade_recovers_exactly():
    views = {"a": BookView("a", SYMBOL, ((99 * ONE, 5 * ONE),), ((100 * ONE, ONE),), 0, 0, None, "live"),
             "b": BookView("b", SYMBOL, ((101 * ONE, ONE),), ((102 * ONE, 5 * ONE),), 0, 0, None, "live")}
    fees = {"a": "0.001", "b": "0.001"}
    config = paper_config(fees, latency_ns={"a": 5, "b": 7}, one_legged="unwind")
    start = {("a", "USDT"): 1_000 * ONE, ("a", "BTC"): ONE, ("b", "USDT"): 1_000 * ONE}  # no BTC to sell on b
    opp = Scanner(scan_config(fees)).scan(SYMBOL, views, 1_000).opportunities[0]
    ops = [("fund", start, 0), ("submit", opp, 1_000), ("advance", 1_005), ("advance", 1_010)]

    def run(journal, ops_to_run, executor=None):
        executor = executor or PaperDesk(config, Portfolio({}), MovingMarket(views), journal)
        bounds = []
        for op in ops_to_run:
            apply(op, executor, executor.market)
            bounds.append(len(journal))
        return executor, bounds

    live, bounds = run(MemoryJournal(), ops)
    records = list(live.journal)
    assert [type(r).__name__ + ":" + getattr(r, "status", "") for r in records[3:]] == [
        "Intent:", "Order:open", "Order:rejected", "Fill:rejected", "Fill:filled", "Order:open", "Fill:filled", "TradeResult:",
    ]
    (trade,) = live.results()
    assert trade.action == "unwind" and trade.residual_base == 0
    for crash in range(len(records) + 1):
        journal = SqliteJournal(":memory:")
        for record in records[:crash]:
            journal.append(record)
        restarted = PaperDesk(config, Portfolio({}), MovingMarket(views), journal)
        restarted.restore()
        interrupted = next((i for i, end in enumerate(bounds) if end > crash), len(ops))
        if interrupted < len(ops):
            restarted.market.now = ops[interrupted][-1]
        restarted.resume()
        run(journal, ops[interrupted:], restarted)
        assert [encode(r) for r in journal] == [encode(r) for r in records], f"crash after {crash} records"
        assert state(restarted) == state(live)


def test_a_journal_that_does_not_replay_is_refused_not_guessed():
    config = paper_config({"a": "0.001", "b": "0.001"})
    fill = Fill(id="t/buy", trade_id="t", role="buy", venue="a", symbol=SYMBOL, side="buy", qty_ordered=1,
                qty=1, quote=1, fee=0, avg_price=1, worst_price=1, levels=1, ts_ns=1, status="filled")
    with pytest.raises(JournalError, match="unknown trade t"):
        PaperDesk(config, Portfolio({}), MovingMarket({})).restore([fill])
    funded = PaperDesk(config, Portfolio({("a", "USDT"): ONE}), MovingMarket({}))
    with pytest.raises(ValueError, match="fresh executor"):
        funded.restore([])
