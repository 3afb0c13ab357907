"""Composition: the in-process engine, backtests, live wiring and (only here) Ray actors."""
