"""Value types, exact numbers, symbols, instruments and errors. Imports nothing from arb."""
