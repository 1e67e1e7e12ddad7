"""Provider settings from configuration, and how a ``provider/model`` ref reaches litellm.

Two config shapes describe providers, and both may be present:

- editor settings (``initializationOptions.providers``): ``{"<id>": {"apiBase", "apiKeyEnv",
  "headers"}}``;
- OpenCode's file shape (``provider``): ``{"<id>": {"options": {"baseURL", "apiKey", "headers",
  "timeout"}, "models": {"<model>": {"name", "id", "limit", "cost", ...}}}}``. ``apiKey`` may
  already hold a ``{env:VAR}`` substitution done by the config loader.

Editor settings win over file options, as editor settings win everywhere else.

Routing: a provider litellm knows (``anthropic``, ``openai``, ``ollama``, ``openrouter``, ...)
passes through as ``<provider>/<model>``; OpenCode ids litellm spells differently are translated
(``google`` -> ``gemini``, ...). A provider litellm does not know but given a base URL is an
OpenAI-compatible endpoint: litellm ``openai/<model>`` at that base. Without a base URL it cannot
be reached, and the model says so when it is used.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from ..core.message import ModelRef

# OpenCode provider ids (models.dev) whose litellm name differs.
OPENCODE_TO_LITELLM = {
    "google": "gemini",
    "google-vertex": "vertex_ai",
    "google-vertex-anthropic": "vertex_ai",
    "amazon-bedrock": "bedrock",
    "github-copilot": "github_copilot",
    "togetherai": "together_ai",
    "fireworks-ai": "fireworks_ai",
    "lmstudio": "lm_studio",
    "azure-openai": "azure",
}

# A key OpenAI-compatible servers get when none is configured: many local servers ignore the
# key but the OpenAI client refuses to send a request without one.
NO_KEY = "sk-no-key-required"


@dataclass
class ProviderSettings:
    """Everything configured for one provider id, both shapes merged."""

    id: str
    api_base: str | None = None
    api_key: str | None = None
    api_key_env: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    timeout_s: float | None = None
    models: dict[str, dict[str, Any]] = field(default_factory=dict)

    def key(self) -> str | None:
        """The API key: the named env var first, then an inline key. Never logged."""
        if self.api_key_env:
            value = os.environ.get(self.api_key_env)
            if value:
                return value
        return self.api_key or None

    def __repr__(self) -> str:  # keeps the key out of logs and tracebacks
        return f"ProviderSettings(id={self.id!r}, api_base={self.api_base!r}, models={list(self.models)!r})"


@dataclass
class Route:
    """How to call one model through litellm."""

    provider_id: str
    model_id: str
    litellm_model: str | None  # None: the provider cannot be reached (see ``problem``)
    api_base: str | None = None
    api_key: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    timeout_s: float | None = None
    openai_compatible: bool = False
    problem: str | None = None

    def call_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"model": self.litellm_model}
        if self.api_base:
            options["api_base"] = self.api_base
        if self.api_key:
            options["api_key"] = self.api_key
        if self.headers:
            options["extra_headers"] = dict(self.headers)
        if self.timeout_s:
            options["timeout"] = self.timeout_s
        return options

    def __repr__(self) -> str:
        return f"Route({self.provider_id}/{self.model_id} -> {self.litellm_model!r} at {self.api_base!r})"


def split_ref(ref: str) -> tuple[str, str]:
    """``provider/model`` split on the first slash (model ids may contain slashes)."""
    parsed = ModelRef.parse(ref)
    return parsed.providerID, parsed.modelID


def _str_dict(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def parse_settings(config: dict[str, Any]) -> dict[str, ProviderSettings]:
    """Both provider shapes of a config dict, merged per provider id."""
    out: dict[str, ProviderSettings] = {}
    for pid, entry in (config.get("provider") or {}).items():
        if not isinstance(entry, dict):
            continue
        options = entry.get("options") or {}
        settings = out.setdefault(pid, ProviderSettings(id=pid))
        settings.api_base = options.get("baseURL") or options.get("baseUrl") or settings.api_base
        settings.api_key = options.get("apiKey") or settings.api_key
        settings.headers.update(_str_dict(options.get("headers")))
        timeout = options.get("timeout")
        if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0:
            settings.timeout_s = timeout / 1000  # OpenCode's timeout is in milliseconds
        settings.models.update({m: spec for m, spec in (entry.get("models") or {}).items() if isinstance(spec, dict)})
    for pid, entry in (config.get("providers") or {}).items():
        if not isinstance(entry, dict):
            continue
        settings = out.setdefault(pid, ProviderSettings(id=pid))
        settings.api_base = entry.get("apiBase") or settings.api_base
        settings.api_key_env = entry.get("apiKeyEnv") or settings.api_key_env
        settings.api_key = entry.get("apiKey") or settings.api_key
        settings.headers.update(_str_dict(entry.get("headers")))
    return out


def litellm_provider_name(provider_id: str, known: set[str]) -> str | None:
    """The litellm provider for an OpenCode provider id, or None when litellm has no such one."""
    if provider_id in known:
        return provider_id
    alias = OPENCODE_TO_LITELLM.get(provider_id)
    if alias in known:
        return alias
    return None


def route_for(provider_id: str, model_id: str, settings: ProviderSettings | None, known: set[str]) -> Route:
    """Decide how litellm reaches ``provider_id/model_id``; ``known`` is litellm's provider list."""
    settings = settings or ProviderSettings(id=provider_id)
    # OpenCode lets a configured model name a different API model id.
    api_model = str((settings.models.get(model_id) or {}).get("id") or model_id)
    base = settings.api_base
    name = litellm_provider_name(provider_id, known)
    if name is not None:
        return Route(provider_id, model_id, f"{name}/{api_model}", api_base=base, api_key=settings.key(),
                     headers=dict(settings.headers), timeout_s=settings.timeout_s)
    if base:
        return Route(provider_id, model_id, f"openai/{api_model}", api_base=base,
                     api_key=settings.key() or NO_KEY, headers=dict(settings.headers),
                     timeout_s=settings.timeout_s, openai_compatible=True)
    return Route(provider_id, model_id, None, problem=(
        f"Unknown provider {provider_id!r}: litellm does not know it and no base URL is configured. "
        f"Set providers.{provider_id}.apiBase (or provider.{provider_id}.options.baseURL) to an "
        f"OpenAI-compatible endpoint."))
