"""Streaming through real litellm: deltas, tool calls, usage and finish reasons as core events."""

from __future__ import annotations

import json

import pytest

from opencode_lsp.core.usage import compute_usage
from opencode_lsp.providers import map_finish_reason

from .conftest import READ_TOOL, collect, of_type, request_for


async def test_text_arrives_as_deltas_then_one_finish(fake, provider):
    fake.add_turns([{"text": "Hello world", "chunks": 3}])
    model = provider.get("fake", "m")
    events = await collect(model)
    texts = [e.text for e in of_type(events, "text-delta")]
    assert texts == ["Hell", "o wo", "rld"]
    assert events[-1].type == "finish" and events[-1].reason == "stop"
    assert len(of_type(events, "finish")) == 1
    body = fake.requests[0]
    assert body["model"] == "m" and body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["messages"] == [{"role": "user", "content": "hi"}]


async def test_reasoning_content_becomes_reasoning_deltas(fake, provider):
    fake.add_turns([{"reasoning": "Let me think", "chunks": 2}, {"text": "42"}])
    events = await collect(provider.get("fake", "m"))
    assert [e.text for e in of_type(events, "reasoning-delta")] == ["Let me", " think"]
    assert [e.text for e in of_type(events, "text-delta")] == ["42"]
    kinds = [e.type for e in events]
    assert kinds.index("reasoning-delta") < kinds.index("text-delta")


async def test_two_parallel_tool_calls_split_across_chunks(fake, provider):
    first = {"filePath": "src/a.py", "offset": 10}
    second = {"filePath": "docs/README.md"}
    fake.add_turns([
        {"text": "Reading both."},
        {"tool_call": {"name": "read", "arguments": first, "id": "call_a", "split": 4}},
        {"tool_call": {"name": "read", "arguments": second, "id": "call_b", "split": 3}},
    ])
    model = provider.get("fake", "m")
    events = await collect(model, request_for(model, tools=[READ_TOOL], tool_choice="auto"))

    starts = of_type(events, "tool-call-start")
    assert [(s.index, s.id, s.name) for s in starts] == [(0, "call_a", "read"), (1, "call_b", "read")]
    deltas = of_type(events, "tool-call-delta")
    assert json.loads("".join(d.arguments for d in deltas if d.index == 0)) == first
    assert json.loads("".join(d.arguments for d in deltas if d.index == 1)) == second
    assert len([d for d in deltas if d.index == 0]) == 4
    calls = of_type(events, "tool-call")
    assert [(c.index, c.id, c.name, json.loads(c.arguments)) for c in calls] == [
        (0, "call_a", "read", first), (1, "call_b", "read", second)]
    # whole calls come after every delta and just before the finish
    assert [e.type for e in events[-3:]] == ["tool-call", "tool-call", "finish"]
    assert events[-1].reason == "tool-calls"
    sent = fake.requests[0]
    assert sent["tools"] == [{"type": "function", "function": {
        "name": "read", "description": "Read a file", "parameters": READ_TOOL.parameters}}]
    assert sent["tool_choice"] == "auto"


async def test_tool_choice_reaches_gpt5_class_models(fake, provider):
    """litellm would drop tool_choice for GPT-5-class ids; OpenCode 1.18.33 sends "auto"."""
    fake.add_turns([{"text": "ok"}])
    model = provider.get("fake", "gpt-5-fake")
    await collect(model, request_for(model, tools=[READ_TOOL], tool_choice="auto"))
    assert fake.requests[-1]["tool_choice"] == "auto" and fake.requests[-1]["model"] == "gpt-5-fake"


async def test_stop_after_tool_calls_still_reports_tool_calls(fake, provider):
    fake.add_turns([{"tool_call": {"name": "read", "arguments": {}}}, {"finish": "stop"}])
    events = await collect(provider.get("fake", "m"))
    assert events[-1].reason == "tool-calls"
    assert of_type(events, "tool-call")[0].arguments == "{}"


async def test_usage_with_cached_and_reasoning_tokens(fake, provider):
    fake.add_turns([{"text": "ok"}, {"usage": {"prompt_tokens": 1200, "completion_tokens": 300,
                                                "cached_tokens": 1000, "reasoning_tokens": 120}}])
    events = await collect(provider.get("fake", "m"))
    usage = events[-1].usage
    assert (usage.prompt, usage.completion, usage.cache_read, usage.reasoning) == (1200, 300, 1000, 120)
    tokens, _ = compute_usage(provider.get("fake", "m").info, usage)
    assert (tokens.input, tokens.output, tokens.reasoning, tokens.cache.read) == (200, 180, 120, 1000)


async def test_reasoning_text_without_a_reported_count_stays_in_output(fake, provider):
    """litellm estimates a reasoning count from the streamed reasoning text when the provider
    reports none; OpenCode 1.18.33 books only reported counts, so the completion stays output."""
    fake.add_turns([{"reasoning": "thinking it over carefully " * 20}, {"text": "ok"},
                    {"usage": {"prompt_tokens": 100, "completion_tokens": 250, "reasoning_tokens": None}}])
    events = await collect(provider.get("fake", "m"))
    usage = events[-1].usage
    assert (usage.completion, usage.reasoning) == (250, 0)
    tokens, _ = compute_usage(provider.get("fake", "m").info, usage)
    assert (tokens.output, tokens.reasoning) == (250, 0)
    # A reported count is still split out, reasoning text or not.
    fake.add_turns([{"reasoning": "thinking it over carefully " * 20}, {"text": "ok"},
                    {"usage": {"prompt_tokens": 100, "completion_tokens": 250, "reasoning_tokens": 90}}])
    usage = (await collect(provider.get("fake", "m")))[-1].usage
    assert (usage.completion, usage.reasoning) == (250, 90)


async def test_a_stream_without_usage_books_no_estimate(fake, provider):
    """Counts are the provider's: with no usage chunk, litellm's tokenizer estimate (it would
    count the prompt and the answer) is not booked."""
    fake.add_turns([{"text": "a few words of answer here", "chunks": 3}, {"usage": None}])
    events = await collect(provider.get("fake", "m"))
    assert "".join(e.text for e in of_type(events, "text-delta")) == "a few words of answer here"
    usage = events[-1].usage
    assert (usage.prompt, usage.completion, usage.reasoning) == (0, 0, 0)


@pytest.mark.parametrize(("sent", "expected"), [
    ("stop", "stop"), ("tool_calls", "tool-calls"), ("length", "length"),
    ("content_filter", "content-filter"),
])
async def test_finish_reasons_over_the_wire(fake, provider, sent, expected):
    fake.add_turns([{"text": "x"}, {"finish": sent}])
    events = await collect(provider.get("fake", "m"))
    assert events[-1].reason == expected


def test_finish_reason_mapping_table():
    assert map_finish_reason("function_call") == "tool-calls"
    assert map_finish_reason("something_new") == "other"
    assert map_finish_reason(None) == "unknown"


async def test_request_options_are_passed_through(fake, provider):
    fake.add_turns(["fine"])
    model = provider.get("fake", "m")
    await collect(model, request_for(model, max_tokens=77, temperature=0.25, top_p=0.5))
    body = fake.requests[0]
    assert (body["max_tokens"], body["temperature"], body["top_p"]) == (77, 0.25, 0.5)
    assert "tools" not in body
