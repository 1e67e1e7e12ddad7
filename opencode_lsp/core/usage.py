"""Token and cost accounting for one model step, the way OpenCode books it.

Providers report ``prompt`` tokens that include cached ones and ``completion`` tokens that include
reasoning. OpenCode stores them split apart: ``input`` is only the uncached prompt, ``output`` is
only the visible completion, and reasoning and cache reads/writes have their own counters.
Reasoning is billed at the output price (providers do not publish a separate one).

Context tiers (``ModelCost.tiers``, e.g. Anthropic's and Gemini's "over 200k" prices): the largest
tier whose ``size`` is below the step's prompt tokens replaces the base prices it names. We compare
against the whole prompt (uncached + cache read + cache write) because that is the context size
providers bill tiers on; OpenCode compares uncached + cache read, which differs only by the
tokens written to the cache in that step.

A price of ``None`` is unknown, not free: if a token count is non-zero and its price is unknown
the cost is ``None``, so the UI can say "unknown" rather than show a wrong $0.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .llm import ModelCost, ModelInfo, Usage
from .message import CacheTokens, Tokens

_PER_TOKENS = Decimal(1_000_000)


def split_tokens(usage: Usage) -> Tokens:
    """Provider usage -> OpenCode's ``Tokens`` (no counter ever negative)."""
    cache_read = max(0, usage.cache_read)
    cache_write = max(0, usage.cache_write)
    reasoning = max(0, usage.reasoning)
    input_tokens = max(0, usage.prompt - cache_read - cache_write)
    output = max(0, usage.completion - reasoning)
    return Tokens(
        total=input_tokens + output + reasoning + cache_read + cache_write,
        input=input_tokens,
        output=output,
        reasoning=reasoning,
        cache=CacheTokens(read=cache_read, write=cache_write),
    )


def prices_for(cost: ModelCost, prompt_tokens: int) -> dict[str, float | None]:
    """Base prices, overridden by the largest context tier the prompt exceeds."""
    prices: dict[str, Any] = {
        "input": cost.input, "output": cost.output,
        "cache_read": cost.cache_read, "cache_write": cost.cache_write,
    }
    exceeded = [t for t in cost.tiers if isinstance(t.get("size"), (int, float)) and prompt_tokens > t["size"]]
    if exceeded:
        tier = max(exceeded, key=lambda t: t["size"])
        for key in prices:
            if tier.get(key) is not None:
                prices[key] = tier[key]
    return prices


def compute_usage(cost: ModelCost | ModelInfo, usage: Usage) -> tuple[Tokens, float | None]:
    """Tokens of a step and its cost in USD (``None`` when a needed price is unknown)."""
    if isinstance(cost, ModelInfo):
        cost = cost.cost
    tokens = split_tokens(usage)
    prompt = tokens.input + tokens.cache.read + tokens.cache.write
    prices = prices_for(cost, prompt)
    billed = (
        (tokens.input, prices["input"]),
        (tokens.output + tokens.reasoning, prices["output"]),
        (tokens.cache.read, prices["cache_read"]),
        (tokens.cache.write, prices["cache_write"]),
    )
    total = Decimal(0)
    for count, price in billed:
        if count == 0:
            continue
        if price is None:
            return tokens, None
        total += Decimal(count) * Decimal(str(price)) / _PER_TOKENS
    return tokens, float(total)
