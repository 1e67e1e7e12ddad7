"""A local MCP server for the tests, written with the SDK (MCPServer, FastMCP's name in mcp 2).

Run: python stdio_server.py   (speaks MCP over stdin/stdout)
Tools: add, get.picture (text + image), doc (embedded text resource + a PNG blob), slow
(sleeps; writes ``started`` and, when cancelled, ``cancelled`` into the file ``marker``),
crash (the process exits mid-call).
"""

import asyncio
import base64
import os
import sys
from pathlib import Path

from mcp.server.mcpserver import MCPServer
from mcp.types import BlobResourceContents, EmbeddedResource, ImageContent, TextContent, TextResourceContents

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n-test-image-").decode()
server = MCPServer(os.environ.get("DEMO_SERVER_NAME", "demo"))


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool(name="get.picture")
def picture() -> list:
    """Return a small picture with a caption."""
    return [TextContent(type="text", text="a tiny picture"),
            ImageContent(type="image", data=PNG, mime_type="image/png")]


@server.tool()
def doc() -> list:
    """Return a document as an embedded resource and a binary one."""
    return [
        EmbeddedResource(type="resource", resource=TextResourceContents(
            uri="memo://notes", mime_type="text/plain", text="notes: the secret word is pelican")),
        EmbeddedResource(type="resource", resource=BlobResourceContents(
            uri="memo://chart.png", mime_type="image/png", blob=PNG)),
        EmbeddedResource(type="resource", resource=BlobResourceContents(
            uri="memo://data.bin", mime_type="application/x-thing", blob=PNG)),
    ]


@server.tool()
async def slow(seconds: float, marker: str) -> str:
    """Sleep, recording start and cancellation in the marker file."""
    path = Path(marker)
    path.write_text("started")
    try:
        await asyncio.sleep(seconds)
    except BaseException:
        path.write_text("cancelled")
        raise
    path.write_text("finished")
    return "slept"


@server.tool()
def crash() -> str:
    """Exit the whole server process."""
    sys.stdout.flush()
    os._exit(7)


@server.tool()
def env(name: str) -> str:
    """One environment variable of the server process."""
    return os.environ.get(name, "<unset>")


if __name__ == "__main__":
    server.run()
