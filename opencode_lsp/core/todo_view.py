"""The task list as of a point in a session's history.

The store keeps the last list the agent wrote. While a session is reverted, the list a client
sees is the one the last completed ``todowrite`` before the revert point left (none when no such
call exists): the undone turns' lists go with them, and come back with ``unrevert``."""

from __future__ import annotations

from typing import Any, cast

from .store import sub_record


def todos_before(entries: list[dict[str, Any]], message_id: str, part_id: str | None) -> list[dict[str, Any]]:
    """The list written by the last completed ``todowrite`` before ``(message_id, part_id)``."""
    found: list[dict[str, Any]] = []
    for entry in entries:
        mid = entry["info"]["id"]
        if mid > message_id or (mid == message_id and part_id is None):
            break
        for part in entry["parts"]:
            if mid == message_id and part["id"] >= (part_id or ""):
                break
            state = sub_record(part, "state")
            if part.get("type") != "tool" or part.get("tool") != "todowrite" or state.get("status") != "completed":
                continue
            todos: object = sub_record(state, "metadata").get("todos", sub_record(state, "input").get("todos"))
            if isinstance(todos, list):
                found = cast(list[dict[str, Any]], todos)
    return found
