"""Replaying recordings: several files as one stream in time order (:mod:`.merge`), and every
book they hold rebuilt with the venues' own rules (:mod:`.verify`, ``arb verify``). Backtests
(:mod:`arb.runtime.backtest`) read their records through :func:`.merge.merged_records`."""
