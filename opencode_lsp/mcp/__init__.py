"""MCP servers as tool sources (the official ``mcp`` SDK as the client).

Importing this package is cheap: the SDK is imported only when a server starts.
"""

from .servers import McpServers

__all__ = ["McpServers"]
