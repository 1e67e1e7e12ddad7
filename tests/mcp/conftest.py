"""MCP integration fixtures: real MCP servers (local over stdio, remote over streamable HTTP on
127.0.0.1), the scripted model, and the real LSP server configured through opencode.json."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.lsp.conftest import SERVER_ENV, attach_recorder, init_params, make_client
from tests.support.fake_openai import FakeOpenAI

SERVERS = Path(__file__).parent / "servers"
TOKEN = "s3cret-header-value"


def local_server(**extra: Any) -> dict[str, Any]:
    return {"type": "local", "command": [sys.executable, str(SERVERS / "stdio_server.py")], **extra}


def exits_at_start() -> dict[str, Any]:
    code = "import sys; sys.stderr.write('boom: the server needs a token\\n'); sys.exit(3)"
    return {"type": "local", "command": [sys.executable, "-c", code]}


def hangs(timeout_ms: int = 1500) -> dict[str, Any]:
    return {"type": "local", "command": [sys.executable, "-c", "import time; time.sleep(600)"], "timeout": timeout_ms}


@pytest.fixture
def remote_url():
    """The remote MCP server, for the test's duration."""
    process = subprocess.Popen([sys.executable, str(SERVERS / "http_server.py"), TOKEN],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = process.stdout.readline().strip()
        assert line.startswith("PORT="), line
        yield f"http://127.0.0.1:{line.split('=', 1)[1]}/mcp"
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def fake_title() -> str:
    return "MCP test"


@pytest.fixture
def mcp_config() -> dict[str, Any]:
    """The ``mcp`` section; tests override this fixture."""
    return {"my.local": local_server()}


@pytest.fixture
def project_config(mcp_config: dict[str, Any]) -> dict[str, Any]:
    """The workspace's opencode.json."""
    return {"mcp": mcp_config}


@pytest.fixture
def workspace(tmp_path: Path, project_config: dict[str, Any]) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "opencode.json").write_text(json.dumps(project_config, indent=2))
    return root


@pytest.fixture
def init_options(tmp_path: Path, fake: FakeOpenAI) -> dict[str, Any]:
    return {
        "storage": {"path": str(tmp_path / "store")},
        "events": True,
        "permissionUI": True,
        "model": "fake/m",
        "providers": {"fake": {"apiBase": fake.base_url}},
    }


@pytest_lsp.fixture(
    config=ClientServerConfig(
        server_command=[sys.executable, "-m", "opencode_lsp"], server_env=SERVER_ENV, client_factory=make_client
    ),
)
async def client(lsp_client: LanguageClient, workspace: Path, init_options: dict[str, Any]):
    lsp_client.recorder = attach_recorder(lsp_client)
    lsp_client.init_result = await lsp_client.initialize_session(
        init_params("visual-studio-code", workspace, init_options))
    yield
    await lsp_client.shutdown_session()
