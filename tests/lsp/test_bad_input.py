"""Property-based bad input: every custom method gets random and malformed params.

One long-lived server process takes all examples (a server per example would take hours). Each
answer must be a result or a JSON-RPC error with a protocol code, within a bound; the process must
stay up, the store must stay whole, and the server must still answer ordinary requests afterwards.
"""

from __future__ import annotations

import asyncio
import json
import shlex
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opencode_lsp.client import RpcError
from tests.faults.harness import Editor, model_options
from tests.support.fake_openai import FakeOpenAI, is_title_request

# Codes a request may legitimately fail with (docs/protocol.md, plus JSON-RPC's own).
ALLOWED_CODES = {-32602, -31001, -31002, -32002, -32603, -32600, -32601, -32800}
ANSWER_WITHIN = 15.0

WEIRD_STRINGS = [
    "", " ", "../../../../etc/passwd", "/etc/passwd", "file:///etc/shadow", "..\\..\\windows",
    "%2e%2e%2f%2e%2e%2f", "ses_", "ses_" + "z" * 26, "msg_" + "0" * 26, "prt_../../x", "per_unknown",
    "\x00", "\ud7ff\ue000", "💥" * 2000, "a" * 200_000, "null", "{}", "ses_deeca8528ffeIQX2Nl63m7QlWq",
    "*", "**/*", "$(touch /tmp/pwned)", "\n\r\t", "﻿BOM",
]

FIELDS = ["sessionID", "messageID", "partID", "requestID", "parts", "title", "limit", "before", "search",
          "roots", "start", "archived", "permission", "data", "model", "agent", "reply", "message", "noReply",
          "format", "system", "workDoneToken", "command", "arguments", "directory", "parentID", "id"]

scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
           | st.floats(allow_nan=False) | st.text(max_size=40) | st.sampled_from(WEIRD_STRINGS))
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12)


def part_like() -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries({"type": st.sampled_from(["text", "file", "agent", "subtask", "bogus", 3])},
                                 optional={"text": json_values, "url": st.sampled_from(WEIRD_STRINGS) | json_values,
                                           "mime": json_values, "filename": json_values, "name": json_values})


def field_values(real_sessions: list[str]) -> dict[str, st.SearchStrategy[Any]]:
    ids = st.sampled_from(real_sessions) | st.sampled_from(WEIRD_STRINGS) | json_values
    values = {name: json_values for name in FIELDS}
    values.update({
        "sessionID": ids, "parentID": ids,
        "id": st.sampled_from(["apr_unknown", "apr_" + "0" * 26]) | json_values,
        "parts": st.lists(part_like() | json_values, max_size=3) | json_values,
        "model": st.fixed_dictionaries({"providerID": json_values, "modelID": json_values}) | json_values,
        "reply": st.sampled_from(["once", "always", "reject", "never", ""]) | json_values,
        # A command is really run by opencode/session/shell: only ever an echo of the odd text.
        "command": st.sampled_from(WEIRD_STRINGS).map(lambda s: "echo " + shlex.quote(s[:1000]))
        | st.integers() | st.none(),
        "data": st.fixed_dictionaries({"info": json_values, "messages": json_values}) | json_values,
    })
    return values


def params_strategy(real_sessions: list[str]) -> st.SearchStrategy[Any]:
    shaped = st.fixed_dictionaries({}, optional=field_values(real_sessions))
    return shaped | json_values


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    """(loop, editor, fake, store): one server for every example, driven from sync tests."""
    base = tmp_path_factory.mktemp("bad-input")
    root = base / "ws"
    root.mkdir()
    (root / "hello.py").write_text('print("hi")\n')
    store = base / "store"
    loop = asyncio.new_event_loop()
    with FakeOpenAI() as fake:
        fake.route(is_title_request, [[{"text": "A title"}]])
        editor = Editor(root, model_options(store, fake.base_url, permission={"bash": "allow"}))
        editor.init_result = loop.run_until_complete(editor.start())
        try:
            yield loop, editor, fake, store
        finally:
            loop.run_until_complete(editor.close())
            loop.close()


METHODS = [
    "opencode/session/create", "opencode/session/get", "opencode/session/list", "opencode/session/children",
    "opencode/session/update", "opencode/session/fork", "opencode/session/delete", "opencode/session/messages",
    "opencode/session/prompt", "opencode/session/command", "opencode/session/shell", "opencode/session/abort",
    "opencode/session/summarize", "opencode/session/revert", "opencode/session/unrevert",
    "opencode/session/todo", "opencode/session/status", "opencode/session/export", "opencode/session/import",
    "opencode/permission/reply", "opencode/permission/list", "opencode/agent/list", "opencode/model/list",
    "opencode/config/get", "opencode/mcp/status", "opencode/mcp/toggle",
    "opencode/permission/approvals", "opencode/permission/revoke",
]


HISTORY: list[tuple[str, str, float]] = []  # what was sent, for the failure message


def send(server, method: str, params: Any) -> None:
    loop, editor, _, _ = server
    started = time.monotonic()
    HISTORY.append((method, repr(params)[:300], started))
    try:
        loop.run_until_complete(editor.request(method, params, ANSWER_WITHIN))
    except RpcError as exc:
        assert exc.code in ALLOWED_CODES, f"{method}: unexpected code {exc.code}: {exc.message}"
        assert exc.code != -32099, f"{method}: the server died"
    except asyncio.TimeoutError:
        recent = "\n".join(f"{m} {p}" for m, p, _ in HISTORY[-4:])
        raise AssertionError(f"{method} did not answer within {ANSWER_WITHIN} s; last sent:\n{recent}") from None
    assert editor.client.proc.returncode is None, f"the server exited on {method}"


def test_methods_are_the_advertised_ones(server):
    # The list above must cover what the server offers, or new methods would go untested.
    _, editor, _, _ = server
    assert set(editor.init_result["capabilities"]["experimental"]["opencode"]["methods"]) <= set(METHODS)


@pytest.fixture(scope="module")
def real_sessions(server) -> list[str]:
    loop, editor, _, _ = server
    return [loop.run_until_complete(editor.new_session()) for _ in range(3)]


def test_every_method_survives_random_params(server, real_sessions):
    @settings(max_examples=400, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
    @given(method=st.sampled_from(METHODS), params=params_strategy(real_sessions))
    def check(method: str, params: Any) -> None:
        send(server, method, params)

    check()


def test_raw_protocol_garbage_is_survived(server):
    """Wrong JSON-RPC shapes, not just wrong params: unknown methods, notifications with ids."""
    loop, editor, _, _ = server
    client = editor.client
    for message in [
        # Nested objects that look like JSON-RPC messages used to make pygls drop the request.
        {"jsonrpc": "2.0", "id": 90000, "method": "opencode/session/create",
         "params": {"title": {"jsonrpc": "2.0", "id": 1, "method": "x"}}},
        {"jsonrpc": "2.0", "id": 90001, "method": "opencode/no/such/method", "params": {}},
        {"jsonrpc": "2.0", "id": 90002, "method": "opencode/session/get"},
        {"jsonrpc": "2.0", "id": 90003, "method": "opencode/session/list", "params": "not an object"},
        {"jsonrpc": "2.0", "method": "opencode/session/create", "params": {"title": 1}},
        {"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": "never-sent"}},
        {"jsonrpc": "2.0", "method": "window/workDoneProgress/cancel", "params": {"token": ["x"]}},
        {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": "file:///../x"}}},
    ]:
        client.send_raw(message)
    # A params object nesting a JSON-RPC-looking object is answered (it used to vanish).
    try:
        loop.run_until_complete(editor.request(
            "opencode/session/list", {"search": {"jsonrpc": 5, "id": [], "method": {}}}, ANSWER_WITHIN))
    except RpcError as exc:
        assert exc.code == -32602
    else:
        raise AssertionError("a non-string search was accepted")
    listed = loop.run_until_complete(editor.request("opencode/session/list", {}))
    assert isinstance(listed, list)


def test_store_is_whole_and_server_answers_afterwards(server, real_sessions):
    loop, editor, fake, store = server
    for path in Path(store).rglob("*.json"):
        json.loads(path.read_text())
    assert loop.run_until_complete(editor.request("opencode/session/status", {})) is not None
    sid = loop.run_until_complete(editor.new_session())
    fake.set_script(["still here"])
    result = loop.run_until_complete(editor.prompt(sid, "hello"))
    assert any(p.get("text") == "still here" for p in result["parts"])
