"""The client's address behind our reverse proxies (``CULTURECAST_TRUSTED_PROXIES``).

Why trust only listed proxies: anyone can send ``X-Forwarded-For``; believed from everyone,
one client could count as viewers of every province and escape the per-address limits. Behind
our own proxies the peer is the proxy, so the header's right-most address that is not itself a
trusted proxy is the client (each proxy appends the address it saw).
"""

from __future__ import annotations

import ipaddress

__all__ = ["Network", "client_ip", "parse_networks"]

type Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(raw: str) -> tuple[Network, ...]:
    """Comma-separated addresses or networks (``10.0.0.0/8, ::1``); ValueError names the bad one."""
    networks: list[Network] = []
    for part in raw.replace("，", ",").split(","):
        text = part.strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValueError(f"{text!r} is not an IP address or network") from None
    if not networks:
        raise ValueError(f"no networks in {raw!r}")
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, nets: tuple[Network, ...]
) -> bool:
    return any(address.version == net.version and address in net for net in nets)


def client_ip(peer: str | None, forwarded_for: str | None, trusted: tuple[Network, ...]) -> str:
    """The viewer's address: the peer's, unless the peer is a trusted proxy — then the
    right-most ``X-Forwarded-For`` entry that is not a trusted proxy. ``unknown`` when the peer
    is not an address (a Unix socket)."""
    peer_address = None if peer is None else _address(peer)
    if peer_address is None:
        return peer or "unknown"
    if not forwarded_for or not _trusted(peer_address, trusted):
        return str(peer_address)
    chosen = peer_address
    for entry in reversed(forwarded_for.split(",")):
        address = _address(entry)
        if address is None:
            break  # a malformed hop: believe nothing further left
        chosen = address
        if not _trusted(address, trusted):
            break
    return str(chosen)
