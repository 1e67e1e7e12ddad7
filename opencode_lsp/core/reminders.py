"""Reminders added to the newest user message of a request, never stored (OpenCode 1.18.33).

With the ``plan`` agent the model is told that this turn is read-only; with the ``build`` agent,
in a session where an earlier answer came from ``plan``, it is told that changes are allowed
again. Both go in as one more text item of the last user message, in our own words.
"""

from __future__ import annotations

from typing import Any, cast

from .store import is_record
from .transcript import ATTACHMENTS_NOTE

PLAN_REMINDER = """<system-reminder>
Plan mode is on, and this turn is read-only.
Do not create, change, move or delete files, and do not change the system in any other way: no
edits, no writing into files from the shell (redirects, sed -i, tee and the like), no installs,
no commits, no configuration changes. Shell commands may only read and inspect. This holds even
when the user's message asks for a change.

What to do instead: understand the request, read and search the code (explore subagents can help),
and work out a plan that is complete but short, precise enough to carry out without guessing.
Where the right choice depends on what the user wants, ask them rather than assume. Present the
plan and stop; the user switches to a mode that may change things when they want it carried out.
</system-reminder>"""

BUILD_SWITCH_REMINDER = """<system-reminder>
The mode has changed from plan to build.
The read-only restriction is lifted: you may now edit files, run shell commands and use every
tool you have, as the task needs.
</system-reminder>
"""


def add_reminders(chat: list[dict[str, Any]], agent: str, entries: list[Any]) -> list[dict[str, Any]]:
    """``chat`` with the reminders for ``agent`` added to its last user message."""
    notes: list[str] = []
    if agent == "plan":
        notes.append(PLAN_REMINDER)
    if agent == "build" and any(_info(e).get("role") == "assistant" and _info(e).get("agent") == "plan"
                                for e in entries):
        notes.append(BUILD_SWITCH_REMINDER)
    if not notes:
        return chat
    for i in range(len(chat) - 1, -1, -1):
        message = chat[i]
        content = message.get("content")
        if message.get("role") != "user" or _is_tool_attachments(content):
            continue
        items: list[Any] = [{"type": "text", "text": content}] if isinstance(content, str) else list(content or [])
        items.extend({"type": "text", "text": note} for note in notes)
        return [*chat[:i], {**message, "content": items}, *chat[i + 1:]]
    return chat


def _is_tool_attachments(content: Any) -> bool:
    """The user turn that carries tool results' media (see transcript), not the user's own."""
    items = cast(list[Any], content) if isinstance(content, list) else []
    return bool(items) and items[0].get("text") == ATTACHMENTS_NOTE


def _info(entry: Any) -> dict[str, Any]:
    info: Any = entry.get("info") if is_record(entry) else getattr(entry, "info", None)
    if is_record(info):
        return info
    return info.dump() if info is not None else {}
