"""Venues: one sans-I/O package per venue (``arb/venues/<venue>/``: market-data decoding and
sync rules, wire encoding, signing), what they share (:mod:`~arb.venues.base`,
:mod:`~arb.venues.wire`), the one list of them (:mod:`~arb.venues.registry`) and the driver
that builds their books (:mod:`~arb.venues.books`)."""
