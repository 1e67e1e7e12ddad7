"""The summariser's request as OpenCode 1.18.33 shapes it: the system prompt, then ONE user
message holding the conversation written out as text, the earlier summary when there is one,
and the instructions.

Each message becomes a few labelled lines: the user's texts (joined) and their attachments; the
assistant's texts, reasoning, and each tool call with its input as JSON followed by its result
(cut to ``TOOL_OUTPUT_CAP`` characters, a cleared note when compaction pruned it) or its error.
Messages are separated by a blank line and wrapped in ``<conversation>`` tags. Labels and
wording are our own.
"""

from __future__ import annotations

import json
from typing import Any

from .transcript import field, has_compaction, info_of, is_user, parts_of

TOOL_OUTPUT_CAP = 2_000  # characters of each tool output the summariser reads
CUT_MARK = "\n[cut here]"
CLEARED_MARK = "[output removed earlier to save space]"


def _cap(text: str) -> str:
    return text if len(text) <= TOOL_OUTPUT_CAP else text[:TOOL_OUTPUT_CAP] + CUT_MARK


def _attached(part: Any) -> str:
    return f"[attached {field(part, 'mime') or 'file'}: {field(part, 'filename') or 'file'}]"


def _user_lines(parts: list[Any]) -> list[str]:
    texts = [field(p, "text") for p in parts
             if field(p, "type") == "text" and not field(p, "ignored") and field(p, "text")]
    lines = [f"[user] {chr(10).join(texts)}"] if texts else []
    return lines + [_attached(p) for p in parts if field(p, "type") == "file"]


def _assistant_lines(parts: list[Any]) -> list[str]:
    lines: list[str] = []
    for part in parts:
        kind = field(part, "type")
        if kind in ("text", "reasoning"):
            if field(part, "text"):
                label = "assistant" if kind == "text" else "assistant thinking"
                lines.append(f"[{label}] {field(part, 'text')}")
            continue
        if kind != "tool":
            continue
        state = field(part, "state")
        lines.append(f"[tool call] {field(part, 'tool')}"
                     f"({json.dumps(field(state, 'input') or {}, ensure_ascii=False, separators=(',', ':'))})")
        status = field(state, "status")
        if status == "completed":
            if field(field(state, "time"), "compacted"):
                result = CLEARED_MARK
            else:
                attachments: list[Any] = field(state, "attachments") or []
                result = _cap("\n".join([field(state, "output") or "", *(_attached(a) for a in attachments)]))
            lines.append(f"[tool result] {result}")
        elif status == "error":
            lines.append(f"[tool error] {field(state, 'error')}")
    return lines


def conversation_text(entries: list[Any]) -> str:
    """The messages as text blocks, one per message, separated by blank lines."""
    blocks: list[str] = []
    for entry in entries:
        lines = _user_lines(parts_of(entry)) if is_user(entry) else _assistant_lines(parts_of(entry))
        if lines:
            blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def split_prior_summary(head: list[Any]) -> tuple[str | None, list[Any]]:
    """An earlier compaction at the start of ``head``: (its summary text, the rest)."""
    if len(head) >= 2 and has_compaction(head[0]) and field(info_of(head[1]), "summary"):
        texts = [field(p, "text") for p in parts_of(head[1]) if field(p, "type") == "text" and field(p, "text")]
        return "\n\n".join(t.strip() for t in texts).strip(), head[2:]
    return None, head


def summary_request_text(head: list[Any], instruction: str, update_note: str) -> str:
    """The one user message of the summary request."""
    prior, rest = split_prior_summary(head)
    blocks = [f"The conversation up to now:\n\n<conversation>\n{conversation_text(rest)}\n</conversation>"]
    if prior is not None:
        blocks.append(f"The summary of everything before that conversation:\n\n<prior-summary>\n{prior}\n</prior-summary>")
        blocks.append(update_note)
    blocks.append(instruction)
    return "\n\n".join(blocks)
