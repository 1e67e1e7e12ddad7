"""Checking an import of OpenCode's export shape before anything is written (the writing is
``SessionManager.import_``): the records parse as OpenCode's models, their ids belong to the
session and are ids the store accepts, and no parent chain leads back to the session."""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable, cast

from pydantic import ValidationError

from .errors import InvalidInputError
from .message import Session, parse_message, parse_part
from .store import Record, is_record

# The ids the store accepts (storage/records.py): checked before an import writes anything.
_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


def validation_message(exc: ValidationError, prefix: str = "") -> tuple[str, str]:
    """The first problem of a pydantic error as (field path, message)."""
    first = exc.errors()[0]
    path = ".".join(str(p) for p in first.get("loc", ()))
    field = f"{prefix}.{path}" if prefix and path else (prefix or path)
    return field, f"{field or 'params'}: {first.get('msg', 'invalid')}"


def parse_import(data: Any) -> tuple[Session, list[tuple[Any, list[Any]]]]:
    """OpenCode's export shape validated whole: the session and each message with its parts,
    every id belonging to that session. Nothing is written."""
    if not is_record(data):
        raise InvalidInputError("data: expected an object with info and messages", "data")
    try:
        info = Session.model_validate(data.get("info"))
    except ValidationError as exc:
        field, msg = validation_message(exc, "data.info")
        raise InvalidInputError(msg, field) from exc
    raw_messages: object = data.get("messages", [])
    if not isinstance(raw_messages, list):
        raise InvalidInputError("data.messages: expected a list", "data.messages")
    parsed: list[tuple[Any, list[Any]]] = []
    for i, entry in enumerate(cast(list[object], raw_messages)):
        prefix = f"data.messages.{i}"
        try:
            if entry and not is_record(entry):
                raise TypeError(prefix)
            record: Record = entry if is_record(entry) else {}
            raw_parts: Iterable[object] = record.get("parts", [])  # not iterable: TypeError below
            message = parse_message(record.get("info"))
            parts = [parse_part(p) for p in raw_parts]
        except (ValidationError, AttributeError, TypeError) as exc:
            if isinstance(exc, ValidationError):
                field, msg = validation_message(exc, prefix)
            else:
                field, msg = prefix, f"{prefix}: expected {{info, parts}}"
            raise InvalidInputError(msg, field) from exc
        if message.sessionID != info.id or any(p.sessionID != info.id or p.messageID != message.id for p in parts):
            raise InvalidInputError(f"{prefix}: ids do not belong to session {info.id}", prefix)
        parsed.append((message, parts))
    return info, parsed


def check_import_ids(info: Session, parsed: list[tuple[Any, list[Any]]],
                     get_session: Callable[[str], Record | None]) -> None:
    """Ids the store will accept, and no parent chain that leads back to the session."""
    checks: list[tuple[str, object]] = [("data.info.id", info.id)]
    if info.parentID:
        checks.append(("data.info.parentID", info.parentID))
    for i, (message, parts) in enumerate(parsed):
        checks.append((f"data.messages.{i}.info.id", message.id))
        checks.extend((f"data.messages.{i}.parts.{j}.id", part.id) for j, part in enumerate(parts))
    for field, value in checks:
        if not isinstance(value, str) or not _SAFE_ID.fullmatch(value):
            raise InvalidInputError(f"{field}: an id is 1-128 letters, digits, '_' or '-'", field)
    seen = {info.id}
    parent = info.parentID
    while parent:
        if parent in seen:
            raise InvalidInputError("data.info.parentID: the parent chain leads back to this session",
                                    "data.info.parentID")
        seen.add(parent)
        record = get_session(parent)
        parent = record.get("parentID") if record is not None else None
