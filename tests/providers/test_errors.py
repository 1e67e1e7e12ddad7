"""Failures from real litellm calls, classified for the agent loop's retry decisions."""

from __future__ import annotations

import asyncio
import email.utils

import pytest

from opencode_lsp.core.llm import ModelError
from opencode_lsp.providers import LitellmProvider, retry_after_ms

from .conftest import of_type, request_for


async def failure(model, request=None) -> tuple[list, ModelError]:
    events = []
    with pytest.raises(ModelError) as info:
        async for event in model.stream(request or request_for(model)):
            events.append(event)
    return events, info.value


async def test_429_is_retryable_with_retry_after(fake, provider):
    fake.add_turns([{"error": {"status": 429, "headers": {"retry-after": "2"},
                               "body": {"error": {"message": "Rate limit reached", "type": "rate_limit"}}}}])
    _, error = await failure(provider.get("fake", "m"))
    assert error.retryable and error.kind == "api"
    assert error.status_code == 429
    assert error.retry_after_ms == 2000
    assert error.headers["retry-after"] == "2"
    assert "Rate limit reached" in error.body
    assert error.message == "Rate limit reached"
    assert error.provider_id == "fake"


async def test_retry_after_ms_header_wins(fake, provider):
    fake.add_turns([{"error": {"status": 429, "headers": {"retry-after-ms": "1500", "retry-after": "9"}}}])
    _, error = await failure(provider.get("fake", "m"))
    assert error.retry_after_ms == 1500


@pytest.mark.parametrize("status", [500, 502, 503, 529])
async def test_server_errors_are_retryable(fake, provider, status):
    fake.add_turns([{"error": {"status": status, "body": {"error": {"message": "Overloaded"}}}}])
    _, error = await failure(provider.get("fake", "m"))
    assert error.retryable and error.kind == "api"
    assert error.retry_after_ms is None


@pytest.mark.parametrize("status", [401, 403])
async def test_auth_failures(fake, provider, status):
    fake.add_turns([{"error": {"status": status, "body": {"error": {"message": "Invalid API key"}}}}])
    _, error = await failure(provider.get("fake", "m"))
    assert error.kind == "auth" and not error.retryable
    assert error.message == "Invalid API key"


@pytest.mark.parametrize("message", [
    "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.",
    "prompt is too long: 210000 tokens > 200000 maximum",
    "Request has too many tokens for this model",
])
async def test_context_overflow_bodies(fake, provider, message):
    fake.add_turns([{"error": {"status": 400, "body": {"error": {"message": message}}}}])
    _, error = await failure(provider.get("fake", "m"))
    assert error.kind == "context_overflow" and not error.retryable
    assert message in error.body


async def test_other_client_errors_are_not_retried(fake, provider):
    fake.add_turns([{"error": {"status": 400, "body": {"error": {"message": "Invalid value for 'tool_choice'"}}}}])
    _, error = await failure(provider.get("fake", "m"))
    assert error.kind == "api" and not error.retryable and error.status_code == 400


async def test_stream_cut_midway_is_retryable_after_partial_text(fake, provider):
    fake.add_turns([{"text": "Partial answ", "chunks": 2}, {"cut": True}])
    events, error = await failure(provider.get("fake", "m"))
    assert "".join(e.text for e in of_type(events, "text-delta")) == "Partial answ"
    assert not of_type(events, "finish")
    assert error.retryable and error.kind == "api"
    assert error.status_code is None  # no HTTP status was received for the broken stream
    assert "litellm" not in error.message


async def test_cut_during_a_tool_call_gives_no_whole_call(fake, provider):
    fake.add_turns([{"tool_call": {"name": "read", "arguments": {"filePath": "x"}, "split": 3}}, {"cut": True}])
    events, error = await failure(provider.get("fake", "m"))
    assert of_type(events, "tool-call-start") and not of_type(events, "tool-call")
    assert error.retryable


async def test_error_event_mid_stream_keeps_its_meaning(fake, provider):
    fake.add_turns([{"text": "a"}, {"error": {"body": {"message": "Server overloaded, try again later",
                                                      "type": "overloaded_error"}}}])
    _, error = await failure(provider.get("fake", "m"))
    assert error.retryable and "overloaded" in error.message.lower()


async def test_malformed_sse_fails_as_retryable(fake, provider):
    fake.add_turns([{"text": "a"}, {"raw": "data: {not json\n\n"}])
    _, error = await failure(provider.get("fake", "m"))
    assert error.retryable


async def test_stream_ending_without_finish_reason_is_retryable(fake, provider):
    fake.add_turns([{"text": "half"}, {"raw": "data: [DONE]\n\n"}, {"cut": True}])
    events, error = await failure(provider.get("fake", "m"))
    assert [e.text for e in of_type(events, "text-delta")] == ["half"]
    assert error.retryable and "finish" in error.message


async def test_timeout_from_provider_options_is_retryable(fake):
    provider = LitellmProvider({"provider": {"slow": {"options": {"baseURL": fake.base_url, "timeout": 300}}}})
    fake.add_turns([{"hang": True}])
    _, error = await failure(provider.get("slow", "m"))
    assert error.retryable


async def test_cancelling_a_hanging_stream_raises_cancelled_not_model_error(fake, provider):
    fake.add_turns([{"text": "start"}, {"hang": True}])
    model = provider.get("fake", "m")
    first = asyncio.Event()

    async def consume():
        async for event in model.stream(request_for(model)):
            if event.type == "text-delta":
                first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_unknown_provider_without_base_url_fails_on_use():
    provider = LitellmProvider({})
    model = provider.get("nowhere", "m")
    _, error = await failure(model)
    assert not error.retryable and "apiBase" in error.message


def test_retry_after_parsing():
    assert retry_after_ms({"Retry-After": "1.5"}) == 1500
    assert retry_after_ms({"retry-after-ms": "250"}) == 250
    assert retry_after_ms({"retry-after": "soon"}) is None
    assert retry_after_ms({}) is None and retry_after_ms(None) is None
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert retry_after_ms({"retry-after": date}, now=now) == 30_000
    assert retry_after_ms({"retry-after": email.utils.formatdate(now - 30, usegmt=True)}, now=now) == 0


def test_4xx_retried_only_when_its_words_say_so_as_opencode_does():
    from opencode_lsp.providers.errors import says_retry
    assert says_retry('{"error": {"message": "boom", "type": "server_error"}}')
    assert says_retry("Rate limit reached for requests") and says_retry("socket hang up")
    assert says_retry("The model is currently at capacity") and says_retry("RESOURCE_EXHAUSTED")
    assert not says_retry("Invalid value for 'tool_choice'") and not says_retry("model not found")
    assert not says_retry(None) and not says_retry("")
