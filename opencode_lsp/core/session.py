"""SessionManager: sessions, messages and parts over a ``Store``, publishing bus events.

Every mutation validates its input as OpenCode's model first, so the store only ever holds
well-formed records. A session's ``cost`` and ``tokens`` are the sum of its step-finish parts:
they are recomputed when a step-finish part is written or removed, so they go down too.
"""

from __future__ import annotations

from pathlib import Path
from datetime import datetime, timezone
from typing import Any, Container, Iterable

from .. import OPENCODE_VERSION
from . import events
from .errors import NotFoundError, aborted
from .events import Bus
from .ids import new_id, new_slug, now_ms
from .message import (
    AssistantMessage,
    MessageWithParts,
    PermissionRule,
    Session,
    SessionModel,
    SessionTime,
    StepFinishPart,
    Todo,
    Tokens,
    UserMessage,
    parse_message,
    parse_part,
)
from .store import Store, sub_record
from .session_import import check_import_ids, parse_import
from .todo_view import todos_before

Message = UserMessage | AssistantMessage


def default_title(is_child: bool, when_ms: int | None = None) -> str:
    moment = datetime.fromtimestamp((when_ms or now_ms()) / 1000, tz=timezone.utc)
    stamp = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return f"{'Child' if is_child else 'New'} session - {stamp}"


def is_default_title(title: str) -> bool:
    return title.startswith(("New session - ", "Child session - "))


NO_QUESTION_RULES = [{"permission": name, "pattern": "*", "action": "deny"}
                     for name in ("question", "plan_enter", "plan_exit")]


def project_path(directory: str) -> str:
    """``directory`` relative to its git worktree ("" at the top), or to ``/`` outside any
    repository: the session's ``path`` as OpenCode 1.18.33 stores it."""
    here = Path(directory)
    for top in (here, *here.parents):
        if (top / ".git").exists():
            rel = here.relative_to(top).as_posix()
            return "" if rel == "." else rel
    return here.as_posix().lstrip("/")


class SessionManager:
    def __init__(self, store: Store, bus: Bus, directory: str, *, running: Container[str],
                 project_id: str = "global"):
        self.store = store
        self.bus = bus
        self.directory = directory
        self.project_id = project_id
        # The ids of the sessions running in this process (the composition root gives the
        # runner's table of runs): an unfinished message of any other session is left over
        # from a process that died, and reading it closes it.
        self.running = running

    # --- sessions ---------------------------------------------------------------------------

    def create(
        self,
        *,
        directory: str | None = None,
        title: str | None = None,
        parent_id: str | None = None,
        agent: str | None = None,
        model: dict[str, str] | None = None,
        permission: list[dict[str, Any]] | None = None,
    ) -> Session:
        if parent_id is not None:
            self.get(parent_id)
        elif permission is None:
            # Our clients cannot answer OpenCode's question/plan tools; a top-level session says so
            # in its rules as OpenCode 1.18.33's own non-interactive client does, so OpenCode does
            # not offer them to a session exported from here.
            permission = NO_QUESTION_RULES
        created = now_ms()
        directory = directory or self.directory
        info = Session(
            id=new_id("ses"),
            slug=new_slug(),
            projectID=self.project_id,
            directory=directory,
            path=project_path(directory),
            parentID=parent_id,
            title=title or default_title(parent_id is not None, created),
            version=OPENCODE_VERSION,
            permission=[PermissionRule.model_validate(r) for r in permission] if permission else None,
            agent=agent,
            model=SessionModel(id=model["modelID"], providerID=model["providerID"]) if model else None,
            time=SessionTime(created=created, updated=created),
        )
        self.store.put_session(info.dump())
        self.bus.publish(events.session_created(info.dump()))
        return info

    def get(self, session_id: str) -> Session:
        record = self.store.get_session(session_id)
        if record is None:
            raise NotFoundError(f"session not found: {session_id}")
        return Session.model_validate(record)

    def exists(self, session_id: str) -> bool:
        return self.store.get_session(session_id) is not None

    def list(
        self,
        *,
        directory: str | None = None,
        search: str | None = None,
        roots: bool = False,
        archived: bool | None = None,
        limit: int = 100,
        start: int | None = None,
    ) -> list[Session]:
        needle = search.lower() if search else None
        picked: list[dict[str, Any]] = []
        wanted = max(limit, 0)
        # Newest first from the store, stopping at a full page: the page costs the page.
        for record in self.store.recent_sessions():
            if len(picked) >= wanted:
                break
            if directory is not None and record.get("directory") != directory:
                continue
            if roots and record.get("parentID"):
                continue
            is_archived = bool(sub_record(record, "time").get("archived"))
            # Archived sessions are hidden unless asked for (OpenCode's list does the same).
            if archived is None and is_archived or archived is not None and archived != is_archived:
                continue
            if start is not None and sub_record(record, "time").get("updated", 0) < start:
                continue
            if needle and needle not in str(record.get("title", "")).lower():
                continue
            picked.append(record)
        return [Session.model_validate(r) for r in picked]

    def children(self, session_id: str) -> list[Session]:
        self.get(session_id)
        kids = [r for r in self.store.list_sessions() if r.get("parentID") == session_id]
        kids.sort(key=lambda r: r["time"]["created"])
        return [Session.model_validate(r) for r in kids]

    def _save(self, info: Session, *, touch: bool = True) -> Session:
        if touch:
            info.time.updated = max(now_ms(), info.time.updated)
        self.store.put_session(info.dump())
        self.bus.publish(events.session_updated(info.dump()))
        return info

    def update(self, session_id: str, **changes: Any) -> Session:
        """Apply model-level changes (e.g. ``title="x"``) and publish ``session.updated``."""
        info = self.get(session_id)
        for key, value in changes.items():
            setattr(info, key, value)
        return self._save(Session.model_validate(info.dump()))

    def set_title(self, session_id: str, title: str) -> Session:
        return self.update(session_id, title=title)

    def set_archived(self, session_id: str, archived: bool) -> Session:
        info = self.get(session_id)
        info.time.archived = now_ms() if archived else None
        return self._save(info)

    def set_permission(self, session_id: str, rules: list[dict[str, Any]]) -> Session:
        return self.update(session_id, permission=[PermissionRule.model_validate(r) for r in rules])

    def touch(self, session_id: str) -> Session:
        return self._save(self.get(session_id))

    def delete(self, session_id: str) -> None:
        """Delete a session and its descendants, each once (a stored parent cycle cannot loop)."""
        info = self.get(session_id)
        order: list[Session] = []
        seen = {session_id}
        stack = [info]
        while stack:
            current = stack.pop()
            order.append(current)
            for child in self.children(current.id):
                if child.id not in seen:
                    seen.add(child.id)
                    stack.append(child)
        for doomed in reversed(order):  # children before their parents
            self.store.delete_session(doomed.id)
            self.bus.publish(events.session_deleted(doomed.dump()))

    def fork(self, session_id: str, message_id: str | None = None) -> Session:
        source = self.get(session_id)
        forks = sum(1 for r in self.store.list_sessions() if r.get("title", "").startswith(f"{source.title} (fork #"))
        base = source.title
        fork = self.create(
            directory=source.directory,
            title=f"{base} (fork #{forks + 1})",
            agent=source.agent,
            model={"providerID": source.model.providerID, "modelID": source.model.id} if source.model else None,
            permission=[r.dump() for r in source.permission] if source.permission else None,
        )
        id_map: dict[str, str] = {}
        for entry in self.store.list_messages(session_id):
            info = dict(entry["info"])
            if message_id is not None and info["id"] >= message_id:
                break
            new_message_id = new_id("msg")
            id_map[info["id"]] = new_message_id
            info.update(id=new_message_id, sessionID=fork.id)
            if info.get("parentID"):
                info["parentID"] = id_map.get(info["parentID"], info["parentID"])
            self.store.put_message(fork.id, info)
            for part in entry["parts"]:
                self.store.put_part(
                    fork.id,
                    {**part, "id": new_id("prt"), "sessionID": fork.id, "messageID": new_message_id},
                    durable=False,
                )
        self.store.flush()
        self._recompute_usage(fork.id)
        return self.get(fork.id)

    # --- messages and parts -----------------------------------------------------------------

    def messages(self, session_id: str, *, limit: int | None = None, before: str | None = None) -> list[dict[str, Any]]:
        """Raw ``{info, parts}`` records, oldest first (validated when they were written), as a
        client reads them: ``close_abandoned_run`` repairs them first, which may write."""
        return self.close_abandoned_run(session_id, self.stored_messages(session_id, limit=limit, before=before))

    def stored_messages(self, session_id: str, *, limit: int | None = None,
                        before: str | None = None) -> list[dict[str, Any]]:
        """The records as stored; writes nothing."""
        self.get(session_id)
        return self.store.list_messages(session_id, limit=limit, before=before)

    def close_abandoned_run(self, session_id: str, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``close_interrupted`` over a page just read, unless a run of the session is alive (here
        or in another process); the page every client reads first holds a crash's open run."""
        if session_id in self.running or self.store.run_active_elsewhere(session_id):
            return entries
        return self.close_interrupted(session_id, entries)

    def message(self, session_id: str, message_id: str) -> MessageWithParts:
        entry = self.store.get_message(session_id, message_id)
        if entry is None:
            raise NotFoundError(f"message not found: {message_id}")
        return MessageWithParts.model_validate(entry)

    def typed_messages(self, session_id: str) -> list[MessageWithParts]:
        return [MessageWithParts.model_validate(e) for e in self.messages(session_id)]

    def update_message(self, info: Message) -> Message:
        self.store.put_message(info.sessionID, info.dump())
        self.bus.publish(events.message_updated(info.dump()))
        return info

    def update_part(self, part: Any, *, durable: bool = True) -> Any:
        """Store a part and publish it (streamed deltas go through ``publish_delta``)."""
        data = part.dump()
        is_step = isinstance(part, StepFinishPart)
        # A new step-finish adds to the session's usage; rewriting one needs a full recount.
        rewrite = is_step and self._has_part(part.sessionID, part.messageID, part.id)
        self.store.put_part(part.sessionID, data, durable=durable)
        self.bus.publish(events.part_updated(data))
        if rewrite:
            self._recompute_usage(part.sessionID)
        elif is_step:
            self._add_usage(part.sessionID, [data])
        return part

    def _has_part(self, session_id: str, message_id: str, part_id: str) -> bool:
        entry = self.store.get_message(session_id, message_id)
        return bool(entry) and any(p["id"] == part_id for p in entry["parts"])

    def publish_delta(self, data: dict[str, Any], delta: str) -> None:
        """A streamed delta: only the event, whose part's ``text`` is just ``delta``; nothing is written."""
        self.bus.publish(events.part_updated(data, delta))

    def remove_message(self, session_id: str, message_id: str) -> None:
        entry = self.store.get_message(session_id, message_id)
        self.store.delete_message(session_id, message_id)
        self.bus.publish(events.message_removed(session_id, message_id))
        if entry and any(p.get("type") == "step-finish" for p in entry["parts"]):
            self._recompute_usage(session_id)

    def remove_part(self, session_id: str, message_id: str, part_id: str) -> None:
        entry = self.store.get_message(session_id, message_id)
        was_step = bool(entry) and any(p["id"] == part_id and p.get("type") == "step-finish" for p in entry["parts"])
        self.store.delete_part(session_id, message_id, part_id)
        self.bus.publish(events.part_removed(session_id, message_id, part_id))
        if was_step:
            self._recompute_usage(session_id)

    def _recompute_usage(self, session_id: str) -> None:
        parts = [p for e in self.store.list_messages(session_id) for p in e["parts"]]
        self._add_usage(session_id, parts, reset=True)

    def _add_usage(self, session_id: str, parts: list[dict[str, Any]], *, reset: bool = False) -> None:
        """Add the step-finish parts among ``parts`` to the session's cost and tokens."""
        info = self.get(session_id)
        cost = 0.0 if reset else info.cost
        tokens = Tokens() if reset else info.tokens
        for part in parts:
            if part.get("type") != "step-finish":
                continue
            cost += part.get("cost") or 0
            used = sub_record(part, "tokens")
            cache = sub_record(used, "cache")
            tokens.input += used.get("input") or 0
            tokens.output += used.get("output") or 0
            tokens.reasoning += used.get("reasoning") or 0
            tokens.cache.read += cache.get("read") or 0
            tokens.cache.write += cache.get("write") or 0
        info.cost = cost
        info.tokens = tokens
        self._save(info)

    # --- todos ------------------------------------------------------------------------------

    def todos(self, session_id: str) -> list[dict[str, Any]]:
        """The list as of what the history shows: a reverted session's list predates its revert point."""
        revert = self.get(session_id).revert
        if revert is not None:
            return todos_before(self.store.list_messages(session_id), revert.messageID, revert.partID)
        return self.store.get_todos(session_id)

    def set_todos(self, session_id: str, todos: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        clean = [Todo.model_validate(t).dump() for t in todos]
        self.store.put_todos(session_id, clean)
        self.bus.publish(events.todo_updated(session_id, clean))
        return clean

    # --- export / import --------------------------------------------------------------------

    def export(self, session_id: str) -> dict[str, Any]:
        info = self.get(session_id)
        return {"info": info.dump(), "messages": self.messages(session_id)}

    # --- runs that died with their process --------------------------------------------------

    def close_interrupted(self, session_id: str, entries: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        """End what a killed process left running: the assistant message gets
        ``MessageAbortedError`` and unfinished tools the same interrupted error an abort gives.

        Call only when no run of this session is alive here. One pass over records that were
        read anyway, and nothing is written when nothing was left open, so reads stay cheap."""
        if entries is None:
            entries = self.store.list_messages(session_id)
        changed = False
        for entry in entries:
            info = entry["info"]
            if info.get("role") != "assistant":
                continue
            for i, part in enumerate(entry["parts"]):
                state = sub_record(part, "state") if part.get("type") == "tool" else {}
                if state.get("status") not in ("pending", "running"):
                    continue
                start = sub_record(state, "time").get("start") or info["time"]["created"]
                meta = {**sub_record(state, "metadata"), "interrupted": True}
                fixed = parse_part({**part, "state": {"status": "error", "input": state.get("input") or {},
                                                      "error": "Tool execution aborted", "metadata": meta,
                                                      "time": {"start": start, "end": max(start, now_ms())}}})
                entry["parts"][i] = self.update_part(fixed).dump()
                changed = True
            if sub_record(info, "time").get("completed") is None:
                message = parse_message(info)
                assert isinstance(message, AssistantMessage)
                message.error = message.error or aborted()
                message.time.completed = now_ms()
                entry["info"] = self.update_message(message).dump()
                changed = True
        if changed:
            self.store.flush()
        return entries

    def import_(self, data: Any) -> Session:
        """Import OpenCode's export shape ``{info, messages: [{info, parts}]}`` as is."""
        info, parsed = parse_import(data)
        check_import_ids(info, parsed, self.store.get_session)
        entries = [{"info": m.dump(), "parts": [p.dump() for p in parts]} for m, parts in parsed]
        # Everything is checked; now replace the old copy so that a failure restores it whole.
        previous = self.export(info.id) if self.exists(info.id) else None
        try:
            if previous is not None:
                self.store.delete_session(info.id)
            self.store.put_session(info.dump())
            # One write for the whole conversation: per-message writes made imports take seconds.
            self.store.put_messages(info.id, entries)
        except Exception:
            self.store.delete_session(info.id)
            if previous is not None:
                self.store.put_session(previous["info"])
                self.store.put_messages(info.id, previous["messages"])
            raise
        self.bus.publish(events.session_created(info.dump()))
        return info
