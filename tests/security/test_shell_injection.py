"""The bash permission check against generated hostile command lines.

The rules allow a few commands (``ls *``, ``echo *``, ``git status *``) and deny or ask for
everything else. Hypothesis builds command lines that start with an allowed command and smuggle
in ``touch PWNED`` through every shell construct that can run a command: substitutions, process
substitutions, parameter expansions, arithmetic (including a variable whose value bash evaluates
as an expression), separators, pipes, subshells, groups, functions, loops, here-documents,
redirections and the quoting forms around them.

Plain bash is the oracle: each line is first run with no check in a scratch directory to learn
whether the payload really executes. The line then goes through the bash tool with the rules;
every line whose payload executes must be denied or asked, and a line the tool did run must not
have created the marker.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opencode_lsp.core import permission
from opencode_lsp.core.tools.base import ToolContext, ToolError, ToolServices
from opencode_lsp.core.tools.bash import tool as bash
from opencode_lsp.core.workspace import DiskWorkspace
from tests.security.conftest import record

MARK = "PWNED"
PAYLOAD = f"touch {MARK}"

DENY_RULES = permission.from_config({"bash": {"*": "deny", "ls *": "allow", "echo *": "allow",
                                              "git status *": "allow"}})
ASK_RULES = permission.from_config({"bash": {"*": "ask", "ls *": "allow", "echo *": "allow"}})


class Stopped(Exception):
    """The check stopped the call (denied, or asked and the test answers no)."""

    def __init__(self, outcome: str):
        self.outcome = outcome


def rules_ask(rules: list[Any], asks: list[dict[str, Any]]):
    async def ask(perm: str, patterns: list[str], always: list[str] | None = None,
                  metadata: dict[str, Any] | None = None) -> None:
        asks.append({"permission": perm, "patterns": list(patterns)})
        actions = [permission.evaluate(perm, p, rules).action for p in patterns]
        if "deny" in actions:
            raise Stopped("denied")
        if "ask" in actions:
            raise Stopped("asked")
    return ask


async def through_tool(root: Path, command: str, rules: list[Any]) -> tuple[str, list[dict[str, Any]]]:
    asks: list[dict[str, Any]] = []
    ctx = ToolContext(session_id="ses_x", message_id="msg_x", call_id="c", agent="build",
                      workspace=DiskWorkspace(root), abort=asyncio.Event(), ask=rules_ask(rules, asks),
                      services=ToolServices(data_dir=str(root.parent / "data")))
    try:
        await bash.execute({"command": command, "timeout": 10_000}, ctx)
    except Stopped as stop:
        return stop.outcome, asks
    except ToolError:
        return "refused", asks
    return "ran", asks


def payload_executes(scratch: Path, command: str, mark: str = MARK) -> bool:
    """Whether plain bash, unchecked, would run the payload of ``command``."""
    subprocess.run(["bash", "-c", command], cwd=scratch, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=20, check=False)
    return settled_exists(scratch / mark)


def settled_exists(path: Path) -> bool:
    """Process substitutions and ``&`` jobs may still be running when bash exits: give them a
    moment (a wait for an event that may never come, not a timing assertion)."""
    for _ in range(10):
        if path.exists():
            return True
        time.sleep(0.02)
    return path.exists()


# --- the generator -----------------------------------------------------------------------

ALLOWED = st.sampled_from(["ls", "echo hi", "git status", "ls -la", "echo"])
PLAIN_ARGS = st.lists(st.sampled_from(["a", '"b c"', "'d'", "$'e\\''", "-x", "--opt=1", "f\\ g", "*.txt",
                                       '"$HOME"', "${X:-y}", "$((1+2))", "''", '""']), max_size=3)


def wrap(inner: str) -> st.SearchStrategy[str]:
    """Argument-position forms that run ``inner`` (or, for the quoting traps, may not)."""
    return st.sampled_from([
        f"$({inner})", f"`{inner}`", f"<({inner})", f">({inner})", f'"$({inner})"', f"${{X:-$({inner})}}",
        f'"${{X:=$({inner})}}"', f"$(( $({inner}) ))", f"$(echo; {inner})", f"$(echo $({inner}))",
        f"${{a[$({inner})]}}", f"x$({inner})y", f"'$({inner})'", f"$'\\''$({inner})", f"--o=$({inner})",
        f'"a"$({inner})', f"${{X:-`{inner}`}}",
    ])


def statement_forms(inner: str) -> st.SearchStrategy[str]:
    """Whole lines where an allowed command sits next to a statement that runs ``inner``."""
    return st.sampled_from([
        "{a}; " + inner, "{a} && " + inner, "{a} || " + inner, "{a} | " + inner, "{a} & " + inner,
        "{a}\n" + inner, "{a} ;\n" + inner, "{a} &&\n" + inner, "(" + inner + ") ; {a}", "{ " + inner + "; } ; {a}",
        "f() { " + inner + "; }; f; {a}", "if " + inner + "; then {a}; fi", "while " + inner + "; do break; done; {a}",
        "for i in 1; do " + inner + "; done; {a}", "case x in x) " + inner + ";; esac; {a}",
        "{a} <<EOF\n$(" + inner + ")\nEOF", "{a} <<-EOF\n\t`" + inner + "`\nEOF",
        "{a} > $(" + inner + ")", "{a} 2>$(" + inner + ")", "X=$(" + inner + ") {a}", "export X=$(" + inner + "); {a}",
        "{a} ${x:='a[$(" + inner + ")]'} $((x))", "for x in 'a[$(" + inner + ")]'; do {a} $((x)); done",
        "[[ -v 'a[$(" + inner + ")]' ]]; {a}", "x='a[$(" + inner + ")]'; {a} ${y:x}",
        "{a}; eval '" + inner + "'", "{a}; bash -c '" + inner + "'", "echo '" + inner + "' | bash; {a}",
        "{a} $'\\''; " + inner, "{a} \"\\\"\"; " + inner, "{a} # comment\n" + inner, "{a} \\\n; " + inner,
        "! " + inner + "; {a}", "time " + inner + "; {a}", "{a} && { " + inner + "; }",
    ])


@st.composite
def hostile_lines(draw) -> str:
    inner = PAYLOAD
    if draw(st.booleans()):  # one more level of nesting around the payload
        inner = draw(wrap(PAYLOAD)).replace("'$(", "$(").lstrip("x")
        inner = f"echo {inner}"
    allowed = draw(ALLOWED)
    args = " ".join(draw(PLAIN_ARGS))
    head = f"{allowed} {args}".strip()
    if draw(st.booleans()):
        injected = draw(wrap(inner))
        tail = " ".join(draw(PLAIN_ARGS))
        return f"{head} {injected} {tail}".strip()
    return draw(statement_forms(inner)).replace("{a}", head)


CASE_NUMBERS = itertools.count()


@pytest.fixture(scope="module")
def dirs(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("shell")
    (base / "ws").mkdir()
    (base / "scratch").mkdir()
    return {"root": base / "ws", "scratch": base / "scratch"}


def run_case(dirs: dict[str, Path], line: str, rules: list[Any], kind: str) -> None:
    # A marker name of its own per case, so a late background job of one case cannot be
    # mistaken for the payload of the next.
    mark = f"{MARK}{next(CASE_NUMBERS)}"
    line = line.replace(MARK, mark)
    executes = payload_executes(dirs["scratch"], line, mark)
    outcome, asks = asyncio.run(through_tool(dirs["root"], line, rules))
    record(kind, outcome)
    if executes:
        record(kind + " (payload executes under plain bash)", outcome)
    assert not settled_exists(dirs["root"] / mark), f"the payload ran: {line!r} (asks: {asks})"
    if executes:
        assert outcome in ("denied", "asked", "refused"), f"{line!r} would run its payload but {outcome}"


@settings(max_examples=int(os.environ.get("SECURITY_EXAMPLES", "300")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(line=hostile_lines())
def test_generated_injections_are_denied_under_deny_rules(dirs, line):
    run_case(dirs, line, DENY_RULES, "shell commands, deny rules")


@settings(max_examples=int(os.environ.get("SECURITY_EXAMPLES", "300")) // 2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(line=hostile_lines())
def test_generated_injections_are_asked_under_ask_rules(dirs, line):
    run_case(dirs, line, ASK_RULES, "shell commands, ask rules")


# --- the examples from the red-team report, each spelled out -------------------------------

@pytest.mark.parametrize("line", [
    "ls $(touch PWNED)", "ls `touch PWNED`", "ls <(touch PWNED)", "ls >(touch PWNED)", 'ls "$(touch PWNED)"',
    "ls ${X:-$(touch PWNED)}", "ls $(( $(touch PWNED) ))", "ls $'\\''; touch PWNED",
    "ls ${x:='a[$(touch PWNED)]'} $((x))", "ls <<EOF\n$(touch PWNED)\nEOF",
])
def test_reported_bypasses_are_denied(dirs, line):
    assert payload_executes(dirs["scratch"], line)
    outcome, asks = asyncio.run(through_tool(dirs["root"], line, DENY_RULES))
    assert outcome == "denied" and not (dirs["root"] / MARK).exists()
    assert any("touch PWNED" in p or "$((x))" in p for a in asks for p in a["patterns"])


@pytest.mark.parametrize("line", ["ls 'unterminated", "ls $(touch PWNED", "ls <<EOF\n$(touch PWNED", "ls )("])
def test_unparseable_lines_are_refused(dirs, line):
    outcome, asks = asyncio.run(through_tool(dirs["root"], line, DENY_RULES))
    assert outcome == "refused" and asks == []


def test_every_nested_command_is_a_pattern(dirs):
    line = "ls $(touch f) `id` <(cat x) ${X:-$(rm y)}; touch g"
    outcome, asks = asyncio.run(through_tool(dirs["root"], line, ASK_RULES))
    (bash_ask,) = [a for a in asks if a["permission"] == "bash"]
    assert set(bash_ask["patterns"]) >= {"touch f", "id", "cat x", "rm y", "touch g"}
