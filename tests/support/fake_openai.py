"""A scripted OpenAI-compatible chat server for integration tests and benchmarks.

It speaks just enough of the OpenAI chat API for litellm (and OpenCode) to stream from it (streaming
requests only; a non-streaming one gets a 400 and consumes no turn):
``POST /v1/chat/completions`` (also ``/chat/completions``) answers with SSE chunks sent with
chunked transfer encoding, so cutting the connection is a real protocol error for the client.
It runs in a daemon thread, so it works from sync and async tests alike, and as a subprocess.

In a test::

    from tests.support.fake_openai import FakeOpenAI

    with FakeOpenAI([
        [{"tool_call": {"name": "read", "arguments": {"filePath": "a.py"}}}],
        [{"text": "Done.", "chunks": 3}, {"usage": {"prompt_tokens": 120, "completion_tokens": 8}}],
    ]) as server:
        settings = {"model": "fake/m", "providers": {"fake": {"apiBase": server.base_url}}}
        ...                                   # drive the code under test
        assert server.requests[0]["tools"]    # every request body is recorded, in order

Script: a list of *turns*, consumed one per request, in order. A turn is a list of *steps*
played in order (a plain string, as a turn or a step, is shorthand for ``{"text": s}``):

``{"text": "Hello", "chunks": 3}``       content split into N deltas (default 1)
``{"reasoning": "...", "chunks": 2}``    ``reasoning_content`` deltas
``{"tool_call": {"name": "read", "arguments": {...} or "raw json", "id": "call_1", "split": 3}}``
                                         one tool call; its arguments JSON is split into N chunks.
                                         Calls get indexes 0, 1, ... in turn order (or ``"index"``).
``{"usage": {"prompt_tokens": 10, "completion_tokens": 5, "cached_tokens": 2, "reasoning_tokens": 1,
            "cache_creation_input_tokens": 0}}``
                                         the usage chunk, always sent last with empty ``choices``
                                         (a default usage is computed when a turn gives none;
                                         ``"reasoning_tokens": None`` sends no completion details;
                                         ``{"usage": None}`` sends no usage chunk at all)
``{"finish": "stop" | "tool_calls" | "length" | ...}``  the finish chunk, sent where it stands;
                                         without one, ``tool_calls`` or ``stop`` is sent at the end
``{"error": {"status": 429, "headers": {"retry-after": "1"}, "body": {...}}}``
                                         as the first step: a plain HTTP error, nothing streamed;
                                         later: an SSE ``{"error": ...}`` event, then the stream ends
``{"cut": true}``                        close the connection mid-stream (no terminating chunk)
``{"sleep": 0.5}``                       pause before the next step
``{"hang": true}``                       never finish (until the client leaves or the server stops)
``{"raw": "data: garbage\\n\\n"}``       write these bytes into the stream as they are

When the script runs out, each further request gets a plain ``"ok"`` text turn (still recorded).

Routes: ``server.route(predicate, turns)`` sends requests whose body matches ``predicate(body)``
to their own turns, so that, e.g., title requests do not consume the main script. When a route's
turns run out its last turn repeats (``repeat_last=False`` lets such requests fall through to the
main script instead). ``is_title_request`` recognises OpenCode-style title calls.

Attributes and methods: ``base_url`` (``http://127.0.0.1:PORT/v1``), ``requests`` (request
bodies), ``request_headers`` (lower-cased header dicts, same order), ``set_script(turns)``,
``add_turns(*turns)``, ``route(...)``, ``wait_for_requests(n, timeout)``, ``start()``/``stop()``
(or use it as a context manager).

As a process: ``python -m tests.support.fake_openai --port 0 --script script.json`` prints
``FAKE_OPENAI_URL=http://127.0.0.1:PORT/v1`` on stdout once listening. The script file is a
list of turns, or ``{"turns": [...], "routes": [{"match": {...}, "turns": [...]}]}`` where
``match`` may hold ``title: true``, ``system_contains``, ``user_contains``, ``max_tokens``,
``has_tools``. Control endpoints for out-of-process tests: ``POST /_control/turns``
(``{"turns": [...], "replace": false}``), ``GET /_control/requests``.
"""

from __future__ import annotations

import argparse
import json
import select
import socket
import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterator

Turn = list[dict[str, Any]]
Predicate = Callable[[dict[str, Any]], bool]
OK_TURN: Turn = [{"text": "ok"}]


def is_title_request(body: dict[str, Any]) -> bool:
    """A title call: no tools offered and a system prompt about titles (OpenCode's shape)."""
    if body.get("tools"):
        return False
    return any(m.get("role") == "system" and "title" in _text(m.get("content")).lower()
               for m in body.get("messages", []))


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def matcher(spec: dict[str, Any]) -> Predicate:
    """A predicate from the declarative ``match`` object of a JSON script (subprocess mode)."""

    def says(body: dict[str, Any], role: str, needle: str) -> bool:
        return any(m.get("role") == role and needle in _text(m.get("content")) for m in body.get("messages", []))

    def match(body: dict[str, Any]) -> bool:
        return ((not spec.get("title") or is_title_request(body))
                and ("system_contains" not in spec or says(body, "system", spec["system_contains"]))
                and ("user_contains" not in spec or says(body, "user", spec["user_contains"]))
                and ("max_tokens" not in spec or body.get("max_tokens") == spec["max_tokens"])
                and ("has_tools" not in spec or bool(body.get("tools")) == bool(spec["has_tools"])))

    return match


def _normalise(turn: Turn | str) -> Turn:
    """A string turn, or a string step, is shorthand for a text step."""
    if isinstance(turn, str):
        return [{"text": turn}]
    return [{"text": step} if isinstance(step, str) else step for step in turn]


def _split(text: str, parts: int) -> list[str]:
    parts = max(1, min(int(parts), len(text) or 1))
    size, extra = divmod(len(text), parts)
    out, pos = [], 0
    for i in range(parts):
        end = pos + size + (1 if i < extra else 0)
        out.append(text[pos:end])
        pos = end
    return out


class _Route:
    def __init__(self, predicate: Predicate, turns: list[Turn], repeat_last: bool):
        self.predicate, self.turns, self.repeat_last = predicate, turns, repeat_last
        self.last: Turn | None = None


class FakeOpenAI:
    def __init__(self, script: list[Turn | str] | None = None, *, host: str = "127.0.0.1", port: int = 0,
                 model: str = "fake-model"):
        self.model = model
        self.requests: list[dict[str, Any]] = []
        self.request_headers: list[dict[str, str]] = []
        self._turns: list[Turn] = [_normalise(t) for t in script or []]
        self._routes: list[_Route] = []
        self._lock = threading.Condition()
        self._stopping = threading.Event()
        self._httpd = ThreadingHTTPServer((host, port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.fake = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> "FakeOpenAI":
        if self._thread is None:
            self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                            name="fake-openai", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # releases hanging streams
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> "FakeOpenAI":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # --- script ---------------------------------------------------------------------------

    def set_script(self, turns: list[Turn | str]) -> None:
        with self._lock:
            self._turns = [_normalise(t) for t in turns]

    def add_turns(self, *turns: Turn | str) -> None:
        with self._lock:
            self._turns.extend(_normalise(t) for t in turns)

    def route(self, predicate: Predicate, turns: list[Turn | str], *, repeat_last: bool = True) -> None:
        with self._lock:
            self._routes.append(_Route(predicate, [_normalise(t) for t in turns], repeat_last))

    @property
    def pending_turns(self) -> int:
        with self._lock:
            return len(self._turns)

    def wait_for_requests(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Block until ``count`` requests arrived (for sync tests); raises ``TimeoutError``."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(self.requests)} of {count} requests arrived")
                self._lock.wait(left)
            return list(self.requests)

    def _take_turn(self, body: dict[str, Any], headers: dict[str, str]) -> Turn:
        with self._lock:
            self.requests.append(body)
            self.request_headers.append(headers)
            self._lock.notify_all()
            for route in self._routes:
                if not route.predicate(body):
                    continue
                if route.turns:
                    route.last = route.turns.pop(0)
                    return route.last
                if route.repeat_last and route.last is not None:
                    return route.last
            return self._turns.pop(0) if self._turns else OK_TURN


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Any

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def setup(self) -> None:
        super().setup()
        # Each SSE chunk is its own small write: without TCP_NODELAY, Nagle holds a chunk back
        # until the client's delayed ACK (40 ms), which no real API server does to its clients.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # --- routing --------------------------------------------------------------------------

    def do_GET(self) -> None:
        fake: FakeOpenAI = self.server.fake
        if self.path.rstrip("/") in ("/v1/models", "/models"):
            self._json(200, {"object": "list", "data": [{"id": fake.model, "object": "model"}]})
        elif self.path == "/_control/requests":
            self._json(200, {"requests": fake.requests})
        else:
            self._json(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:
        fake: FakeOpenAI = self.server.fake
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._json(400, {"error": {"message": "request body is not JSON"}})
            return
        if self.path == "/_control/turns":
            if body.get("replace"):
                fake.set_script(body.get("turns", []))
            else:
                fake.add_turns(*body.get("turns", []))
            self._json(200, {"pending": fake.pending_turns})
            return
        if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            self._json(404, {"error": {"message": f"no route {self.path}"}})
            return
        if not body.get("stream"):  # OpenCode and our provider always stream; nothing is consumed
            self._json(400, {"error": {"message": "this fake server only answers streaming requests"}})
            return
        turn = fake._take_turn(body, {k.lower(): v for k, v in self.headers.items()})
        first = turn[0] if turn else {}
        if "error" in first:
            error = first["error"]
            payload = error.get("body", {"error": {"message": f"scripted error {error.get('status', 500)}"}})
            self._json(int(error.get("status", 500)), payload, error.get("headers", {}))
            return
        _Stream(self, fake, body).play(turn)

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, str(value))
        self.end_headers()
        self.wfile.write(data)


class _Stream:
    """Plays one turn as SSE over chunked transfer encoding."""

    def __init__(self, handler: _Handler, fake: FakeOpenAI, body: dict[str, Any]):
        self.h, self.fake, self.body = handler, fake, body
        self.id = f"chatcmpl-fake-{len(fake.requests)}"
        self.created = int(time.time())
        self.usage: dict[str, Any] | None = None
        self.no_usage = False
        self.finished = False
        self.calls = 0
        self.output_chars = 0

    def play(self, turn: Turn) -> None:
        h = self.h
        h.send_response(200)
        h.send_header("content-type", "text/event-stream")
        h.send_header("cache-control", "no-cache")
        h.send_header("transfer-encoding", "chunked")
        h.end_headers()
        try:
            self._delta({"role": "assistant", "content": ""})
            for step in turn:
                if not self._step(step):
                    return
            if not self.finished:
                self._finish("tool_calls" if self.calls else "stop")
            want_usage = (self.body.get("stream_options") or {}).get("include_usage", False)
            if (want_usage or self.usage is not None) and not self.no_usage:
                self._event({"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                             "model": self.fake.model, "choices": [], "usage": self._usage()})
            self._write(b"data: [DONE]\n\n")
            h.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            h.close_connection = True

    def _step(self, step: dict[str, Any]) -> bool:
        """Play one step; False ends the stream without the closing chunk."""
        if "text" in step:
            for piece in _split(step["text"], step.get("chunks", 1)):
                self.output_chars += len(piece)
                self._delta({"content": piece})
        elif "reasoning" in step:
            for piece in _split(step["reasoning"], step.get("chunks", 1)):
                self.output_chars += len(piece)
                self._delta({"reasoning_content": piece})
        elif "tool_call" in step:
            self._tool_call(step["tool_call"])
        elif "usage" in step:
            if step["usage"] is None:
                self.no_usage = True
            else:
                self.usage = dict(step["usage"])
        elif "finish" in step:
            self._finish(step["finish"])
        elif "sleep" in step:
            time.sleep(float(step["sleep"]))
        elif "gate" in step:
            # In-process use: a threading.Event the test sets when the stream may go on.
            step["gate"].wait(float(step.get("timeout", 300)))
        elif "raw" in step:
            self._write(step["raw"].encode())
        elif "error" in step:
            self._event({"error": step["error"].get("body", {"message": "scripted stream error"})})
            self._end_abruptly()
            return False
        elif step.get("cut"):
            self._end_abruptly()
            return False
        elif step.get("hang"):
            self._hang()
            self._end_abruptly()
            return False
        else:
            raise ValueError(f"unknown script step {step!r}")
        return True

    def _tool_call(self, call: dict[str, Any]) -> None:
        index = call.get("index", self.calls)
        self.calls += 1
        args = call.get("arguments", {})
        text = args if isinstance(args, str) else json.dumps(args)
        call_id = call.get("id", f"call_{index}")
        self._delta({"tool_calls": [{"index": index, "id": call_id, "type": "function",
                                     "function": {"name": call["name"], "arguments": ""}}]})
        for piece in _split(text, call.get("split", 1)):
            self.output_chars += len(piece)
            self._delta({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})

    def _finish(self, reason: str) -> None:
        self.finished = True
        self._event({"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                     "model": self.fake.model, "choices": [{"index": 0, "delta": {}, "finish_reason": reason}]})

    def _usage(self) -> dict[str, Any]:
        given = self.usage or {}
        prompt_chars = sum(len(_text(m.get("content"))) for m in self.body.get("messages", []))
        prompt = int(given.get("prompt_tokens", prompt_chars // 4 + 1))
        completion = int(given.get("completion_tokens", self.output_chars // 4 + 1))
        usage: dict[str, Any] = {"prompt_tokens": prompt, "completion_tokens": completion,
                                 "total_tokens": prompt + completion,
                                 "prompt_tokens_details": {"cached_tokens": int(given.get("cached_tokens", 0))},
                                 "completion_tokens_details": {"reasoning_tokens": int(given.get("reasoning_tokens") or 0)}}
        if "reasoning_tokens" in given and given["reasoning_tokens"] is None:
            del usage["completion_tokens_details"]  # a provider that reports no reasoning count
        for key in ("cache_creation_input_tokens", "cache_read_input_tokens"):
            if key in given:
                usage[key] = int(given[key])
        return usage

    def _delta(self, delta: dict[str, Any]) -> None:
        self._event({"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                     "model": self.fake.model, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})

    def _event(self, payload: dict[str, Any]) -> None:
        self._write(b"data: " + json.dumps(payload).encode() + b"\n\n")

    def _write(self, data: bytes) -> None:
        self.h.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.h.wfile.flush()

    def _hang(self) -> None:
        """Wait for the server to stop or the client to go away (its socket turns readable at EOF)."""
        sock: socket.socket = self.h.connection
        while not self.fake._stopping.wait(0.05):
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                try:
                    if not sock.recv(1, socket.MSG_PEEK):
                        return
                except OSError:
                    return

    def _end_abruptly(self) -> None:
        self.h.close_connection = True
        try:
            self.h.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _load_script(path: str | None) -> tuple[list[Turn], list[dict[str, Any]]]:
    if not path:
        return [], []
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if isinstance(data, list):
        return data, []
    return data.get("turns", []), data.get("routes", [])



@contextmanager
def fake_server(title: str = "A title") -> Iterator[FakeOpenAI]:
    """A running server whose title requests are answered with ``title``, off the script: what
    every end-to-end test starts from (the ``fake`` fixture in tests/conftest.py)."""
    with FakeOpenAI() as server:
        server.route(is_title_request, [[{"text": title}]])
        yield server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Scripted OpenAI-compatible chat server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--script", help="JSON file: a list of turns, or {turns, routes}")
    args = parser.parse_args(argv)
    turns, routes = _load_script(args.script)
    server = FakeOpenAI(turns, host=args.host, port=args.port)
    for route in routes:
        server.route(matcher(route.get("match", {})), route.get("turns", []),
                     repeat_last=route.get("repeat_last", True))
    server.start()
    print(f"FAKE_OPENAI_URL={server.base_url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
