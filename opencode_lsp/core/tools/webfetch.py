"""The ``webfetch`` tool: fetch one http(s) URL and return it as markdown, text or HTML.

Private, loopback and link-local addresses are refused (checked for every redirect hop) so a
prompt-injected page cannot make the agent probe the user's network, unless the services say
``allow_private_network``.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import socket
from typing import Any, Literal, cast
from urllib.parse import urljoin, urlsplit

from pydantic import Field

from .args import ArgsTool, NonBlank, Positive, ToolArgs
from .base import ToolContext, ToolError, ToolResult
from .truncate import truncate_output

MAX_BYTES = 5 * 1024 * 1024
DEFAULT_TIMEOUT = 30.0
MAX_TIMEOUT = 120.0
MAX_REDIRECTS = 5
USER_AGENT = "Mozilla/5.0 (compatible; opencode-lsp webfetch)"

ACCEPT = {
    "markdown": "text/markdown;q=1.0, text/x-markdown;q=0.9, text/plain;q=0.8, text/html;q=0.7, */*;q=0.1",
    "text": "text/plain;q=1.0, text/markdown;q=0.9, text/html;q=0.8, */*;q=0.1",
    "html": "text/html;q=1.0, application/xhtml+xml;q=0.9, text/plain;q=0.8, */*;q=0.1",
}

DESCRIPTION = """\
Fetch the content of a web page or file from an http:// or https:// URL.

- format is "markdown" (default: HTML is converted, which reads best), "text" (HTML reduced
  to its text) or "html" (the raw page).
- timeout is in seconds (default 30, at most 120). Responses over 5 MB are refused, and long
  content is cut (the full text is saved to a file you can read).
- Read-only: it cannot log in, submit forms or fetch addresses on the local network.
- Use it when the user gives a URL or when documentation online is needed; prefer local files
  and tools for anything in the workspace.
"""


def _is_private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved
            or ip.is_multicast or ip.is_unspecified)


async def _check_host(url: str, allow_private: bool, pins: dict[str, str] | None = None) -> None:
    """Refuse non-http(s) URLs and hosts that resolve to private addresses, and pin the host
    to the address that was checked: the connection goes there, with no second lookup that a
    DNS-rebinding server could answer differently."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ToolError(f"Only http:// and https:// URLs can be fetched, not {parts.scheme or 'this'}: {url}")
    host = parts.hostname
    if not host:
        raise ToolError(f"The URL has no host: {url}")
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ToolError(f"Could not resolve {host}: {exc}") from exc
    if not allow_private:
        for info in infos:
            if _is_private(str(info[4][0])):
                raise ToolError(f"Refusing to fetch {url}: {host} is a private, loopback or link-local address.")
    if pins is not None and infos:
        pins[host.lower()] = str(infos[0][4][0])


def _pinned_transport(pins: dict[str, str]) -> Any:
    """An httpx transport whose connections go to ``pins[host]`` only. TLS still names the
    URL's host (SNI and certificate check) and the Host header is the URL's: only the address
    the socket connects to is fixed."""
    import httpcore
    import httpx

    class PinnedBackend(httpcore.AsyncNetworkBackend):
        def __init__(self) -> None:
            # httpcore exports AnyIOBackend under a fallback class that type checkers see instead.
            self.inner = cast(httpcore.AsyncNetworkBackend, httpcore.AnyIOBackend())

        async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                              local_address: str | None = None, socket_options: Any = None) -> Any:
            address = pins.get(host.lower().strip("[]"))
            if address is None:
                raise httpcore.ConnectError(f"{host} was not checked before connecting")
            return await self.inner.connect_tcp(address, port, timeout, local_address, socket_options)

        async def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Any = None) -> Any:
            raise httpcore.ConnectError("unix sockets are not fetched")

        async def sleep(self, seconds: float) -> None:
            await self.inner.sleep(seconds)

    # Environment proxies would resolve the host themselves: not used, so the pin holds.
    transport = httpx.AsyncHTTPTransport(trust_env=False)
    # httpx has no public hook for the network backend; the pool is rebuilt around ours (the
    # one place httpx's private attributes are used).
    transport._pool = httpcore.AsyncConnectionPool(  # pyright: ignore[reportPrivateUsage]
        ssl_context=transport._pool._ssl_context,  # pyright: ignore[reportPrivateUsage]
        network_backend=PinnedBackend())
    return transport


class WebFetchArgs(ToolArgs):
    url: NonBlank = Field(description="The http(s) URL to fetch.")
    format: Literal["text", "markdown", "html"] | None = Field(
        "markdown", description="How to return the content (default markdown).")
    timeout: Positive = Field(None, description="Timeout in seconds (default 30, max 120).")


class WebFetchTool(ArgsTool[WebFetchArgs]):
    id = "webfetch"
    description = DESCRIPTION
    Args = WebFetchArgs

    async def run(self, args: WebFetchArgs, ctx: ToolContext) -> ToolResult:
        import httpx  # imported here: only fetching pays for it

        url = args.url.strip()
        fmt = args.format or "markdown"
        timeout = min(args.timeout or DEFAULT_TIMEOUT, MAX_TIMEOUT)
        allow_private = ctx.services.allow_private_network
        pins: dict[str, str] = {}
        await _check_host(url, allow_private, pins)
        await ctx.ask("webfetch", [url], always=["*"], metadata={"url": url, "format": fmt, "timeout": timeout})

        headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT[fmt], "Accept-Language": "en-US,en;q=0.9"}
        try:
            async with httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False,
                                         transport=_pinned_transport(pins)) as client:
                body, content_type, final_url = await asyncio.wait_for(
                    self._fetch(client, url, headers, allow_private, pins), timeout)
        except asyncio.TimeoutError as exc:
            raise ToolError(f"Fetching {url} timed out after {timeout:g} s.") from exc
        except httpx.HTTPError as exc:
            raise ToolError(f"Fetching {url} failed: {exc}") from exc

        mime = content_type.split(";", 1)[0].strip().lower()
        title = f"{url} ({content_type or 'unknown type'})"
        if mime.startswith("image/") and mime != "image/svg+xml":
            data_url = f"data:{mime};base64,{base64.b64encode(body).decode('ascii')}"
            return ToolResult(title=title, output=f"Image fetched ({len(body)} bytes, attached).",
                              metadata={"url": final_url},
                              attachments=[{"type": "file", "mime": mime, "url": data_url}])
        text = body.decode(_charset(content_type), "replace")
        is_html = "html" in mime or (not mime and text.lstrip().lower().startswith(("<!doctype html", "<html")))
        if is_html and fmt in ("markdown", "text"):
            # BeautifulSoup and markdownify load on the first HTML page (~5 MB held from then on).
            from .html_markdown import html_to_markdown, html_to_text

            text = html_to_markdown(text) if fmt == "markdown" else html_to_text(text)
        output, truncated, saved = truncate_output(text, ctx.services.data_dir)
        metadata: dict[str, Any] = {"url": final_url, "contentType": content_type, "truncated": truncated}
        if saved:
            metadata["outputPath"] = saved
        return ToolResult(title=title, output=output, metadata=metadata)

    async def _fetch(self, client: Any, url: str, headers: dict[str, str],
                     allow_private: bool, pins: dict[str, str]) -> tuple[bytes, str, str]:
        for _ in range(MAX_REDIRECTS + 1):
            async with client.stream("GET", url, headers=headers) as response:
                if response.is_redirect and "location" in response.headers:
                    url = urljoin(url, response.headers["location"])
                    await _check_host(url, allow_private, pins)
                    continue
                if response.status_code >= 400:
                    raise ToolError(f"Fetching {url} failed: HTTP {response.status_code} {response.reason_phrase}")
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > MAX_BYTES:
                    raise ToolError(f"The response from {url} is too large ({declared} bytes; the limit is 5 MB).")
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > MAX_BYTES:
                        raise ToolError(f"The response from {url} is larger than the 5 MB limit.")
                    chunks.append(chunk)
                return b"".join(chunks), response.headers.get("content-type", ""), str(response.url)
        raise ToolError(f"Too many redirects fetching {url}.")


def _charset(content_type: str) -> str:
    for param in content_type.split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key.lower() == "charset" and value:
            name = value.strip().strip('"')
            try:
                "".encode(name)
                return name
            except LookupError:
                break
    return "utf-8"


tool = WebFetchTool()
