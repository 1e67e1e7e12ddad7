"""OpenCode parts and todos -> ACP ``session/update`` payloads.

Pure functions over the stored part dicts (OpenCode's shapes), shared by live streaming and by
``session/load``'s replay so both show a tool call the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import acp
from acp.schema import PlanEntryPriority, PlanEntryStatus, ToolCallLocation, ToolCallStatus, ToolKind

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


def tool_kind(tool: str) -> ToolKind:
    return _KINDS.get(tool.lower(), "other")


def tool_locations(tool: str, state: dict[str, Any], root: Path) -> list[ToolCallLocation]:
    """The files a call touches, absolute, so the editor can follow along."""
    data = state.get("input") or {}
    paths: list[str] = []
    for key in ("filePath", "path"):
        value = data.get(key)
        if isinstance(value, str) and value:
            paths.append(value)
            break
    files = (state.get("metadata") or {}).get("files")
    if tool == "apply_patch" and isinstance(files, list):
        paths.extend(path for f in files
                     if isinstance(f, dict) and isinstance(path := f.get("filePath") or f.get("file"), str))
    out = []
    for value in paths:
        if isinstance(value, str) and value:
            p = Path(value)
            out.append(ToolCallLocation(path=str(p if p.is_absolute() else root / p)))
    return out


def tool_title(part: dict[str, Any]) -> str:
    state = part.get("state") or {}
    title = state.get("title")
    if title:
        return str(title)
    data = state.get("input") or {}
    subject = data.get("filePath") or data.get("command") or data.get("pattern") or data.get("url")
    return f"{part.get('tool')} {subject}" if isinstance(subject, str) and subject else str(part.get("tool"))


def _diffs(part: dict[str, Any]) -> list[Any]:
    """Diff content for file edits: the whole file before and after, from the tool's metadata."""
    metadata = (part.get("state") or {}).get("metadata") or {}
    found = []
    single = metadata.get("filediff")
    if isinstance(single, dict):
        found.append(single)
    many = metadata.get("files")
    if isinstance(many, list):
        found.extend(f for f in many if isinstance(f, dict))
    out = []
    for entry in found:
        path = entry.get("filePath") or entry.get("file")
        after = entry.get("after")
        if isinstance(path, str) and isinstance(after, str):
            before = entry.get("before")
            out.append(acp.tool_diff_content(path, after, before if isinstance(before, str) and before else None))
    return out


def tool_content(part: dict[str, Any]) -> list[Any]:
    state = part.get("state") or {}
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
    state = part.get("state") or {}
    return acp.start_tool_call(
        part["callID"], tool_title(part), kind=tool_kind(part["tool"]),
        status=_STATUS.get(str(state.get("status")), "pending"),
        locations=tool_locations(part["tool"], state, root) or None,
        content=tool_content(part) or None,
        raw_input=state.get("input") or {},
    )


def tool_update(part: dict[str, Any], root: Path) -> Any:
    state = part.get("state") or {}
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
    if not isinstance(metadata, dict):
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
