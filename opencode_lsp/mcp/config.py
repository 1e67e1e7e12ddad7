"""The ``mcp`` section of OpenCode's config: one entry per server, checked one by one.

Shapes (OpenCode's)::

    "mcp": {
      "files": {"type": "local", "command": ["npx", "-y", "some-server"], "environment": {"K": "v"},
                "enabled": true, "timeout": 5000},
      "docs":  {"type": "remote", "url": "https://example.com/mcp", "headers": {"Authorization": "..."},
                "enabled": true, "timeout": 5000}
    }

``timeout`` (milliseconds) bounds listing the tools (default 5000) and, when given, also starting
the server and the handshake (default 30000 for that). A bad entry
becomes a failed server whose error names the field; the other servers are not affected.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, TypeAdapter, ValidationError, field_validator

from ..core.store import is_record

DEFAULT_TIMEOUT_MS = 5000
DEFAULT_CONNECT_TIMEOUT_MS = 30000


class _Entry(BaseModel):
    # Keys OpenCode knows and we do not use (``oauth``) are accepted and ignored.
    model_config = ConfigDict(extra="ignore")
    enabled: StrictBool = True
    timeout: Annotated[int, Field(gt=0)] | None = None

    @property
    def timeout_s(self) -> float:
        """Listing the tools (OpenCode's meaning of ``timeout``)."""
        return (self.timeout or DEFAULT_TIMEOUT_MS) / 1000

    @property
    def connect_timeout_s(self) -> float:
        """Spawning or connecting and the handshake: the configured ``timeout`` when there is
        one, else a generous default (``npx -y`` may download the server on first use)."""
        return self.timeout / 1000 if self.timeout else DEFAULT_CONNECT_TIMEOUT_MS / 1000


class LocalServer(_Entry):
    type: Literal["local"]
    command: list[StrictStr] = Field(min_length=1)
    environment: dict[str, StrictStr] = Field(default_factory=dict)

    @field_validator("command")
    @classmethod
    def _program_named(cls, value: list[str]) -> list[str]:
        if not value[0].strip():
            raise ValueError("the first element (the program) is empty")
        return value


class RemoteServer(_Entry):
    type: Literal["remote"]
    url: StrictStr
    headers: dict[str, StrictStr] = Field(default_factory=dict)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http:// or https:// URL")
        return value


ServerConfig = Union[LocalServer, RemoteServer]
_ADAPTER: TypeAdapter[ServerConfig] = TypeAdapter(
    Annotated[Union[LocalServer, RemoteServer], Field(discriminator="type")]
)


class BadEntry(BaseModel):
    """An entry that could not be used; shown as a failed server."""

    type: str = "local"
    enabled: bool = True
    error: str


def parse_entry(name: str, raw: object) -> ServerConfig | BadEntry:
    if not is_record(raw):
        return BadEntry(error=f"mcp.{name}: expected an object")
    kind = raw.get("type")
    enabled = raw.get("enabled") is not False
    if kind not in ("local", "remote"):
        return BadEntry(enabled=enabled, error=f"mcp.{name}.type: expected \"local\" or \"remote\"")
    try:
        return _ADAPTER.validate_python(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"][1:])  # drop the union tag
        return BadEntry(type=kind, enabled=enabled, error=f"mcp.{name}.{where}: {first['msg']}")


def parse_servers(value: object) -> dict[str, ServerConfig | BadEntry]:
    if not is_record(value):
        return {}
    return {str(name): parse_entry(str(name), raw) for name, raw in value.items()}
