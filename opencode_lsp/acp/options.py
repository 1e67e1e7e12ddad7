"""What an ACP session can switch (agents as modes, the configured models) and what a prompt says.

Modes are the agents that can lead a session (not subagents, not hidden). Models are the ones the
configuration names (``model``, ``small_model`` and every model under ``provider``/``providers``),
offered as a ``model`` config option, the stable way ACP v1 lets a client pick one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from acp import RequestError
from acp.schema import (
    SessionConfigOptionSelect,
    SessionConfigSelectOption,
    SessionMode,
    SessionModeState,
)

from ..core.store import is_record, sub_record

if TYPE_CHECKING:  # imported where an app is built (it loads the core)
    from ..app import App

MODE_OPTION = "mode"
MODEL_OPTION = "model"


def lead_agents(app: App) -> list[Any]:
    return [a for a in app.agents.list() if a.mode != "subagent" and not a.hidden]


def current_mode(app: App, session_id: str, chosen: str | None) -> str:
    return chosen or app.runner.resolve_agent(session_id, None)


def modes(app: App, current: str) -> SessionModeState:
    return SessionModeState(
        current_mode_id=current,
        available_modes=[SessionMode(id=a.name, name=a.name, description=a.description) for a in lead_agents(app)],
    )


def model_refs(app: App) -> list[tuple[str, str]]:
    """``(ref, display name)`` of every configured model, the default first."""
    from ..providers import LitellmProvider

    provider = app.provider
    refs = provider.configured_refs() if isinstance(provider, LitellmProvider) else []
    names: dict[str, str] = {}
    providers = sub_record(app.opencode_config(), "provider")
    for pid, entry in providers.items():
        for mid, spec in (sub_record(entry, "models") if is_record(entry) else {}).items():
            if is_record(spec) and spec.get("name"):
                names[f"{pid}/{mid}"] = str(spec["name"])
    return [(ref, names.get(ref, ref)) for ref in refs]


def current_model(app: App, session_id: str, mode: str, chosen: str | None) -> str | None:
    if chosen:
        return chosen
    try:
        ref = app.runner.resolve_model(session_id, None, mode)
    except Exception:  # nothing configured yet: the option shows no current value
        return None
    return f"{ref.providerID}/{ref.modelID}"


def config_options(app: App, mode: str, model: str | None) -> list[Any]:
    out: list[Any] = [SessionConfigOptionSelect(
        id=MODE_OPTION, name="Agent", category="mode", type="select", current_value=mode,
        description="The agent that answers: its prompt, tools and permissions",
        options=[SessionConfigSelectOption(value=a.name, name=a.name, description=a.description)
                 for a in lead_agents(app)],
    )]
    refs = model_refs(app)
    if model and model not in [r for r, _ in refs]:
        refs.insert(0, (model, model))
    if refs and model:
        out.append(SessionConfigOptionSelect(
            id=MODEL_OPTION, name="Model", category="model", type="select", current_value=model,
            options=[SessionConfigSelectOption(value=ref, name=name) for ref, name in refs],
        ))
    return out


def check_mode(app: App, mode: str) -> None:
    if mode not in [a.name for a in lead_agents(app)]:
        raise RequestError.invalid_params({"modeId": f"no agent named {mode!r} can lead a session"})


def check_model(app: App, ref: Any) -> str:
    if not isinstance(ref, str) or "/" not in ref.strip("/"):
        raise RequestError.invalid_params({"value": "a model must look like provider/model"})
    if ref not in [r for r, _ in model_refs(app)]:
        raise RequestError.invalid_params({"value": f"model {ref!r} is not configured"})
    return ref


def prompt_parts(blocks: list[Any]) -> list[dict[str, Any]]:
    """ACP content blocks -> OpenCode prompt parts (text, and files by URL)."""
    parts: list[dict[str, Any]] = []
    for block in blocks:
        kind = getattr(block, "type", None)
        if kind == "text":
            parts.append({"type": "text", "text": block.text})
        elif kind == "image":
            if block.data:
                parts.append({"type": "file", "mime": block.mime_type, "filename": "image",
                              "url": f"data:{block.mime_type};base64,{block.data}"})
            elif block.uri and block.uri.startswith("file://"):
                parts.append({"type": "file", "mime": block.mime_type, "url": block.uri,
                              "filename": block.uri.rsplit("/", 1)[-1]})
        elif kind == "resource_link":
            if block.uri.startswith("file://"):
                parts.append({"type": "file", "mime": block.mime_type or "text/plain", "url": block.uri,
                              "filename": block.name})
            else:
                parts.append({"type": "text", "text": f"Referenced: {block.uri}"})
        elif kind == "resource":
            resource = block.resource
            text = getattr(resource, "text", None)
            if text is not None:
                # The editor sent the text itself (maybe unsaved): quote it under its name.
                parts.append({"type": "text", "text": f"Contents of {resource.uri}:\n\n{text}"})
            elif getattr(resource, "blob", None):
                mime = resource.mime_type or "application/octet-stream"
                parts.append({"type": "file", "mime": mime, "filename": resource.uri.rsplit("/", 1)[-1],
                              "url": f"data:{mime};base64,{resource.blob}"})
    if not parts:
        raise RequestError.invalid_params({"prompt": "the prompt has no text, image or resource"})
    return parts
