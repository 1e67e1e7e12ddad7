"""Record what real OpenCode 1.18.33's edit tool does with every input in tests/tools/edit_cases.py.

OpenCode (``npm install opencode-ai@1.18.33`` into bench/.work, gitignored) runs as ``opencode
serve`` against the scripted OpenAI-compatible server (tests/support/fake_openai.py) through an
``@ai-sdk/openai-compatible`` provider. One conversation: the scripted model calls ``edit`` once per
case, each on its own file, 20 calls per step. Afterwards each case's file is read back and the
tool part's state taken from OpenCode's stored messages. The results go to
tests/tools/fixtures/opencode_edit_results.json, which tests/tools/test_edit_differential.py
compares with ours (so the normal test run needs no Node).

Run: .venv/bin/python bench/opencode_edit_fixtures.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_opencode import free_port, opencode_binary  # noqa: E402
from tests.support.fake_openai import FakeOpenAI, is_title_request  # noqa: E402
from tests.tools.edit_cases import all_cases  # noqa: E402

FIXTURE = ROOT / "tests" / "tools" / "fixtures" / "opencode_edit_results.json"
BATCH = 20
VERSION = "1.18.33"


def error_kind(message: str) -> str:
    """OpenCode's error text, reduced to the kinds ours reports (matchers.MatchError.kind)."""
    kinds = [("Could not find oldString", "not_found"), ("multiple matches", "multiple"),
             ("matched span is much larger", "span_too_large"), ("oldString cannot be empty", "empty_old"),
             ("identical", "no_change"), ("not found", "file_not_found"), ("directory", "directory")]
    for needle, kind in kinds:
        if needle in message:
            return kind
    return "other: " + message[:200]


def serve(ws: Path, home: Path, base_url: str, config: dict[str, Any] | None = None) -> tuple[subprocess.Popen, str]:
    """``opencode serve`` in ``ws`` with ``config`` (default: the fake provider, edits allowed)."""
    (ws / "opencode.json").write_text(json.dumps(config or {
        "$schema": "https://opencode.ai/config.json",
        "provider": {"fake": {"npm": "@ai-sdk/openai-compatible", "name": "Fake",
                              "options": {"baseURL": base_url, "apiKey": "sk-fake"},
                              "models": {"m": {"name": "m"}}}},
        "model": "fake/m", "small_model": "fake/m", "autoupdate": False, "share": "disabled",
        "permission": {"edit": "allow", "external_directory": "allow"}, "lsp": False, "formatter": False,
    }))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
           "XDG_DATA_HOME": str(home / ".local/share"), "XDG_CACHE_HOME": str(home / ".cache"),
           "XDG_STATE_HOME": str(home / ".local/state")}
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = subprocess.Popen([str(opencode_binary()), "serve", "--port", str(port), "--hostname", "127.0.0.1"],
                            cwd=ws, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=open(home.parent / "opencode.log", "wb"))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            httpx.get(url + "/session", timeout=5)
            return proc, url
        except httpx.TransportError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("opencode serve did not come up: "
                                   + (home.parent / "opencode.log").read_text(errors="replace")[-800:])
            time.sleep(0.2)


def main() -> None:
    cases = all_cases()
    with tempfile.TemporaryDirectory(prefix="oc-edit-diff-") as tmp:
        base = Path(tmp)
        ws = base / "ws"
        files = ws / "cases"
        files.mkdir(parents=True)
        calls = []
        for case in cases:
            path = files / f"{case['id']}.txt"
            if case["content"] == "<dir>":
                path.mkdir()
            elif case["content"] is not None:
                path.write_bytes(case["content"].encode("utf-8"))
            args = {"filePath": str(path), "oldString": case["oldString"], "newString": case["newString"]}
            if "replaceAll" in case:
                args["replaceAll"] = case["replaceAll"]
            calls.append({"tool_call": {"name": "edit", "arguments": args, "id": f"call_{case['id']}"}})
        turns = [calls[i:i + BATCH] for i in range(0, len(calls), BATCH)] + [[{"text": "done"}]]
        fake = FakeOpenAI(turns)
        fake.route(is_title_request, [[{"text": "A title"}]])
        fake.start()
        proc, url = serve(ws, base / "home", fake.base_url)
        try:
            with httpx.Client(base_url=url, timeout=600) as http:
                sid = http.post("/session", json={}).json()["id"]
                http.post(f"/session/{sid}/message", json={
                    "parts": [{"type": "text", "text": "make the edits"}],
                    "model": {"providerID": "fake", "modelID": "m"}}).raise_for_status()
                messages = http.get(f"/session/{sid}/message").json()
        finally:
            proc.terminate()
            proc.wait(20)
            fake.stop()
        states = {p["callID"]: p["state"] for m in messages for p in m["parts"] if p.get("type") == "tool"}
        results = []
        for case in cases:
            state = states.get(f"call_{case['id']}")
            path = files / f"{case['id']}.txt"
            after = path.read_bytes().decode("utf-8") if path.is_file() else None
            if state is None:
                outcome: dict[str, Any] = {"status": "missing"}
            elif state["status"] == "completed":
                outcome = {"status": "ok"}
            else:
                outcome = {"status": "error", "kind": error_kind(state.get("error", "")),
                           "message": state.get("error", "")}
            results.append({**case, "opencode": {**outcome, "after": after}})
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    FIXTURE.write_text(json.dumps({"opencode": VERSION, "cases": results}, indent=1, ensure_ascii=False) + "\n")
    counts: dict[str, int] = {}
    for r in results:
        key = r["opencode"]["status"] + ("/" + r["opencode"].get("kind", "") if r["opencode"]["status"] == "error" else "")
        counts[key] = counts.get(key, 0) + 1
    print(f"{len(results)} cases recorded from OpenCode {VERSION}: {counts}")


if __name__ == "__main__":
    main()
