"""webfetch connects to the address it checked: a second DNS answer (rebinding to loopback)
is never used, and the request still names the URL's host."""

from __future__ import annotations

import asyncio
import http.server
import socket
import threading
from typing import Any

import pytest

from opencode_lsp.core.tools.base import ToolContext, ToolError, ToolServices
from opencode_lsp.core.tools.webfetch import tool as webfetch
from opencode_lsp.core.workspace import DiskWorkspace

HITS: list[str] = []


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        HITS.append(self.headers.get("Host") or "")
        body = b"local secret"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def local_server():
    HITS.clear()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def resolver(first: str, later: str, calls: list[str]):
    real = socket.getaddrinfo

    def fake(host, port, *args: Any, **kwargs: Any):
        # anyio (under httpx) asks with the IDNA-encoded bytes: a second lookup must be seen too.
        name = host.decode() if isinstance(host, bytes) else host
        if name not in ("rebind.test", "pinned.test"):
            return real(host, port, *args, **kwargs)
        calls.append(name)
        address = first if len(calls) == 1 else later
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port or 80)))]
    return fake


def ctx_for(tmp_path, **services: Any) -> ToolContext:
    async def ask(*args: Any, **kwargs: Any) -> None:
        return None
    return ToolContext(session_id="s", message_id="m", call_id="c", agent="build", workspace=DiskWorkspace(tmp_path),
                       abort=asyncio.Event(), ask=ask, services=ToolServices(data_dir=str(tmp_path / "d"), **services))


async def test_a_rebinding_answer_is_never_connected_to(local_server, tmp_path, monkeypatch):
    calls: list[str] = []
    # Checked: a public address. Any later lookup: loopback, where the secret lives.
    monkeypatch.setattr(socket, "getaddrinfo", resolver("1.2.3.4", "127.0.0.1", calls))
    with pytest.raises(ToolError):
        await webfetch.execute({"url": f"http://rebind.test:{local_server}/", "format": "text", "timeout": 3},
                               ctx_for(tmp_path))
    assert HITS == [] and calls == ["rebind.test"]


async def test_the_pinned_request_keeps_its_host_header(local_server, tmp_path, monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(socket, "getaddrinfo", resolver("127.0.0.1", "10.9.9.9", calls))
    result = await webfetch.execute({"url": f"http://pinned.test:{local_server}/", "format": "text", "timeout": 3},
                                    ctx_for(tmp_path, allow_private_network=True))
    assert "local secret" in result.output
    assert HITS == [f"pinned.test:{local_server}"] and calls == ["pinned.test"]
