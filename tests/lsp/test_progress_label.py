"""The progress ``begin`` report names the agent and model the run uses (protocol.md:
``<agent> · <provider/model>``), in the cases where the editor's request does not name them.

The label was once worked out in the handler by its own rule (the requested model, else the
configured one) while the run took the agent's model, or the model the session was last prompted
with: the editor showed ``fake/m`` while ``fake/other`` answered. Now one resolution serves both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.fake_openai import FakeOpenAI, is_title_request

from .conftest import call

REVIEWER = "---\ndescription: reviews\nmode: primary\nmodel: fake/agent-model\n---\nReview carefully.\n"


@pytest.fixture
def init_options(tmp_path: Path, fake: FakeOpenAI) -> dict[str, Any]:
    return {"storage": {"path": str(tmp_path / "store")}, "events": True, "permissionUI": True,
            "model": "fake/m", "providers": {"fake": {"apiBase": fake.base_url}}}


async def prompt(client, sid: str, token: str, **extra: Any) -> dict[str, Any]:
    return await call(client, "opencode/session/prompt", {
        "sessionID": sid, "parts": [{"type": "text", "text": "hello"}], "workDoneToken": token, **extra})


def begin(client, token: str) -> str:
    first = client.recorder.reports(token)[0]
    assert first["kind"] == "begin"
    return first["message"]


def models_asked(fake: FakeOpenAI) -> list[str]:
    return [r["model"] for r in fake.requests if not is_title_request(r)]


async def test_a_prompt_without_a_model_is_labelled_with_the_sessions_last_model(client, fake):
    fake.set_script([[{"text": "first"}], [{"text": "second"}]])
    sid = (await call(client, "opencode/session/create", {}))["id"]
    await prompt(client, sid, "a", model={"providerID": "fake", "modelID": "other"})
    # No model in the request: the session's last one runs, not the configured fake/m.
    result = await prompt(client, sid, "b")
    assert result["info"]["providerID"] == "fake" and result["info"]["modelID"] == "other"
    assert models_asked(fake)[-1].endswith("other")
    assert begin(client, "a") == "build · fake/other"
    assert begin(client, "b") == "build · fake/other"


@pytest.mark.files({".opencode/agent/reviewer.md": REVIEWER})
async def test_an_agent_with_its_own_model_is_labelled_with_that_model(client, fake):
    fake.set_script([[{"text": "looks fine"}]])
    sid = (await call(client, "opencode/session/create", {}))["id"]
    result = await prompt(client, sid, "r", agent="reviewer")
    assert result["info"]["agent"] == "reviewer" and result["info"]["modelID"] == "agent-model"
    assert models_asked(fake)[-1].endswith("agent-model")
    assert begin(client, "r") == "reviewer · fake/agent-model"
