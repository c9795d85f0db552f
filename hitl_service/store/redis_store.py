"""Compatibility names: ``Store`` and ``connect`` live in store.facade and store.client."""

from hitl_service.store.client import connect
from hitl_service.store.facade import Store

__all__ = ["Store", "connect"]
