"""Parameter models of the custom methods (protocol.md). Strict types: a number where a string
belongs is an error naming the field, not a silent coercion."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError

from ..core.errors import InvalidInputError
from ..core.session_import import validation_message


class Params(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ModelParam(Params):
    providerID: StrictStr = Field(min_length=1)
    modelID: StrictStr = Field(min_length=1)


class RuleParam(Params):
    permission: StrictStr
    pattern: StrictStr
    action: Literal["allow", "ask", "deny"]


class Empty(Params):
    pass


class SessionRef(Params):
    sessionID: StrictStr = Field(min_length=1)


class SessionCreate(Params):
    directory: StrictStr | None = None
    title: StrictStr | None = None
    parentID: StrictStr | None = None
    agent: StrictStr | None = None
    model: ModelParam | None = None
    permission: list[RuleParam] | None = None


class SessionList(Params):
    directory: StrictStr | None = None
    search: StrictStr | None = None
    roots: StrictBool | None = None
    archived: StrictBool | None = None
    limit: StrictInt = Field(default=100, ge=0)
    start: StrictInt | None = None


class SessionUpdate(SessionRef):
    title: StrictStr | None = Field(default=None, min_length=1)
    archived: StrictBool | None = None
    permission: list[RuleParam] | None = None


class SessionFork(SessionRef):
    messageID: StrictStr | None = None


class SessionMessages(SessionRef):
    limit: StrictInt | None = Field(default=None, ge=0)
    before: StrictStr | None = None


class TextPromptPart(Params):
    type: Literal["text"]
    text: StrictStr
    synthetic: StrictBool | None = None


class FilePromptPart(Params):
    type: Literal["file"]
    url: StrictStr
    mime: StrictStr = "text/plain"
    filename: StrictStr | None = None


class AgentPromptPart(Params):
    type: Literal["agent"]
    name: StrictStr


class SubtaskPromptPart(Params):
    type: Literal["subtask"]
    prompt: StrictStr
    description: StrictStr
    agent: StrictStr


PromptPart = Annotated[
    Union[TextPromptPart, FilePromptPart, AgentPromptPart, SubtaskPromptPart], Field(discriminator="type")
]


class SessionPrompt(SessionRef):
    parts: list[PromptPart] = Field(min_length=1)
    agent: StrictStr | None = None
    model: ModelParam | None = None
    noReply: StrictBool | None = None
    format: dict[str, Any] | None = None
    system: StrictStr | None = None
    workDoneToken: StrictStr | StrictInt | None = None
    messageID: StrictStr | None = None


class SessionCommand(SessionRef):
    command: StrictStr = Field(min_length=1)
    arguments: StrictStr = ""
    agent: StrictStr | None = None
    model: ModelParam | None = None
    workDoneToken: StrictStr | StrictInt | None = None


class SessionShell(SessionRef):
    command: StrictStr = Field(min_length=1)
    agent: StrictStr | None = None
    workDoneToken: StrictStr | StrictInt | None = None


class SessionSummarize(SessionRef):
    model: ModelParam | None = None


class SessionRevert(SessionRef):
    messageID: StrictStr = Field(min_length=1)
    partID: StrictStr | None = None


class SessionImport(Params):
    data: dict[str, Any]


class PermissionReply(Params):
    requestID: StrictStr = Field(min_length=1)
    reply: Literal["once", "always", "reject"]
    message: StrictStr | None = None


class PermissionRevoke(Params):
    id: StrictStr = Field(min_length=1)


def parse(model: type[Params], raw: Any) -> Any:
    """Validate raw JSON params; any problem is InvalidInputError naming the field."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InvalidInputError("params: expected an object", "params")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        field, message = validation_message(exc)
        raise InvalidInputError(message, field) from exc
