"""A ``ToolContext`` over a real temp directory, with an ``ask`` that records every request."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from opencode_lsp.core.tools.base import ToolContext, ToolServices
from opencode_lsp.core.workspace import DiskWorkspace


class Refused(Exception):
    pass


@dataclass
class Recorder:
    asks: list[dict[str, Any]] = field(default_factory=list)
    updates: list[tuple[str | None, dict[str, Any]]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def ask(self, permission: str, patterns: list[str], always: list[str] | None = None,
                  metadata: dict[str, Any] | None = None) -> None:
        self.asks.append({"permission": permission, "patterns": list(patterns),
                          "always": list(always or []), "metadata": metadata or {}})
        if permission in self.refuse:
            raise Refused(permission)

    def update(self, title: str | None, metadata: dict[str, Any]) -> None:
        self.updates.append((title, dict(metadata)))

    def of(self, permission: str) -> list[dict[str, Any]]:
        return [a for a in self.asks if a["permission"] == permission]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    r = tmp_path / "ws"
    r.mkdir()
    return r


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


@pytest.fixture
def make_ctx(root: Path, data_dir: Path, rec: Recorder):
    def build(**services: Any) -> ToolContext:
        return ToolContext(
            session_id="ses_test", message_id="msg_test", call_id="call_1", agent="build",
            workspace=DiskWorkspace(root), abort=asyncio.Event(), ask=rec.ask, update=rec.update,
            services=ToolServices(data_dir=str(data_dir), **services),
        )
    return build


@pytest.fixture
def ctx(make_ctx) -> ToolContext:
    return make_ctx()
