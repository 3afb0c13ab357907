// arb dashboard: plain JavaScript, no libraries. Live state arrives as server-sent events
// ("history" once, then "state"); controls are POSTs carrying the page's CSRF token.
// Money arrives as exact decimal strings and is rounded here with BigInt, never via float;
// floats are only used to draw the charts.
"use strict";
(() => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const $ = (id) => document.getElementById(id);
  const SCALE = 10n ** 18n;
  const HISTORY = 3600;
  let history = [];
  let last = null; // the previous state (message rates)

  // -- exact numbers -------------------------------------------------------------------------
  function fixed(text) {
    const neg = text.startsWith("-");
    const [whole, frac = ""] = (neg ? text.slice(1) : text).split(".");
    const value = BigInt(whole) * SCALE + BigInt((frac + "0".repeat(18)).slice(0, 18));
    return neg ? -value : value;
  }
  function money(text, dp = 2, sign = false) {
    if (text === null || text === undefined) return "n/a";
    let v = fixed(text);
    const neg = v < 0n;
    if (neg) v = -v;
    const unit = 10n ** BigInt(18 - dp);
    const r = (v + unit / 2n) / unit; // half up, on the magnitude
    const scale = 10n ** BigInt(dp);
    let out = (r / scale).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    if (dp > 0) out += "." + (r % scale).toString().padStart(dp, "0");
    if (r !== 0n && neg) return "-" + out;
    return r !== 0n && sign ? "+" + out : out;
  }
  const tone = (text) => (text === null || text === undefined ? "" : text.startsWith("-") ? "bad" : fixed(text) > 0n ? "good" : "");
  const time = (ns) => (ns ? new Date(Number(ns) / 1e6).toLocaleTimeString() : "–");
  const age = (s) => (s === null || s === undefined ? "–" : s < 1 ? `${Math.round(s * 1000)} ms` : `${s.toFixed(1)} s`);

  // -- DOM helpers (textContent only: nothing from the engine is parsed as HTML) ---------------
  function cell(row, content, cls, title) {
    const td = document.createElement("td");
    if (content instanceof Node) td.appendChild(content); else td.textContent = content;
    if (cls) td.className = cls;
    if (title) td.title = title;
    row.appendChild(td);
    return td;
  }
  function fill(id, items, build) {
    const body = document.querySelector(`#${id} tbody`);
    body.replaceChildren(...items.map((item) => { const tr = document.createElement("tr"); build(tr, item); return tr; }));
  }
  function dl(id, pairs) {
    const list = $(id);
    list.replaceChildren(...pairs.flatMap(([k, v, cls]) => {
      const dt = document.createElement("dt"); dt.textContent = k;
      const dd = document.createElement("dd"); dd.textContent = v; if (cls) dd.className = cls;
      return [dt, dd];
    }));
  }
  function setText(id, text, cls, title) {
    const el = $(id);
    el.textContent = text;
    if (cls !== undefined) el.className = `value ${cls}`;
    if (title !== undefined) el.title = title;
  }
  function flash(text, ok) {
    const el = $("flash");
    el.textContent = text;
    el.className = `flash ${ok ? "ok" : "error"}`;
  }

  // -- rendering -----------------------------------------------------------------------------
  function render(s) {
    $("runtime").textContent = s.runtime;
    $("uptime").textContent = s.started_ns ? `up ${Math.round((s.ts_ns - s.started_ns) / 1e9)} s` : "starting";
    const st = $("state");
    st.textContent = s.risk.state;
    st.className = `state ${s.risk.state}`;
    st.title = s.risk.reason;
    $("kill-state").classList.toggle("hidden", !s.risk.killed);

    setText("pnl", money(s.pnl.mtm_usd, 2, true), tone(s.pnl.mtm_usd), s.pnl.mtm_usd ?? "no price yet for an asset held");
    setText("realized", money(s.pnl.realized_usd, 4, true), tone(s.pnl.realized_usd), s.pnl.realized_usd);
    setText("equity", money(s.pnl.equity_usd, 2), "", s.pnl.equity_usd ?? "");
    setText("trades-total", `${s.trades_total} (${s.one_legged_total})`);
    setText("opps", `${s.opportunities_seen} / ${s.opportunities_taken}`);
    setText("legs", `${s.limits.open_legs} / ${s.limits.max_open_legs}`);

    const set = s.settings;
    $("settings-current").textContent =
      `in force: min profit ${set.min_profit_quote}, max notional ${set.max_notional_quote ?? "none"}` +
      (set.disabled_venues.length ? `, off: ${set.disabled_venues.join(", ")}` : "");
    $("min-profit").placeholder = set.min_profit_quote;
    $("max-notional").placeholder = set.max_notional_quote ?? "";

    const seconds = last ? (s.ts_ns - last.ts_ns) / 1e9 : 0;
    const before = new Map((last ? last.feeds : []).map((f) => [`${f.venue}/${f.shard}`, f.messages]));
    const sharded = s.feeds.some((f) => f.shard !== "0");
    fill("venues", s.feeds, (tr, f) => {
      tr.dataset.venue = f.venue;
      cell(tr, sharded ? `${f.venue} #${f.shard}` : f.venue);
      const box = document.createElement("input");
      box.type = "checkbox";
      box.className = "switch";
      box.checked = f.enabled;
      box.dataset.venue = f.venue;
      box.title = f.enabled ? "trading: click to take this venue out of new trades" : "off: click to trade here again";
      cell(tr, box);
      cell(tr, f.state, f.state === "up" ? "good" : f.state === "degraded" ? "warn" : "bad", f.last_error || "");
      cell(tr, `${f.books_live}/${f.books_total}`);
      const prev = before.get(`${f.venue}/${f.shard}`);
      cell(tr, prev !== undefined && seconds > 0 && f.messages !== undefined ? Math.max(0, (f.messages - prev) / seconds).toFixed(0) : "–");
      cell(tr, age(f.last_message_age_s));
      for (const k of ["reconnects", "gaps", "resyncs", "checksum_failures", "decode_errors", "rate_limited"]) cell(tr, f[k] ?? "–");
      cell(tr, f.breaker ?? "–");
    });

    fill("books", s.books, (tr, b) => {
      cell(tr, b.venue);
      cell(tr, b.symbol);
      cell(tr, b.state, b.state === "live" ? "good" : "warn");
      cell(tr, age(b.age_s));
      cell(tr, b.bid ?? "–");
      cell(tr, b.ask ?? "–");
      cell(tr, b.spread_bps === null ? "–" : b.spread_bps.toFixed(2));
    });

    const r = s.risk;
    const br = r.breaker;
    dl("risk", [
      ["state", r.state, r.state === "active" ? "good" : "bad"],
      ["why", r.reason],
      ["since", time(r.since_ns)],
      ["kill switch", r.killed ? "ENGAGED" : "off", r.killed ? "bad" : "good"],
      ["circuit breaker", `${br.tripped ? "TRIPPED" : "armed"}: ${br.failures} failed of the last ${br.window} orders (trips above ${money(br.trips_above, 2)})`, br.tripped ? "bad" : ""],
    ]);
    const lim = s.limits;
    dl("limits", [
      ["open legs", `${lim.open_legs} of ${lim.max_open_legs}`],
      ["max notional (risk)", lim.max_notional_quote ?? "none"],
      ["max data age", `${lim.max_data_age_s} s`],
      ["notional today", `${money(lim.daily_notional_quote, 2)} of ${lim.max_daily_notional_quote === null ? "no cap" : money(lim.max_daily_notional_quote, 2)}`],
    ]);
    fill("positions", lim.positions, (tr, p) => {
      cell(tr, p.asset);
      cell(tr, money(p.exposure, 8, true), "", p.exposure);
      cell(tr, p.cap ?? "none");
    });

    fill("balances", s.balances, (tr, b) => {
      cell(tr, b.venue);
      cell(tr, b.asset);
      cell(tr, money(b.total, 6), "", b.total);
      cell(tr, money(b.locked, 6), "", b.locked);
      cell(tr, money(b.available, 6), "", b.available);
      const low = b.floor !== null && fixed(b.available) < fixed(b.floor);
      cell(tr, b.floor === null ? "–" : money(b.floor, 6), low ? "bad" : "", low ? "below its floor: trades that would use it are refused" : b.floor ?? "");
      cell(tr, money(b.start, 6), "", b.start);
      cell(tr, money(b.change, 6, true), tone(b.change), b.change);
      cell(tr, b.venue_reports === null ? "" : money(b.venue_reports, 6), "warn", b.venue_reports === null ? "" : "the venue reports a different total");
    });

    fill("trades", s.trades, (tr, t) => {
      cell(tr, time(t.ts_done_ns));
      cell(tr, t.symbol);
      for (const leg of [t.buy, t.sell]) {
        cell(tr, `${leg.venue}: ${leg.filled}/${leg.intended} @ ${leg.avg_price} fee ${money(leg.fee, 6)}`, "leg", `${leg.quote} quote`);
      }
      cell(tr, t.action === "none" ? "–" : `${t.action} ${t.action_side} ${t.action_filled} on ${t.action_venue}`, t.one_legged ? "warn" : "");
      cell(tr, money(t.expected, 4, true), "", t.expected);
      cell(tr, money(t.realized_quote, 4, true), tone(t.realized_quote), t.realized_quote);
      cell(tr, t.reason || "");
    });

    fill("opportunities", s.opportunities, (tr, o) => {
      cell(tr, time(o.ts_ns));
      cell(tr, o.symbol);
      cell(tr, `${o.buy_venue} → ${o.sell_venue}`);
      cell(tr, o.qty);
      cell(tr, o.buy_limit);
      cell(tr, o.sell_limit);
      cell(tr, money(o.net_profit, 4), "", o.net_profit);
      cell(tr, o.outcome === "ok" ? "taken" : o.outcome, o.outcome === "ok" ? "good" : "warn");
    });
    const rej = Object.entries(s.rejections).map(([k, v]) => `${k} ${v}`).join(", ");
    $("rejections").textContent = rej ? `refused by the risk gate: ${rej}` : "nothing refused";

    fill("controls-log", [...(s.controls || [])].reverse(), (tr, c) => {
      cell(tr, time(c.ts_ns));
      cell(tr, c.action);
      cell(tr, c.via);
      cell(tr, c.ok ? c.detail : `refused: ${c.detail}`, c.ok ? "good" : "bad");
      cell(tr, c.reason);
    });

    const point = s.dashboard && s.dashboard.point;
    if (point && (!history.length || history[history.length - 1][0] !== point[0])) {
      history.push(point);
      if (history.length > HISTORY) history.shift();
    }
    drawCharts();
    last = s;
  }

  // -- charts (canvas, drawn here) -------------------------------------------------------------
  function draw(canvas, series) {
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || canvas.width;
    const height = Math.round(width * canvas.height / canvas.width);
    if (canvas.width !== Math.round(width * ratio)) { canvas.width = Math.round(width * ratio); canvas.height = Math.round(height * ratio); }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const pts = series.flatMap((s) => s.points);
    ctx.font = "11px system-ui, sans-serif";
    if (pts.length < 2) {
      ctx.fillStyle = "#7d8a99";
      ctx.fillText("collecting points (one a second)…", 12, 20);
      return;
    }
    const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
    const x0 = Math.min(...xs), x1 = Math.max(...xs);
    let y0 = Math.min(...ys), y1 = Math.max(...ys);
    if (y1 - y0 < 1e-9) { y0 -= 1; y1 += 1; }
    const pad = (y1 - y0) * 0.1;
    y0 -= pad; y1 += pad;
    const left = 70, right = 10, top = 8, bottom = 18;
    const X = (x) => left + (x - x0) / Math.max(1, x1 - x0) * (width - left - right);
    const Y = (y) => top + (1 - (y - y0) / (y1 - y0)) * (height - top - bottom);
    ctx.strokeStyle = "#27313d";
    ctx.fillStyle = "#7d8a99";
    for (let i = 0; i <= 4; i++) {
      const y = y0 + (y1 - y0) * i / 4;
      ctx.beginPath(); ctx.moveTo(left, Y(y)); ctx.lineTo(width - right, Y(y)); ctx.stroke();
      ctx.fillText(y.toFixed(Math.abs(y1 - y0) < 10 ? 2 : 0), 4, Y(y) + 4);
    }
    ctx.fillText(time(x0), left, height - 4);
    const end = time(x1);
    ctx.fillText(end, width - right - ctx.measureText(end).width, height - 4);
    if (y0 < 0 && y1 > 0) { ctx.strokeStyle = "#4b5563"; ctx.beginPath(); ctx.moveTo(left, Y(0)); ctx.lineTo(width - right, Y(0)); ctx.stroke(); }
    let legend = left + 6;
    for (const s of series) {
      if (!s.points.length) continue;
      ctx.strokeStyle = s.color;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      s.points.forEach((p, i) => (i ? ctx.lineTo(X(p[0]), Y(p[1])) : ctx.moveTo(X(p[0]), Y(p[1]))));
      ctx.stroke();
      ctx.lineWidth = 1;
      ctx.fillStyle = s.color;
      ctx.fillText(s.label, legend, top + 10);
      legend += ctx.measureText(s.label).width + 14;
    }
  }
  function column(i) { return history.filter((p) => p[i] !== null).map((p) => [p[0], p[i]]); }
  function drawCharts() {
    draw($("pnl-chart"), [
      { label: "mark to market", color: "#58a6ff", points: column(1) },
      { label: "realized", color: "#bc8cff", points: column(3) },
    ]);
    draw($("equity-chart"), [{ label: "equity", color: "#3fb950", points: column(2) }]);
  }

  // -- controls --------------------------------------------------------------------------------
  async function post(path, body) {
    try {
      const response = await fetch(path, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify(body),
      });
      const answer = await response.json().catch(() => ({ ok: false, detail: `HTTP ${response.status}` }));
      flash(`${path.replace("/api/", "")}: ${answer.ok ? answer.detail : "refused: " + answer.detail}`, response.ok && answer.ok);
      return answer.ok;
    } catch (error) {
      flash(`${path}: ${error}`, false);
      return false;
    }
  }
  const reason = () => $("reason").value.trim();
  for (const action of ["kill", "release", "halt", "resume"]) {
    $(action).addEventListener("click", () => post(`/api/${action}`, { reason: reason() || `dashboard: ${action}` }));
  }
  $("settings-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { reason: reason() || "dashboard: settings" };
    const minProfit = $("min-profit").value.trim(), maxNotional = $("max-notional").value.trim();
    if (minProfit) body.min_profit_quote = minProfit;
    if (maxNotional) body.max_notional_quote = maxNotional;
    if (await post("/api/settings", body)) { $("min-profit").value = ""; $("max-notional").value = ""; }
  });
  document.querySelector("#venues tbody").addEventListener("change", (event) => {
    const box = event.target;
    if (box.dataset && box.dataset.venue) {
      post("/api/settings", { venue: box.dataset.venue, enabled: box.checked, reason: reason() || `dashboard: ${box.dataset.venue} ${box.checked ? "on" : "off"}` });
    }
  });

  // -- live updates ----------------------------------------------------------------------------
  const conn = $("conn");
  const events = new EventSource("/api/events");
  events.addEventListener("open", () => { conn.textContent = "live"; conn.className = "badge live"; });
  events.addEventListener("error", () => { conn.textContent = "disconnected: retrying"; conn.className = "badge lost"; });
  events.addEventListener("history", (event) => { history = JSON.parse(event.data); drawCharts(); });
  events.addEventListener("state", (event) => {
    try {
      render(JSON.parse(event.data));
    } catch (error) {
      flash(`cannot show this update: ${error}`, false);
    }
  });
  window.addEventListener("resize", drawCharts);
})();
