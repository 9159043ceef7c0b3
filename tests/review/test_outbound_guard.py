"""The SSRF guard in front of user-typed URLs: addresses that only look public, and servers that never finish."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from frontdesk.kit.http import BlockedTarget, check_url, guarded_request

HIDDEN_PRIVATE = [
    "http://100.64.0.1/",  # shared address space (carrier-grade NAT)
    "http://100.100.100.200/latest/meta-data/",  # a cloud metadata service lives there
    "http://[2002:7f00:1::]/",  # 6to4 wrapping 127.0.0.1
    "http://[2002:a9fe:a9fe::]/",  # 6to4 wrapping 169.254.169.254
    "http://[2002:a00:1::]/",  # 6to4 wrapping 10.0.0.1
    "http://192.0.0.8/",  # IETF protocol assignments
]


@pytest.mark.parametrize("url", HIDDEN_PRIVATE)
async def test_addresses_that_wrap_or_neighbour_private_ones_are_refused(url: str) -> None:
    with pytest.raises(BlockedTarget):
        await check_url(url, allow_private=False)


@pytest.mark.parametrize("url", ["https://8.8.8.8/", "https://[2606:4700:4700::1111]/", "http://[2002:808:808::]/"])
async def test_public_addresses_still_pass(url: str) -> None:
    assert await check_url(url, allow_private=False)


async def test_a_server_that_drips_its_answer_is_cut_off_at_the_deadline() -> None:
    """httpx's timeout bounds each read; a byte every 0.2 s would otherwise hold a worker for ever."""

    async def drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        for _ in range(100):  # bounded: at most 20 s, then the connection closes
            try:
                writer.write(b"x")
                await writer.drain()
            except ConnectionError:
                break
            await asyncio.sleep(0.2)
        writer.close()

    server = await asyncio.start_server(drip, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        started = time.monotonic()
        with pytest.raises(httpx.TimeoutException):
            await asyncio.wait_for(
                guarded_request("GET", f"http://127.0.0.1:{port}/", allow_private=True, timeout=1.0), timeout=10
            )
        assert time.monotonic() - started < 3
    finally:
        server.close()
        await server.wait_closed()
