import base64
import http.server
import threading
from pathlib import Path

import pytest

from opencode_lsp.core.tools.base import ToolError
from opencode_lsp.core.tools.html_markdown import html_to_markdown, html_to_text
from opencode_lsp.core.tools.webfetch import tool as webfetch

PAGE = b"""<!doctype html><html><head><title>T</title><style>body{color:red}</style>
<script>var secret = 1;</script></head><body>
<h1>Main  title</h1><p>Read the <a href="/docs">docs</a> and use <code>pip install x</code>.</p>
<ul><li>alpha</li><li>beta<ol><li>inner</li></ol></li></ul>
<pre><code>def f():
    return 1</code></pre>
<h2>Next</h2><p>Some <strong>bold</strong> and <em>soft</em> text.</p>
</body></html>"""

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        routes = {
            "/page": ("text/html; charset=utf-8", PAGE),
            "/plain": ("text/plain", b"just text\n"),
            "/img": ("image/png", PNG),
            "/big": ("text/plain", b"x" * (5 * 1024 * 1024 + 10)),
            "/long": ("text/plain", b"".join(b"line %d\n" % i for i in range(3000))),
        }
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/plain")
            self.end_headers()
            return
        if self.path not in routes:
            self.send_response(404)
            self.end_headers()
            return
        mime, body = routes[self.path]
        self.send_response(200)
        self.send_header("Content-Type", mime)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def lctx(make_ctx):
    return make_ctx(allow_private_network=True)


async def test_markdown_from_local_server(server, lctx, rec):
    result = await webfetch.execute({"url": f"{server}/page"}, lctx)
    out = result.output
    assert out.startswith("# Main title\n\nRead the [docs](/docs) and use `pip install x`.")
    assert "- alpha\n- beta\n  1. inner" in out
    assert "```\ndef f():\n    return 1\n```" in out
    assert "## Next" in out and "**bold**" in out and "*soft*" in out
    assert "secret" not in out and "color:red" not in out
    assert rec.of("webfetch")[0]["patterns"] == [f"{server}/page"]
    assert result.title == f"{server}/page (text/html; charset=utf-8)"


async def test_text_and_html_formats(server, lctx):
    text = await webfetch.execute({"url": f"{server}/page", "format": "text"}, lctx)
    assert "Main title" in text.output and "<" not in text.output and "[docs]" not in text.output
    html = await webfetch.execute({"url": f"{server}/page", "format": "html"}, lctx)
    assert html.output == PAGE.decode()
    plain = await webfetch.execute({"url": f"{server}/plain"}, lctx)
    assert plain.output == "just text\n"


async def test_redirect_image_and_errors(server, lctx):
    redirected = await webfetch.execute({"url": f"{server}/redirect"}, lctx)
    assert redirected.output == "just text\n" and redirected.metadata["url"].endswith("/plain")
    img = await webfetch.execute({"url": f"{server}/img"}, lctx)
    assert base64.b64decode(img.attachments[0]["url"].split(",", 1)[1]) == PNG
    with pytest.raises(ToolError, match="404"):
        await webfetch.execute({"url": f"{server}/missing"}, lctx)
    with pytest.raises(ToolError, match="5 MB"):
        await webfetch.execute({"url": f"{server}/big"}, lctx)


async def test_long_content_is_truncated_and_saved(server, lctx, data_dir):
    result = await webfetch.execute({"url": f"{server}/long"}, lctx)
    assert result.metadata["truncated"] is True
    saved = Path(result.metadata["outputPath"])
    assert saved.parent == data_dir / "tool-output" and saved.read_text().count("\n") == 3000
    assert "line 0\n" in result.output and "line 2999" not in result.output


async def test_private_addresses_refused_without_permission(server, ctx, rec):
    for url in (f"{server}/plain", "http://localhost:1/", "http://[::1]:1/", "http://169.254.169.254/latest"):
        with pytest.raises(ToolError, match="private, loopback or link-local"):
            await webfetch.execute({"url": url}, ctx)
    assert rec.asks == []


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "javascript:alert(1)"])
async def test_other_schemes_refused(url, lctx, rec):
    with pytest.raises(ToolError, match="Only http"):
        await webfetch.execute({"url": url}, lctx)
    assert rec.asks == []


def test_converter_edge_cases():
    assert html_to_markdown("<p>a<br>b</p><hr><blockquote><p>q1</p><p>q2</p></blockquote>") == "a\nb\n\n---\n\n> q1\n>\n> q2"
    assert html_to_markdown('<a href="javascript:x()">js</a> <img src="i.png" alt="pic">') == "js ![pic](i.png)"
    assert html_to_text("<table><tr><td>a</td><td>b</td></tr></table>") == "a\tb"
    assert html_to_markdown("<div><p>unclosed <b>tags") == "unclosed **tags**"
    assert html_to_text("<p>hello <b>world</b><script>steal()</script></p><p>x<br>y</p>") == "hello world\nx\ny"
    assert html_to_markdown("<h2>T</h2><pre><code>x = 1\n  y</code></pre><ul><li>a</li></ul>") == "## T\n\n```\nx = 1\n  y\n```\n\n- a"
