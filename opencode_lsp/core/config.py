"""Effective configuration: OpenCode's config files, editor settings and per-request values.

Precedence, lowest first: global file (~/.config/opencode/opencode.json), project file
(opencode.json / opencode.jsonc in the workspace root), editor settings (initializationOptions,
workspace/configuration section ``opencode``, didChangeConfiguration), per-request values.
OpenCode's ``{env:VAR}`` and ``{file:path}`` substitutions are applied to file contents.
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, Field

from .redact import redact_value
from .store import is_record

log = logging.getLogger(__name__)

# Editor-settings keys (camelCase, protocol.md) -> OpenCode config keys.
_EDITOR_KEYS = {"smallModel": "small_model", "permissionUI": "permission_ui"}


class CompactionConfig(BaseModel):
    model_config = ConfigDict(extra="allow")
    auto: bool = True
    prune: bool = False
    reserved: int | None = None


class StorageConfig(BaseModel):
    model_config = ConfigDict(extra="allow")
    path: str | None = None


class Config(BaseModel):
    """The merged configuration. Unknown keys are kept for forward compatibility."""

    model_config = ConfigDict(extra="allow")

    model: str | None = None
    small_model: str | None = None
    agent: str | None = None  # default primary agent; config ``agent`` maps are in ``agents``
    agents: dict[str, Any] = Field(default_factory=dict)
    command: dict[str, Any] = Field(default_factory=dict)
    permission: dict[str, Any] | str | None = None
    provider: dict[str, Any] = Field(default_factory=dict)  # OpenCode's provider config
    providers: dict[str, Any] = Field(default_factory=dict)  # editor settings' provider shape
    instructions: list[str] = Field(default_factory=list)
    compaction: CompactionConfig = Field(default_factory=CompactionConfig)
    storage: StorageConfig = Field(default_factory=StorageConfig)
    permission_ui: bool = False
    events: bool = False
    # MCP servers by name, in OpenCode's shape; each entry is checked when its server starts
    # (opencode_lsp.mcp.config), so one bad entry fails that server alone and a bad ``mcp``
    # value costs the MCP servers, not the rest of the config.
    mcp: Any = Field(default_factory=dict)

    def redacted(self) -> dict[str, Any]:
        """The config with every secret-looking value replaced, for ``opencode/config/get``."""
        data = _redact(self.model_dump(mode="json", exclude_none=True))
        servers = data.get("mcp")
        for entry in (servers.values() if is_record(servers) else ()):
            if is_record(entry):
                _redact_mcp(entry)
        return data


def _redact_mcp(entry: dict[str, Any]) -> None:
    """Remote headers and a local server's environment carry tokens under any name."""
    for key in ("headers", "environment"):
        if isinstance(entry.get(key), dict):
            entry[key] = {name: "<redacted>" for name in entry[key]}
    url = entry.get("url")
    if isinstance(url, str):
        entry["url"] = re.sub(r"//[^/@]*@", "//<redacted>@", url)


def _redact(value: Any, key: str = "") -> Any:
    return redact_value(value, key)


def strip_jsonc(text: str) -> str:
    """Remove // and /* */ comments and trailing commas, leaving strings intact."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        else:
            out.append(c)
            i += 1
    return re.sub(r",(\s*[}\]])", r"\1", "".join(out))


def substitute(text: str, base_dir: Path) -> str:
    """OpenCode's ``{env:VAR}`` and ``{file:path}`` substitutions inside a config file's text."""

    def env(match: re.Match[str]) -> str:
        return os.environ.get(match.group(1), "")

    def file(match: re.Match[str]) -> str:
        raw = match.group(1)
        path = Path(os.path.expanduser(raw))
        if not path.is_absolute():
            path = base_dir / path
        try:
            content = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ValueError(f"{{file:{raw}}} could not be read: {exc}") from exc
        return json.dumps(content)[1:-1]  # escaped to sit inside a JSON string

    text = re.sub(r"\{env:([^}]+)\}", env, text)
    return re.sub(r"\{file:([^}]+)\}", file, text)


def read_config_file(path: Path) -> dict[str, Any]:
    """One OpenCode config file as a dict; an unreadable file is logged and ignored."""
    try:
        raw = path.read_text(encoding="utf-8")
        data = json.loads(strip_jsonc(substitute(raw, path.parent)))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.error("ignoring config file %s: %s", path, exc)
        return {}
    if not is_record(data):
        log.error("ignoring config file %s: top level is not an object", path)
        return {}
    return data


def global_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "opencode" / "opencode.json"


def project_config_paths(root: Path) -> list[Path]:
    return [root / "opencode.json", root / "opencode.jsonc"]


def _normalise(layer: dict[str, Any]) -> dict[str, Any]:
    """Map one layer (file or editor settings) onto ``Config`` field names."""
    out: dict[str, Any] = {}
    for key, value in layer.items():
        key = _EDITOR_KEYS.get(key, key)
        if key == "agent":
            # OpenCode: ``agent`` is a map of agent configs; editors: the default agent's name.
            if isinstance(value, dict):
                out["agents"] = value
                continue
            if not isinstance(value, str):
                continue
        if key == "default_agent":
            key = "agent"
        out[key] = value
    return out


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in top.items():
        if is_record(value) and is_record(merged.get(key)):
            merged[key] = _deep_merge(merged[key], value)
        elif key == "instructions" and isinstance(value, list) and isinstance(merged.get(key), list):
            merged[key] = merged[key] + [v for v in cast(list[Any], value) if v not in merged[key]]
        else:
            merged[key] = value
    return merged


def load_config(root: Path, editor_settings: dict[str, Any] | None = None, *, use_global: bool = True) -> Config:
    layers: list[dict[str, Any]] = []
    if use_global and not os.environ.get("OPENCODE_LSP_NO_GLOBAL_CONFIG"):
        layers.append(read_config_file(global_config_path()))
    for path in project_config_paths(root):
        layers.append(read_config_file(path))
    if editor_settings:
        layers.append(editor_settings)
    merged: dict[str, Any] = {}
    for layer in layers:
        merged = _deep_merge(merged, _normalise(layer))
    merged.pop("$schema", None)
    try:
        return Config.model_validate(merged)
    except Exception as exc:  # a bad editor value must not take the server down
        log.error("invalid configuration, using defaults where it failed: %s", exc)
        safe = {k: v for k, v in merged.items() if k in ("model", "small_model") and isinstance(v, str)}
        return Config.model_validate(safe)
