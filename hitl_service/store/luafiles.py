"""Loads the store's Lua scripts: one ``.lua`` file per atomic change, under ``store/lua/``."""

from __future__ import annotations

import functools
from importlib import resources

import redis


@functools.cache
def source(name: str) -> str:
    """The text of ``store/lua/<name>.lua`` (read once per process)."""
    return resources.files("hitl_service.store").joinpath("lua", f"{name}.lua").read_text(encoding="utf-8")


def register(client: redis.Redis, name: str):
    """A callable script object for ``store/lua/<name>.lua``; call it with ``keys=[...]`` and ``args=[...]``."""
    return client.register_script(source(name))
