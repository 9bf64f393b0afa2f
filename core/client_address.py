"""The address a request comes from, for per-client limits."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from starlette.datastructures import Headers
from starlette.types import Scope

Networks = tuple[IPv4Network | IPv6Network, ...]


def _trusted(address: str, proxies: Networks) -> bool:
    try:
        parsed: IPv4Address | IPv6Address = ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in proxies)


def client_address(scope: Scope, trusted_proxies: Networks) -> str:
    """The socket peer, unless that peer is a trusted proxy: then the nearest address in
    `X-Forwarded-For` that is not one of ours. Anyone can write that header, so it is
    believed only as far back as our own proxies vouch for it."""
    peer = scope["client"][0] if scope.get("client") else "unknown"
    if not trusted_proxies or not _trusted(peer, trusted_proxies):
        return peer
    forwarded = Headers(scope=scope).get("x-forwarded-for", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted_proxies):
            return hop
    return hops[0] if hops else peer
