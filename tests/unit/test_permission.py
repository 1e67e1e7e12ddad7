"""Permission rules, evaluation, config parsing, disabled tools and the ask/reply broker."""

from __future__ import annotations

import asyncio
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opencode_lsp.core.errors import InvalidInputError
from opencode_lsp.core.events import Bus, Event
from opencode_lsp.core.message import PermissionRule
from opencode_lsp.core.permission import (
    PermissionBroker,
    PermissionDenied,
    PermissionRejected,
    default_ruleset,
    disabled_tools,
    evaluate,
    from_config,
    wildcard_match,
)


def rule(permission: str, pattern: str, action: str) -> PermissionRule:
    return PermissionRule(permission=permission, pattern=pattern, action=action)


# --- wildcard ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "pattern", "expected"),
    [
        ("anything/at/all", "*", True),
        ("", "*", True),
        ("git", "git *", True),  # a trailing " *" also covers the bare command
        ("git status", "git *", True),
        ("gitk", "git *", False),
        ("git status --short", "git status *", True),
        ("git stash", "git status *", False),
        ("src/app/.env", "*.env", True),
        ("config.env.local", "*.env.*", True),
        ("a.ts", "?.ts", True),
        ("ab.ts", "?.ts", False),
        ("fooXbar", "foo.bar", False),  # regex characters are literal
        ("foo.bar", "foo.bar", True),
        ("rm -rf /", "rm *", True),
        ("xrm -rf", "rm *", False),  # anchored at the start
        ("C:\\work\\a.py", "C:/work/*", True),  # backslashes compare as slashes
    ],
)
def test_wildcard(text: str, pattern: str, expected: bool) -> None:
    assert wildcard_match(text, pattern) is expected


@given(st.text(alphabet=st.characters(blacklist_characters="*?\\")))
def test_literal_patterns_match_only_themselves(text: str) -> None:
    assert wildcard_match(text, text)
    assert wildcard_match(text, "*")
    assert not wildcard_match(text + "x", text)
    assert wildcard_match(text + " more words", text + " *")
    assert wildcard_match(text, text + " *")


# --- evaluate ---------------------------------------------------------------------------


def test_star_ask_with_bash_allowed() -> None:
    rules = from_config({"*": "ask", "bash": "allow"})
    assert evaluate("bash", "ls -la", rules).action == "allow"
    assert evaluate("edit", "src/a.py", rules).action == "ask"


def test_bash_patterns_allow_git_deny_rest() -> None:
    rules = from_config({"bash": {"*": "deny", "git *": "allow"}})
    assert evaluate("bash", "git status", rules).action == "allow"
    assert evaluate("bash", "git", rules).action == "allow"
    denied = evaluate("bash", "rm -rf /", rules)
    assert denied.action == "deny" and denied.pattern == "*"


def test_last_matching_rule_wins_across_rulesets() -> None:
    first = [rule("bash", "*", "allow")]
    second = [rule("bash", "rm *", "deny")]
    assert evaluate("bash", "rm x", first, second).action == "deny"
    assert evaluate("bash", "rm x", second, first).action == "allow"
    assert evaluate("bash", "ls", first, second).action == "allow"


def test_no_match_asks() -> None:
    result = evaluate("webfetch", "https://example.com", [rule("bash", "*", "allow")])
    assert result.action == "ask" and result.permission == "webfetch" and result.pattern == "*"
    assert evaluate("anything", "x").action == "ask"


def test_permission_name_is_wildcard_matched() -> None:
    rules = [rule("*", "*", "deny"), rule("web*", "*", "allow")]
    assert evaluate("webfetch", "u", rules).action == "allow"
    assert evaluate("websearch", "q", rules).action == "allow"
    assert evaluate("bash", "ls", rules).action == "deny"


def test_rules_given_as_dicts() -> None:
    assert evaluate("bash", "ls", [{"permission": "bash", "pattern": "*", "action": "deny"}]).action == "deny"


def test_arity_style_patterns() -> None:
    # The bash tool asks with a command's arity prefix ("git status *", "npm run build *");
    # an approval of that prefix covers every variant of the same subcommand and nothing else.
    approvals = [rule("bash", "git status *", "allow"), rule("bash", "npm run build *", "allow")]
    assert evaluate("bash", "git status", approvals).action == "allow"
    assert evaluate("bash", "git status --porcelain", approvals).action == "allow"
    assert evaluate("bash", "git push origin main", approvals).action == "ask"
    assert evaluate("bash", "npm run build -- --watch", approvals).action == "allow"
    assert evaluate("bash", "npm run test", approvals).action == "ask"


def test_defaults() -> None:
    defaults = default_ruleset()
    assert evaluate("read", "/proj/src/main.py", defaults).action == "allow"
    assert evaluate("read", "/proj/.env", defaults).action == "ask"
    assert evaluate("read", "/proj/.env.production", defaults).action == "ask"
    assert evaluate("read", "/proj/.env.example", defaults).action == "allow"
    assert evaluate("external_directory", "/etc/*", defaults).action == "ask"
    assert evaluate("doom_loop", "read", defaults).action == "ask"
    for name in ("question", "plan_enter", "plan_exit"):
        assert evaluate(name, "*", defaults).action == "deny"
    assert evaluate("bash", "rm -rf /", defaults).action == "allow"
    whitelisted = default_ruleset(["/data/tool-output/*"])
    assert evaluate("external_directory", "/data/tool-output/x.txt", whitelisted).action == "allow"


# --- config -----------------------------------------------------------------------------


def test_from_config_keeps_order_and_shapes() -> None:
    rules = from_config({"edit": "deny", "bash": {"*": "ask", "git *": "allow"}, "*": "allow", "webfetch": "ask"})
    assert [(r.permission, r.pattern, r.action) for r in rules] == [
        ("edit", "*", "deny"),
        ("bash", "*", "ask"),
        ("bash", "git *", "allow"),
        ("*", "*", "allow"),
        ("webfetch", "*", "ask"),
    ]
    # "*" comes after edit, so it wins for edit: order is meaning.
    assert evaluate("edit", "a.py", rules).action == "allow"
    assert from_config("deny") == [rule("*", "*", "deny")]
    assert from_config(None) == []


def test_from_config_expands_home() -> None:
    rules = from_config({"external_directory": {"~/notes/*": "allow"}})
    assert rules[0].pattern == os.path.expanduser("~") + "/notes/*"


def test_from_config_rejects_bad_actions() -> None:
    with pytest.raises(InvalidInputError) as info:
        from_config({"bash": "maybe"})
    assert info.value.field == "permission.bash"
    assert from_config({"bash": "maybe", "edit": "deny"}, strict=False) == [rule("edit", "*", "deny")]


# --- disabled tools ---------------------------------------------------------------------


def test_edit_deny_hides_every_editing_tool() -> None:
    tools = ["bash", "edit", "write", "apply_patch", "read", "grep"]
    assert disabled_tools(tools, from_config({"edit": "deny"})) == {"edit", "write", "apply_patch"}


def test_star_deny_with_exceptions() -> None:
    rules = from_config({"*": "deny", "read": "allow", "grep": "allow"})
    assert disabled_tools(["bash", "read", "grep", "edit"], rules) == {"bash", "edit"}


def test_partial_deny_keeps_tool_offered() -> None:
    # The last edit rule allows some files, so the tool is offered and calls are checked.
    rules = from_config({"edit": {"*": "deny", ".opencode/plans/*.md": "allow"}})
    assert disabled_tools(["edit", "write"], rules) == set()
    # A bash rule denying only some patterns leaves bash offered too.
    assert disabled_tools(["bash"], from_config({"bash": {"rm *": "deny"}})) == set()


def test_later_allow_reenables() -> None:
    rules = [rule("bash", "*", "deny"), rule("bash", "*", "allow")]
    assert disabled_tools(["bash"], rules) == set()


# --- broker -----------------------------------------------------------------------------


class Harness:
    def __init__(self, approvals: list[dict] | None = None):
        self.bus = Bus()
        self.events: list[Event] = []
        self.bus.subscribe(self.events.append)
        self.stored: list[dict] = list(approvals or [])
        self.broker = PermissionBroker(self.bus, lambda: list(self.stored), self.stored.append)

    def asked(self) -> list[dict]:
        return [e.properties for e in self.events if e.type == "permission.asked"]

    def replied(self) -> list[dict]:
        return [e.properties for e in self.events if e.type == "permission.replied"]

    def start(self, session: str, patterns: list[str], always: list[str] | None = None, permission: str = "bash",
              ruleset: list | None = None) -> asyncio.Task:
        return asyncio.create_task(
            self.broker.ask(session, permission, patterns, always or [], {"command": " ".join(patterns)},
                            {"messageID": "msg_1", "callID": "call_1"}, ruleset if ruleset is not None else ASK_ALL)
        )


ASK_ALL = from_config({"*": "ask"})


async def settle() -> None:
    for _ in range(3):
        await asyncio.sleep(0)


async def test_allowed_returns_without_asking() -> None:
    h = Harness()
    await h.broker.ask("ses_a", "bash", ["git status"], [], {}, None, from_config({"bash": "allow"}))
    assert h.asked() == [] and h.broker.list() == []


async def test_denied_raises_naming_the_rule() -> None:
    h = Harness()
    rules = from_config({"bash": {"*": "allow", "rm *": "deny"}})
    with pytest.raises(PermissionDenied) as info:
        await h.broker.ask("ses_a", "bash", ["ls", "rm -rf /"], [], {}, None, rules)
    assert "rm *" in str(info.value) and info.value.rule.pattern == "rm *"
    assert info.value.pattern == "rm -rf /"
    assert h.asked() == []


async def test_once_resolves_and_publishes() -> None:
    h = Harness()
    task = h.start("ses_a", ["npm install"], always=["npm install *"])
    await settle()
    [request] = h.broker.list()
    assert request["sessionID"] == "ses_a" and request["permission"] == "bash"
    assert request["patterns"] == ["npm install"] and request["always"] == ["npm install *"]
    assert request["tool"] == {"messageID": "msg_1", "callID": "call_1"}
    assert request["id"].startswith("per_")
    assert h.asked() == [request]
    assert h.broker.reply(request["id"], "once") is True
    await task
    assert h.replied() == [{"sessionID": "ses_a", "requestID": request["id"], "reply": "once"}]
    assert h.stored == [] and h.broker.list() == []
    # "once" remembers nothing: the same call asks again.
    again = h.start("ses_a", ["npm install"])
    await settle()
    assert len(h.broker.list()) == 1
    h.broker.reply(h.broker.list()[0]["id"], "once")
    await again


async def test_unknown_or_repeated_reply_returns_false() -> None:
    h = Harness()
    assert h.broker.reply("per_missing", "once") is False
    task = h.start("ses_a", ["ls"])
    await settle()
    rid = h.broker.list()[0]["id"]
    assert h.broker.reply(rid, "once") is True
    assert h.broker.reply(rid, "reject") is False
    await task
    with pytest.raises(InvalidInputError):
        h.broker.reply(rid, "sometimes")  # type: ignore[arg-type]


async def test_always_persists_and_releases_covered_requests() -> None:
    h = Harness()
    first = h.start("ses_a", ["git commit -m x"], always=["git commit *"])
    covered = h.start("ses_a", ["git commit --amend"], always=["git commit *"])
    partly = h.start("ses_a", ["git commit -m y", "git push"], always=["git commit *", "git push *"])
    other_session = h.start("ses_b", ["git commit -m z"], always=["git commit *"])
    await settle()
    assert len(h.broker.list()) == 4
    first_id = h.broker.list()[0]["id"]
    assert h.broker.reply(first_id, "always") is True
    await first
    await covered
    assert [{k: r[k] for k in ("permission", "pattern", "action")} for r in h.stored] == [
        {"permission": "bash", "pattern": "git commit *", "action": "allow"}]
    assert h.stored[0]["sessionID"] == "ses_a" and h.stored[0]["id"].startswith("apr_") and h.stored[0]["time"] > 0
    pending = h.broker.list()
    # Not fully covered (git push), and another session's ask, both still wait.
    assert {p["sessionID"] for p in pending} == {"ses_a", "ses_b"} and len(pending) == 2
    assert not partly.done() and not other_session.done()
    replies = h.replied()
    assert [r["reply"] for r in replies] == ["always", "always"]
    # The remembered approval now lets later asks through without asking, in any session.
    await h.broker.ask("ses_c", "bash", ["git commit -m later"], [], {}, None, ASK_ALL)
    for request in pending:
        h.broker.reply(request["id"], "once")
    await asyncio.gather(partly, other_session)


async def test_stored_approvals_are_used() -> None:
    h = Harness([{"permission": "edit", "pattern": "src/*", "action": "allow"}, {"bogus": True}])
    await h.broker.ask("ses_a", "edit", ["src/a.py"], [], {}, None, ASK_ALL)
    assert h.asked() == []


async def test_reject_fails_waiter_with_feedback_and_the_sessions_other_asks() -> None:
    h = Harness()
    first = h.start("ses_a", ["rm -rf build"])
    second = h.start("ses_a", ["make clean"])
    elsewhere = h.start("ses_b", ["ls"])
    await settle()
    first_id = h.broker.list()[0]["id"]
    assert h.broker.reply(first_id, "reject", "use the clean script instead") is True
    with pytest.raises(PermissionRejected) as info:
        await first
    assert info.value.feedback == "use the clean script instead"
    assert "clean script" not in str(info.value)
    with pytest.raises(PermissionRejected) as info2:
        await second
    assert info2.value.feedback is None
    assert [p["sessionID"] for p in h.broker.list()] == ["ses_b"]
    assert [r["reply"] for r in h.replied()] == ["reject", "reject"]
    h.broker.reply(h.broker.list()[0]["id"], "once")
    await elsewhere


async def test_cancel_session_rejects_its_asks() -> None:
    h = Harness()
    mine = [h.start("ses_a", ["a"]), h.start("ses_a", ["b"])]
    theirs = h.start("ses_b", ["c"])
    await settle()
    assert h.broker.cancel_session("ses_a") == 2
    for task in mine:
        with pytest.raises(PermissionRejected):
            await task
    assert [p["sessionID"] for p in h.broker.list()] == ["ses_b"]
    assert h.broker.cancel_session("ses_a") == 0
    theirs.cancel()
    with pytest.raises(asyncio.CancelledError):
        await theirs


async def test_cancelled_waiter_withdraws_its_request() -> None:
    h = Harness()
    task = h.start("ses_a", ["sleep 100"])
    await settle()
    rid = h.broker.list()[0]["id"]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert h.broker.list() == []
    assert h.replied() == [{"sessionID": "ses_a", "requestID": rid, "reply": "reject"}]
    assert h.broker.reply(rid, "once") is False


async def test_bound_ask_for_a_tool_context() -> None:
    h = Harness()
    ask = h.broker.bind("ses_a", from_config({"read": {"*": "allow", "*.env": "ask"}}),
                        {"messageID": "msg_9", "callID": "c9"})
    await ask("read", ["src/a.py"])
    task = asyncio.create_task(ask("read", ["/p/.env"], always=["*.env"], metadata={"filePath": "/p/.env"}))
    await settle()
    [request] = h.broker.list()
    assert request["tool"] == {"messageID": "msg_9", "callID": "c9"}
    assert request["metadata"] == {"filePath": "/p/.env"}
    h.broker.reply(request["id"], "always")
    await task
    await ask("read", ["/q/.env"])  # covered by the approval now
    assert len(h.asked()) == 1


def test_home_expansion_in_patterns_as_opencode_does():
    import os

    from opencode_lsp.core.permission import _expand_home
    home = os.path.expanduser("~")
    assert _expand_home("~/src/*") == home + "/src/*" and _expand_home("~") == home
    assert _expand_home("$HOME/src/*") == home + "/src/*" and _expand_home("$HOME") == home
    assert _expand_home("$HOMEx/y") == home + "x/y"  # OpenCode 1.18.33 cuts "$HOME" off any prefix
    assert _expand_home("~x/y") == "~x/y" and _expand_home("src/$HOME") == "src/$HOME"
