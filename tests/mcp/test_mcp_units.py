"""MCP pieces without the LSP server: names, schemas, result conversion, config entries, secrets,
and the workspace switch kept across restarts (with a real stdio server)."""

from __future__ import annotations

import asyncio
import base64
import subprocess
import sys
from pathlib import Path

from opencode_lsp.core.config import load_config
from opencode_lsp.core.events import Bus
from opencode_lsp.core.tools.base import ToolServices
from opencode_lsp.mcp import McpServers
from opencode_lsp.mcp.config import BadEntry, LocalServer, RemoteServer, parse_servers
from opencode_lsp.mcp.connection import describe_error
from opencode_lsp.mcp.tools import convert_result, input_schema, tool_id

from .conftest import SERVERS, TOKEN, local_server

PNG = base64.b64encode(b"\x89PNG fake").decode()


def test_names_follow_opencode():
    assert tool_id("my.server", "get weather") == "my_server_get_weather"
    assert tool_id("gh", "repo/list-issues") == "gh_repo_list-issues"
    assert tool_id("ünï", "a:b") == "_n__a_b"


def test_schema_is_an_object_without_extra_keys():
    assert input_schema(None) == {"type": "object", "properties": {}, "additionalProperties": False}
    schema = input_schema({"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"],
                           "additionalProperties": True})
    assert schema["required"] == ["q"] and schema["additionalProperties"] is False
    assert schema["properties"] == {"q": {"type": "string"}}


def test_results_become_tool_parts(tmp_path: Path):
    result = convert_result({"content": [
        {"type": "text", "text": "first"},
        {"type": "image", "data": PNG, "mimeType": "image/png"},
        {"type": "resource", "resource": {"uri": "file:///a.txt", "text": "second"}},
        {"type": "resource", "resource": {"uri": "file:///b.pdf", "blob": PNG, "mimeType": "application/pdf"}},
        {"type": "resource", "resource": {"uri": "file:///c.zip", "blob": PNG, "mimeType": "application/zip"}},
    ], "isError": False}, str(tmp_path))
    assert result.title == ""
    assert result.output.split("\n\n")[:2] == ["first", "second"]
    assert "file:///c.zip (application/zip" in result.output
    assert result.metadata == {"truncated": False}
    assert result.attachments == [
        {"type": "file", "mime": "image/png", "url": f"data:image/png;base64,{PNG}"},
        {"type": "file", "mime": "application/pdf", "url": f"data:application/pdf;base64,{PNG}",
         "filename": "file:///b.pdf"},
    ]


def test_long_results_are_truncated_and_kept(tmp_path: Path):
    text = "\n".join(f"line {i}" for i in range(5000))
    result = convert_result({"content": [{"type": "text", "text": text}]}, str(tmp_path))
    assert result.metadata["truncated"] is True
    assert Path(result.metadata["outputPath"]).read_text() == text
    assert "line 0" in result.output and "line 4999" not in result.output


def test_config_entries_are_checked_one_by_one():
    servers = parse_servers({
        "ok": {"type": "local", "command": ["srv", "--flag"], "environment": {"K": "v"}, "timeout": 250},
        "web": {"type": "remote", "url": "https://example.com/mcp", "headers": {"A": "b"}, "oauth": False},
        "noprog": {"type": "local", "command": []},
        "ftp": {"type": "remote", "url": "ftp://example.com"},
        "notype": {"command": ["x"], "enabled": False},
        "header": {"type": "remote", "url": "http://h", "headers": {"A": 1}},
    })
    assert isinstance(servers["ok"], LocalServer) and servers["ok"].timeout_s == 0.25
    assert servers["ok"].connect_timeout_s == 0.25  # a configured timeout bounds the start too
    assert isinstance(servers["web"], RemoteServer) and servers["web"].timeout_s == 5.0
    assert servers["web"].connect_timeout_s == 30.0
    assert isinstance(servers["noprog"], BadEntry) and servers["noprog"].error.startswith("mcp.noprog.command")
    assert servers["ftp"].error.startswith("mcp.ftp.url")
    assert servers["notype"].error.startswith("mcp.notype.type") and servers["notype"].enabled is False
    assert servers["header"].error.startswith("mcp.header.headers.A")
    assert parse_servers("not an object") == {}


def test_project_file_merges_over_the_global_one_and_secrets_are_redacted(tmp_path: Path, monkeypatch):
    home = tmp_path / "xdg"
    (home / "opencode").mkdir(parents=True)
    (home / "opencode" / "opencode.json").write_text(
        '{"mcp": {"docs": {"type": "remote", "url": "https://u:pw@example.com/mcp",'
        ' "headers": {"X-Custom": "tok-123"}}}}')
    root = tmp_path / "ws"
    root.mkdir()
    (root / "opencode.jsonc").write_text(
        '// project\n{"mcp": {"docs": {"enabled": false}, "local": {"type": "local", "command": ["x"],'
        ' "environment": {"SERVICE_KEY": "k-456"}},}}')
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    monkeypatch.delenv("OPENCODE_LSP_NO_GLOBAL_CONFIG", raising=False)
    config = load_config(root)
    assert config.mcp["docs"]["enabled"] is False and config.mcp["docs"]["headers"] == {"X-Custom": "tok-123"}
    shown = str(config.redacted())
    assert "tok-123" not in shown and "k-456" not in shown and "pw@" not in shown
    assert config.redacted()["mcp"]["local"]["command"] == ["x"]


def test_errors_read_as_one_line():
    group = ExceptionGroup("outer", [ExceptionGroup("inner", [RuntimeError("Connection closed\nmore")])])
    assert describe_error(group, "boom") == "Connection closed (stderr: boom)"
    leaky = RuntimeError("Client error '401' for url 'https://user:pw@example.com/mcp'")
    assert "pw" not in describe_error(leaky) and "example.com/mcp" in describe_error(leaky)
    missing = FileNotFoundError(2, "No such file", "/no/prog")
    assert describe_error(missing) == "command not found: /no/prog"


async def test_the_workspace_switch_survives_a_restart(tmp_path: Path):
    state = tmp_path / "mcp.json"
    config = {"demo": local_server(), "bad": {"type": "local", "command": []}}

    first = McpServers(config, root=tmp_path, bus=Bus(), state_path=state)
    await first.ready()
    assert first.status_of("demo")["state"] == "connected" and "demo_add" in first.tools()
    assert first.status_of("bad")["state"] == "failed"
    assert (await first.toggle("demo", False))["state"] == "disabled" and first.tools() == {}
    await first.close()

    events = []
    bus = Bus()
    bus.subscribe(events.append)
    second = McpServers(config, root=tmp_path, bus=bus, state_path=state)
    await second.ready()
    assert second.status_of("demo") == {"name": "demo", "type": "local", "enabled": False,
                                        "state": "disabled", "tools": []}
    assert "demo" not in second.connections  # never started
    assert (await second.toggle("demo", True))["state"] == "connected"
    await second.close()
    assert [e.properties["state"] for e in events if e.properties.get("name") == "demo"] == ["starting", "connected"]
    assert [e.properties["state"] for e in events if e.properties.get("name") == "bad"] == ["failed"]


async def test_a_config_change_restarts_changed_servers_and_stops_removed_ones(tmp_path: Path):
    servers = McpServers({"a": local_server()}, root=tmp_path, bus=Bus(), state_path=tmp_path / "mcp.json")
    await servers.ready()
    first = servers.connections["a"]
    assert first.state == "connected"

    await servers.reconfigure({"a": local_server(environment={"X": "1"}), "b": local_server()})
    await servers.ready()
    assert servers.connections["a"] is not first and first.client is None
    assert [s["state"] for s in servers.status()] == ["connected", "connected"]
    assert "b_add" in servers.tools()

    unchanged = servers.connections["b"]
    await servers.reconfigure({"b": local_server()})
    await servers.ready()
    assert servers.connections == {"b": unchanged} and sorted(servers.tools()) == sorted(unchanged.tools)
    await servers.close()
    assert servers.connections == {}


async def test_a_server_speaking_only_sse_is_reached_by_the_fallback(tmp_path: Path):
    process = subprocess.Popen([sys.executable, str(SERVERS / "http_server.py"), TOKEN, "sse"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = f"http://127.0.0.1:{process.stdout.readline().strip().split('=', 1)[1]}/sse"
        servers = McpServers({"old": {"type": "remote", "url": url, "headers": {"X-Test-Token": TOKEN}},
                              "nokey": {"type": "remote", "url": url}},
                             root=tmp_path, bus=Bus(), state_path=tmp_path / "mcp.json")
        await servers.ready()
        assert servers.status_of("old")["state"] == "connected" and "old_echo" in servers.tools()
        nokey = servers.status_of("nokey")
        assert nokey["state"] == "failed" and "401" in nokey["error"]

        class Context:
            abort = asyncio.Event()
            services = ToolServices()

            async def ask(self, *args, **kwargs):
                return None

        result = await servers.tools()["old_echo"].execute({"text": "via sse"}, Context())
        assert result.output == "echo: via sse"
        await servers.close()
    finally:
        process.terminate()
        process.wait(10)


async def test_a_broken_sdk_install_fails_the_servers_not_the_run(tmp_path: Path, monkeypatch):
    from opencode_lsp.mcp import servers as module

    def broken() -> None:
        raise ImportError("No module named 'mcp'")

    monkeypatch.setattr(module, "_import_sdk", broken)
    servers = McpServers({"demo": local_server()}, root=tmp_path, bus=Bus(), state_path=tmp_path / "mcp.json")
    await servers.ready()
    status = servers.status_of("demo")
    assert status["state"] == "failed" and "No module named 'mcp'" in status["error"]
    assert servers.tools() == {} and servers.connections == {}
