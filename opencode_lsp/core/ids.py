"""OpenCode-style identifiers.

An id is ``<prefix>_<12 hex><14 base62>``. The hex part encodes the millisecond clock times
4096 plus a per-process counter, so ids made in one process are strictly monotonic even inside
one millisecond. Session ids invert the bits so that a plain string sort lists the newest first;
every other kind sorts oldest first.
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import Literal

Prefix = Literal["ses", "msg", "prt", "per", "que", "tool", "todo"]

_DESCENDING: frozenset[str] = frozenset({"ses"})
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_MASK48 = (1 << 48) - 1

_lock = threading.Lock()
_last_value = 0


def _next_value(now_ms: int | None) -> int:
    global _last_value
    with _lock:
        ms = int(time.time() * 1000) if now_ms is None else now_ms
        value = ms * 0x1000
        # Never go backwards or repeat: a clock step back or many ids in one millisecond
        # simply continue from the last value handed out.
        if value <= _last_value:
            value = _last_value + 1
        _last_value = value
        return value


def _random_base62(length: int) -> str:
    return "".join(_BASE62[secrets.randbelow(62)] for _ in range(length))


def new_id(prefix: Prefix, *, now_ms: int | None = None) -> str:
    value = _next_value(now_ms)
    if prefix in _DESCENDING:
        value = ~value
    return f"{prefix}_{value & _MASK48:012x}{_random_base62(14)}"


_ADJECTIVES = (
    "amber", "brave", "calm", "clever", "cosmic", "crisp", "daring", "eager", "gentle", "golden",
    "happy", "hidden", "jolly", "keen", "lively", "lucky", "mellow", "nimble", "quiet", "rapid",
    "shiny", "silent", "steady", "sunny", "swift", "tidy", "vivid", "warm", "wild", "witty",
)
_NOUNS = (
    "anchor", "breeze", "canyon", "circuit", "comet", "falcon", "forest", "garden", "harbor",
    "island", "lantern", "meadow", "nebula", "orchid", "otter", "pebble", "pixel", "planet",
    "prism", "river", "rocket", "signal", "summit", "thunder", "tiger", "valley", "willow", "zephyr",
)


def new_slug() -> str:
    return f"{secrets.choice(_ADJECTIVES)}-{secrets.choice(_NOUNS)}"


def now_ms() -> int:
    return int(time.time() * 1000)
