"""The one rule for what counts as a secret, shared by ``opencode/config/get`` and the logs.

A value is secret when its name says so (``apiKey``, ``X-Custom-Token``, ``client_secret``,
``password``, ``Authorization``, ``cookie``, ``credentials``, ``private_key``, any ``..._key``) or
when it sits in a ``headers`` or ``environment`` map, whose entries carry tokens under any name.
"""

from __future__ import annotations

import re
from typing import Any, cast

from .store import is_record

REDACTED = "<redacted>"

_SECRET_WORDS = (r"api[_-]?key|apikey|token|secret|password|passwd|authorization|auth|cookie|credential"
                 r"|private[_-]?key|access[_-]?key|(?:^|[_.-])key$|bearer|session[_-]?id")
_SECRET_NAME = re.compile(_SECRET_WORDS, re.IGNORECASE)
# Maps whose every value is secret whatever its name.
SECRET_MAPS = frozenset({"headers", "environment", "env"})
# Names that look secret but hold none (a pointer to where the key lives).
_NOT_SECRET = re.compile(r"(env|_env|envvar|keybinding[s]?)$", re.IGNORECASE)


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name)) and not _NOT_SECRET.search(name)


def redact_value(value: Any, key: str = "") -> Any:
    """A copy of JSON-like ``value`` with every secret string replaced."""
    if is_record(value):
        if key.lower() in SECRET_MAPS:
            return {k: REDACTED if isinstance(v, str) else redact_value(v, k) for k, v in value.items()}
        return {k: redact_value(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_value(v, key) for v in cast(list[Any], value)]
    if isinstance(value, str) and key and is_secret_name(key):
        return REDACTED
    return value


# In text (logged JSON, reprs, headers): a name, a separator, then its value.
_NAME_VALUE = re.compile(
    r"""(?P<name>(?P<q>["']?)(?P<word>[\w.-]+)(?P=q)\s*[:=]\s*(?P<open>["']?))"""
    r"""(?P<value>(?:Bearer\s+|Basic\s+)?[^"',\s}\])]+)""",
    re.IGNORECASE,
)
_MAP = re.compile(r"""(?P<head>["']?(?:headers|environment|env)["']?\s*[:=]\s*\{)(?P<body>[^{}]*)\}""",
                  re.IGNORECASE)
_MAP_ENTRY = re.compile(r"""(?P<name>["'][^"']+["']\s*:\s*)(?P<value>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')""")


def redact_text(text: str) -> str:
    """``text`` with the values of secret-named fields and of header/environment maps blanked."""
    text = _MAP.sub(lambda m: m.group("head") + _MAP_ENTRY.sub(
        lambda e: f'{e.group("name")}"{REDACTED}"', m.group("body")) + "}", text)

    def one(match: re.Match[str]) -> str:
        if not is_secret_name(match.group("word")) or match.group("value") == REDACTED:
            return match.group(0)
        return f"{match.group('name')}{REDACTED}"

    return _NAME_VALUE.sub(one, text)
