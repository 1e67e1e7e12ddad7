"""A cattrs converter that leaves custom methods' params and results as plain JSON.

pygls turns the params of methods it has no type for into namedtuples, renaming keys that are not
Python identifiers (``$schema``, ``content-type``): lossy for session data and JSON schemas. Our
handlers validate raw dicts with pydantic instead.
"""

from __future__ import annotations

from typing import Any

from pygls.protocol import JsonRPCNotification, JsonRPCRequestMessage, JsonRPCResponseMessage, default_converter


def _keep_raw(obj: dict[str, Any], cls: type) -> Any:
    return cls(**obj)


def raw_converter():
    converter = default_converter()
    for cls in (JsonRPCRequestMessage, JsonRPCResponseMessage, JsonRPCNotification):
        converter.register_structure_hook(cls, _keep_raw)
    return converter
