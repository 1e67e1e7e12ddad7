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


@pytest.fixture(scope="module")
def module_fake() -> Iterator[FakeOpenAI]:
    """One scripted server for a whole module, for modules whose tests share one long-lived
    editor (a function-scoped ``fake`` would end under it)."""
    with fake_server() as server:
        yield server
