"""OpenCode parts and todos -> ACP ``session/update`` payloads.

Pure functions over the stored part dicts (OpenCode's shapes), shared by live streaming and by
``session/load``'s replay so both show a tool call the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import acp
from acp.schema import PlanEntryPriority, PlanEntryStatus, ToolCallLocation, ToolCallStatus, ToolKind

from ..core.store import Record, is_record, sub_record

# How an editor should present each tool (ACP's ToolKind); anything else is "other".
_KINDS: dict[str, ToolKind] = {
    "bash": "execute",
    "webfetch": "fetch",
    "websearch": "fetch",
    "edit": "edit",
    "write": "edit",
    "apply_patch": "edit",
    "patch": "edit",
    "multiedit": "edit",
    "grep": "search",
    "glob": "search",
    "codesearch": "search",
    "read": "read",
    "list": "read",
    "task": "think",
    "todowrite": "think",
    "todoread": "think",
}

_STATUS: dict[str, ToolCallStatus] = {"pending": "pending", "running": "in_progress", "completed": "completed", "error": "failed"}


def json_items(value: object) -> list[object]:
    """A JSON array's items; none when the value is missing or not an array."""
    return cast("list[object]", value) if isinstance(value, list) else []


def tool_kind(tool: str) -> ToolKind:
    return _KINDS.get(tool.lower(), "other")


def tool_locations(tool: str, state: dict[str, Any], root: Path) -> list[ToolCallLocation]:
    """The files a call touches, absolute, so the editor can follow along."""
    data = sub_record(state, "input")
    paths: list[str] = []
    for key in ("filePath", "path"):
        value = data.get(key)
        if isinstance(value, str) and value:
            paths.append(value)
            break
    if tool == "apply_patch":
        paths.extend(path for f in json_items(sub_record(state, "metadata").get("files"))
                     if is_record(f) and isinstance(path := f.get("filePath") or f.get("file"), str))
    return [ToolCallLocation(path=str(p if p.is_absolute() else root / p))
            for p in (Path(value) for value in paths if value)]


def tool_title(part: dict[str, Any]) -> str:
    state = sub_record(part, "state")
    title = state.get("title")
    if title:
        return str(title)
    data = sub_record(state, "input")
    subject = data.get("filePath") or data.get("command") or data.get("pattern") or data.get("url")
    return f"{part.get('tool')} {subject}" if isinstance(subject, str) and subject else str(part.get("tool"))


def _diffs(part: dict[str, Any]) -> list[Any]:
    """Diff content for file edits: the whole file before and after, from the tool's metadata."""
    metadata = sub_record(sub_record(part, "state"), "metadata")
    found: list[Record] = []
    single = metadata.get("filediff")
    if is_record(single):
        found.append(single)
    found.extend(f for f in json_items(metadata.get("files")) if is_record(f))
    out: list[Any] = []
    for entry in found:
        path = entry.get("filePath") or entry.get("file")
        after = entry.get("after")
        if isinstance(path, str) and isinstance(after, str):
            before = entry.get("before")
            out.append(acp.tool_diff_content(path, after, before if isinstance(before, str) and before else None))
    return out


def tool_content(part: dict[str, Any]) -> list[Any]:
    state = sub_record(part, "state")
    status = state.get("status")
    content: list[Any] = []
    if status == "completed":
        content.extend(_diffs(part))
        output = state.get("output")
        if isinstance(output, str) and output:
            content.append(acp.tool_content(acp.text_block(output)))
    elif status == "error":
        content.append(acp.tool_content(acp.text_block(str(state.get("error") or "failed"))))
    return content


def tool_start(part: dict[str, Any], root: Path) -> Any:
    state = sub_record(part, "state")
    return acp.start_tool_call(
        part["callID"], tool_title(part), kind=tool_kind(part["tool"]),
        status=_STATUS.get(str(state.get("status")), "pending"),
        locations=tool_locations(part["tool"], state, root) or None,
        content=tool_content(part) or None,
        raw_input=sub_record(state, "input"),
    )


def tool_update(part: dict[str, Any], root: Path) -> Any:
    state = sub_record(part, "state")
    status = _STATUS.get(str(state.get("status")), "pending")
    raw_output = None
    if status == "completed":
        raw_output = {"output": state.get("output"), "metadata": _public_metadata(state.get("metadata"))}
    elif status == "failed":
        raw_output = {"error": state.get("error")}
    return acp.update_tool_call(
        part["callID"], title=tool_title(part), kind=tool_kind(part["tool"]), status=status,
        locations=tool_locations(part["tool"], state, root) or None,
        content=tool_content(part) or None,
        raw_input=state.get("input") or None,
        raw_output=raw_output,
    )


def _public_metadata(metadata: Any) -> Any:
    # Whole-file before/after texts are already in the diff content; do not send them twice.
    if not is_record(metadata):
        return metadata
    return {k: v for k, v in metadata.items() if k not in ("filediff", "files")}


_PLAN_STATUS: dict[str, PlanEntryStatus] = {"pending": "pending", "in_progress": "in_progress", "completed": "completed",
                "cancelled": "completed"}
_PRIORITY: dict[str, PlanEntryPriority] = {"high": "high", "medium": "medium", "low": "low"}


def plan(todos: list[dict[str, Any]]) -> Any:
    return acp.update_plan([
        acp.plan_entry(str(t.get("content", "")), priority=_PRIORITY.get(str(t.get("priority")), "medium"),
                       status=_PLAN_STATUS.get(str(t.get("status")), "pending"))
        for t in todos
    ])


def replay(entry: dict[str, Any], root: Path) -> list[Any]:
    """Updates that show one stored message as the live run showed it."""
    role = entry["info"].get("role")
    out: list[Any] = []
    for part in entry.get("parts", []):
        kind = part.get("type")
        if kind == "text" and part.get("text") and not part.get("synthetic"):
            text = part["text"]
            out.append(acp.update_user_message_text(text) if role == "user" else acp.update_agent_message_text(text))
        elif kind == "reasoning" and part.get("text") and role == "assistant":
            out.append(acp.update_agent_thought_text(part["text"]))
        elif kind == "file" and role == "user" and part.get("url", "").startswith("file://"):
            name = part.get("filename") or part["url"].rsplit("/", 1)[-1]
            out.append(acp.update_user_message(acp.resource_link_block(name, part["url"], mime_type=part.get("mime"))))
        elif kind == "tool" and role == "assistant":
            out.append(tool_start(part, root))
    return out
