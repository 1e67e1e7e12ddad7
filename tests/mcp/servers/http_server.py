"""A remote MCP server for the tests: streamable HTTP on 127.0.0.1, answering only requests that
carry the header ``X-Test-Token: <token>`` (401 otherwise).

Run: python http_server.py TOKEN [sse]   (prints ``PORT=<n>`` once listening)
With ``sse`` it speaks only the older HTTP+SSE transport (``/sse``), to exercise the client's fallback.
"""

import socket
import sys

import uvicorn
from mcp.server.mcpserver import MCPServer
from starlette.responses import PlainTextResponse

TOKEN = sys.argv[1].encode() if len(sys.argv) > 1 else b"s3cret"
server = MCPServer("remote-demo")
seen: list[str] = []


@server.tool()
def echo(text: str) -> str:
    """Echo the text back."""
    seen.append(text)
    return f"echo: {text}"


@server.tool()
def count() -> int:
    """How many echo calls this server has answered."""
    return len(seen)


class RequireHeader:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and dict(scope["headers"]).get(b"x-test-token") != TOKEN:
            await PlainTextResponse("missing or wrong X-Test-Token", status_code=401)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def main() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    print(f"PORT={sock.getsockname()[1]}", flush=True)
    app = server.sse_app() if sys.argv[2:] == ["sse"] else server.streamable_http_app()
    config = uvicorn.Config(RequireHeader(app), log_level="warning", lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
