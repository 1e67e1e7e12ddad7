"""The scripted server's own contract, which every integration test relies on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.fake_openai import FakeOpenAI, is_title_request

ROOT = Path(__file__).resolve().parents[2]


def sse_events(text: str) -> list:
    return [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: {")]


def chat(server: FakeOpenAI, **body) -> httpx.Response:
    body.setdefault("messages", [{"role": "user", "content": "hi"}])
    body.setdefault("stream", True)
    return httpx.post(server.base_url + "/chat/completions", json=body, timeout=10)


def test_turns_are_consumed_in_order_then_ok(fake):
    fake.set_script(["first", [{"text": "second"}]])
    answers = []
    for _ in range(3):
        events = sse_events(chat(fake).text)
        answers.append("".join(c["choices"][0]["delta"].get("content") or "" for c in events if c["choices"]))
    assert answers == ["first", "second", "ok"]
    assert len(fake.requests) == 3


def test_usage_chunk_is_last_with_empty_choices(fake):
    fake.add_turns([{"text": "x"}, {"usage": {"prompt_tokens": 7, "completion_tokens": 3, "cached_tokens": 2}}])
    response = chat(fake, stream_options={"include_usage": True})
    events = sse_events(response.text)
    assert events[-1]["choices"] == []
    assert events[-1]["usage"]["prompt_tokens_details"] == {"cached_tokens": 2}
    assert events[-2]["choices"][0]["finish_reason"] == "stop"
    assert response.text.rstrip().endswith("data: [DONE]")


def test_routes_keep_title_requests_off_the_main_script(fake):
    fake.set_script(["main answer"])
    fake.route(is_title_request, ["A title"])
    title_body = {"messages": [{"role": "system", "content": "Write a short title"},
                               {"role": "user", "content": "hello"}]}
    for _ in range(2):  # the last routed turn repeats
        assert "A title" in chat(fake, **title_body).text
    assert "main answer" in chat(fake, tools=[{"type": "function", "function": {"name": "t"}}]).text
    assert len(fake.requests) == 3


def test_exhausted_route_can_fall_through(fake):
    fake.set_script(["main"])
    fake.route(lambda body: True, ["routed"], repeat_last=False)
    assert "routed" in chat(fake).text
    assert "main" in chat(fake).text


def test_http_error_turn(fake):
    fake.add_turns([{"error": {"status": 503, "headers": {"retry-after": "3"}, "body": {"error": {"message": "busy"}}}}])
    response = chat(fake)
    assert response.status_code == 503 and response.headers["retry-after"] == "3"
    assert response.json() == {"error": {"message": "busy"}}


def test_cut_is_a_protocol_error_for_the_client(fake):
    fake.add_turns([{"text": "a"}, {"cut": True}])
    with pytest.raises(httpx.RemoteProtocolError):
        chat(fake)


def test_non_streaming_requests_are_refused(fake):
    fake.add_turns(["kept"])
    assert chat(fake, stream=False).status_code == 400
    assert fake.pending_turns == 1 and fake.requests == []


def test_request_headers_are_recorded(fake):
    httpx.post(fake.base_url + "/chat/completions", json={"stream": True, "messages": []},
               headers={"X-Probe": "1"}, timeout=10)
    assert fake.request_headers[0]["x-probe"] == "1"
    assert fake.wait_for_requests(1, timeout=1)[0] == {"stream": True, "messages": []}


def test_runs_as_a_subprocess_with_a_script_and_control_endpoints(tmp_path):
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"turns": ["from file"],
                                  "routes": [{"match": {"title": True}, "turns": ["Title"]}]}))
    proc = subprocess.Popen([sys.executable, "-m", "tests.support.fake_openai", "--port", "0", "--script", str(script)],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("FAKE_OPENAI_URL=http://127.0.0.1:")
        base = line.split("=", 1)[1]
        post = lambda body: httpx.post(base + "/chat/completions", json={"stream": True, **body}, timeout=10)  # noqa: E731
        assert "Title" in post({"messages": [{"role": "system", "content": "title please"}]}).text
        assert "from file" in post({"messages": [{"role": "user", "content": "q"}]}).text
        httpx.post(base.rsplit("/v1", 1)[0] + "/_control/turns", json={"turns": ["added"]}, timeout=10)
        assert "added" in post({"messages": [{"role": "user", "content": "q"}]}).text
        recorded = httpx.get(base.rsplit("/v1", 1)[0] + "/_control/requests", timeout=10).json()["requests"]
        assert len(recorded) == 3
    finally:
        proc.terminate()
        proc.wait(timeout=5)
