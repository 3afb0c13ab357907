"""The desk: a trader and its execution port, driven by the one loop every host runs.

The trader returns commands and takes events; the port takes commands and returns events.
:class:`Desk` is the glue between them — what the backtest, the local runtime and the Ray
executor actor all host — so that none of them carries a copy of it::

    desk.on_opportunities(opportunities, now_ns)   # risk → orders → port
    desk.advance(now_ns)                           # the port's events due by now → trader → follow-ups → port
    desk.next_due_ns()                             # when to wake up next (paper: the next order due)
    desk.control("kill", reason, now_ns)           # the operator: kill (+ cancels), release, halt, resume

Events are handed to the trader one batch at a time (paper: one order's events), in time
order, each at its own time, so the trader's reaction to one order (an unwind, a trade's
outcome) happens before the next order executes.
"""

from __future__ import annotations

from collections.abc import Iterable

from arb.decision.controls import ACTIONS
from arb.decision.trader import Trader
from arb.exec.journal import JournalRecord
from arb.exec.orders import TradeResult
from arb.exec.port import ExecutionPort
from arb.risk.limits import APPROVED, RiskDecision
from arb.scan.opportunity import Opportunity


class Desk:
    """``trader`` trading through ``port``."""

    __slots__ = ("trader", "port")

    def __init__(self, trader: Trader, port: ExecutionPort) -> None:
        self.trader = trader
        self.port = port

    def on_opportunities(self, opportunities: Iterable[Opportunity], now_ns: int) -> None:
        """Risk-check and place (see :meth:`Trader.on_opportunities`)."""
        commands = self.trader.on_opportunities(opportunities, now_ns)
        if commands:
            self.port.submit(commands, now_ns)

    def submit(self, opportunity: Opportunity, now_ns: int) -> bool:
        """Place both legs without the risk gate (tests, tools); False when the id was seen."""
        commands = self.trader.submit(opportunity, now_ns)
        if commands:
            self.port.submit(commands, now_ns)
        return commands is not None

    def control(self, action: str, reason: str, now_ns: int) -> RiskDecision:
        """An operator's action (:data:`~arb.decision.controls.ACTIONS`) on the trader,
        journalled; the kill switch also cancels every open order at the port. The decision
        says whether it was done (resuming is refused while the kill switch is engaged)."""
        trader = self.trader
        if action == "kill":
            self.kill(reason, now_ns)
            return APPROVED
        if action == "release":
            return trader.release_kill(reason, now_ns)
        if action == "halt":
            return trader.halt(reason, now_ns)
        if action == "resume":
            return trader.resume_trading(reason, now_ns)
        raise ValueError(f"unknown control {action!r} (known: {', '.join(ACTIONS)})")

    def advance(self, now_ns: int) -> list[TradeResult]:
        """Hand the trader every event due by ``now_ns``, in order; returns completed trades."""
        port, trader = self.port, self.trader
        trader.expire(now_ns)
        due = port.next_event_ns()
        while due is not None and due <= now_ns:
            commands = trader.on_events(port.events(due), due)
            if commands:
                port.submit(commands, due)
            due = port.next_event_ns()
        return trader.take_completed()

    def drain(self, now_ns: int) -> list[TradeResult]:
        """Finish every open order (end of a run), however late it is due."""
        port, trader = self.port, self.trader
        due = port.next_event_ns()
        while due is not None:
            at = max(due, now_ns)
            commands = trader.on_events(port.events(at), at)
            if commands:
                port.submit(commands, at)
            due = port.next_event_ns()
        return trader.take_completed()

    def kill(self, reason: str, now_ns: int) -> int:
        """Kill switch: halt all trading and cancel every open order at the venues. Returns
        how many cancels were sent."""
        commands = self.trader.kill(reason, now_ns)
        if commands:
            self.port.submit(commands, now_ns)
        return len(commands)

    def next_due_ns(self) -> int | None:
        """When the port next has something to say (None: nothing known)."""
        return self.port.next_event_ns()

    def restore(self, records: Iterable[JournalRecord] | None = None, now_ns: int = 0) -> int:
        """Rebuild the trader from its journal and ask the port about every order in flight."""
        n = self.trader.restore(records)
        commands = self.trader.reconcile()
        if commands:
            self.port.submit(commands, now_ns)
        return n

    def resume(self, now_ns: int = 0) -> list[TradeResult]:
        """Finish what a crash interrupted (see :meth:`Trader.resume`); returns completed trades."""
        commands = self.trader.resume()
        if commands:
            self.port.submit(commands, now_ns)
        return self.trader.take_completed()
