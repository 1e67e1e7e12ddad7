"""Bus events of the ACP sessions -> ordered ``session/update`` notifications and permission asks.

The bus calls subscribers synchronously from inside the run; notifications are async. Events are
therefore translated at once (so the text-so-far bookkeeping sees them in order) and queued; one
sender task writes them to the client in that order. ``drain`` lets ``session/prompt`` answer only
after every update of its run went out.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import acp
from acp.schema import (
    ContentToolCallContent,
    FileEditToolCallContent,
    PermissionOption,
    SessionInfoUpdate,
    TerminalToolCallContent,
    ToolCallUpdate,
)

from ..core.events import Event
from ..core.store import sub_record
from . import updates

log = logging.getLogger(__name__)


def permission_options(request: dict[str, Any]) -> list[PermissionOption]:
    """Allow once / allow always (saying exactly what it grants) / reject."""
    options = [PermissionOption(option_id="once", name="Allow once", kind="allow_once")]
    always = [p for p in updates.json_items(request.get("always")) if isinstance(p, str)]
    if always:
        permission = request.get("permission", "this")
        if always == ["*"]:
            grant = f"Always allow every {permission} request in this workspace"
        else:
            grant = f"Always allow {permission} for {', '.join(always)} in this workspace"
        options.append(PermissionOption(option_id="always", name=grant, kind="allow_always"))
    options.append(PermissionOption(option_id="reject", name="Reject", kind="reject_once"))
    return options


def permission_tool_call(request: dict[str, Any], root: Path) -> ToolCallUpdate:
    metadata = sub_record(request, "metadata")
    patterns = ", ".join(str(p) for p in updates.json_items(request.get("patterns")))
    content: list[ContentToolCallContent | FileEditToolCallContent | TerminalToolCallContent] = []
    diff = metadata.get("diff")
    if isinstance(diff, str) and diff:
        content.append(acp.tool_content(acp.text_block(f"```diff\n{diff}\n```")))
    locations = []
    path = metadata.get("filepath")
    if isinstance(path, str) and path:
        locations = updates.tool_locations("edit", {"input": {"filePath": path}}, root)
    tool = sub_record(request, "tool")
    return ToolCallUpdate(
        tool_call_id=tool.get("callID") or request["id"],
        title=f"{request.get('permission')}: {patterns}" if patterns else str(request.get("permission")),
        kind=updates.tool_kind(str(request.get("permission", ""))),
        status="pending",
        content=content or None,
        locations=locations or None,
        raw_input={"permission": request.get("permission"), "patterns": request.get("patterns"),
                   "always": request.get("always"), "metadata": {k: v for k, v in metadata.items()
                                                                  if isinstance(v, (str, int, float, bool))}},
    )


@dataclass(frozen=True)
class _PermissionAsk:
    """Queued with the updates so an ask reaches the client in order with what preceded it."""

    request: dict[str, Any]


class Pump:
    def __init__(self, conn_getter: Callable[[], Any]):
        self._conn = conn_getter
        self.sessions: dict[str, Path] = {}  # ACP session id -> workspace root
        self.brokers: dict[str, Any] = {}  # ACP session id -> its app's permission broker
        self._queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self._roles: dict[str, str] = {}  # message id -> role
        self._sent: dict[str, int] = {}  # text/reasoning part id -> characters sent
        self._tools: dict[str, tuple[Any, ...]] = {}  # call id -> last (status, title) sent
        self._titles: dict[str, str] = {}  # session id -> title the client was told
        self._asks: set[asyncio.Task[Any]] = set()
        self._sender: asyncio.Task[None] | None = None

    def watch(self, session_id: str, root: Path, broker: Any, title: str | None = None) -> None:
        self.sessions[session_id] = root
        if title is not None:
            self._titles[session_id] = title
        self.brokers[session_id] = broker

    def forget(self, session_id: str) -> None:
        self.sessions.pop(session_id, None)
        self.brokers.pop(session_id, None)

    def start(self) -> None:
        if self._sender is None:
            self._sender = asyncio.ensure_future(self._send_loop())

    async def stop(self) -> None:
        for task in [self._sender, *self._asks]:
            if task is not None:
                task.cancel()

    def send(self, session_id: str, update: Any) -> None:
        self._queue.put_nowait((session_id, update))

    async def drain(self) -> None:
        await self._queue.join()

    # --- the bus side ---------------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        session_id = event.session_id
        if session_id not in self.sessions:
            return
        props = event.properties
        kind = event.type
        if kind == "message.updated":
            info = sub_record(props, "info")
            self._roles[info.get("id", "")] = info.get("role", "")
        elif kind == "message.part.updated":
            for update in self._part_updates(session_id, sub_record(props, "part"), props.get("delta")):
                self.send(session_id, update)
        elif kind == "session.updated":
            title = sub_record(props, "info").get("title")
            if isinstance(title, str) and self._titles.setdefault(session_id, title) != title:
                self._titles[session_id] = title
                self.send(session_id, SessionInfoUpdate(session_update="session_info_update", title=title))
        elif kind == "todo.updated":
            self.send(session_id, updates.plan(props.get("todos") or []))
        elif kind == "permission.asked":
            self.send(session_id, _PermissionAsk(dict(props)))

    def _part_updates(self, session_id: str, part: dict[str, Any], delta: str | None) -> list[Any]:
        kind = part.get("type")
        if kind in ("text", "reasoning"):
            return self._text_updates(part, delta)
        if kind == "tool" and self._roles.get(part.get("messageID", ""), "assistant") == "assistant":
            return self._tool_updates(session_id, part)
        return []

    def _text_updates(self, part: dict[str, Any], delta: str | None) -> list[Any]:
        if part.get("synthetic"):
            return []
        part_id = part.get("id", "")
        if delta is None:
            # A part announced or finished without a delta: send what the deltas did not carry.
            if self._roles.get(part.get("messageID", "")) != "assistant":
                return []
            text = part.get("text") or ""
            sent = self._sent.get(part_id, 0)
            if len(text) <= sent:
                return []
            self._sent[part_id] = len(text)
            chunk = text[sent:]
        else:
            if not delta:
                return []
            self._sent[part_id] = self._sent.get(part_id, 0) + len(delta)
            chunk = delta
        if part.get("type") == "reasoning":
            return [acp.update_agent_thought_text(chunk)]
        return [acp.update_agent_message_text(chunk)]

    def _tool_updates(self, session_id: str, part: dict[str, Any]) -> list[Any]:
        call_id = part.get("callID")
        if not call_id:
            return []
        state = sub_record(part, "state")
        key = (state.get("status"), state.get("title"))
        previous = self._tools.get(call_id)
        if previous == key:
            return []
        self._tools[call_id] = key
        root = self.sessions[session_id]
        if previous is None:
            return [updates.tool_start(part, root)]
        return [updates.tool_update(part, root)]

    # --- the client side --------------------------------------------------------------------

    async def _send_loop(self) -> None:
        while True:
            session_id, update = await self._queue.get()
            try:
                if isinstance(update, _PermissionAsk):
                    task = asyncio.ensure_future(self._ask(session_id, update.request))
                    self._asks.add(task)
                    task.add_done_callback(self._asks.discard)
                else:
                    await self._conn().session_update(session_id=session_id, update=update)
            except Exception:  # a client that went away must not stop the run
                log.exception("could not send a session update")
            finally:
                self._queue.task_done()

    async def _ask(self, session_id: str, request: dict[str, Any]) -> None:
        broker = self.brokers.get(session_id)
        if broker is None:
            return
        answer = "reject"
        try:
            response = await self._conn().request_permission(
                session_id=session_id,
                tool_call=permission_tool_call(request, self.sessions.get(session_id, Path("."))),
                options=permission_options(request),
            )
            outcome = response.outcome
            if getattr(outcome, "outcome", None) == "selected" and outcome.option_id in ("once", "always", "reject"):
                answer = outcome.option_id
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("permission request to the client failed; rejecting")
        broker.reply(request["id"], answer)
