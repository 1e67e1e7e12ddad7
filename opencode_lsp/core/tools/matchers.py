"""Find the text a model meant by ``oldString``, from exact to progressively looser matches.

Models often get whitespace, indentation or escaping slightly wrong. Each matcher below yields
candidate substrings that really occur in the file; ``replace`` tries the matchers in order and
uses the first candidate that occurs exactly once (or every occurrence with ``replace_all``).
Looser matchers are tried only when the stricter ones found nothing usable.
"""

from __future__ import annotations

import re
from typing import Callable, Iterator

Matcher = Callable[[str, str], Iterator[str]]


class NotFound(Exception):
    pass


class Ambiguous(Exception):
    pass


def levenshtein(a: str, b: str) -> int:
    if a == b:
        return 0
    if not a or not b:
        return max(len(a), len(b))
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _similarity(a: str, b: str) -> float:
    longest = max(len(a), len(b))
    return 1.0 if longest == 0 else 1.0 - levenshtein(a, b) / longest


def _find_lines(find: str) -> list[str]:
    lines = find.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # a trailing newline in oldString should not demand an empty line
    return lines


def _line_offsets(lines: list[str]) -> list[int]:
    offsets, pos = [], 0
    for line in lines:
        offsets.append(pos)
        pos += len(line) + 1
    return offsets


def _block(content: str, lines: list[str], offsets: list[int], start: int, count: int) -> str:
    """The original text of ``count`` lines from ``start``, without the final newline."""
    end_line = start + count - 1
    return content[offsets[start]: offsets[end_line] + len(lines[end_line])]


def _windows(content: str, size: int) -> Iterator[tuple[int, list[str], str]]:
    lines = content.split("\n")
    offsets = _line_offsets(lines)
    for start in range(0, len(lines) - size + 1):
        yield start, lines[start:start + size], _block(content, lines, offsets, start, size)


def exact(content: str, find: str) -> Iterator[str]:
    yield find


def line_trimmed(content: str, find: str) -> Iterator[str]:
    wanted = [line.strip() for line in _find_lines(find)]
    if not wanted:
        return
    for _, window, text in _windows(content, len(wanted)):
        if [line.strip() for line in window] == wanted:
            yield text


def block_anchor(content: str, find: str) -> Iterator[str]:
    """First and last lines pin the block; the middle only has to look alike (edit distance)."""
    wanted = _find_lines(find)
    if len(wanted) < 3:
        return
    first, last = wanted[0].strip(), wanted[-1].strip()
    lines = content.split("\n")
    offsets = _line_offsets(lines)
    candidates: list[tuple[int, int]] = []
    for i, line in enumerate(lines):
        if line.strip() != first:
            continue
        for j in range(i + 2, len(lines)):
            if lines[j].strip() == last:
                candidates.append((i, j))
                break
    if not candidates:
        return

    def score(i: int, j: int) -> float:
        middle_wanted = wanted[1:-1]
        middle_found = lines[i + 1:j]
        pairs = min(len(middle_wanted), len(middle_found))
        if pairs == 0:
            return 1.0
        return sum(_similarity(middle_found[k].strip(), middle_wanted[k].strip()) for k in range(pairs)) / pairs

    # One candidate only needs to look vaguely alike; several must clearly pick a winner.
    threshold = 0.0 if len(candidates) == 1 else 0.3
    best = max(candidates, key=lambda c: score(*c))
    if score(*best) >= threshold:
        yield _block(content, lines, offsets, best[0], best[1] - best[0] + 1)


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def whitespace_normalized(content: str, find: str) -> Iterator[str]:
    wanted = _collapse(find)
    if not wanted:
        return
    find_lines = _find_lines(find)
    if len(find_lines) <= 1:
        words = wanted.split(" ")
        pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
        for line in content.split("\n"):
            if _collapse(line) == wanted:
                yield line
            else:
                match = pattern.search(line)
                if match:
                    yield match.group(0)
        return
    for _, window, text in _windows(content, len(find_lines)):
        if _collapse("\n".join(window)) == wanted:
            yield text


def _dedent(lines: list[str]) -> list[str]:
    indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(indents) if indents else 0
    return [line[cut:] if line.strip() else "" for line in lines]


def indentation_flexible(content: str, find: str) -> Iterator[str]:
    wanted = _dedent(_find_lines(find))
    if not wanted:
        return
    for _, window, text in _windows(content, len(wanted)):
        if _dedent(window) == wanted:
            yield text


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "'": "'", '"': '"', "`": "`", "\\": "\\", "$": "$", "\n": "\n"}


def _unescape(text: str) -> str:
    return re.sub(r"\\([ntr'\"`\\$\n])", lambda m: _ESCAPES[m.group(1)], text)


def escape_normalized(content: str, find: str) -> Iterator[str]:
    plain = _unescape(find)
    if plain != find and plain in content:
        yield plain
    size = len(_find_lines(plain))
    if size == 0:
        return
    for _, window, text in _windows(content, size):
        if _unescape("\n".join(window)) == plain.rstrip("\n"):
            yield text


def trimmed_boundary(content: str, find: str) -> Iterator[str]:
    trimmed = find.strip()
    if not trimmed or trimmed == find:
        return
    if trimmed in content:
        yield trimmed
    size = len(_find_lines(trimmed))
    for _, window, text in _windows(content, size):
        if "\n".join(window).strip() == trimmed:
            yield text


def context_aware(content: str, find: str) -> Iterator[str]:
    """Same-sized block between matching first/last lines where most middle lines agree."""
    wanted = _find_lines(find)
    if len(wanted) < 3:
        return
    first, last = wanted[0].strip(), wanted[-1].strip()
    for _, window, text in _windows(content, len(wanted)):
        if window[0].strip() != first or window[-1].strip() != last:
            continue
        pairs = [(a.strip(), b.strip()) for a, b in zip(window[1:-1], wanted[1:-1]) if a.strip() or b.strip()]
        agree = sum(1 for a, b in pairs if a == b)
        if not pairs or agree / len(pairs) >= 0.5:
            yield text
            return


MATCHERS: list[tuple[str, Matcher]] = [
    ("exact", exact),
    ("line_trimmed", line_trimmed),
    ("block_anchor", block_anchor),
    ("whitespace_normalized", whitespace_normalized),
    ("indentation_flexible", indentation_flexible),
    ("escape_normalized", escape_normalized),
    ("trimmed_boundary", trimmed_boundary),
    ("context_aware", context_aware),
]


def replace(content: str, old: str, new: str, replace_all: bool = False) -> tuple[str, str]:
    """Return ``(new content, name of the matcher that found it)``.

    Raises ``NotFound`` when no matcher finds ``old`` and ``Ambiguous`` when the only matches
    occur more than once (and ``replace_all`` is off)."""
    ambiguous = False
    for name, matcher in MATCHERS:
        for candidate in matcher(content, old):
            if not candidate:
                continue
            if old.endswith("\n") and not candidate.endswith("\n") and candidate + "\n" in content:
                # Line-based matchers return whole lines without their newline; keep the
                # model's trailing newline paired with the file's so none is doubled.
                candidate += "\n"
            index = content.find(candidate)
            if index == -1:
                continue
            if replace_all:
                return content.replace(candidate, new), name
            if content.rfind(candidate) != index:
                ambiguous = True
                continue
            return content[:index] + new + content[index + len(candidate):], name
    if ambiguous:
        raise Ambiguous()
    raise NotFound()
