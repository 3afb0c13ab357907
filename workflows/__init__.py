"""Entry points: the ``arb`` command and its Hydra-driven workflows."""
