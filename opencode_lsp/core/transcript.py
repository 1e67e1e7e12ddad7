"""Stored messages -> the chat messages a model is sent (OpenAI chat format).

OpenCode's conversion rules: empty and ignored text is dropped; text files already expanded into
synthetic text are not sent again; compaction and subtask parts become short user texts; an
errored assistant message is skipped unless it was aborted after producing something; a tool that
never finished is reported to the model as interrupted; outputs pruned by compaction are replaced
by a short note; reasoning is only replayed to the model that produced it.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from .message import (
    AgentPart,
    AssistantMessage,
    CompactionPart,
    FilePart,
    MessageWithParts,
    ReasoningPart,
    SubtaskPart,
    TextPart,
    ToolPart,
    ToolStateCompleted,
    ToolStateError,
    UserMessage,
)

INTERRUPTED = "[Tool execution was interrupted]"
CLEARED = "[Old tool result content cleared]"
COMPACTION_QUESTION = "What did we do so far?"
SUBTASK_NOTE = "The following tool was executed by the user"


def _user_content(entry: MessageWithParts) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = []
    for part in entry.parts:
        if isinstance(part, TextPart):
            if part.ignored or not part.text.strip():
                continue
            content.append({"type": "text", "text": part.text})
        elif isinstance(part, FilePart):
            # Text files and directories were expanded into synthetic text when stored.
            if part.mime.startswith("image/") and part.url.startswith("data:"):
                content.append({"type": "image_url", "image_url": {"url": part.url}})
        elif isinstance(part, CompactionPart):
            content.append({"type": "text", "text": COMPACTION_QUESTION})
        elif isinstance(part, SubtaskPart):
            content.append({"type": "text", "text": SUBTASK_NOTE})
        elif isinstance(part, AgentPart):
            continue  # its instruction was stored as a synthetic text part next to it
    return content


def _tool_output(part: ToolPart) -> str:
    state = part.state
    if isinstance(state, ToolStateCompleted):
        if state.time.compacted:
            return CLEARED
        return state.output
    if isinstance(state, ToolStateError):
        return f"Error: {state.error}" if not (state.metadata or {}).get("interrupted") else INTERRUPTED
    return INTERRUPTED


def _assistant_messages(entry: MessageWithParts, model_ref: str) -> list[dict[str, Any]]:
    info = entry.info
    assert isinstance(info, AssistantMessage)
    has_content = any(
        isinstance(p, TextPart) and p.text.strip() or isinstance(p, ToolPart) for p in entry.parts
    )
    if info.error is not None and not (info.error.name == "MessageAbortedError" and has_content):
        return []
    texts: list[str] = []
    reasoning: list[str] = []
    calls: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    same_model = f"{info.providerID}/{info.modelID}" == model_ref
    for part in entry.parts:
        if isinstance(part, TextPart) and part.text.strip() and not part.ignored:
            texts.append(part.text)
        elif isinstance(part, ReasoningPart) and part.text.strip():
            if same_model:
                reasoning.append(part.text)
            else:
                # Another model's reasoning is kept as plain text, not as its own reasoning.
                texts.append(part.text)
        elif isinstance(part, ToolPart):
            calls.append({
                "id": part.callID,
                "type": "function",
                "function": {"name": part.tool, "arguments": json.dumps(part.state.input)},
            })
            results.append({"role": "tool", "tool_call_id": part.callID, "content": _tool_output(part)})
    if not texts and not calls:
        return []
    message: dict[str, Any] = {"role": "assistant", "content": "\n\n".join(texts) or None}
    if calls:
        message["tool_calls"] = calls
    if reasoning:
        message["reasoning_content"] = "\n\n".join(reasoning)
    return [message, *results]


def to_model_messages(entries: Iterable[MessageWithParts], model_ref: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for entry in entries:
        if isinstance(entry.info, UserMessage):
            content = _user_content(entry)
            if content:
                if all(c["type"] == "text" for c in content):
                    out.append({"role": "user", "content": "\n\n".join(c["text"] for c in content)})
                else:
                    out.append({"role": "user", "content": content})
        else:
            out.extend(_assistant_messages(entry, model_ref))
    return out
