"""The ``arb`` command: ``arb <command> [args…]``.

For the Hydra commands (backtest, live, record, simulate) this is also where the command
line is checked before Hydra sees it: unknown keys are refused with a "did you mean"
(:func:`workflows.config.check_overrides`), ``--cfg`` prints the config with credentials
masked (:func:`workflows.config.print_config`), and ``--help`` starts with what the command
does and its most used keys, followed by Hydra's help.
"""

from __future__ import annotations

import importlib
import sys

USAGE = """arb — cross-exchange crypto arbitrage: exact L2 books of 7 venues, an opportunity
scanner, risk checks, paper execution, backtests on recordings, MLflow tracking.

usage: arb <command> [args…]          arb <command> --help  for a command's keys

commands:
  backtest [k=v …]     replay recordings (default: a simulated market) through the decision
                       path; print P&L, track the run in MLflow; --multirun for sweeps
  live [k=v …]         trade against loopback simulators (paper; executor=live: signed
                       orders on their private APIs); live=public for the real venues;
                       Ctrl-C ends with a summary whose last line is JSON
  universe [k=v …]     the symbols arb would scan: venues, ticks, lots, 24 h volume
  record [k=v …]       record the universe's raw traffic to rotating recording files
  simulate [k=v …]     serve loopback venue simulators (market model or a recording)
  verify FILE…         rebuild every book in recordings; JSON summary on the last line

most used keys (Hydra overrides, every command):
  universe=all | universe=discover | universe.venues=[binance,okx] universe.symbols=[BTC/USDT]
  venues.<venue>.enabled=false         leave a venue out everywhere
  executor=live                        signed orders (the simulators' private APIs by default)
  strategy.min_profit_quote=0.5        net profit an opportunity must clear (quote)
  strategy.max_age_s=5                 market data older than this is never used
  risk.max_notional_quote=1000         cap on a trade's larger leg (quote)
  executor.latency_ms=20               decision → order at the venue
  runtime=ray                          run on Ray

  --cfg job [--resolve]                show the composed config (credentials masked)
"""

_KEYS_COMMON = """  universe=all | universe.venues=[binance,okx] universe.symbols=[BTC/USDT,ETH/USDT]
  venues.<venue>.enabled=false         leave a venue out everywhere
  venues.<venue>.taker_fee=0.001       fee override (default: the venue's)
  strategy.min_profit_quote=0.5        net profit after both taker fees (quote)
  strategy.max_notional_quote=1000     largest leg (quote); at most risk.max_notional_quote
  strategy.max_age_s=5                 freshness: feeds, scanner and risk use this one rule
  risk.max_notional_quote=1000  +risk.max_position.BTC=0.05  risk.kill_switch=true
  executor.latency_ms=20  executor.one_legged_policy=unwind|hedge|hold  executor.balances={USDT:20000}"""

COMMAND_HELP = {
    "backtest": f"""arb backtest — replay recordings (default: a freshly simulated market of the universe)
through the live decision path (books → scanner → risk → paper execution), print a P&L
summary and track the run in MLflow (params, metrics, trades, plots).

most used keys:
  backtest.recordings=[a.jsonl.gz,b.jsonl.gz]   replay these (empty: simulate)
  backtest.sim.duration_s=60 backtest.sim.seed=7 backtest.sim.dislocations_per_min=2
  backtest.fanout=per_file|per_day     one backtest per file or UTC day, merged
{_KEYS_COMMON}
  tracking=server | tracking.uri=http://host:5000 | tracking.enabled=false

examples:
  arb backtest strategy.min_profit_quote=1
  arb backtest --multirun strategy.min_profit_quote=0.25,0.5,1 executor.latency_ms=5,50
  arb backtest --cfg job --resolve     the composed config, credentials masked
""",
    "live": f"""arb live — trade the universe live against loopback simulators of every venue
(live.source=sim) or the venues' real public endpoints (live=public): paper execution by
default, signed orders with executor=live; a terminal view while it runs, a summary (its last
line a JSON object) and MLflow metrics when Ctrl-C (or live.duration_s) stops it. Every run
journals to its own file; live.resume=true continues the last one.

most used keys:
  live=public                          the real venues (credentials only from ARB_<VENUE>_API_* env)
  executor=live                        signed orders: the simulators' private APIs (keys provisioned),
                                       or with live=public real money (needs executor.confirm_live=true)
  executor.dry_run=true                build, sign and log every order (masked), send none
  live.resume=true                     continue the most recent journal (balances, open orders, P&L)
  universe=discover                    the symbols every venue lists (see arb universe)
  live.duration_s=60  live.view=auto|rich|plain|none  live.sim.faults.okx.gap=0.002
{_KEYS_COMMON}
  runtime=ray runtime.shards=2         feeds and scanners as Ray actors

examples:
  arb live live.duration_s=60 universe=all
  arb live live=public universe.symbols=[BTC/USDT]
""",
    "universe": """arb universe — the symbols arb would scan: for each, the venues that list and trade it,
their tick and lot sizes and the 24 h volume, read from the venues' public instruments and
ticker endpoints (the simulators' by default, live=public for the real ones). Nothing trades.

most used keys:
  universe=discover                    discover from the listings (else: universe.symbols)
  universe.discover.quotes=[USDT,USDC] universe.discover.min_venues=2 universe.discover.max_symbols=100
  universe.discover.min_volume_quote=1000000    24 h floor per venue   universe.discover.exclude=[…]
  live=public                          the real venues' listings

example:
  arb universe universe=discover live=public universe.discover.max_symbols=50
""",
    "record": """arb record — record the universe's raw market data (every frame, verbatim) to rotating
"arb recording v1" files, one gzip stream per venue; replay them with arb backtest and
check them with arb verify.

most used keys:
  record.dir=data/recordings  record.duration_s=60 (0: until Ctrl-C)  record.rotate_mb=64  record.rotate_s=3600
  live=public                          record the real venues (default: the loopback simulators)
  universe=all | universe.venues=[…] universe.symbols=[…]  venues.<venue>.enabled=false

example:
  arb record live=public record.duration_s=0 universe.symbols=[BTC/USDT,ETH/USDT]
""",
    "simulate": """arb simulate — serve loopback venue simulators of the universe (market model, or a
recording replayed) until Ctrl-C, printing each venue's websocket and REST URL; point a
venue at one with venues.<name>.ws_url=… venues.<name>.rest_url=….

most used keys:
  universe.venues=[…] universe.symbols=[…]  venues.<venue>.enabled=false
  live.sim.seed=7 live.sim.speed=1.0 live.sim.faults.okx.gap=0.01 live.sim.dislocations_per_min=10
  +sim_recordings=[samples/recordings/okx-2022-05-13-books.jsonl.gz]   replay recordings instead
""",
}

#: Keys a command reads besides the schema's (it takes them out before loading the config).
EXTRA_KEYS = {"simulate": ("sim_recordings",)}


def _hydra(command: str, args: list[str]) -> int:
    """Check the command line, answer ``--help`` and ``--cfg`` here, else run the app."""
    from hydra._internal.utils import get_args_parser

    from arb.core.errors import ConfigError
    from workflows.config import check_overrides, print_config

    parsed, _ = get_args_parser().parse_known_args(args)
    if parsed.help:
        print(COMMAND_HELP[command])
        if parsed.resolve:
            print("(--resolve is ignored here: the config in the help below is unresolved; "
                  f"arb {command} --cfg job --resolve shows it resolved, credentials masked)\n")
            args = [a for a in args if a != "--resolve"]
        print("Hydra's help follows.\n")
        sys.stdout.flush()
    else:
        try:
            check_overrides(parsed.overrides, EXTRA_KEYS.get(command, ()))
            if parsed.cfg:
                if parsed.config_dir or parsed.config_path or parsed.config_name:
                    raise ConfigError("--cfg shows the config of conf/ (credentials masked): drop --config-dir/--config-path/--config-name")
                print_config(parsed.overrides, parsed.cfg, parsed.package, parsed.resolve, job_name=command)
                return 0
        except ConfigError as exc:
            print(f"arb {command}: {exc}", file=sys.stderr)
            return 2
    return importlib.import_module(f"workflows.{command}").main(args)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command == "verify":
        from workflows import verify

        return verify.main(rest)
    if command in COMMAND_HELP:
        return _hydra(command, rest)
    print(f"arb: unknown command {command!r}\n\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
