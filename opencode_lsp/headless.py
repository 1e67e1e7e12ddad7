"""``opencode-lsp run "message"``: a prompt on the current directory from a terminal.

It starts the language server and drives it over LSP exactly as an editor would, printing the
streamed answer (or, with ``--format json``, one JSON event per line like ``opencode run``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, TextIO

import platformdirs

from .client import LspClient, RpcError, server_command
from .core.message import ModelRef

NO_MODEL_HELP = (
    "No model is configured. Pass --model provider/model (for example anthropic/claude-sonnet-4-5 or "
    "ollama/qwen2.5-coder), or set \"model\" in opencode.json in this directory or in "
    "~/.config/opencode/opencode.json, with the provider's API key in its usual environment variable."
)

_JSON_TYPES = {"text": "text", "reasoning": "reasoning", "tool": "tool_use",
               "step-start": "step_start", "step-finish": "step_finish"}


class Printer:
    """Turns streamed events into terminal output."""

    def __init__(self, fmt: str, out: TextIO, err: TextIO):
        self.fmt = fmt
        self.out = out
        self.err = err
        self.streamed_text = False

    def on_event(self, event: dict[str, Any]) -> None:
        if event.get("type") != "message.part.updated":
            if event.get("type") == "session.error" and self.fmt == "json":
                self._json("error", event["properties"].get("sessionID"), {"error": event["properties"].get("error")})
            return
        props = event["properties"]
        part = props.get("part", {})
        delta = props.get("delta")
        if self.fmt == "json":
            if delta is None and self._finished(part):
                self._json(_JSON_TYPES.get(part.get("type"), part.get("type")), part.get("sessionID"), {"part": part})
            return
        if part.get("type") == "text" and delta is not None:
            self.out.write(delta)
            self.out.flush()
            self.streamed_text = True
        elif part.get("type") == "text" and delta is None and (part.get("time") or {}).get("end"):
            if self.streamed_text:
                self.out.write("\n")
                self.streamed_text = False
        elif part.get("type") == "tool":
            state = part.get("state", {})
            if state.get("status") in ("completed", "error"):
                title = state.get("title") or json.dumps(state.get("input", {}))[:80]
                mark = "x" if state.get("status") == "error" else "|"
                self.err.write(f"{mark} {part.get('tool'):<8} {title}\n")
                if state.get("status") == "error":
                    self.err.write(f"  {state.get('error')}\n")
                self.err.flush()

    @staticmethod
    def _finished(part: dict[str, Any]) -> bool:
        kind = part.get("type")
        if kind in ("text", "reasoning"):
            return bool((part.get("time") or {}).get("end"))
        if kind == "tool":
            return part.get("state", {}).get("status") in ("completed", "error")
        return kind in ("step-start", "step-finish")

    def _json(self, kind: str | None, session_id: str | None, payload: dict[str, Any]) -> None:
        line = {"type": kind, "timestamp": int(time.time() * 1000), "sessionID": session_id, **payload}
        self.out.write(json.dumps(line) + "\n")
        self.out.flush()


async def _permission_answer(params: Any, err: TextIO) -> Any:
    # A terminal run cannot show a dialog: ask on the TTY when there is one, else refuse.
    message = (params or {}).get("message", "")
    if sys.stdin.isatty():
        err.write(f"{message}\n[o]nce / [a]lways / [r]eject? ")
        err.flush()
        answer = (await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)).strip().lower()
        title = {"o": "Allow once", "a": "Always allow"}.get(answer[:1], "Reject")
    else:
        err.write(f"{message} - rejected (no terminal to ask on)\n")
        title = "Reject"
    return {"title": title}


async def run_async(args: argparse.Namespace, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    root = Path.cwd().resolve()
    options: dict[str, Any] = {"events": False, "permissionUI": False}
    if args.model:
        options["model"] = args.model
    if args.agent:
        options["agent"] = args.agent
    # The server's log goes to a file: the terminal shows the answer, not the server's chatter.
    log_dir = Path(platformdirs.user_log_dir("opencode-lsp"))
    log_dir.mkdir(parents=True, exist_ok=True)
    command = [*server_command(), "--log-file", str(log_dir / "run.log")]
    client = LspClient(command, env=dict(os.environ), cwd=str(root))
    printer = Printer(args.format, out, err)

    def on_notification(method: str, params: Any) -> None:
        if method == "$/progress" and isinstance(params, dict):
            value = params.get("value") or {}
            if value.get("kind") == "report" and isinstance(value.get("event"), dict):
                printer.on_event(value["event"])

    async def ask(params: Any) -> Any:
        return await _permission_answer(params, err)

    client.on_notification = on_notification
    client.feature("window/workDoneProgress/create")(_accept)
    client.feature("window/showMessageRequest")(ask)
    client.feature("workspace/configuration")(_empty_config)
    await client.start()
    try:
        await client.request("initialize", {
            "processId": os.getpid(), "rootUri": root.as_uri(),
            "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
            "capabilities": {"window": {"workDoneProgress": True}, "workspace": {"configuration": True}},
            "initializationOptions": options,
        })
        client.notify("initialized", {})
        session_id = await _pick_session(client, args, root)
        parsed = ModelRef.parse_or_none(args.model)
        model = parsed.model_dump() if parsed else None
        params: dict[str, Any] = {"sessionID": session_id, "parts": [{"type": "text", "text": " ".join(args.message)}],
                                  "workDoneToken": f"run-{os.getpid()}"}
        if model:
            params["model"] = model
        if args.agent:
            params["agent"] = args.agent
        result = await client.request("opencode/session/prompt", params)
        error = (result or {}).get("info", {}).get("error")
        if error:
            err.write(f"error: {error.get('name')}: {(error.get('data') or {}).get('message', '')}\n")
            return 1
        return 0
    except RpcError as exc:
        unset = bool(exc.data and exc.data.get("field") == "model" and exc.message.startswith("No model"))
        err.write((NO_MODEL_HELP if unset else f"error: {exc.message}") + "\n")
        return 1
    finally:
        await client.close()


def _accept(params: Any) -> None:
    return None


def _empty_config(params: Any) -> list[Any]:
    return [None for _ in (params or {}).get("items", [])]


async def _pick_session(client: LspClient, args: argparse.Namespace, root: Path) -> str:
    if args.session:
        info = await client.request("opencode/session/get", {"sessionID": args.session})
        return info["id"]
    if args.continue_:
        sessions = await client.request("opencode/session/list", {"roots": True, "limit": 1, "directory": str(root)})
        if sessions:
            return sessions[0]["id"]
    info = await client.request("opencode/session/create", {"directory": str(root)})
    return info["id"]


async def _until_signal(args: argparse.Namespace) -> int:
    """``run_async``, ended cleanly by SIGTERM, SIGHUP or Ctrl-C (SIGINT): the server is closed
    before the loop ends (a KeyboardInterrupt out of the loop left the client's pipes to be torn
    down on a closed loop, printing a traceback) and one line is printed."""
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(run_async(args))
    stopped: list[int] = []

    def stop(signum: int) -> None:
        stopped.append(signum)
        task.cancel()

    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, stop, signum)
    try:
        return await task
    except asyncio.CancelledError:
        if not stopped:
            raise
        sys.stderr.write(f"opencode-lsp run: stopped by {signal.Signals(stopped[0]).name}\n")
        return 128 + stopped[0]


def run_headless(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_until_signal(args))
    except KeyboardInterrupt:
        return 130
