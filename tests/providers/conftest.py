"""Real litellm over HTTP against the scripted fake OpenAI server."""

from __future__ import annotations

from typing import Any

import pytest

from opencode_lsp.core.llm import ChatRequest, ToolSpec
from opencode_lsp.providers import LitellmProvider
from tests.support.fake_openai import FakeOpenAI


@pytest.fixture
def provider(fake: FakeOpenAI) -> LitellmProvider:
    return LitellmProvider({"model": "fake/m", "providers": {"fake": {"apiBase": fake.base_url}}})


READ_TOOL = ToolSpec(name="read", description="Read a file",
                     parameters={"type": "object", "properties": {"filePath": {"type": "string"}}})


def request_for(model: Any, text: str = "hi", **extra: Any) -> ChatRequest:
    return ChatRequest(model=model.info, messages=[{"role": "user", "content": text}], **extra)


async def collect(model: Any, request: ChatRequest | None = None) -> list[Any]:
    return [event async for event in model.stream(request or request_for(model))]


def of_type(events: list[Any], kind: str) -> list[Any]:
    return [e for e in events if e.type == kind]
