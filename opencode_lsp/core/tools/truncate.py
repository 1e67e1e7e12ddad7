"""Cut long tool output so it fits in the model's context, keeping the whole text on disk.

The full text goes to ``<data_dir>/tool-output/<id>.txt``; the marker names that file so the
model can page through it with ``read`` (the loop allows reads there without asking).
"""

from __future__ import annotations

from pathlib import Path

from ..ids import new_id

MAX_LINES = 2000
MAX_BYTES = 50 * 1024


def truncate_output(text: str, data_dir: str | Path | None = None, *,
                    max_lines: int = MAX_LINES, max_bytes: int = MAX_BYTES,
                    keep: str = "head") -> tuple[str, bool, str | None]:
    """Return ``(text, truncated, saved_path)``.

    ``keep="head"`` keeps the beginning (search results); ``"tail"`` keeps the end (command
    output, where the last lines usually say what went wrong)."""
    encoded_len = len(text.encode("utf-8", "replace"))
    lines = text.split("\n")
    if len(lines) <= max_lines and encoded_len <= max_bytes:
        return text, False, None

    kept: list[str] = []
    size = 0
    source = lines if keep == "head" else list(reversed(lines))
    for line in source:
        cost = len(line.encode("utf-8", "replace")) + 1
        if len(kept) >= max_lines or size + cost > max_bytes:
            break
        kept.append(line)
        size += cost
    if not kept and source:
        # A single enormous line: keep a byte-bounded slice of it rather than nothing.
        first = source[0]
        kept = [first[:max_bytes] if keep == "head" else first[-max_bytes:]]
    if keep == "tail":
        kept.reverse()
    dropped = len(lines) - len(kept)

    saved = _save(text, data_dir)
    where = (f"The full output ({len(lines)} lines) was saved to {saved}; read it with the read tool "
             "(use offset and limit) or search it with grep instead of running the command again."
             if saved else "The full output was not saved.")
    body = "\n".join(kept)
    if keep == "head":
        result = f"{body}\n\n... output truncated: {dropped} more lines not shown. {where}"
    else:
        result = f"... output truncated: the first {dropped} lines are not shown. {where}\n\n{body}"
    return result, True, saved


def _save(text: str, data_dir: str | Path | None) -> str | None:
    if not data_dir:
        return None
    directory = Path(data_dir) / "tool-output"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{new_id('tool')}.txt"
        path.write_text(text, encoding="utf-8")
    except OSError:
        return None
    return str(path)
