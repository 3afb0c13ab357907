"""Operator controls: settings validated like the config, applied to the decider and the
trader, journalled, and restored with the journal (a killed engine restarts killed)."""

from __future__ import annotations

import pytest

from arb.core.errors import ConfigError
from arb.core.numbers import ONE
from arb.decision.controls import Settings, change
from arb.decision.decider import Decider
from arb.decision.trader import Trader
from arb.exec.journal import MemoryJournal, decode, encode
from arb.exec.journal_sqlite import SqliteJournal
from arb.exec.orders import Control, Intent
from arb.exec.port import PlaceOrder
from arb.exec.portfolio import Portfolio
from arb.risk.limits import TradingState
from arb.scan.costs import fee_rate
from arb.scan.opportunity import ScanConfig
from arb.scan.scanner import Scanner
from tests.exec.desks import config, permissive_risk
from tests.scan.books import SYMBOL, fx, view

VENUES = ("a", "b", "c")
FEES = {v: "0.001" for v in VENUES}
NOW = 10**12


def _scan_config(min_profit: str = "0.5") -> ScanConfig:
    return ScanConfig(
        taker_fee_rates={v: fee_rate(r, v) for v, r in FEES.items()}, min_profit_quote=fx(min_profit),
        max_notional_quote=None, max_age_ns=5 * 10**9, depth=20,
    )


def _views(ts: int = NOW, b_bid: str = "101"):
    """Buy on a at 100, sell on b at ``b_bid`` (1 BTC each); c is quiet and far away."""
    return [
        view("a", [("99", "5")], [("100", "1")], ts_recv_ns=ts),
        view("b", [(b_bid, "1")], [("103", "5")], ts_recv_ns=ts),
        view("c", [("90", "5")], [("110", "5")], ts_recv_ns=ts),
    ]


def _trader(journal=None, restore: bool = False) -> Trader:
    """A trader funded with 1000 BTC and USDT per venue (after restoring its journal)."""
    views = {v.venue: v for v in _views()}
    trader = Trader(config(FEES), Portfolio({}), lambda v, s: views.get(v), permissive_risk(),
                    journal=journal if journal is not None else MemoryJournal(), reporting_price={"USDT": ONE}.get)
    if restore:
        trader.restore()
    trader.fund({(v, x): 1000 * ONE for v in VENUES for x in ("BTC", "USDT")}, 0)
    return trader


def _opportunity(min_profit: str = "0.5"):
    decider = Decider(Scanner(_scan_config(min_profit)), depth=20)
    decider.on_views(_views(), NOW)
    [opp] = decider.decide(NOW, None)
    return opp


BASE = Settings(min_profit_quote=fx("0.5"), max_notional_quote=fx("1000"))


# -- validation ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_profit_quote": "-1"}, "strategy.min_profit_quote must not be negative"),
        ({"max_notional_quote": "0"}, "strategy.max_notional_quote must be positive"),
        ({"min_profit_quote": "1e3"}, "strategy.min_profit_quote must be a plain decimal"),
        ({"min_profit_quote": "0.0000000000000000001"}, "strategy.min_profit_quote must be a plain decimal"),
        ({"min_profit_quote": True}, "strategy.min_profit_quote must be a decimal number"),
        ({"max_notional_quote": float("nan")}, "strategy.max_notional_quote must be a plain decimal"),
        ({"venue": "zz", "enabled": False}, "'zz' is not in universe.venues"),
        ({"venue": "a"}, "say enabled true or false"),
        ({"enabled": False}, "enabled needs a venue"),
        ({}, "nothing to change"),
    ],
)
def test_a_bad_change_is_refused_naming_the_key(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        change(BASE, VENUES, **kwargs)


def test_amounts_are_read_as_the_decimals_written():
    assert change(BASE, VENUES, min_profit_quote=0.1).min_profit_quote == ONE // 10  # JSON 0.1, not the binary float
    assert change(BASE, VENUES, max_notional_quote="250.25").max_notional_quote == fx("250.25")
    assert change(BASE, VENUES, min_profit_quote=2) == Settings(min_profit_quote=2 * ONE, max_notional_quote=fx("1000"))


def test_at_least_two_venues_stay_enabled():
    one_off = change(BASE, VENUES, venue="c", enabled=False)
    assert one_off.disabled_venues == ("c",) and not one_off.enabled("c")
    with pytest.raises(ConfigError, match="at least two venues must stay enabled"):
        change(one_off, VENUES, venue="a", enabled=False)
    assert change(one_off, VENUES, venue="c", enabled=True).disabled_venues == ()


# -- the decider -----------------------------------------------------------------------------
def test_the_decider_scans_with_the_new_minimum_profit():
    decider = Decider(Scanner(_scan_config()), depth=20)
    decider.on_views(_views(), NOW)
    [opp] = decider.decide(NOW, None)
    decider.apply_settings(change(decider.settings(), VENUES, min_profit_quote=str(opp.net_profit / ONE + 1)))
    decider.on_views(_views(NOW + 1), NOW + 1)
    assert decider.decide(NOW + 1, None) == []
    assert decider.settings().min_profit_quote > opp.net_profit


def test_a_disabled_venue_is_in_no_pair_and_trades_again_as_soon_as_it_is_enabled():
    decider = Decider(Scanner(_scan_config()), depth=20)
    off = change(decider.settings(), VENUES, venue="b", enabled=False)
    decider.apply_settings(off)
    decider.on_views(_views(), NOW)
    assert decider.decide(NOW, None) == []
    # a's and c's books change below their top only: quiet; b is unchanged. Enabling b must
    # still find the a → b pair on the next change, without waiting for b's top to move.
    decider.on_views(_views(NOW + 1), NOW + 1)
    assert decider.decide(NOW + 1, None) == []
    decider.apply_settings(change(off, VENUES, venue="b", enabled=True))
    decider.on_views([view("a", [("99", "5")], [("100", "1")], ts_recv_ns=NOW + 2)], NOW + 2)
    [opp] = decider.decide(NOW + 2, None)
    assert (opp.buy_venue, opp.sell_venue) == ("a", "b")


# -- the trader ------------------------------------------------------------------------------
def test_the_kill_switch_stops_every_trade_until_released_and_resumed():
    trader, opp = _trader(), _opportunity()
    trader.kill("operator pressed the button", NOW)
    assert trader.on_opportunities([opp], NOW) == [] and trader.rejections["halted"] == 1
    assert trader.risk.state is TradingState.HALTED and trader.risk.killed
    refused = trader.resume_trading("too early", NOW + 1)
    assert not refused.approved and "release it first" in refused.reason
    trader.release_kill("checked", NOW + 2)
    assert trader.on_opportunities([opp], NOW + 2) == []  # released, still halted
    assert trader.resume_trading("go", NOW + 3).approved
    assert any(isinstance(c, PlaceOrder) for c in trader.on_opportunities([opp], NOW + 3))
    actions = [(r.id, r.action) for r in trader.journal if isinstance(r, Control)]
    assert actions == [("control/0", "kill"), ("control/1", "release"), ("control/2", "resume")]  # the refusal is not journalled


def test_halt_and_resume():
    trader, opp = _trader(), _opportunity()
    trader.halt("lunch", NOW)
    assert trader.on_opportunities([opp], NOW) == [] and trader.risk.reason == "halted by operator: lunch"
    trader.resume_trading("back", NOW + 1)
    assert trader.risk.state is TradingState.ACTIVE and trader.on_opportunities([opp], NOW + 1)


def test_settings_reach_the_risk_gate_and_the_venues_it_accepts():
    trader, opp = _trader(), _opportunity()
    small = change(BASE, VENUES, max_notional_quote=str(opp.notional_quote // ONE - 1))
    trader.apply_settings(small, "smaller trades", NOW)
    assert trader.on_opportunities([opp], NOW) == [] and trader.rejections["notional"] == 1
    trader.apply_settings(change(BASE, VENUES, venue=opp.sell_venue, enabled=False), "venue maintenance", NOW)
    assert trader.on_opportunities([opp], NOW) == [] and trader.rejections["venue-off"] == 1
    assert trader.settings is not None and trader.settings.disabled_venues == (opp.sell_venue,)


def test_a_restarted_trader_is_still_killed_with_the_same_settings(tmp_path):
    path = tmp_path / "journal.sqlite"
    with SqliteJournal(path) as journal:
        trader = _trader(journal)
        settings = change(BASE, VENUES, min_profit_quote="3", venue="c", enabled=False)
        trader.apply_settings(settings, "tighter", NOW)
        trader.kill("manual", NOW + 1)
    with SqliteJournal(path) as journal:
        again = _trader(journal, restore=True)
        assert again.risk.killed and again.risk.state is TradingState.HALTED and again.risk.reason == "kill switch: manual"
        assert again.settings == settings and again.disabled_venues == {"c"}
        assert again.on_opportunities([_opportunity()], NOW + 2) == []
        again.release_kill("new day", NOW + 3)  # the next id follows the restored ones: nothing is lost as a repeat
        assert [r.id for r in journal if isinstance(r, Control)] == ["control/0", "control/1", "control/2"]
        assert not [r for r in journal if isinstance(r, Intent)]


def test_a_control_record_round_trips_through_the_journal_encoding():
    record = Control(id="control/0", ts_ns=NOW, action="settings", reason="r", min_profit_quote=ONE,
                     max_notional_quote=5 * ONE, disabled_venues=("c",))
    assert decode(encode(record)) == record
    assert b'"type":"control"' in encode(record)


def test_order_outcomes_are_counted_by_venue_and_status():
    trader, opp = _trader(), _opportunity()
    buy, sell = (c.order for c in trader.on_opportunities([opp], NOW) if isinstance(c, PlaceOrder))
    from arb.exec.port import Cancelled, Filled

    trader.on_events([Filled(buy.id, NOW + 1, opp.qty, opp.buy_quote, opp.buy_fee), Cancelled(sell.id, NOW + 1, "ioc")], NOW + 1)
    assert trader.order_outcomes[(opp.buy_venue, "filled")] == 1
    assert trader.order_outcomes[(opp.sell_venue, "expired")] == 1
    assert SYMBOL == opp.symbol


def test_a_kill_switch_already_engaged_journals_nothing_more():
    trader = _trader()
    trader.kill("internal error: boom", NOW)
    trader.kill("internal error: boom", NOW + 1)  # the same error on the next pass
    trader.kill("operator", NOW + 2)
    assert [r.action for r in trader.journal if isinstance(r, Control)] == ["kill"]
    assert trader.risk.reason == "kill switch: internal error: boom"
