"""Our edit tool against real OpenCode 1.18.33 on the same inputs: zero disagreements.

The inputs (tests/tools/edit_cases.py: OpenCode's own edit test table plus generated block
anchors, spans, whitespace, CRLF and BOM cases) and OpenCode's results (file text afterwards,
or the kind of error) are in fixtures/opencode_edit_results.json, recorded by
bench/opencode_edit_fixtures.py; this test needs no Node. A disagreement is a different
accept/refuse decision, a different error kind, or a different file afterwards.
"""

from __future__ import annotations

import json
from pathlib import Path

from opencode_lsp.core.tools.base import ToolError
from opencode_lsp.core.tools.edit import MATCH_ERRORS, tool as edit

from .edit_cases import all_cases

FIXTURE = Path(__file__).parent / "fixtures" / "opencode_edit_results.json"
KIND_BY_MESSAGE = {message: kind for kind, message in MATCH_ERRORS.items()}


def _kind(message: str) -> str:
    if message in KIND_BY_MESSAGE:
        return KIND_BY_MESSAGE[message]
    if message.endswith(" not found"):
        return "file_not_found"
    if "directory" in message:
        return "directory"
    return "other: " + message


async def _ours(case: dict, root: Path, make_ctx) -> dict:
    path = root / f"{case['id']}.txt"
    if case["content"] == "<dir>":
        path.mkdir()
    elif case["content"] is not None:
        path.write_bytes(case["content"].encode("utf-8"))
    args = {"filePath": str(path), "oldString": case["oldString"], "newString": case["newString"]}
    if "replaceAll" in case:
        args["replaceAll"] = case["replaceAll"]
    try:
        await edit.execute(args, make_ctx())
        outcome = {"status": "ok"}
    except ToolError as error:
        outcome = {"status": "error", "kind": _kind(str(error))}
    after = path.read_bytes().decode("utf-8") if path.is_file() else None
    return {**outcome, "after": after}


def test_fixture_holds_the_current_cases():
    recorded = json.loads(FIXTURE.read_text())
    assert recorded["opencode"] == "1.18.33"
    inputs = [{k: v for k, v in c.items() if k != "opencode"} for c in recorded["cases"]]
    assert inputs == all_cases(), "edit_cases.py changed: re-run bench/opencode_edit_fixtures.py"
    assert len(inputs) >= 250
    kinds = {c["opencode"].get("kind", "ok") for c in recorded["cases"]}
    assert {"ok", "not_found", "multiple", "empty_old"} <= kinds


async def test_no_disagreement_with_opencode(root, make_ctx):
    recorded = json.loads(FIXTURE.read_text())["cases"]
    disagreements = []
    for case in recorded:
        theirs = {k: v for k, v in case["opencode"].items() if k != "message"}
        ours = await _ours(case, root, make_ctx)
        if ours != theirs:
            disagreements.append((case["id"], case["oldString"][:60], theirs, ours))
    assert disagreements == [], f"{len(disagreements)} of {len(recorded)} differ: {disagreements[:5]}"
