"""Every command a bash command line would run, and the paths it names, from a real parser.

A command line is parsed with tree-sitter's bash grammar; the permission check then sees each
command separately, wherever bash would run it: chained (``;``, ``&&``, ``||``, ``&``), piped,
in subshells and groups, in loops and functions, and nested inside command substitutions
(``$(...)``, backticks), process substitutions (``<(...)``, ``>(...)``), parameter expansions
(``${X:-$(...)}``), arithmetic and here-documents.

Some statements run code without a ``command`` node, so they are permission patterns of their own:
bare assignments and ``export``/``declare``/``unset`` (an assignment changes what later commands
do, e.g. ``PATH=...``), a redirection with no command (``> file`` truncates it), ``[[ ]]`` tests
with arithmetic operators, and arithmetic contexts (``$(( ))``, ``(( ))``, array subscripts,
substring offsets) that mention a variable or a string: bash evaluates such a variable's value as
an expression, and ``a[$(cmd)]`` inside that value runs ``cmd``.

Input the grammar cannot parse (an ERROR or MISSING node) is reported, never guessed at: the bash
tool refuses to run what it cannot check.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Iterator

from tree_sitter import Language, Node, Parser

# Word-like argument nodes whose text is one shell word.
WORD_TYPES = frozenset({"word", "string", "raw_string", "ansi_c_string", "concatenation", "number",
                        "simple_expansion", "expansion", "translated_string"})
# Statements that run or change something without being a ``command`` node.
OWN_PATTERN_TYPES = frozenset({"declaration_command", "unset_command"})
# test operators that evaluate their operands as arithmetic (or, for -v/-R, a subscript).
ARITHMETIC_TESTS = frozenset({"-eq", "-ne", "-lt", "-le", "-gt", "-ge", "-v", "-R"})
# What makes an arithmetic context able to run code: a name (its value is evaluated), a string,
# an escape or an expansion.
_RISKY_ARITHMETIC = re.compile(r"[A-Za-z_'\"\\$`]")


@dataclass
class ShellCommand:
    """One command bash would run. ``text`` is what permission rules are matched against."""

    text: str
    words: list[str] = field(default_factory=list[str])  # name and arguments, unquoted when static
    assignments: list[str] = field(default_factory=list[str])  # ``FOO=1`` written before the name


@dataclass
class ShellLine:
    commands: list[ShellCommand]
    paths: list[str]  # redirection targets and path-like arguments, as written (unquoted)
    error: str | None = None  # why the line could not be parsed; then nothing else is trusted


@functools.lru_cache(maxsize=1)
def _parser() -> Parser:
    import tree_sitter_bash

    return Parser(Language(tree_sitter_bash.language()))


def _text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def _walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def static_word(node: Node) -> str | None:
    """The word's value after quote removal, or None when it depends on an expansion."""
    kind = node.type
    if kind in ("word", "number"):
        return re.sub(r"\\(.)", r"\1", _text(node), flags=re.DOTALL)
    if kind == "raw_string":
        return _text(node)[1:-1]
    if kind == "string":
        parts: list[str] = []
        for child in node.children:
            if child.type == '"':
                continue
            if child.type != "string_content":
                return None
            parts.append(re.sub(r'\\([$`"\\\n])', r"\1", _text(child)))
        return "".join(parts)
    if kind == "ansi_c_string":
        body = _text(node)[2:-1]
        try:
            return body.encode("latin-1", "backslashreplace").decode("unicode_escape")
        except UnicodeDecodeError:
            return None
    if kind == "concatenation":
        pieces = [static_word(child) for child in node.children]
        return None if any(p is None for p in pieces) else "".join(p for p in pieces if p is not None)
    return None


def _first_error(root: Node) -> str | None:
    if not root.has_error:
        return None
    for node in _walk(root):
        if node.type == "ERROR" or node.is_missing:
            line, column = node.start_point
            what = f"missing {node.type!r}" if node.is_missing else f"unexpected {_text(node)[:40]!r}"
            return f"{what} at line {line + 1}, column {column + 1}"
    return "the command line does not parse"


_SUBSTITUTION = re.compile(r"`|\$\(|\$\[|[<>]\(")


def _quoted_heredoc(node: Node) -> bool:
    redirect = node.parent.parent if node.parent is not None else None
    if redirect is None or redirect.type != "heredoc_redirect":
        return False
    start = next((c for c in redirect.children if c.type == "heredoc_start"), None)
    return start is not None and any(q in _text(start) for q in "'\"\\")


def _inside_double_quotes(node: Node) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.type == "string":
            return True
        parent = parent.parent
    return False


def _unread_substitution(root: Node) -> str | None:
    """Text the grammar kept as plain words although bash would run it as a substitution
    (the grammar's blind spots, e.g. backticks inside ``${X:-...}``): a reason, or None."""
    for node in _walk(root):
        if node.child_count or not node.is_named or node.type == "comment":
            continue
        if node.type in ("raw_string", "ansi_c_string") and not _inside_double_quotes(node):
            continue  # single quotes: bash runs nothing inside
        if node.type == "heredoc_content" and _quoted_heredoc(node):
            continue
        if _SUBSTITUTION.search(re.sub(r"\\.", "", _text(node), flags=re.DOTALL)):
            line, column = node.start_point
            return f"a substitution the parser could not read in {_text(node)[:40]!r} at line {line + 1}, " \
                   f"column {column + 1}"
    return None


def _arithmetic_parts(node: Node) -> list[Node]:
    """The sub-expressions bash evaluates arithmetically inside ``node`` (empty when none)."""
    kind = node.type
    if kind == "arithmetic_expansion":
        return [c for c in node.children if c.is_named]
    if kind == "compound_statement" and node.children and node.children[0].type == "((":
        return [c for c in node.children if c.is_named]
    if kind == "c_style_for_statement":
        return [c for c in node.children if c.is_named and c.type not in ("do_group", "compound_statement")]
    if kind == "subscript":
        index = node.child_by_field_name("index")
        return [index] if index is not None else [c for c in node.children[1:] if c.is_named]
    if kind == "expansion":
        # ``${name:offset:length}``: everything after a bare ':' is arithmetic.
        colon = next((i for i, c in enumerate(node.children) if c.type == ":"), None)
        return [] if colon is None else [c for c in node.children[colon + 1:] if c.is_named]
    if kind == "test_command":
        operators = {_text(n) for n in _walk(node) if n.type == "test_operator"}
        return [node] if operators & ARITHMETIC_TESTS else []
    return []


def _is_path_like(word: str) -> bool:
    return word.startswith(("/", "~")) or word == ".." or word.startswith("../") or "/../" in word \
        or word.endswith("/..")


def parse_shell(line: str) -> ShellLine:
    tree = _parser().parse(line.encode("utf-8"))
    root = tree.root_node
    error = _first_error(root) or _unread_substitution(root)
    if error is not None:
        return ShellLine(commands=[], paths=[], error=error)
    commands: list[ShellCommand] = []
    paths: list[str] = []
    for node in _walk(root):
        kind = node.type
        if kind == "command":
            words: list[str] = []
            assignments: list[str] = []
            for child in node.children:
                if child.type == "variable_assignment" and not words:
                    assignments.append(_text(child))
                elif child.type == "command_name" or child.type in WORD_TYPES:
                    target = child.children[0] if child.type == "command_name" and child.children else child
                    value = static_word(target)
                    words.append(value if value is not None else _text(target))
            # A redirection belongs to what the command does (``echo x > file``): match it too.
            parent = node.parent
            whole = parent if parent is not None and parent.type == "redirected_statement" \
                and parent.child_by_field_name("body") == node else node
            commands.append(ShellCommand(text=_text(whole).strip(), words=words, assignments=assignments))
            for word in words[1:]:
                word = re.sub(r"^(\$HOME|\$\{HOME\})(?=/|$)", "~", word)
                if word.startswith("-") and "=" in word:
                    word = word.split("=", 1)[1]
                if _is_path_like(word):
                    paths.append(word)
        elif kind in OWN_PATTERN_TYPES:
            commands.append(ShellCommand(text=_text(node).strip(), words=[]))
        elif kind in ("variable_assignment", "variable_assignments") and node.parent is not None \
                and node.parent.type not in ("command", "declaration_command", "variable_assignments",
                                             "c_style_for_statement"):
            commands.append(ShellCommand(text=_text(node).strip(), words=[]))
        elif kind == "redirected_statement" and node.child_by_field_name("body") is None:
            commands.append(ShellCommand(text=_text(node).strip(), words=[]))
        elif kind == "file_redirect":
            destination = node.child_by_field_name("destination")
            targets = [destination] if destination is not None else [c for c in node.children if c.type in WORD_TYPES]
            for target in targets:
                value = static_word(target)
                if value is not None and not value.isdigit() and value != "-":
                    paths.append(value)
        if kind not in ("command",):
            parts = _arithmetic_parts(node)
            if any(_RISKY_ARITHMETIC.search(_text(p)) for p in parts):
                commands.append(ShellCommand(text=_text(node).strip(), words=[]))
    # Keep first-seen order, drop repeats.
    unique: dict[str, ShellCommand] = {}
    for command in commands:
        unique.setdefault(command.text, command)
    return ShellLine(commands=list(unique.values()), paths=list(dict.fromkeys(paths)))
