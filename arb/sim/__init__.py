"""Venue simulation: market model, venue wire encoders, loopback servers, fault injection."""
