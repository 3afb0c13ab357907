"""Venue adapters (one sans-I/O module per venue) and the driver that builds their books."""
