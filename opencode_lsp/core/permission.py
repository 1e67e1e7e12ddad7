"""OpenCode's permission model: rules, wildcard matching, evaluation and the ask/reply broker.

A rule is ``{permission, pattern, action}``. Rulesets are plain lists that get concatenated
(defaults, then an agent's rules, then the user's config, then a session's own rules); the LAST
rule whose permission and pattern both match decides, and no match means ``ask``.

When a tool call needs asking, the broker publishes ``permission.asked`` and waits for a reply:
``once`` lets this call through, ``always`` also remembers the request's ``always`` patterns
for the workspace, ``reject`` fails this call and every other pending ask of the same session
(the user said stop, so the rest of that run should stop too).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import os
import re
import time
from typing import Any, Callable, Iterable, Literal, Mapping, TypeGuard, cast

from pydantic import ValidationError

from . import events
from .errors import InvalidInputError
from .events import Bus
from .ids import new_id
from .message import PermissionRule

log = logging.getLogger(__name__)

Rule = PermissionRule
Ruleset = list[PermissionRule]
Action = Literal["allow", "ask", "deny"]
Reply = Literal["once", "always", "reject"]

ACTIONS: frozenset[str] = frozenset({"allow", "ask", "deny"})


def _is_action(value: object) -> TypeGuard[Action]:
    return value in ACTIONS
REPLIES: frozenset[str] = frozenset({"once", "always", "reject"})

# Tools that change files all answer to the one ``edit`` permission, so a single
# ``"edit": "deny"`` hides every one of them (OpenCode's mapping).
EDIT_TOOLS: frozenset[str] = frozenset({"edit", "write", "apply_patch", "patch", "multiedit"})
# Permissions a blanket rule (``"*": "allow"``, ``"permission": "allow"``) does not answer: only a
# rule naming them exactly, or a stored "always", does. ``config_edit`` guards the files that
# define the rules themselves (opencode.json, .opencode/**, AGENTS.md).
EXPLICIT_ONLY: frozenset[str] = frozenset({"config_edit"})


class PermissionDenied(Exception):
    """A configured rule forbids the call; the model reads the message and should not retry."""

    def __init__(self, permission: str, pattern: str, rule: PermissionRule, relevant: Ruleset):
        self.permission = permission
        self.pattern = pattern
        self.rule = rule
        self.relevant = relevant
        super().__init__(
            f"A permission rule blocks this call: {permission} {pattern!r} is denied by the rule "
            f"{{permission: {rule.permission!r}, pattern: {rule.pattern!r}, action: 'deny'}}. "
            "Do not try to work around it; choose another approach or ask the user."
        )


class PermissionRejected(Exception):
    """The user said no to this call. ``feedback`` is what they typed, if anything.

    ``str(exc)`` never contains the feedback, so a caller can append it in its own words."""

    def __init__(self, feedback: str | None = None):
        self.feedback = feedback or None
        super().__init__("The user rejected permission for this tool call.")


# --- matching and evaluation ------------------------------------------------------------


@functools.lru_cache(maxsize=2048)
def _compile(pattern: str) -> re.Pattern[str]:
    pattern = pattern.replace("\\", "/")
    out: list[str] = []
    for ch in pattern:
        out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
    body = "".join(out)
    # "git *" should also cover a bare "git": the space and whatever follows become optional.
    if body.endswith(r"\ .*"):
        body = body[: -len(r"\ .*")] + r"(?:\ .*)?"
    elif body.endswith(" .*"):
        body = body[: -len(" .*")] + "(?: .*)?"
    return re.compile(body, re.DOTALL)


def wildcard_match(text: str, pattern: str) -> bool:
    """Anchored glob: ``*`` any run (slashes included), ``?`` exactly one character."""
    return _compile(pattern).fullmatch(text.replace("\\", "/")) is not None


def _rules(ruleset: Iterable[Any]) -> Iterable[PermissionRule]:
    for rule in ruleset:
        yield rule if isinstance(rule, PermissionRule) else PermissionRule.model_validate(rule)


def evaluate(permission: str, pattern: str, *rulesets: Iterable[Any]) -> PermissionRule:
    """The last rule across ``rulesets`` matching both names, else an ``ask`` rule."""
    found: PermissionRule | None = None
    for ruleset in rulesets:
        for rule in _rules(ruleset):
            if wildcard_match(permission, rule.permission) and wildcard_match(pattern, rule.pattern):
                found = rule
    return found or PermissionRule(permission=permission, pattern="*", action="ask")


def _expand_home(pattern: str) -> str:
    home = os.path.expanduser("~")
    if pattern == "~" or pattern == "$HOME":
        return home
    if pattern.startswith("~/"):
        return home + pattern[1:]
    if pattern.startswith("$HOME"):
        # As OpenCode 1.18.33: any pattern starting with $HOME, so "$HOMEx" becomes "<home>x".
        return home + pattern[len("$HOME"):]
    return pattern


def from_config(value: Any, *, strict: bool = True) -> Ruleset:
    """OpenCode's ``permission`` config -> rules, in the order the keys were written.

    ``"allow"`` alone means every permission; ``{"edit": "deny"}`` means pattern ``*``;
    ``{"bash": {"git *": "allow"}}`` gives one rule per pattern. A bad action raises
    ``InvalidInputError`` when ``strict``, else it is logged and skipped."""
    if value is None:
        return []
    if isinstance(value, str):
        value = {"*": value}
    if not isinstance(value, Mapping):
        return _bad(strict, "permission", f"expected an object or an action, got {type(value).__name__}")
    rules: Ruleset = []
    for permission, entry in cast(Mapping[object, object], value).items():
        patterns = {"*": entry} if isinstance(entry, str) else entry
        if not isinstance(patterns, Mapping):
            _bad(strict, f"permission.{permission}", "expected an action or an object of pattern -> action")
            continue
        for pattern, action in cast(Mapping[object, object], patterns).items():
            if not _is_action(action):
                _bad(strict, f"permission.{permission}", f"unknown action {action!r} (allow, ask or deny)")
                continue
            rules.append(PermissionRule(permission=str(permission), pattern=_expand_home(str(pattern)), action=action))
    return rules


def _bad(strict: bool, field: str, message: str) -> Ruleset:
    if strict:
        raise InvalidInputError(f"{field}: {message}", field=field)
    log.error("ignoring invalid permission config %s: %s", field, message)
    return []


def tool_permission(tool_id: str) -> str:
    """The permission a tool answers to."""
    return "edit" if tool_id in EDIT_TOOLS else tool_id


def disabled_tools(tool_ids: Iterable[str], ruleset: Iterable[Any]) -> set[str]:
    """Tools not worth offering: the last rule for their permission denies every pattern.

    Only a blanket ``*`` deny hides a tool; a deny on some patterns still leaves the tool
    useful for the rest, so it is offered and the broker refuses the denied calls."""
    rules = list(_rules(ruleset))
    hidden: set[str] = set()
    for tool_id in tool_ids:
        permission = tool_permission(tool_id)
        last = next((r for r in reversed(rules) if wildcard_match(permission, r.permission)), None)
        if last is not None and last.pattern == "*" and last.action == "deny":
            hidden.add(tool_id)
    return hidden


def default_ruleset(allowed_external: Iterable[str] = ()) -> Ruleset:
    """What every agent starts from: allow, except secrets, outside files and loops ask.

    ``allowed_external`` are directory globs outside the workspace that tools may use without
    asking (e.g. where truncated tool output is kept)."""
    return from_config(
        {
            "*": "allow",
            "doom_loop": "ask",
            "external_directory": {"*": "ask", **{d: "allow" for d in allowed_external}},
            # Interactive-only permissions: this server has no question tool or plan switch,
            # so they are denied like in a non-interactive OpenCode session.
            "question": "deny",
            "plan_enter": "deny",
            "plan_exit": "deny",
            "read": {"*": "allow", "*.env": "ask", "*.env.*": "ask", "*.env.example": "allow"},
        }
    )


# --- the broker -------------------------------------------------------------------------


# Permissions whose "always" is narrowed to exactly the asked patterns. OpenCode 1.18.33 asks
# edits (edit, write, apply_patch) with always ["*"]: one "Always allow" on an edit of one file allowed every edit
# in the workspace, forever. Here it allows that file (the asked pattern) only.
NARROW_ALWAYS = frozenset({"edit"})


def always_scope(permission: str, patterns: list[str], always: list[str] | None) -> list[str]:
    """The exact patterns an "always" answer to this ask would grant."""
    if permission in NARROW_ALWAYS:
        return list(dict.fromkeys(patterns))
    return list(always or [])


def _approval_view(record: dict[str, Any]) -> dict[str, Any]:
    """A stored approval as clients see it (older records had no id or time)."""
    permission, pattern = record.get("permission"), record.get("pattern")
    view = {"id": record.get("id") or "apr_" + hashlib.sha256(f"{permission}\0{pattern}".encode()).hexdigest()[:20],
            "permission": permission, "pattern": pattern, "time": record.get("time") or 0}
    if record.get("sessionID"):
        view["sessionID"] = record["sessionID"]
    return view


class _Pending:
    __slots__ = ("request", "future")

    def __init__(self, request: dict[str, Any], future: asyncio.Future[None]):
        self.request = request
        self.future = future

    @property
    def session_id(self) -> str:
        return self.request["sessionID"]


class PermissionBroker:
    """Asks the user about tool calls and remembers "always" answers for the workspace.

    ``approvals_get()`` returns the stored approval rules (read once, on first use);
    ``approvals_add(rule_dict)`` persists one new rule."""

    def __init__(
        self,
        bus: Bus,
        approvals_get: Callable[[], list[dict[str, Any]]],
        approvals_add: Callable[[dict[str, Any]], None],
        approvals_remove: Callable[[Callable[[dict[str, Any]], bool]], int] | None = None,
    ):
        self.bus = bus
        self._approvals_get = approvals_get
        self._approvals_add = approvals_add
        self._approvals_remove = approvals_remove
        self._approved: Ruleset | None = None
        self._records: list[dict[str, Any]] = []  # the stored approvals, as listed to clients
        self._pending: dict[str, _Pending] = {}

    @property
    def approved(self) -> Ruleset:
        if self._approved is None:
            loaded: Ruleset = []
            records: list[dict[str, Any]] = []
            for record in self._approvals_get() or []:
                try:
                    rule = PermissionRule.model_validate(
                        {k: record.get(k) for k in ("permission", "pattern", "action")})
                except (ValidationError, AttributeError):
                    log.warning("ignoring malformed stored approval %r", record)
                    continue
                loaded.append(rule)
                records.append(_approval_view(record))
            self._approved = loaded
            self._records = records
        return self._approved

    # --- stored approvals ---------------------------------------------------------------

    def approvals(self) -> list[dict[str, Any]]:
        """``[{id, sessionID?, permission, pattern, time}]``, oldest first."""
        self.approved  # noqa: B018  (loads them)
        return [dict(r) for r in self._records]

    def revoke(self, approval_id: str) -> bool:
        """Forget one stored approval; False when there is no such id."""
        self.approved  # noqa: B018
        found = next((r for r in self._records if r["id"] == approval_id), None)
        if found is None:
            return False
        self._records.remove(found)
        key = (found["permission"], found["pattern"])
        self._approved = [r for r in self.approved if (r.permission, r.pattern) != key]
        if self._approvals_remove is not None:
            self._approvals_remove(lambda rec: (rec.get("permission"), rec.get("pattern")) == key)
        return True

    async def ask(
        self,
        session_id: str,
        permission: str,
        patterns: list[str],
        always: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        tool: dict[str, str] | None = None,
        ruleset: Iterable[Any] = (),
    ) -> None:
        """Return when allowed; raise ``PermissionDenied`` or ``PermissionRejected`` otherwise."""
        rules = list(_rules(ruleset))
        if permission in EXPLICIT_ONLY:
            rules = [r for r in rules if r.permission == permission]
        needs_asking = False
        for pattern in patterns:
            rule = evaluate(permission, pattern, rules, self.approved)
            if rule.action == "deny":
                relevant = [r for r in rules if wildcard_match(permission, r.permission)]
                raise PermissionDenied(permission, pattern, rule, relevant)
            if rule.action == "ask":
                needs_asking = True
        if not needs_asking:
            return

        request: dict[str, Any] = {
            "id": new_id("per"),
            "sessionID": session_id,
            "permission": permission,
            "patterns": list(patterns),
            "metadata": dict(metadata or {}),
            "always": always_scope(permission, patterns, always),
        }
        if tool is not None:
            request["tool"] = {"messageID": tool["messageID"], "callID": tool["callID"]}
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending[request["id"]] = _Pending(request, future)
        self.bus.publish(events.permission_asked(request))
        try:
            await future
        finally:
            # Cancelled while waiting (the run was aborted): the request is void, and a client
            # still showing it must be told so it can close its prompt.
            if self._pending.pop(request["id"], None) is not None:
                self.bus.publish(events.permission_replied(session_id, request["id"], "reject"))

    def reply(self, request_id: str, reply: Reply, message: str | None = None) -> bool:
        """Answer a pending request. Returns False when no such request is pending (it was
        answered already, cancelled, or never existed), so a late double answer is harmless."""
        if reply not in REPLIES:
            raise InvalidInputError(f"reply must be once, always or reject, not {reply!r}", field="reply")
        entry = self._pending.pop(request_id, None)
        if entry is None:
            return False
        self._settle(entry, reply, PermissionRejected(message) if reply == "reject" else None)
        if reply == "reject":
            self._reject_session(entry.session_id)
        elif reply == "always":
            self._remember(entry.request)
            self._release_covered(entry.session_id)
        return True

    def list(self) -> list[dict[str, Any]]:
        """Pending requests, oldest first."""
        return [entry.request for entry in self._pending.values()]

    def cancel_session(self, session_id: str) -> int:
        """Reject every pending ask of a session (the run is being aborted). Returns how many."""
        return self._reject_session(session_id)

    # --- internals ----------------------------------------------------------------------

    def _settle(self, entry: _Pending, reply: Reply, error: Exception | None) -> None:
        self.bus.publish(events.permission_replied(entry.session_id, entry.request["id"], reply))
        if entry.future.done():
            return
        if error is None:
            entry.future.set_result(None)
        else:
            entry.future.set_exception(error)

    def _reject_session(self, session_id: str) -> int:
        victims = [e for e in self._pending.values() if e.session_id == session_id]
        for entry in victims:
            del self._pending[entry.request["id"]]
            self._settle(entry, "reject", PermissionRejected())
        return len(victims)

    def _remember(self, request: dict[str, Any]) -> None:
        for pattern in request["always"]:
            if any((r.permission, r.pattern, r.action) == (request["permission"], pattern, "allow")
                   for r in self.approved):
                continue
            rule = PermissionRule(permission=request["permission"], pattern=pattern, action="allow")
            record = {**rule.dump(), "id": new_id("per").replace("per_", "apr_", 1),
                      "sessionID": request["sessionID"], "time": int(time.time() * 1000)}
            self.approved.append(rule)
            self._records.append(_approval_view(record))
            self._approvals_add(record)

    def _release_covered(self, session_id: str) -> None:
        """Let through the session's other asks that the new approvals now fully allow."""
        for entry in [e for e in self._pending.values() if e.session_id == session_id]:
            request = entry.request
            if all(evaluate(request["permission"], p, self.approved).action == "allow" for p in request["patterns"]):
                del self._pending[request["id"]]
                self._settle(entry, "always", None)

    def bind(self, session_id: str, ruleset: Iterable[Any], tool: dict[str, str] | None = None) -> Callable[..., Any]:
        """An ``ask(permission, patterns, always=..., metadata=...)`` for one tool call's context."""
        rules = list(_rules(ruleset))

        async def ask(permission: str, patterns: list[str], always: list[str] | None = None,
                      metadata: dict[str, Any] | None = None) -> None:
            await self.ask(session_id, permission, patterns, always, metadata, tool, rules)

        return ask
