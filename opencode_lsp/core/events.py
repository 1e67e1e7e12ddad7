"""Typed bus events and the in-process bus.

Every event is ``{type, properties}`` with OpenCode's event names; the names live here and
nowhere else. The LSP layer forwards them as ``opencode/event`` notifications and as the
``event`` field of ``$/progress`` reports.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Literal

from pydantic import BaseModel

from .store import is_record

log = logging.getLogger(__name__)

EventType = Literal[
    "session.created",
    "session.updated",
    "session.deleted",
    "session.status",
    "session.error",
    "session.compacted",
    "session.diff",
    "session.idle",
    "message.updated",
    "message.removed",
    "message.part.updated",
    "message.part.removed",
    "todo.updated",
    "permission.asked",
    "permission.replied",
    "mcp.status.updated",
    "mcp.tools.changed",
]


class Event(BaseModel):
    type: EventType
    properties: dict[str, Any]

    @property
    def session_id(self) -> str | None:
        """The session an event belongs to, wherever OpenCode puts it."""
        props = self.properties
        if "sessionID" in props:
            return props["sessionID"]
        part = props.get("part")
        if is_record(part):
            return part.get("sessionID")
        info = props.get("info")
        if is_record(info):
            # A message's info names its session; a session's info is the session.
            return info.get("sessionID", info.get("id"))
        return None

    def dump(self) -> dict[str, Any]:
        return {"type": self.type, "properties": self.properties}


def session_created(info: dict[str, Any]) -> Event:
    return Event(type="session.created", properties={"info": info})


def session_updated(info: dict[str, Any]) -> Event:
    return Event(type="session.updated", properties={"info": info})


def session_deleted(info: dict[str, Any]) -> Event:
    return Event(type="session.deleted", properties={"info": info})


def session_status(session_id: str, status: dict[str, Any]) -> Event:
    return Event(type="session.status", properties={"sessionID": session_id, "status": status})


def session_error(session_id: str | None, error: dict[str, Any]) -> Event:
    return Event(type="session.error", properties={"sessionID": session_id, "error": error})


def session_compacted(session_id: str) -> Event:
    return Event(type="session.compacted", properties={"sessionID": session_id})


def session_diff(session_id: str, diff: list[dict[str, Any]]) -> Event:
    return Event(type="session.diff", properties={"sessionID": session_id, "diff": diff})


def message_updated(info: dict[str, Any]) -> Event:
    return Event(type="message.updated", properties={"info": info})


def message_removed(session_id: str, message_id: str) -> Event:
    return Event(type="message.removed", properties={"sessionID": session_id, "messageID": message_id})


def part_updated(part: dict[str, Any], delta: str | None = None) -> Event:
    props: dict[str, Any] = {"part": part}
    if delta is not None:
        props["delta"] = delta
    # Built once per streamed delta: skip validation, the shape is fixed here.
    return Event.model_construct(type="message.part.updated", properties=props)


def part_removed(session_id: str, message_id: str, part_id: str) -> Event:
    return Event(
        type="message.part.removed",
        properties={"sessionID": session_id, "messageID": message_id, "partID": part_id},
    )


def todo_updated(session_id: str, todos: list[dict[str, Any]]) -> Event:
    return Event(type="todo.updated", properties={"sessionID": session_id, "todos": todos})


def permission_asked(request: dict[str, Any]) -> Event:
    return Event(type="permission.asked", properties=request)


def permission_replied(session_id: str, request_id: str, reply: str) -> Event:
    return Event(
        type="permission.replied",
        properties={"sessionID": session_id, "requestID": request_id, "reply": reply},
    )


Subscriber = Callable[[Event], None]


class Bus:
    """Synchronous fan-out. A failing subscriber is logged and never breaks the publisher."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        self._subscribers.append(fn)

        def unsubscribe() -> None:
            if fn in self._subscribers:
                self._subscribers.remove(fn)

        return unsubscribe

    def publish(self, event: Event) -> None:
        for fn in list(self._subscribers):
            try:
                fn(event)
            except Exception:  # a subscriber bug must not break a run
                log.exception("event subscriber failed on %s", event.type)
