"""Who is calling: the client address behind trusted proxies, and the workforce's CIDR rules."""

from __future__ import annotations

import ipaddress
from functools import lru_cache


@lru_cache(maxsize=256)
def _network(cidr: str):
    return ipaddress.ip_network(cidr, strict=False)


def _address(text: str):
    try:
        return ipaddress.ip_address(text.strip().split("%", 1)[0])
    except ValueError:
        return None


def _trusted(addr, proxies: list[str]) -> bool:
    return addr is not None and any(addr.version == _network(p).version and addr in _network(p) for p in proxies)


def client_address(remote_addr: str | None, forwarded_for: str | None, trusted_proxies: list[str]) -> str:
    """The caller's address: the peer, unless the peer is a trusted proxy; then the right-most
    X-Forwarded-For entry that is not itself a trusted proxy (entries further left are the
    caller's own claims and cannot be believed)."""
    peer = remote_addr or ""
    if not forwarded_for or not _trusted(_address(peer), trusted_proxies):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        addr = _address(hop)
        if addr is None:
            return hop  # garbage from an untrusted hop: refuse it by its own (unparseable) value
        if not _trusted(addr, trusted_proxies):
            return str(addr)
    return str(_address(hops[0])) if hops else peer


def allowed(address: str, cidrs: list[str]) -> bool:
    """True when no CIDRs are configured or the address is inside one of them."""
    if not cidrs:
        return True
    addr = _address(address)
    if addr is None:
        return False
    if addr.version == 6 and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return any(addr.version == _network(c).version and addr in _network(c) for c in cidrs)


def check_cidrs(cidrs: list[str], setting: str) -> None:
    """Fail at start-up, naming the setting, when a configured CIDR does not parse."""
    for cidr in cidrs:
        try:
            _network(cidr)
        except ValueError:
            raise ValueError(f"{setting}: {cidr!r} is not a CIDR block (like 10.0.0.0/24)") from None
