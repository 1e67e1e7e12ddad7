"""Unified diffs and change counts for the permission prompt and the part's metadata."""

from __future__ import annotations

import difflib
from typing import Any


def unified_diff(path: str, before: str, after: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True),
        fromfile=path, tofile=path,
    )
    # difflib leaves a line without a final newline glued to the next header; add one.
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def count_changes(before: str, after: str) -> tuple[int, int]:
    additions = deletions = 0
    matcher = difflib.SequenceMatcher(None, before.splitlines(), after.splitlines(), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            deletions += i2 - i1
            additions += j2 - j1
    return additions, deletions


def file_diff(path: str, before: str, after: str) -> dict[str, Any]:
    """OpenCode's ``filediff`` shape: the file, both texts and the line counts."""
    additions, deletions = count_changes(before, after)
    return {"file": path, "before": before, "after": after, "additions": additions, "deletions": deletions}
