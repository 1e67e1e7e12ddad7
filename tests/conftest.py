"""Fixtures every test package shares."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.support.fake_openai import FakeOpenAI, fake_server


@pytest.fixture
def fake_title() -> str:
    """What the scripted model answers to title requests; override it to name the session."""
    return "A title"


@pytest.fixture
def fake(fake_title: str) -> Iterator[FakeOpenAI]:
    """The scripted OpenAI-compatible server (tests/support/fake_openai.py), title requests
    answered off the script."""
    with fake_server(fake_title) as server:
        yield server
