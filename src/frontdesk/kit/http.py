"""Outbound HTTP to addresses that users typed in (webhooks, flow actions), behind an SSRF guard.

A URL is resolved first and every address it resolves to is checked; loopback, private, link-local,
multicast and reserved ranges are refused unless the operator allows them. The request then goes to
the checked address, so a DNS answer that changes between check and connect cannot slip past.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from frontdesk.kit.errors import BadRequest


class BlockedTarget(BadRequest):
    code = "blocked_target"


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


async def check_url(url: str, *, allow_private: bool) -> list[str]:
    """Return the addresses ``url`` may be fetched from, or raise :class:`BlockedTarget`."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise BlockedTarget("Only http and https URLs with a host name can be called.")
    host = parts.hostname
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise BlockedTarget(f"The host {host!r} could not be resolved.", code="unresolvable_host") from exc
    addresses = sorted({str(info[4][0]) for info in infos})
    if not allow_private:
        for raw in addresses:
            if not _is_public(ipaddress.ip_address(raw)):
                raise BlockedTarget(
                    f"{host} resolves to {raw}, a private or loopback address; "
                    "an operator must allow such targets explicitly.",
                )
    return addresses
