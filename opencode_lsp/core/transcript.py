"""Stored messages -> the chat messages a model is sent (OpenAI chat format).

OpenCode's conversion rules, in our own words:

- user text that is empty or marked ``ignored`` is dropped; synthetic text (expanded files,
  instructions) is sent;
- text files and directories were expanded into synthetic text when they were stored, so their
  file parts are not sent again; images (and PDFs) are sent as media, or as a short note when
  media is stripped (the compaction agent gets notes);
- a compaction part becomes a short request for a summary, a subtask part a short note;
- an assistant message that ended in an error is skipped, unless it was aborted after it had
  produced something;
- a tool that never finished (pending or running) is reported to the model as interrupted;
- tool outputs pruned by compaction (``time.compacted``) are replaced by a short note;
- reasoning is replayed as reasoning only to the model that produced it; another model gets it
  as plain text.

Entries may be typed ``MessageWithParts`` or the raw ``{info, parts}`` dicts the store returns:
reading raw records skips validating thousands of messages when only a transcript is needed.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, cast

INTERRUPTED = "[The tool was stopped before it finished; there is no result.]"
CLEARED = "[This tool output was removed to save context space.]"
COMPACTION_REQUEST = "Summarise our conversation so far."
SUBTASK_NOTE = "The user had the tool below run on their behalf."
MEDIA_NOTE = "[An attachment ({mime}{name}) was left out here.]"
ATTACHMENTS_NOTE = "Attachments from the tool results above:"
CAPPED_NOTE = "\n[... {dropped} more characters of this output were cut for the summary.]"


def field(obj: Any, key: str, default: Any = None) -> Any:
    """``obj[key]`` for raw records, ``obj.key`` for pydantic models (extra fields included)."""
    if obj is None:
        return default
    if type(obj) is dict:
        return cast(dict[str, Any], obj).get(key, default)
    return getattr(obj, key, default)


def record_of(obj: Any) -> dict[str, Any]:
    """A raw record as it is; a pydantic model (part or message) in its JSON form."""
    return cast(dict[str, Any], obj) if type(obj) is dict else obj.dump()


def info_of(entry: Any) -> Any:
    return field(entry, "info")


def parts_of(entry: Any) -> list[Any]:
    return field(entry, "parts") or []


def is_user(entry: Any) -> bool:
    return field(info_of(entry), "role") == "user"


def has_compaction(entry: Any) -> bool:
    return is_user(entry) and any(field(p, "type") == "compaction" for p in parts_of(entry))


def _media(part: Any, strip_media: bool) -> dict[str, Any] | None:
    mime = field(part, "mime") or ""
    url = field(part, "url") or ""
    if not url.startswith("data:") or not (mime.startswith("image/") or mime == "application/pdf"):
        return None
    if strip_media:
        name = field(part, "filename")
        return {"type": "text", "text": MEDIA_NOTE.format(mime=mime, name=f", {name}" if name else "")}
    if mime.startswith("image/"):
        return {"type": "image_url", "image_url": {"url": url}}
    return {"type": "file", "file": {"file_data": url, "filename": field(part, "filename") or "file.pdf"}}


def _user_content(entry: Any, strip_media: bool) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = []
    for part in parts_of(entry):
        kind = field(part, "type")
        if kind == "text":
            text = field(part, "text") or ""
            if field(part, "ignored") or not text.strip():
                continue
            content.append({"type": "text", "text": text})
        elif kind == "file":
            # Text files and directories went in as synthetic text when the message was stored.
            media = _media(part, strip_media)
            if media is not None:
                content.append(media)
        elif kind == "compaction":
            content.append({"type": "text", "text": COMPACTION_REQUEST})
        elif kind == "subtask":
            content.append({"type": "text", "text": SUBTASK_NOTE})
        # agent parts: their instruction was stored as a synthetic text part next to them
    return content


def _user_message(content: list[dict[str, Any]]) -> dict[str, Any]:
    # A lone text goes as a string; several parts stay separate items, as the AI SDK sends them.
    if len(content) == 1 and content[0]["type"] == "text":
        return {"role": "user", "content": content[0]["text"]}
    return {"role": "user", "content": content}


def _cap(text: str, limit: int | None) -> str:
    if limit is None or len(text) <= limit:
        return text
    return text[:limit] + CAPPED_NOTE.format(dropped=len(text) - limit)


def tool_output(part: Any, cap: int | None = None) -> str:
    """What the model reads as a tool call's result."""
    state = field(part, "state")
    status = field(state, "status")
    if status == "completed":
        if field(field(state, "time"), "compacted"):
            return CLEARED
        return _cap(field(state, "output") or "", cap)
    if status == "error":
        # The stored error as it is: OpenCode 1.18.33 adds no prefix.
        return _cap(field(state, "error") or "the tool failed", cap)
    return INTERRUPTED


def _has_content(parts: list[Any]) -> bool:
    return any(field(p, "type") not in ("step-start", "step-finish", "reasoning") for p in parts)


def _assistant_messages(entry: Any, model_ref: str, strip_media: bool, cap: int | None) -> list[dict[str, Any]]:
    info = info_of(entry)
    parts = parts_of(entry)
    error = field(info, "error")
    if error is not None and not (field(error, "name") == "MessageAbortedError" and _has_content(parts)):
        return []
    same_model = f"{field(info, 'providerID')}/{field(info, 'modelID')}" == model_ref
    texts: list[str] = []
    reasoning: list[str] = []
    calls: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    media: list[dict[str, Any]] = []
    for part in parts:
        kind = field(part, "type")
        if kind == "text":
            text = field(part, "text") or ""
            if text.strip() and not field(part, "ignored"):
                texts.append(text)
        elif kind == "reasoning":
            text = field(part, "text") or ""
            if text.strip():
                # Another model cannot take this as its own reasoning; it reads it as text.
                (reasoning if same_model else texts).append(text)
        elif kind == "tool":
            state = field(part, "state")
            call_id = field(part, "callID")
            calls.append({
                "id": call_id, "type": "function",
                "function": {"name": field(part, "tool"),
                             "arguments": json.dumps(field(state, "input") or {}, ensure_ascii=False)},
            })
            results.append({"role": "tool", "tool_call_id": call_id, "content": tool_output(part, cap)})
            if field(state, "status") == "completed" and not field(field(state, "time"), "compacted"):
                attachments: list[Any] = field(state, "attachments") or []
                for attachment in attachments:
                    item = _media(attachment, strip_media)
                    if item is not None:
                        media.append(item)
    if not texts and not calls:
        return []
    message: dict[str, Any] = {"role": "assistant", "content": "\n\n".join(texts) or None}
    if calls:
        message["tool_calls"] = calls
    if reasoning:
        message["reasoning_content"] = "\n\n".join(reasoning)
    out = [message, *results]
    if media:
        # Chat APIs take media in user turns only: tool attachments follow their results.
        out.append({"role": "user", "content": [{"type": "text", "text": ATTACHMENTS_NOTE},
                                                *media]})
    return out


def to_model_messages(entries: Iterable[Any], model_ref: str, *, strip_media: bool = False,
                      tool_output_cap: int | None = None) -> list[dict[str, Any]]:
    """The chat messages for ``entries`` (oldest first), as seen by the model ``model_ref``.

    ``strip_media`` replaces images and PDFs with short notes; ``tool_output_cap`` cuts tool
    outputs to that many characters (both for the compaction agent)."""
    out: list[dict[str, Any]] = []
    for entry in entries:
        if is_user(entry):
            content = _user_content(entry, strip_media)
            if content:
                out.append(_user_message(content))
        else:
            out.extend(_assistant_messages(entry, model_ref, strip_media, tool_output_cap))
    return out
