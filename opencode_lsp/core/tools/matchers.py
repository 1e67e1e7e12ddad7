"""Find the text a model meant by ``oldString``, from exact to progressively looser matches.

Models often get whitespace, indentation or escaping slightly wrong. Each matcher below yields
candidate substrings; ``replace`` tries the matchers in order and takes the first candidate that
occurs in the file exactly once (or every occurrence with ``replace_all``). The chain, its
thresholds and its refusals follow OpenCode 1.18.33 decision for decision, so an edit one of them
accepts the other accepts with the same result (tests/tools/test_edit_differential.py checks this
against OpenCode's recorded results). Two places need care to agree with a JavaScript engine:
"whitespace" is ECMAScript's set (``\\s`` and ``trim``), and lengths and edit distances count
UTF-16 code units.
"""

from __future__ import annotations

import re
from typing import Callable, Iterator


Matcher = Callable[[str, str], Iterator[str]]

# ECMAScript WhiteSpace + LineTerminator: what String.prototype.trim and /\s/ remove/match.
JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009" \
           "\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_SPACE_CLASS = "[" + re.escape(JS_SPACE) + "]"
_SPACE_RUN = re.compile(_SPACE_CLASS + "+")
_LEADING_SPACE = re.compile("^" + _SPACE_CLASS + "*")

# A lone block-anchor candidate, or the best of several, needs this mean middle-line similarity.
BLOCK_ANCHOR_THRESHOLD = 0.65
# Context-aware matching wants at least this share of non-blank middle lines identical.
CONTEXT_AGREEMENT = 0.5


class MatchError(Exception):
    """The edit cannot be made; ``kind`` says why (the differential tests compare kinds)."""

    kind = "error"


class NotFound(MatchError):
    kind = "not_found"


class Ambiguous(MatchError):
    kind = "multiple"


class SpanTooLarge(MatchError):
    """A loose matcher found a block much larger than oldString: replacing it would lose code."""

    kind = "span_too_large"


class EmptyOld(MatchError):
    kind = "empty_old"


class NoChange(MatchError):
    kind = "no_change"


def js_trim(text: str) -> str:
    return text.strip(JS_SPACE)


def utf16_units(text: str) -> str | list[int]:
    """``text`` as JavaScript indexes it: unchanged when all of it is in the BMP."""
    if text.isascii() or all(ord(ch) < 0x10000 for ch in text):
        return text
    data = text.encode("utf-16-le", "surrogatepass")
    return [int.from_bytes(data[i:i + 2], "little") for i in range(0, len(data), 2)]


def utf16_len(text: str) -> int:
    return len(utf16_units(text))


def levenshtein(a: str, b: str) -> int:
    if a == "" or b == "":
        return max(utf16_len(a), utf16_len(b))
    # Imported on first use: only a fuzzy edit match needs it, and it holds ~4 MB once loaded.
    from rapidfuzz.distance import Levenshtein

    return Levenshtein.distance(utf16_units(a), utf16_units(b))


def _line_similarity(found: str, wanted: str) -> float | None:
    """1 - distance / longer length of the trimmed lines; None when both are blank."""
    found, wanted = js_trim(found), js_trim(wanted)
    longest = max(utf16_len(found), utf16_len(wanted))
    if longest == 0:
        return None
    return 1 - levenshtein(found, wanted) / longest


def _block_text(content: str, lines: list[str], start: int, end: int) -> str:
    """Lines ``start``..``end`` (inclusive) of ``content`` as they are written, without the final newline."""
    offset = sum(len(line) + 1 for line in lines[:start])
    length = sum(len(line) for line in lines[start:end + 1]) + (end - start)
    return content[offset:offset + length]


def _without_trailing_empty(lines: list[str]) -> list[str]:
    if lines and lines[-1] == "":
        lines = lines[:-1]  # a trailing newline in oldString should not demand an empty line
    return lines


def exact(content: str, find: str) -> Iterator[str]:
    yield find


def line_trimmed(content: str, find: str) -> Iterator[str]:
    lines = content.split("\n")
    wanted = [js_trim(line) for line in _without_trailing_empty(find.split("\n"))]
    for start in range(0, len(lines) - len(wanted) + 1):
        if all(js_trim(lines[start + k]) == wanted[k] for k in range(len(wanted))):
            yield _block_text(content, lines, start, start + len(wanted) - 1)


def _anchored_blocks(lines: list[str], wanted: list[str]) -> list[tuple[int, int]]:
    """(start, end) blocks whose first/last lines match oldString's and whose size is close to it.

    For each start line only the nearest matching end line counts."""
    first, last = js_trim(wanted[0]), js_trim(wanted[-1])
    slack = max(1, len(wanted) // 4)
    blocks: list[tuple[int, int]] = []
    for start, line in enumerate(lines):
        if js_trim(line) != first:
            continue
        for end in range(start + 2, len(lines)):
            if js_trim(lines[end]) == last:
                if abs((end - start + 1) - len(wanted)) <= slack:
                    blocks.append((start, end))
                break
    return blocks


def _middle_pairs(lines: list[str], wanted: list[str], start: int, end: int) -> Iterator[tuple[str, str]]:
    size = end - start + 1
    for k in range(1, min(len(wanted) - 1, size - 1)):
        yield lines[start + k], wanted[k]


def block_anchor(content: str, find: str) -> Iterator[str]:
    """First and last lines pin the block; the middle lines have to be similar enough."""
    if len(find.split("\n")) < 3:
        return
    wanted = _without_trailing_empty(find.split("\n"))
    lines = content.split("\n")
    blocks = _anchored_blocks(lines, wanted)
    if not blocks:
        return
    if len(blocks) == 1:
        start, end = blocks[0]
        pairs = min(len(wanted) - 2, end - start - 1)
        score = 0.0
        if pairs > 0:
            for found, want in _middle_pairs(lines, wanted, start, end):
                similarity = _line_similarity(found, want)
                if similarity is None:
                    continue
                score += similarity / pairs
                if score >= BLOCK_ANCHOR_THRESHOLD:
                    break  # enough evidence; the remaining lines need not be compared
        else:
            score = 1.0
        if score >= BLOCK_ANCHOR_THRESHOLD:
            yield _block_text(content, lines, start, end)
        return
    best, best_score = None, -1.0
    for start, end in blocks:
        pairs = min(len(wanted) - 2, end - start - 1)
        if pairs > 0:
            total = 0.0
            for found, want in _middle_pairs(lines, wanted, start, end):
                similarity = _line_similarity(found, want)
                if similarity is not None:
                    total += similarity
            score = total / pairs
        else:
            score = 1.0
        if score > best_score:
            best, best_score = (start, end), score
    if best is not None and best_score >= BLOCK_ANCHOR_THRESHOLD:
        yield _block_text(content, lines, *best)


def _collapse(text: str) -> str:
    return js_trim(_SPACE_RUN.sub(" ", text))


def whitespace_normalized(content: str, find: str) -> Iterator[str]:
    wanted = _collapse(find)
    lines = content.split("\n")
    for line in lines:
        collapsed = _collapse(line)
        if collapsed == wanted:
            yield line
        elif wanted in collapsed:
            words = _SPACE_RUN.split(js_trim(find))
            pattern = re.compile((_SPACE_CLASS + "+").join(re.escape(word) for word in words))
            match = pattern.search(line)
            if match:
                yield match.group(0)
    find_lines = find.split("\n")
    if len(find_lines) > 1:
        for start in range(0, len(lines) - len(find_lines) + 1):
            window = "\n".join(lines[start:start + len(find_lines)])
            if _collapse(window) == wanted:
                yield window


def _dedent(text: str) -> str:
    lines = text.split("\n")
    filled = [line for line in lines if js_trim(line)]
    if not filled:
        return text
    cut = min(len(m.group(0)) if (m := _LEADING_SPACE.match(line)) else 0 for line in filled)
    return "\n".join(line[cut:] if js_trim(line) else line for line in lines)


def indentation_flexible(content: str, find: str) -> Iterator[str]:
    wanted = _dedent(find)
    lines = content.split("\n")
    size = len(find.split("\n"))
    for start in range(0, len(lines) - size + 1):
        window = "\n".join(lines[start:start + size])
        if _dedent(window) == wanted:
            yield window


_ESCAPE = re.compile(r"\\([ntr'\"`\\\n$])")
_ESCAPED = {"n": "\n", "t": "\t", "r": "\r"}


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: _ESCAPED.get(m.group(1), m.group(1)), text)


def escape_normalized(content: str, find: str) -> Iterator[str]:
    plain = _unescape(find)
    if plain in content:
        yield plain
    lines = content.split("\n")
    size = len(plain.split("\n"))
    for start in range(0, len(lines) - size + 1):
        window = "\n".join(lines[start:start + size])
        if _unescape(window) == plain:
            yield window


def trimmed_boundary(content: str, find: str) -> Iterator[str]:
    trimmed = js_trim(find)
    if trimmed == find:
        return
    if trimmed in content:
        yield trimmed
    lines = content.split("\n")
    size = len(find.split("\n"))
    for start in range(0, len(lines) - size + 1):
        window = "\n".join(lines[start:start + size])
        if js_trim(window) == trimmed:
            yield window


def context_aware(content: str, find: str) -> Iterator[str]:
    """A block of oldString's size between matching first/last lines where half the middle agrees."""
    wanted = find.split("\n")
    if len(wanted) < 3:
        return
    wanted = _without_trailing_empty(wanted)
    lines = content.split("\n")
    first, last = js_trim(wanted[0]), js_trim(wanted[-1])
    for start, line in enumerate(lines):
        if js_trim(line) != first:
            continue
        for end in range(start + 2, len(lines)):
            if js_trim(lines[end]) != last:
                continue
            block = lines[start:end + 1]
            if len(block) == len(wanted):
                compared = agreed = 0
                for found, want in zip(block[1:-1], wanted[1:-1]):
                    found, want = js_trim(found), js_trim(want)
                    if found or want:
                        compared += 1
                        agreed += found == want
                if compared == 0 or agreed / compared >= CONTEXT_AGREEMENT:
                    yield "\n".join(block)
            break


def every_occurrence(content: str, find: str) -> Iterator[str]:
    """Each exact occurrence; with replace_all they are all replaced, otherwise it is ambiguous."""
    position = 0
    while find:
        index = content.find(find, position)
        if index == -1:
            return
        yield find
        position = index + len(find)


MATCHERS: list[tuple[str, Matcher]] = [
    ("exact", exact),
    ("line_trimmed", line_trimmed),
    ("block_anchor", block_anchor),
    ("whitespace_normalized", whitespace_normalized),
    ("indentation_flexible", indentation_flexible),
    ("escape_normalized", escape_normalized),
    ("trimmed_boundary", trimmed_boundary),
    ("context_aware", context_aware),
    ("every_occurrence", every_occurrence),
]


def span_too_large(candidate: str, old: str) -> bool:
    """A loosely matched block far longer than oldString (in lines, or in characters when
    oldString spans several lines) is refused rather than silently replaced."""
    old_lines = len(old.split("\n"))
    if len(candidate.split("\n")) >= max(old_lines + 3, old_lines * 2):
        return True
    if old_lines == 1:
        return False
    old_size = utf16_len(js_trim(old))
    return utf16_len(js_trim(candidate)) > max(old_size + 500, old_size * 4)


def replace(content: str, old: str, new: str, replace_all: bool = False) -> tuple[str, str]:
    """Return ``(new content, name of the matcher that found it)``; raise a ``MatchError``.

    ``content``, ``old`` and ``new`` must already use the same line endings."""
    if old == new:
        raise NoChange()
    if old == "":
        raise EmptyOld()
    found_any = False
    for name, matcher in MATCHERS:
        for candidate in matcher(content, old):
            index = content.find(candidate)
            if index == -1:
                continue
            found_any = True
            if span_too_large(candidate, old):
                raise SpanTooLarge()
            if replace_all:
                return content.replace(candidate, new), name
            if content.rfind(candidate) != index:
                continue
            return content[:index] + new + content[index + len(candidate):], name
    if found_any:
        raise Ambiguous()
    raise NotFound()
