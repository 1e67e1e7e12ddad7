"""Helpers both stores share: defensive copies, id checks, message assembly, approval keys."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import Any, cast

import orjson

from ..core.errors import InvalidInputError
from ..core.store import Record, sub_record

# Ids become file names, so only a safe alphabet is accepted (no separators, no dots).
_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


def clone(value: Any) -> Any:
    """A deep copy through JSON: callers can never alias the store's own records.

    Also proves up front that a record is JSON-serializable, so a bad value fails the call
    that brought it rather than a later, unrelated write.
    """
    try:
        return orjson.loads(orjson.dumps(value))
    except TypeError as exc:
        raise InvalidInputError(f"record is not JSON-serializable: {exc}") from exc


def check_id(value: Any, field: str) -> str:
    if not isinstance(value, str) or not _SAFE_ID.fullmatch(value):
        raise InvalidInputError(f"{field} must be an id made of letters, digits, '_' or '-'", field)
    return value


def record_id(record: object, field: str = "id") -> str:
    """``record[field]`` as a safe id; ``record`` may come from an import, so its shape is checked."""
    if not isinstance(record, Mapping):
        raise InvalidInputError("record must be an object", field)
    return check_id(cast("Mapping[str, object]", record).get(field), field)


def message_entry(message: Record, parts: Iterable[Record]) -> Record:
    """``{"info": message, "parts": [...]}`` with the parts of that message sorted by id."""
    mine = sorted((p for p in parts if p.get("messageID") == message["id"]), key=lambda p: p["id"])
    return {"info": message, "parts": mine}


def assemble(messages: Mapping[str, Record], parts: Mapping[str, Record]) -> list[Record]:
    """All messages ordered by id, each with its parts ordered by id (ids sort by time)."""
    by_message: dict[str, list[Record]] = {}
    for part in parts.values():
        by_message.setdefault(part.get("messageID", ""), []).append(part)
    entries: list[Record] = []
    for message_id in sorted(messages):
        mine = sorted(by_message.get(message_id, ()), key=lambda p: p["id"])
        entries.append({"info": messages[message_id], "parts": mine})
    return entries


def session_order(sessions: Mapping[str, Record]) -> list[str]:
    """Session ids newest update first; on a tie the smaller id first (``ses_`` ids descend
    with time, so that is the newer session)."""
    def key(session_id: str) -> tuple[float, str]:
        updated = sub_record(sessions[session_id], "time").get("updated") or 0
        return (-updated, session_id)

    return sorted(sessions, key=key)


def approval_key(rule: Record) -> str:
    """The same rule answered "always" twice is kept once: key it by its canonical JSON."""
    canonical = orjson.dumps(rule, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()[:24]
