"""Loads the store's Lua scripts: one ``.lua`` file per atomic change, under ``store/lua/``.

A file may start with ``-- use: <lib>`` lines; each is replaced by ``store/lua/<lib>.lua`` so that
helpers shared by several scripts (closing an item, handing a lease back) are written once.
"""

from __future__ import annotations

import functools
import re
from importlib import resources

_USE = re.compile(r"^-- use: ([a-z0-9_]+)[ \t]*$", re.MULTILINE)


def _read(name: str) -> str:
    return resources.files("hitl_service.store").joinpath("lua", f"{name}.lua").read_text(encoding="utf-8")


@functools.cache
def source(name: str) -> str:
    """The text of ``store/lua/<name>.lua`` with its ``-- use:`` libraries inlined (read once per process)."""
    return _USE.sub(lambda m: _read(m.group(1)), _read(name))


def register(client, name: str):
    """A callable script object for ``store/lua/<name>.lua``; call it with ``keys=[...]`` and ``args=[...]``."""
    return client.register_script(source(name))
