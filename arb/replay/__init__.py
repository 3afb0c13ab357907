"""Replaying recordings through the venue decoders and books (verify, backtests)."""
