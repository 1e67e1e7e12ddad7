"""A file's change as OpenCode 1.18.33 stores it in ``summary.diffs``: one unified ``patch``.

The patch has an ``Index:`` header, a line of ``=``, ``---``/``+++`` lines naming the file (each
followed by a tab and an empty timestamp) and one hunk that covers the whole file: every line of
both versions, unchanged lines as context, removed lines before the added ones of each change. A
last line without a newline is followed by ``\\ No newline at end of file``. An added file's hunk
starts at ``-0,0``, a deleted file's at ``+0,0``.

Sessions written before this form stored ``before``/``after`` texts; ``legacy_to_patch`` turns
such an entry into the patch form (used when they are imported or read).
"""

from __future__ import annotations

import difflib
from typing import Any

from .store import is_record

NO_NEWLINE = "\\ No newline at end of file"
RULE = "=" * 67


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True) if text else []


def _emit(out: list[str], sign: str, line: str) -> None:
    if line.endswith("\n"):
        out.append(sign + line)
    else:  # the file's last line, with no newline after it
        out.append(sign + line + "\n")
        out.append(NO_NEWLINE + "\n")


def file_patch(name: str, before: str, after: str) -> str:
    """The whole-file unified patch of ``name`` from ``before`` to ``after``."""
    old, new = _lines(before), _lines(after)
    body: list[str] = []
    # Compare lines by their text without the newline, as a line diff does; a last line that
    # only gained or lost its newline still differs (it is kept with its ending for output).
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for line in old[i1:i2]:
                _emit(body, " ", line)
            continue
        for line in old[i1:i2]:
            _emit(body, "-", line)
        for line in new[j1:j2]:
            _emit(body, "+", line)
    head = [f"Index: {name}\n", RULE + "\n", f"--- {name}\t\n", f"+++ {name}\t\n"]
    if not body:
        return "".join(head)
    old_start = 1 if old else 0
    new_start = 1 if new else 0
    head.append(f"@@ -{old_start},{len(old)} +{new_start},{len(new)} @@\n")
    return "".join(head + body)


def legacy_to_patch(entry: Any) -> Any:
    """A ``{file, before, after, ...}`` entry in the ``{file, patch, ...}`` form (others as they are)."""
    if not is_record(entry) or "patch" in entry or not ("before" in entry or "after" in entry):
        return entry
    out: dict[str, Any] = {k: v for k, v in entry.items() if k not in ("before", "after")}
    before, after = entry.get("before"), entry.get("after")
    out["patch"] = file_patch(str(entry.get("file", "")), before if isinstance(before, str) else "",
                              after if isinstance(after, str) else "")
    return out
