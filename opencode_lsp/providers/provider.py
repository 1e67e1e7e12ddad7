"""``LitellmProvider``: the ``ModelProvider`` the app uses, built from the merged config dict.

The config is OpenCode's shape as ``App.opencode_config()`` hands it over: ``model``,
``small_model``, ``provider`` (file shape) and ``providers`` (editor shape). Models are cached per
ref and rebuilt when the config changes (``reconfigure``).
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from ..core.llm import ModelInfo
from . import runtime
from .catalog import model_info
from .model import LitellmModel
from .settings import ProviderSettings, parse_settings, route_for, split_ref


class LitellmProvider:
    def __init__(self, config: dict[str, Any] | None = None):
        self._lock = threading.Lock()
        self._models: dict[tuple[str, str], LitellmModel] = {}
        self._known: set[str] | None = None
        self.reconfigure(config or {})

    def reconfigure(self, config: dict[str, Any]) -> None:
        with self._lock:
            self.config = dict(config)
            self.settings: dict[str, ProviderSettings] = parse_settings(self.config)
            self._models.clear()

    def warm_up(self) -> None:
        """Import litellm now (the caller runs this off the request path)."""
        runtime.warm_up()

    async def ready(self) -> None:
        """Wait, in a thread, until litellm is imported (the first import takes seconds)."""
        if not runtime.is_loaded():
            await asyncio.to_thread(runtime.litellm)

    def known_providers(self) -> set[str]:
        if self._known is None:
            lib = runtime.litellm()
            self._known = {str(getattr(p, "value", p)) for p in lib.provider_list}
        return self._known

    def get(self, provider_id: str, model_id: str) -> LitellmModel:
        key = (provider_id, model_id)
        with self._lock:
            cached = self._models.get(key)
            settings = self.settings.get(provider_id)
        if cached is not None:
            return cached
        route = route_for(provider_id, model_id, settings, self.known_providers())
        model = LitellmModel(model_info(route, settings, runtime.litellm()), route)
        with self._lock:
            return self._models.setdefault(key, model)

    def get_ref(self, ref: str) -> LitellmModel:
        return self.get(*split_ref(ref))

    def configured_refs(self) -> list[str]:
        """The default and small models, then every model named in the provider config."""
        refs: list[str] = []
        for key in ("model", "small_model"):
            value = self.config.get(key)
            if isinstance(value, str) and "/" in value and value not in refs:
                refs.append(value)
        for pid, settings in self.settings.items():
            for model_id in settings.models:
                ref = f"{pid}/{model_id}"
                if ref not in refs:
                    refs.append(ref)
        return refs

    def list_models(self) -> list[ModelInfo]:
        return [self.get_ref(ref).info for ref in self.configured_refs()]
