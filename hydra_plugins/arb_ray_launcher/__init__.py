"""arb's Hydra launcher plugin: ``--multirun`` jobs as Ray tasks (see :mod:`.arb_ray_launcher`).

``hydra_plugins`` is a namespace package (no ``__init__.py`` there): Hydra finds every plugin
installed under it. Ours ships in this repository instead of ``hydra-ray-launcher``, whose
``cloudpickle<3`` pin conflicts with our dependencies.
"""
