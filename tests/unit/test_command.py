"""Command templates, argument splitting, the front-matter reader and the command registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from opencode_lsp.core.command import (
    CommandRegistry,
    FrontMatterError,
    placeholders,
    render,
    split_arguments,
    split_front_matter,
)
from opencode_lsp.core.config import Config
from opencode_lsp.core.message import ModelRef

# --- rendering --------------------------------------------------------------------------


def test_split_arguments_respects_quotes() -> None:
    assert split_arguments('fix "the login bug" \'in prod\' now') == ["fix", "the login bug", "in prod", "now"]
    assert split_arguments("  ") == []
    assert split_arguments("see [Image 1] please") == ["see", "[Image 1]", "please"]


@pytest.mark.parametrize(
    ("template", "arguments", "expected"),
    [
        ("Review $1 for $2", "auth.py security", "Review auth.py for security"),
        # The last placeholder takes the rest of the words.
        ("Review $1 for $2", 'auth.py "race conditions" and leaks', "Review auth.py for race conditions and leaks"),
        ("Do: $ARGUMENTS", 'a "b c"  d', 'Do: a "b c"  d'),  # raw text, spacing kept
        ("$1 / $ARGUMENTS", "x y", "x y / x y"),
        ("first=$1 third=$3", "only", "first=only third="),  # missing words become empty
        ("$2 before $1", "a b c", "b c before a"),  # the highest number is the last one
        ("$1 and $1", "p q", "p q and p q"),
        ("Explain the codebase.", "", "Explain the codebase."),
        ("Explain the codebase.", "focus on storage", "Explain the codebase.\n\nfocus on storage"),
        ("Echo $1", "$2 literally", "Echo $2 literally"),  # argument text is not re-expanded
    ],
)
def test_render(template: str, arguments: str, expected: str) -> None:
    assert render(template, arguments) == expected


def test_placeholders_in_order() -> None:
    assert placeholders("$2 then $ARGUMENTS then $1 and $2") == ["$2", "$ARGUMENTS", "$1"]
    assert placeholders("none") == []


# --- front matter ------------------------------------------------------------------------


def test_front_matter_subset() -> None:
    text = (
        "---\r\n"
        "description: \"Run: the tests\"  # comment\r\n"
        "agent: build\r\n"
        "subtask: true\r\n"
        "count: 3\r\n"
        "ratio: 0.5\r\n"
        "nothing: null\r\n"
        "quoted: 'it''s'\r\n"
        "url: https://example.com/a#b\r\n"
        "inline: [a, 2]\r\n"
        "permission:\r\n"
        "  bash:\r\n"
        "    '*': ask\r\n"
        "    \"git *\": allow\r\n"
        "  edit: deny\r\n"
        "items:\r\n"
        "  - one\r\n"
        "  - 'two, three'\r\n"
        "block: |\r\n"
        "  line one\r\n"
        "    indented\r\n"
        "\r\n"
        "  line three\r\n"
        "folded: >\r\n"
        "  joined\r\n"
        "  words\r\n"
        "---\r\n"
        "\r\n"
        "The body.\r\n"
    )
    fields, body = split_front_matter(text)
    assert fields == {
        "description": "Run: the tests",
        "agent": "build",
        "subtask": True,
        "count": 3,
        "ratio": 0.5,
        "nothing": None,
        "quoted": "it's",
        "url": "https://example.com/a#b",
        "inline": ["a", 2],
        "permission": {"bash": {"*": "ask", "git *": "allow"}, "edit": "deny"},
        "items": ["one", "two, three"],
        "block": "line one\n  indented\n\nline three",
        "folded": "joined words",
    }
    assert body == "The body."


def test_front_matter_absent_or_broken() -> None:
    assert split_front_matter("Just text.\n") == ({}, "Just text.")
    assert split_front_matter("---\n---\nBody") == ({}, "Body")
    with pytest.raises(FrontMatterError):
        split_front_matter("---\ndescription: x\n")
    with pytest.raises(FrontMatterError):
        split_front_matter("---\na: 1\n    b: 2\n---\n")
    with pytest.raises(FrontMatterError):
        split_front_matter("---\nno colon here\n---\n")


# --- registry -----------------------------------------------------------------------------


def test_registry_from_config_and_files(tmp_path: Path) -> None:
    singular = tmp_path / ".opencode" / "command"
    singular.mkdir(parents=True)
    (singular / "test.md").write_text(
        "---\ndescription: run the tests\nagent: build\nmodel: ollama/qwen2.5-coder\nsubtask: true\n---\n"
        "Run the tests matching $1 and fix failures.\n",
        encoding="utf-8",
    )
    plural = tmp_path / ".opencode" / "commands" / "git"
    plural.mkdir(parents=True)
    (plural / "commit.md").write_text("Write a commit message for: $ARGUMENTS", encoding="utf-8")
    (singular / "bad.md").write_text("---\nsubtask: [\n", encoding="utf-8")  # never closed

    config = {"command": {
        "test": {"template": "from config", "description": "config one"},
        "explain": {"template": "Explain $1", "description": "explain a symbol", "agent": "plan"},
        "broken": {"description": "no template"},
        "junk": "not an object",
    }}
    registry = CommandRegistry(config, tmp_path)
    names = [c.name for c in registry.list()]
    assert names == sorted(names)
    assert {"test", "explain", "git/commit", "init"} <= set(names)
    assert registry.get("broken") is None and registry.get("junk") is None and registry.get("bad") is None

    test = registry.get("test")
    assert test is not None
    assert test.template == "Run the tests matching $1 and fix failures."  # the file wins
    assert test.description == "run the tests" and test.agent == "build" and test.subtask is True
    assert test.model_ref == ModelRef(providerID="ollama", modelID="qwen2.5-coder")
    assert test.hints == ["$1"]
    assert test.render("auth") == "Run the tests matching auth and fix failures."
    assert test.dump()["source"] == "command"

    explain = registry.get("explain")
    assert explain is not None and explain.agent == "plan" and explain.model_ref is None
    commit = registry.get("git/commit")
    assert commit is not None and commit.render("fix typo") == "Write a commit message for: fix typo"
    assert registry.get("missing") is None


def test_builtin_init_can_be_overridden(tmp_path: Path) -> None:
    init = CommandRegistry({}, tmp_path).get("init")
    assert init is not None and "AGENTS.md" in init.template and init.hints == ["$ARGUMENTS"]
    mine = CommandRegistry(Config.model_validate({"command": {"init": {"template": "Mine: $1"}}}), tmp_path)
    custom = mine.get("init")
    assert custom is not None and custom.render("x") == "Mine: x"
    assert custom.description  # fields not given keep the built-in's
