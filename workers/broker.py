"""Keeps a Celery worker alive when its Redis broker restarts.

When the broker connection drops, Celery closes the kombu connection (its transport forgets its
client: ``transport.client = None``) and then closes the old channels, which hand their unacked
messages back to the queue. Handing back needs a Redis client, so a channel whose pool was already
dropped builds a new one from ``self.connection.client`` -- now None -- and the worker dies with
``Unrecoverable error: AttributeError("'NoneType' object has no attribute 'hostname'")``
(kombu 5.x, ``Channel._connparams``). Each channel remembers the connection settings it was made with
and uses them in that case, so the in-flight messages go back to the queue and the consumer
reconnects as it does after any other connection error.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

_installed = False


def install() -> None:
    """Patch kombu's Redis channel once per process (idempotent)."""
    global _installed
    if _installed:
        return
    from kombu.transport import redis as kombu_redis

    channel_cls = kombu_redis.Channel
    original_init = channel_cls.__init__
    original_connparams = channel_cls._connparams

    def __init__(self, *args, **kwargs):
        # set before the original __init__, which already connects through _connparams
        self._hitl_conninfo = args[0].client if args else None
        original_init(self, *args, **kwargs)

    def _connparams(self, asynchronous=False):
        transport = self.connection
        if transport is not None and transport.client is None and self._hitl_conninfo is not None:
            log.info("broker connection closed under a channel; using its remembered settings to hand back "
                     "unacked messages")
            transport.client = self._hitl_conninfo
        return original_connparams(self, asynchronous=asynchronous)

    channel_cls.__init__ = __init__
    channel_cls._connparams = _connparams
    _installed = True
