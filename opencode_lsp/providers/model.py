"""``LitellmModel``: one model's streaming completions as core ``StreamEvent``s.

Per chunk this does the minimum: pick the deltas out and yield them. Tool-call arguments are
collected by index so that each call is also delivered whole (``ToolCall``) at the end, before
the single ``Finish``. Retries are the agent loop's job, so litellm is told not to retry.
"""

from __future__ import annotations

from typing import Any, AsyncIterator

from ..core.llm import (
    ChatRequest, Finish, ModelError, ModelInfo, ReasoningDelta, StreamEvent, TextDelta, ToolCall,
    ToolCallDelta, ToolCallStart, Usage,
)
from . import runtime
from .errors import incomplete_stream, to_model_error
from .settings import Route

FINISH_REASONS = {
    "stop": "stop",
    "end_turn": "stop",
    "tool_calls": "tool-calls",
    "function_call": "tool-calls",
    "tool_use": "tool-calls",
    "length": "length",
    "max_tokens": "length",
    "content_filter": "content-filter",
}


def map_finish_reason(reason: str | None) -> str:
    if reason is None:
        return "unknown"
    return FINISH_REASONS.get(reason, "other")


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _field(obj: Any, name: str) -> Any:
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


NATIVE_REASONING_COUNTS = frozenset({"gemini", "vertex_ai", "vertex_ai_beta"})


def usage_from(raw: Any, provider: str | None = None) -> Usage:
    """litellm's (OpenAI-shaped) usage -> core ``Usage``; ``prompt`` includes cached tokens.

    Anthropic's ``cache_read_input_tokens`` / ``cache_creation_input_tokens`` are read when the
    OpenAI-style details lack them (litellm already counts them inside ``prompt_tokens``).
    """
    prompt_details = _field(raw, "prompt_tokens_details")
    completion_details = _field(raw, "completion_tokens_details")
    cache_read = _int(_field(prompt_details, "cached_tokens")) or _int(_field(raw, "cache_read_input_tokens"))
    cache_write = (_int(_field(prompt_details, "cache_creation_tokens"))
                   or _int(_field(raw, "cache_creation_input_tokens")))
    completion = _int(_field(raw, "completion_tokens"))
    reasoning = _int(_field(completion_details, "reasoning_tokens"))
    text_tokens = _field(completion_details, "text_tokens")
    # When the provider reports no reasoning count, litellm counts the streamed reasoning text
    # itself and fills in reasoning_tokens together with text_tokens = completion - reasoning.
    # OpenCode 1.18.33 books reasoning only as the provider reports it, so such an estimate is
    # dropped and the whole completion stays output. Gemini reports both counts natively.
    if (reasoning and isinstance(text_tokens, int) and reasoning + text_tokens == completion
            and provider not in NATIVE_REASONING_COUNTS):
        reasoning = 0
    return Usage(
        prompt=_int(_field(raw, "prompt_tokens")),
        completion=completion,
        reasoning=reasoning,
        cache_read=cache_read,
        cache_write=cache_write,
    )


class _ToolCallBuffer:
    __slots__ = ("index", "id", "name", "parts", "started")

    def __init__(self, index: int):
        self.index = index
        self.id = ""
        self.name = ""
        self.parts: list[str] = []
        self.started = False


class LitellmModel:
    """A ``LanguageModel`` backed by ``litellm.acompletion`` for one resolved route."""

    def __init__(self, info: ModelInfo, route: Route):
        self.info = info
        self.route = route

    def __repr__(self) -> str:
        return f"LitellmModel({self.info.ref} via {self.route.litellm_model})"

    def _call_options(self, request: ChatRequest) -> dict[str, Any]:
        options = self.route.call_options()
        options.update(messages=request.messages, stream=True, stream_options={"include_usage": True},
                       num_retries=0)
        if request.tools:
            options["tools"] = [
                {"type": "function",
                 "function": {"name": t.name, "description": t.description, "parameters": t.parameters}}
                for t in request.tools
            ]
            if request.tool_choice is not None:
                options["tool_choice"] = request.tool_choice
                if str(self.route.litellm_model or "").startswith("openai/"):
                    # litellm's table says GPT-5-class models take no tool_choice and drops it;
                    # OpenAI-style servers accept it, and OpenCode 1.18.33 sends it.
                    options["allowed_openai_params"] = ["tool_choice"]
        for key in ("max_tokens", "temperature", "top_p"):
            value = getattr(request, key)
            if value is not None:
                options[key] = value
        return options

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        provider_id = self.route.provider_id
        if self.route.litellm_model is None:
            raise ModelError(self.route.problem or "model unavailable", kind="api", provider_id=provider_id)
        lib = runtime.litellm()
        try:
            response = await lib.acompletion(**self._call_options(request))
        except Exception as exc:
            raise to_model_error(exc, provider_id) from exc
        calls: dict[int, _ToolCallBuffer] = {}
        by_id: dict[str, int] = {}
        finish: str | None = None
        usage: Any = None
        route: str | None = None
        try:
            try:
                async for chunk in response:
                    chunk_usage = getattr(chunk, "usage", None)
                    if chunk_usage is not None:
                        usage = chunk_usage
                        route = (getattr(chunk, "_hidden_params", None) or {}).get("custom_llm_provider")
                    for choice in chunk.choices:
                        delta = choice.delta
                        if delta is not None:
                            text = delta.content
                            if text:
                                yield TextDelta(text=text)
                            reasoning = getattr(delta, "reasoning_content", None)
                            if reasoning:
                                yield ReasoningDelta(text=reasoning)
                            if delta.tool_calls:
                                for event in self._tool_deltas(delta.tool_calls, calls, by_id):
                                    yield event
                        if choice.finish_reason:
                            finish = choice.finish_reason
            except Exception as exc:
                raise to_model_error(exc, provider_id) from exc
        finally:
            closer = getattr(response, "aclose", None)
            if closer is not None:
                try:
                    await closer()
                except Exception:  # closing a broken stream may fail again; the first error wins
                    pass
        if finish is None:
            raise incomplete_stream(provider_id)
        for buf in sorted(calls.values(), key=lambda b: b.index):
            if not buf.started:  # a call whose name never arrived cannot be executed
                continue
            yield ToolCall(index=buf.index, id=buf.id, name=buf.name, arguments="".join(buf.parts) or "{}")
        reason = map_finish_reason(finish)
        if reason == "stop" and any(b.started for b in calls.values()):
            reason = "tool-calls"  # some servers say "stop" after tool calls; the loop must continue
        yield Finish(reason=reason, usage=usage_from(usage, route))

    @staticmethod
    def _tool_deltas(deltas: Any, calls: dict[int, _ToolCallBuffer], by_id: dict[str, int]) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        for tc in deltas:
            index = _field(tc, "index")
            call_id = _field(tc, "id")
            function = _field(tc, "function")
            if not isinstance(index, int):
                index = by_id.get(call_id, len(calls)) if call_id else max(calls, default=0)
            buf = calls.get(index)
            if buf is not None and call_id and buf.id and call_id != buf.id:
                # a server that reuses index 0 for parallel calls: a new id is a new call
                index = by_id.get(call_id, max(calls) + 1)
                buf = calls.get(index)
            if buf is None:
                buf = calls[index] = _ToolCallBuffer(index)
            if call_id and not buf.id:
                buf.id = call_id
                by_id[call_id] = index
            name = _field(function, "name")
            if name and not buf.name:
                buf.name = name
            if not buf.started and buf.name:
                buf.started = True
                buf.id = buf.id or f"call_{index}"
                events.append(ToolCallStart(index=index, id=buf.id, name=buf.name))
                if buf.parts:  # fragments that came before the name
                    events.append(ToolCallDelta(index=index, arguments="".join(buf.parts)))
            arguments = _field(function, "arguments")
            if arguments:
                buf.parts.append(arguments)
                if buf.started:
                    events.append(ToolCallDelta(index=index, arguments=arguments))
        return events
