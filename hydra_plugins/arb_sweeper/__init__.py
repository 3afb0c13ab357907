"""arb's Hydra sweeper plugin: the basic sweeper, ending every ``--multirun`` with a table
comparing its points (see :mod:`.arb_sweeper`)."""
