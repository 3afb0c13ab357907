"""arb: a cross-exchange crypto arbitrage engine.

Layers (imports point down only; see DESIGN notes in README):
``core`` ← ``book`` ← ``venues``/``record`` ← ``replay`` ← ``scan``/``risk``/``exec`` ← ``io``/``sim`` ← ``runtime``.
"""

__version__ = "0.1.0"
