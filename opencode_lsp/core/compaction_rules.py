"""Compaction's rules, read off a history without writing anything: when the context
overflows, what the model sees after a compaction, which tool outputs pruning may clear, and
which compaction request is still unanswered. ``compaction.Compaction`` acts on them (stores the
requests, the summary and the pruned parts); the session loop reads ``filter_compacted`` and
``is_overflow`` directly.

Overflow (OpenCode's rule): the tokens of the last finished step (its ``total``, else input +
output + cache) against the usable context: the input limit minus a reserve when the model has
an input limit, else the context minus the largest output we ask for.

A compaction is a user message holding a ``compaction`` part; the hidden ``compaction`` agent
answers it with an assistant message flagged ``summary: true``. The newest user turns stay
verbatim (the "tail"): the part records where they start (``tail_start_id``, plus
``tail_count`` so a forked copy, whose ids are new, still finds them). From then on the model
sees [request, summary, tail, everything newer] (``filter_compacted``).
"""

from __future__ import annotations

from typing import Any, Iterable

from .transcript import field, has_compaction, info_of, is_user, parts_of

OUTPUT_TOKEN_MAX = 32_000
COMPACTION_BUFFER = 20_000
PRUNE_PROTECT = 40_000  # the newest tool outputs, in tokens, that pruning never touches
PRUNE_MINIMUM = 20_000  # prune only when it frees more than this
PRUNE_PROTECTED_TOOLS = frozenset({"skill"})
TAIL_TURNS = 2  # at most this many of the newest user turns stay verbatim
TAIL_TOKEN_BUDGET = 8_000  # ... and only while they fit in this many tokens (or a quarter of usable)


# --- the overflow rule ------------------------------------------------------------------------


def max_output_tokens(limit: Any) -> int:
    return min(field(limit, "output") or 0, OUTPUT_TOKEN_MAX) or OUTPUT_TOKEN_MAX


def usable_context(limit: Any, reserved: int | None = None) -> int:
    """Tokens a request may fill before the model runs out of room (0: unknown)."""
    context = field(limit, "context") or 0
    if not context:
        return 0
    output = max_output_tokens(limit)
    input_limit = field(limit, "input")
    if input_limit:
        reserve = reserved if reserved is not None else min(COMPACTION_BUFFER, output)
        return input_limit - reserve
    return context - output


def counted_tokens(tokens: Any) -> int:
    total = field(tokens, "total")
    if total:
        return total
    cache = field(tokens, "cache")
    return ((field(tokens, "input") or 0) + (field(tokens, "output") or 0)
            + (field(cache, "read") or 0) + (field(cache, "write") or 0))


def is_overflow(tokens: Any, limit: Any, config: Any = None) -> bool:
    """True when the last step's usage leaves no room for the next; never with ``auto`` off or
    an unknown context size."""
    if config is not None and field(config, "auto") is False:
        return False
    if not field(limit, "context"):
        return False
    return counted_tokens(tokens) >= usable_context(limit, field(config, "reserved"))


# --- what the model sees after a compaction ----------------------------------------------------


def estimate_tokens(text: str) -> int:
    return len(text) // 4


def entry_tokens(entry: Any) -> int:
    """A rough size of one message (characters / 4), enough for budgets."""
    size = 0
    for part in parts_of(entry):
        kind = field(part, "type")
        if kind in ("text", "reasoning"):
            size += len(field(part, "text") or "")
        elif kind == "tool":
            state = field(part, "state")
            size += len(str(field(state, "input") or ""))
            if field(state, "status") == "completed" and not field(field(state, "time"), "compacted"):
                size += len(field(state, "output") or "")
            elif field(state, "status") == "error":
                size += len(field(state, "error") or "")
    return size // 4


def _compaction_part(entry: Any) -> Any:
    return next((p for p in parts_of(entry) if field(p, "type") == "compaction"), None)


def _is_done_summary(info: Any) -> bool:
    return (field(info, "role") == "assistant" and bool(field(info, "summary"))
            and field(info, "finish") is not None and field(info, "error") is None)


def _tail(entries: list[Any], request_index: int, part: Any) -> list[Any]:
    start_id = field(part, "tail_start_id")
    if start_id:
        for i in range(request_index - 1, -1, -1):
            if field(info_of(entries[i]), "id") == start_id:
                return entries[i:request_index]
    count = field(part, "tail_count") or 0
    if count and start_id:  # the ids were renumbered (a fork): the tail is the same count
        return entries[max(request_index - count, 0):request_index]
    return []


def filter_compacted(entries: Iterable[Any]) -> list[Any]:
    """The messages the model works from: after the newest finished compaction,
    [request, summary, retained tail, newer messages]; everything when there is none."""
    entries = list(entries)
    answered: dict[str, int] = {}
    for i, entry in enumerate(entries):
        info = info_of(entry)
        if _is_done_summary(info):
            answered[field(info, "parentID")] = i
    if not answered:
        return entries
    for i in range(len(entries) - 1, -1, -1):
        entry = entries[i]
        summary_index = answered.get(field(info_of(entry), "id"))
        if summary_index is None or not has_compaction(entry):
            continue
        newer = [e for j, e in enumerate(entries) if j > i and j != summary_index]
        return [entry, entries[summary_index], *_tail(entries, i, _compaction_part(entry)), *newer]
    return entries


def split_tail(view: list[Any], budget: int, max_turns: int = TAIL_TURNS) -> int:
    """Where the verbatim tail starts in ``view`` (``len(view)``: no tail).

    The tail is whole user turns, the newest ``max_turns`` at most, within ``budget`` tokens,
    taken only from messages after the previous summary (their ids must be contiguous just
    before the new request), and something must be left to summarise."""
    floor = 0
    if len(view) >= 2 and _is_done_summary(info_of(view[1])) and has_compaction(view[0]):
        summary_id = field(info_of(view[1]), "id")
        floor = next((i for i in range(2, len(view)) if field(info_of(view[i]), "id") > summary_id), len(view))
    start, size, turns = len(view), 0, 0
    for i in range(len(view) - 1, floor, -1):  # i > floor: the head keeps at least one message
        size += entry_tokens(view[i])
        if size > budget:
            break
        if is_user(view[i]) and not has_compaction(view[i]):
            turns += 1
            if turns > max_turns:
                break
            start = i
    return start


def tail_budget(limit: Any, reserved: int | None = None) -> int:
    usable = usable_context(limit, reserved)
    return min(TAIL_TOKEN_BUDGET, usable // 4) if usable > 0 else TAIL_TOKEN_BUDGET


# --- pruning ----------------------------------------------------------------------------------


def prune_candidates(entries: list[Any]) -> list[Any]:
    """Completed tool parts whose outputs may be cleared: beyond the newest ``PRUNE_PROTECT``
    tokens of tool output, outside the last two user turns, newer than the last summary, and
    only when together they free more than ``PRUNE_MINIMUM`` tokens."""
    seen, freed, turns = 0, 0, 0
    picked: list[Any] = []
    for entry in reversed(entries):
        info = info_of(entry)
        if field(info, "role") == "user":
            turns += 1
        if turns < 2:
            continue
        if field(info, "role") == "assistant" and field(info, "summary"):
            break
        for part in reversed(parts_of(entry)):
            state = field(part, "state")
            if field(part, "type") != "tool" or field(state, "status") != "completed":
                continue
            if field(part, "tool") in PRUNE_PROTECTED_TOOLS:
                continue
            if field(field(state, "time"), "compacted"):
                return picked if freed > PRUNE_MINIMUM else []  # older ones were pruned before
            estimate = estimate_tokens(field(state, "output") or "")
            seen += estimate
            if seen > PRUNE_PROTECT:
                freed += estimate
                picked.append(part)
    return picked if freed > PRUNE_MINIMUM else []


# --- requests ---------------------------------------------------------------------------------


def pending_request(entries: list[Any], last_user: Any) -> Any:
    """The compaction part of ``last_user`` when no assistant message answers it yet."""
    part = _compaction_part(last_user)
    if part is None:
        return None
    user_id = field(info_of(last_user), "id")
    if any(field(info_of(e), "parentID") == user_id for e in entries if not is_user(e)):
        return None
    return part


def replay_turn(entries: list[Any], request_id: str) -> tuple[Any, list[Any]]:
    """For an overflow: the interrupted user turn before the request and what precedes it.
    ``(None, entries before the request)`` when replaying would leave nothing to summarise."""
    before = [e for e in entries if field(info_of(e), "id") < request_id]
    for i in range(len(before) - 1, -1, -1):
        if is_user(before[i]) and not has_compaction(before[i]):
            head = before[:i]
            if any(is_user(e) and not has_compaction(e) for e in head):
                return before[i], head
            break
    return None, before
