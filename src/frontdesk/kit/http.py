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


# IPv6 forms that carry an IPv4 address inside; the IPv4 address is where the packets end up.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
# Protocol assignments (RFC 6890), some of which ``is_global`` calls global; none is a web server.
_IETF_PROTOCOL = ipaddress.ip_network("192.0.0.0/24")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Globally routable unicast only, judged on the IPv4 address inside an IPv6 one as well.

    ``is_global`` rather than a list of private ranges: the list misses shared address space
    (100.64.0.0/10, where some clouds keep their metadata service), and 6to4 or Teredo addresses
    that wrap 127.0.0.1 or 10.x would pass a check of the outer address alone.
    """
    if isinstance(address, ipaddress.IPv6Address):
        if address in _NAT64_LOCAL:
            return False
        inner = _embedded_ipv4(address)
        if inner is not None:
            return _is_public(inner)
    if address in _IETF_PROTOCOL:
        return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


async def check_url(url: str, *, allow_private: bool) -> list[str]:
    """Return the addresses ``url`` may be fetched from, or raise :class:`BlockedTarget`."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:  # an unclosed "[" or a port that is not a number
        raise BlockedTarget(f"This is not a valid URL: {exc}.", code="invalid_url") from None
    if parts.scheme not in {"http", "https"} or not host:
        raise BlockedTarget("Only http and https URLs with a host name can be called.")
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


class GuardedResponse:
    def __init__(self, status: int, headers: dict[str, str], body: bytes, truncated: bool) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.truncated = truncated

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


async def guarded_request(
    method: str,
    url: str,
    *,
    allow_private: bool,
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
    timeout: float = 10.0,  # noqa: ASYNC109  (enforced below as a deadline for the whole exchange)
    max_bytes: int = 1_048_576,
) -> GuardedResponse:
    """Send a request to a user-supplied URL through the SSRF guard, reading at most ``max_bytes``.

    The connection goes to the address that was checked (the host name still travels in ``Host``
    and, for HTTPS, in SNI), so a DNS answer that changes after the check is never used.
    """
    import httpx

    addresses = await check_url(url, allow_private=allow_private)
    parts = urlsplit(url)
    address = addresses[0]
    netloc_host = f"[{address}]" if ":" in address else address
    port = f":{parts.port}" if parts.port else ""
    pinned = parts._replace(netloc=f"{netloc_host}{port}").geturl()
    request_headers = {"Host": parts.netloc.rsplit("@", 1)[-1], "User-Agent": "Frontdesk-Webhooks/1"}
    request_headers.update(headers or {})
    extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
    # httpx's timeout bounds each read, not the whole exchange: a server dripping a byte every few
    # seconds would hold a worker for ever. ``timeout`` is also the deadline for all of it.
    try:
        async with asyncio.timeout(timeout):
            async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
                request = client.build_request(
                    method, pinned, headers=request_headers, content=content, extensions=extensions
                )
                response = await client.send(request, stream=True)
                try:
                    body = bytearray()
                    truncated = False
                    async for chunk in response.aiter_bytes():
                        body.extend(chunk)
                        if len(body) > max_bytes:
                            truncated = True
                            del body[max_bytes:]
                            break
                finally:
                    await response.aclose()
    except TimeoutError:
        raise httpx.ReadTimeout(f"no complete answer within {timeout:g} seconds") from None
    return GuardedResponse(response.status_code, dict(response.headers), bytes(body), truncated)
