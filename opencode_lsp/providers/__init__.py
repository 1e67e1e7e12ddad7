"""Language models through litellm: the only package that imports it, and only lazily.

``import opencode_lsp.providers`` stays cheap: litellm is imported on the first model call or by
``warm_up()``, which ``App.warm_up`` runs in a background thread (see ``runtime``).

Public API:

- ``LitellmProvider(config)``: a ``core.llm.ModelProvider``; ``get(provider_id, model_id)``,
  ``list_models()``, ``reconfigure(config)``, ``warm_up()``;
- ``LitellmModel``: a ``core.llm.LanguageModel``; ``stream(ChatRequest)`` yields core events and
  raises classified ``ModelError``s;
- ``warm_up()``: import litellm now (blocking; run it off the request path);
- ``to_model_error(exc)``, ``retry_after_ms(headers)``: error classification helpers.
"""

from __future__ import annotations

from .errors import retry_after_ms, to_model_error
from .model import LitellmModel, map_finish_reason, usage_from
from .provider import LitellmProvider
from .runtime import is_loaded, warm_up
from .settings import ProviderSettings, Route, parse_settings, route_for, split_ref

__all__ = [
    "LitellmModel", "LitellmProvider", "ProviderSettings", "Route", "is_loaded", "map_finish_reason",
    "parse_settings", "retry_after_ms", "route_for", "split_ref", "to_model_error", "usage_from", "warm_up",
]
