"""``ModelInfo`` (limits, prices, capabilities) for a model: litellm's bundled map, then config.

litellm's map gives prices per token; OpenCode's are per million tokens. litellm also answers
for models it has no entry for, with prices of 0 (e.g. OpenRouter models); a price we cannot
trace to a real entry is left unknown (``None``) instead, unless the provider runs locally,
where free is the truth. Config (``provider.<id>.models.<model>``) overrides anything.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from ..core.llm import ModelCost, ModelInfo, ModelLimit
from .settings import ProviderSettings, Route

log = logging.getLogger(__name__)

LOCAL_PROVIDERS = {"ollama", "ollama_chat", "lm_studio", "llamafile", "vllm", "hosted_vllm", "lmstudio"}

# litellm price keys -> ModelCost fields
_PRICE_KEYS = {
    "input_cost_per_token": "input",
    "output_cost_per_token": "output",
    "cache_read_input_token_cost": "cache_read",
    "cache_creation_input_token_cost": "cache_write",
}
_TIER_KEY = re.compile(r"^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost|"
                       r"cache_creation_input_token_cost)_above_(\d+)k_tokens$")


def _per_million(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return round(float(value) * 1_000_000, 9)


def _map_entry(lib: Any, litellm_model: str) -> tuple[dict[str, Any], bool]:
    """litellm's info for a model, and whether it comes from a real price-map entry."""
    try:
        info = dict(lib.get_model_info(model=litellm_model))
    except Exception:  # not mapped: everything stays unknown
        return {}, False
    key = info.get("key")
    provider = info.get("litellm_provider")
    raw = lib.model_cost.get(key) or lib.model_cost.get(f"{provider}/{key}")
    if raw:
        info = {**raw, **{k: v for k, v in info.items() if v is not None}}
    return info, bool(raw)


def cost_from_litellm(info: dict[str, Any]) -> ModelCost:
    cost = ModelCost.model_validate({field: _per_million(info.get(key)) for key, field in _PRICE_KEYS.items()})
    tiers: dict[int, dict[str, Any]] = {}
    for key, value in info.items():
        match = _TIER_KEY.match(key)
        price = _per_million(value)
        if match and price is not None:
            size = int(match.group(2)) * 1000
            tiers.setdefault(size, {"size": size})[_PRICE_KEYS[match.group(1)]] = price
    cost.tiers = [tiers[size] for size in sorted(tiers)]
    return cost


def _from_litellm(route: Route, lib: Any) -> ModelInfo:
    info = ModelInfo(providerID=route.provider_id, modelID=route.model_id)
    if route.litellm_model is None or route.openai_compatible:
        return info  # a custom endpoint's model is not the one litellm's map would name
    entry, real = _map_entry(lib, route.litellm_model)
    if not entry:
        return info
    context = entry.get("max_input_tokens") or entry.get("max_tokens") or 0
    info.limit = ModelLimit(context=int(context), output=int(entry.get("max_output_tokens") or 0))
    provider = entry.get("litellm_provider") or route.litellm_model.split("/", 1)[0]
    if real:
        info.cost = cost_from_litellm(entry)
    elif provider in LOCAL_PROVIDERS:
        info.cost = ModelCost(input=0, output=0, cache_read=0, cache_write=0)
    info.reasoning = bool(entry.get("supports_reasoning"))
    info.tool_call = entry.get("supports_function_calling") is not False
    info.attachment = bool(entry.get("supports_vision") or entry.get("supports_pdf_input"))
    return info


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def apply_overrides(info: ModelInfo, spec: dict[str, Any]) -> ModelInfo:
    """OpenCode's per-model config: ``name``, ``limit``, ``cost`` (with ``context_over_200k``),
    and the capability flags ``reasoning``, ``tool_call``, ``attachment``."""
    if isinstance(spec.get("name"), str):
        info.name = spec["name"]
    limit = spec.get("limit")
    if isinstance(limit, dict):
        for key in ("context", "output", "input"):
            value = _number(limit.get(key))
            if value is not None:
                setattr(info.limit, key, int(value))
    cost = spec.get("cost")
    if isinstance(cost, dict):
        for key in ("input", "output", "cache_read", "cache_write"):
            if key in cost:
                setattr(info.cost, key, _number(cost[key]))
        over = cost.get("context_over_200k")
        if isinstance(over, dict):
            tier = {"size": 200_000, **{k: _number(v) for k, v in over.items()
                                        if k in ("input", "output", "cache_read", "cache_write")}}
            info.cost.tiers = [t for t in info.cost.tiers if t.get("size") != 200_000] + [tier]
            info.cost.tiers.sort(key=lambda t: t["size"])
    for key in ("reasoning", "tool_call", "attachment"):
        if isinstance(spec.get(key), bool):
            setattr(info, key, spec[key])
    return info


def model_info(route: Route, settings: ProviderSettings | None, lib: Any) -> ModelInfo:
    info = _from_litellm(route, lib)
    spec = (settings.models.get(route.model_id) if settings else None) or {}
    return apply_overrides(info, spec)
