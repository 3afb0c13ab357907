"""The dashboard as an operator uses it: ``arb live`` on the simulators, the page in headless
Chromium (Debian's, driven by Playwright — no browser is downloaded). Venues, trades and P&L
appear and update; a new minimum profit changes what the engine finds; the kill switch
halts trading in the engine; the journal holds both controls and no trade the engine should
not have made."""

from __future__ import annotations

import json
import re
import time

import pytest

from arb.core.numbers import from_decimal
from arb.exec.journal_sqlite import SqliteJournal
from arb.exec.orders import Control, Intent
from tests.runtime.dashboard.engine import arb_live, wait_for

pytestmark = pytest.mark.slow

SECRET = "s3cr3t-never-shown"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


def until(page, what: str, predicate: str, timeout_s: float) -> None:
    """Poll a JS function in the page (the page's CSP forbids eval, which Playwright's own
    wait_for_function needs for its polling)."""
    wait_for(what, lambda: page.evaluate(predicate), timeout_s, every_s=0.2)


def _number(page, selector: str) -> int:
    return int(page.text_content(selector).split()[0].replace(",", ""))


def test_an_operator_watches_the_engine_changes_the_minimum_profit_and_kills_it(tmp_path, chromium):
    from playwright.sync_api import sync_playwright

    overrides = ("live.sim.dislocations_per_min=40", "universe.symbols=[BTC/USDT,ETH/USDT,SOL/USDT]")
    with arb_live(tmp_path, *overrides, env={"ARB_KRAKEN_API_SECRET": SECRET}) as engine:
        assert engine.get("/api/state", token=None)[0] == 401
        assert engine.get("/api/state", token="x" * 43)[0] == 401

        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                str(tmp_path / "chromium-profile"), executable_path=chromium, headless=True, args=CHROMIUM_FLAGS,
                viewport={"width": 1500, "height": 1100},
            )
            try:
                page = context.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                refused = page.goto(engine.url + "/")
                assert refused is not None and refused.status == 401  # no token, no page

                page.goto(f"{engine.url}/?token={engine.token}")
                assert page.url == engine.url + "/"  # the token left the address bar
                until(page, "the event stream to connect", "() => document.getElementById('conn').textContent === 'live'", 15)

                # Venues: every feed up with its books live.
                until(page, "every venue up with its books live",
                      """() => { const rows = [...document.querySelectorAll('#venues tbody tr')];
                                 return rows.length === 3 && rows.every(r => r.cells[2].textContent === 'up'
                                        && r.cells[3].textContent === '3/3'); }""", 60)
                assert sorted(page.eval_on_selector_all("#venues tbody tr", "rows => rows.map(r => r.dataset.venue)")) == [
                    "binance", "kraken", "okx"]
                assert page.locator("#books tbody tr").count() == 9

                # Trades and P&L appear, then update.
                until(page, "a trade", "() => parseInt(document.getElementById('trades-total').textContent) > 0", 90)
                first = _number(page, "#trades-total")
                until(page, "another trade", f"() => parseInt(document.getElementById('trades-total').textContent) > {first}", 90)
                assert re.fullmatch(r"[+-]?[\d,]+\.\d{2}", page.text_content("#pnl")), page.text_content("#pnl")
                legs = page.eval_on_selector_all("#trades tbody tr", "rows => rows.map(r => [r.cells[2].textContent, r.cells[3].textContent])")
                assert legs and all(" @ " in buy and " @ " in sell and "fee" in buy for buy, sell in legs)
                until(page, "the P&L chart to be drawn",
                      """() => { const c = document.getElementById('pnl-chart');
                                 const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                                 let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n > 500; }""", 30)

                # A minimum profit no opportunity can reach: the engine stops finding any.
                page.fill("#reason", "browser test: nothing can reach this")
                page.fill("#min-profit", "1000000")
                page.click("#apply-settings")
                until(page, "the change to be confirmed", "() => document.getElementById('flash').textContent.includes('now min profit 1000000')", 10)
                assert engine.state()["settings"]["min_profit_quote"] == "1000000"
                time.sleep(1.0)
                before = engine.state()
                time.sleep(6.0)
                after = engine.state()
                assert after["opportunities_seen"] == before["opportunities_seen"]
                assert sum(f["messages"] for f in after["feeds"]) > sum(f["messages"] for f in before["feeds"])
                page.fill("#reason", "browser test: back to normal")
                page.fill("#min-profit", "0.5")
                page.click("#apply-settings")
                wait_for("the engine to find opportunities again",
                         lambda: engine.state()["opportunities_taken"] > after["opportunities_taken"], 60)

                # The kill switch: the page says so, and the engine takes nothing any more.
                page.fill("#reason", "browser test: kill")
                page.click("#kill")
                until(page, "the page to show trading halted", "() => document.getElementById('state').textContent === 'halted'", 10)
                assert page.is_visible("#kill-state")
                killed = engine.state()
                assert killed["risk"]["killed"] and killed["risk"]["reason"] == "kill switch: browser test: kill"
                halted = killed["rejections"].get("halted", 0)
                wait_for("the risk gate to refuse an opportunity", lambda: engine.state()["rejections"].get("halted", 0) > halted, 60)
                assert engine.state()["opportunities_taken"] == killed["opportunities_taken"]
                until(page, "the operator log", "() => document.querySelector('#controls-log tbody tr') !== null", 10)
                assert "kill" in page.text_content("#controls-log")

                page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
                assert (tmp_path / "dashboard.png").stat().st_size > 20_000
                html = page.content()
                assert SECRET not in html and engine.token not in html
                assert not errors, errors
            finally:
                context.close()
        for path in ("/api/state", "/metrics", "/readyz"):
            body = engine.get(path)[1].decode()
            assert SECRET not in body and engine.token not in body, path

    assert SECRET not in engine.output()
    with SqliteJournal(engine.journal(), readonly=True) as journal:
        records = list(journal)
    controls = [r for r in records if isinstance(r, Control)]
    assert [(c.action, c.reason) for c in controls] == [
        ("settings", "browser test: nothing can reach this"), ("settings", "browser test: back to normal"), ("kill", "browser test: kill"),
    ]
    high, normal, kill = controls
    assert high.min_profit_quote == from_decimal("1000000") and normal.min_profit_quote == from_decimal("0.5")
    intents = [r for r in records if isinstance(r, Intent)]
    assert not [i for i in intents if high.ts_ns < i.ts_ns < normal.ts_ns]  # nothing passed the high bar
    assert [i for i in intents if i.ts_ns > normal.ts_ns]  # trading resumed at the normal bar
    assert not [i for i in intents if i.ts_ns > kill.ts_ns]  # and stopped at the kill switch
    assert json.loads(json.dumps([c.id for c in controls])) == ["control/0", "control/1", "control/2"]
