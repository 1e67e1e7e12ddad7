"""A language model scripted through the core's ``LanguageModel`` protocol (no HTTP), for unit
tests of the loop; integration tests use ``fake_openai.FakeOpenAI`` with real litellm instead.

Each request plays the next turn of the script. A turn is one step or a list of steps:

- a core stream event (``TextDelta``, ``ToolCallStart``, ``ToolCall``, ``Finish``...): sent as is;
- a ``str``: a text delta;
- ``{"tool": name, "args": {...}}``: a complete tool call;
- ``{"usage": {...}}``: the usage the turn's finish reports;
- an exception: raised there (e.g. a ``ModelError`` after some text);
- a ``float``: a pause of that many seconds.

A turn written only with the shorthands (no events) ends with a ``Finish`` of its own:
``tool-calls`` when it called a tool, else ``stop``. A turn of events sends only what it lists.
An exhausted script answers "ok".
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, AsyncIterator

from pydantic import BaseModel

from opencode_lsp.core.llm import ChatRequest, Finish, ModelInfo, StreamEvent, TextDelta, ToolCall, Usage


def is_title_request(request: ChatRequest) -> bool:
    return not request.tools and "title" in str(request.messages[0].get("content", "")).lower()


class ScriptedModel:
    def __init__(self, info: ModelInfo, turns: list[Any], *, title: str | None = None):
        """``title``: when set, title requests are answered with it, off the script and unrecorded."""
        self.info = info
        self.turns = list(turns)
        self.title = title
        self.requests: list[ChatRequest] = []

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        if self.title is not None and is_title_request(request):
            yield TextDelta(text=self.title)
            yield Finish(reason="stop")
            return
        self.requests.append(request)
        turn = self.turns.pop(0) if self.turns else "ok"
        steps = turn if isinstance(turn, list) else [turn]
        usage = Usage(prompt=100, completion=10)
        calls = 0
        shorthand = True
        for step in steps:
            if isinstance(step, BaseException):
                raise step
            if isinstance(step, float):
                await asyncio.sleep(step)
            elif isinstance(step, BaseModel):
                shorthand = False
                yield step  # type: ignore[misc]
            elif isinstance(step, str):
                yield TextDelta(text=step)
            elif "usage" in step:
                usage = Usage(**step["usage"])
            else:
                yield ToolCall(index=calls, id=f"call_{len(self.requests)}_{calls}", name=step["tool"],
                               arguments=json.dumps(step["args"]))
                calls += 1
        if shorthand:
            yield Finish(reason="tool-calls" if calls else "stop", usage=usage)


class ScriptedProvider:
    """Hands out the scripted model; ``small``, when given, answers for the model id ``small``."""

    def __init__(self, model: ScriptedModel, small: ScriptedModel | None = None):
        self.model = model
        self.small = small

    def get(self, provider_id: str, model_id: str) -> ScriptedModel:
        return self.small if self.small is not None and model_id == "small" else self.model

    def list_models(self) -> list[ModelInfo]:
        return [self.model.info]
