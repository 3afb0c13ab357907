"""Runs are their own: a new run journals to a new file; resuming is explicit."""

from __future__ import annotations

import pytest

from arb.config import ArbConf, UniverseConf
from arb.core.errors import ConfigError
from arb.exec.journal_sqlite import SqliteJournal
from arb.runtime import journals
from arb.runtime.components import build

NS = 1_800_000_000_000_000_000


def test_a_new_run_never_reuses_a_journal_and_resume_takes_the_latest(tmp_path):
    first = journals.choose(tmp_path, False, NS)
    first.path.touch()
    second = journals.choose(tmp_path, False, NS)  # same second
    second.path.touch()
    later = journals.choose(tmp_path, False, NS + 61 * 10**9)
    later.path.touch()
    assert len({first.path, second.path, later.path}) == 3 and not first.resumed
    resumed = journals.choose(tmp_path, True, NS + 10**12)
    assert resumed.resumed and resumed.path == later.path


def test_resuming_with_nothing_to_resume_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="no journal to resume"):
        journals.choose(tmp_path / "empty", True, NS)


def test_a_resumed_core_restores_what_the_journal_holds_and_a_new_one_starts_clean(tmp_path):
    conf = ArbConf(universe=UniverseConf(venues=["binance", "okx"], symbols=["BTC/USDT"]))
    path = tmp_path / "j.sqlite"
    with SqliteJournal(path) as journal:
        parts = build(conf, journal=journal, now_ns=NS)
        parts.trader.deposit("okx", "BTC", 10**18, NS, "top-up/1")
        assert parts.started.records == 0
        before = parts.portfolio.snapshot()
    with SqliteJournal(path) as journal:
        again = build(conf, journal=journal, now_ns=NS + 1)
        assert again.started.records == len(list(journal)) == 3  # two starting balances and the top-up
        assert again.portfolio.snapshot() == before
    with SqliteJournal(tmp_path / "new.sqlite") as journal:
        fresh = build(conf, journal=journal, now_ns=NS)
        assert fresh.portfolio.balance("okx", "BTC") == 0
