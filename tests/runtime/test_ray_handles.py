"""The handle Protocols the type checker follows (:mod:`arb.runtime.ray_handles`) say what
the actors really take and return: each Protocol has exactly its actor's public methods, with
the same parameters (names, kinds, defaults, resolved annotations) and result."""

from __future__ import annotations

import inspect
import typing

import pytest

from arb.runtime.ray_handles import ExecutorHandle, FeedHandle, ScannerHandle
from arb.runtime.ray_live import ExecutorActor, FeedActor, ScannerActor


def _shape(func: typing.Callable[..., object]) -> tuple[list[tuple[object, ...]], object]:
    hints = typing.get_type_hints(func)
    params = [
        (p.name, p.kind, p.default, hints.get(p.name))
        for p in inspect.signature(func).parameters.values()
        if not p.name.startswith("_ray_")  # Ray adds its tracing context to an actor's methods
    ]
    return params, hints.get("return")


def _methods(cls: type) -> dict[str, typing.Callable[..., object]]:
    """Public methods of ``cls`` (its bases' included, Protocol and object excepted)."""
    out = {}
    for klass in reversed(cls.__mro__):
        if klass.__module__ in ("builtins", "typing"):
            continue
        for name, value in vars(klass).items():
            if not name.startswith("_") and inspect.isfunction(value):
                out[name] = value
    return out


@pytest.mark.parametrize(("handle", "actor"), [
    (FeedHandle, FeedActor), (ScannerHandle, ScannerActor), (ExecutorHandle, ExecutorActor),
])
def test_each_handle_protocol_is_its_actors_interface(handle, actor):
    declared = _methods(handle)
    real = _methods(actor.__ray_actor_class__)  # the class @ray.remote wrapped
    assert sorted(declared) == sorted(real)
    for name, method in real.items():
        assert inspect.iscoroutinefunction(method), name
        assert _shape(declared[name]) == _shape(method), name
