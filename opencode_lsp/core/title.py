"""Session titles: the hidden ``title`` agent on the small model names a new root session."""

from __future__ import annotations

import logging
import re
from typing import Sequence

from .host import CoreApp
from .llm import ChatRequest, TextDelta
from .message import ModelRef, TextPart, UserMessage

log = logging.getLogger(__name__)

MAX_TITLE = 100


def clean_title(raw: str) -> str | None:
    text = re.sub(r"<think>.*?(</think>|$)", "", raw, flags=re.DOTALL | re.IGNORECASE)
    for line in text.splitlines():
        line = line.strip().strip('"').strip("'").strip()
        if line:
            return line[: MAX_TITLE - 3] + "..." if len(line) > MAX_TITLE else line
    return None


def _small_model_ref(app: CoreApp, fallback: tuple[str, str]) -> tuple[str, str]:
    small = ModelRef.parse_or_none(app.config.small_model)
    return (small.providerID, small.modelID) if small else fallback


async def generate_title(app: CoreApp, session_id: str, user: UserMessage, parts: Sequence[object]) -> None:
    text = "\n".join(p.text for p in parts if isinstance(p, TextPart) and not p.synthetic)
    if not text.strip():
        return
    agent = app.agents.get("title")
    if agent is None or not agent.prompt:  # the title agent was disabled in the config
        return
    provider_id, model_id = _small_model_ref(app, (user.model.providerID, user.model.modelID))
    try:
        model = app.provider.get(provider_id, model_id)
        request = ChatRequest(
            model=model.info,
            messages=[
                {"role": "system", "content": agent.prompt},
                {"role": "user", "content": f"Give a title to the conversation that starts with:\n{text[:4000]}"},
            ],
            max_tokens=200,
        )
        out: list[str] = []
        async for event in model.stream(request):
            if isinstance(event, TextDelta):
                out.append(event.text)
    except Exception as exc:  # a failed title keeps the default one; the run is unaffected
        log.warning("title generation failed for %s: %s", session_id, exc)
        return
    title = clean_title("".join(out))
    if title and app.sessions.exists(session_id):
        app.sessions.set_title(session_id, title)
