"""``frontdesk whatsapp-sandbox`` runs the fake Graph API as a real process for ``make run`` demos."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
import pytest

from tests.conftest import free_port


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_dev_command_serves_the_sandbox(backend: str) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "frontdesk.cli",
            "whatsapp-sandbox",
            "--port",
            str(port),
            "--frontdesk-url",
            "http://127.0.0.1:9",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                page = httpx.get(base + "/", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        else:
            raise AssertionError("the sandbox did not start")
        assert page.status_code == 200 and "Send as the customer" in page.text
        r = httpx.post(
            f"{base}/v23.0/1122334455667/messages",
            headers={"Authorization": "Bearer sandbox-token"},
            json={"messaging_product": "whatsapp", "to": "15551234567", "type": "text", "text": {"body": "hi"}},
        )
        assert r.status_code == 200 and r.json()["messages"][0]["id"].startswith("wamid.")
        assert "15551234567" in httpx.get(base + "/").text
    finally:
        proc.terminate()
        proc.wait(timeout=10)
