"""Sessions, messages and parts in OpenCode's JSON shape.

Field names are OpenCode's exactly (``sessionID``, ``time.created`` in epoch ms), so a session
exported here imports into OpenCode and back. Unknown extra fields are kept (``extra="allow"``)
so that a round trip loses nothing; an unknown part ``type`` or message ``role`` is rejected.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypedDict, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from .errors import APIError, MessageError
from .file_patch import legacy_to_patch


class Model(BaseModel):
    model_config = ConfigDict(extra="allow")

    def dump(self) -> dict[str, Any]:
        """The JSON form: OpenCode omits absent optional fields, so do we."""
        return self.model_dump(mode="json", exclude_none=True)


# --- shared pieces --------------------------------------------------------------------------


class CacheTokens(Model):
    read: int = 0
    write: int = 0


class Tokens(Model):
    total: int | None = None
    input: int = 0
    output: int = 0
    reasoning: int = 0
    cache: CacheTokens = Field(default_factory=CacheTokens)


class ModelRef(Model):
    """A model by provider and id; ``"provider/model"`` is its text form everywhere in config."""

    providerID: str
    modelID: str

    @classmethod
    def parse(cls, text: object) -> ModelRef:
        """``"provider/model"`` split on the first slash (model ids may hold more slashes)."""
        provider, sep, model = text.partition("/") if isinstance(text, str) else ("", "", "")
        if not sep or not provider or not model:
            raise ValueError(f"model must look like 'provider/model', got {text!r}")
        return cls(providerID=provider, modelID=model)

    @classmethod
    def parse_or_none(cls, text: object) -> ModelRef | None:
        try:
            return cls.parse(text) if text else None
        except ValueError:
            return None

    def __str__(self) -> str:
        return f"{self.providerID}/{self.modelID}"


class PermissionRule(Model):
    permission: str
    pattern: str
    action: Literal["allow", "ask", "deny"]


# --- session --------------------------------------------------------------------------------


class FileDiff(Model):
    """One file a turn changed, as OpenCode 1.18.33 stores it: a whole-file unified ``patch``.
    An entry in the older ``before``/``after`` form is turned into a patch when it is read."""

    file: str
    patch: str = ""
    additions: int = 0
    deletions: int = 0
    status: Literal["added", "deleted", "modified"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _legacy(cls, data: Any) -> Any:
        return legacy_to_patch(data)


class SessionSummary(Model):
    additions: int = 0
    deletions: int = 0
    files: int = 0
    diffs: list[FileDiff] | None = None


class SessionTime(Model):
    created: int
    updated: int
    compacting: int | None = None
    archived: int | None = None


class SessionShare(Model):
    url: str


class SessionRevert(Model):
    messageID: str
    partID: str | None = None
    snapshot: str | None = None
    diff: str | None = None


class SessionModel(Model):
    """The model a session was created with (OpenCode stores ``{id, providerID, variant}``)."""

    id: str
    providerID: str
    variant: str | None = None


class Session(Model):
    id: str
    slug: str
    projectID: str = "global"
    directory: str
    path: str | None = None
    parentID: str | None = None
    title: str
    version: str
    summary: SessionSummary | None = None
    share: SessionShare | None = None
    permission: list[PermissionRule] | None = None
    revert: SessionRevert | None = None
    cost: float = 0
    tokens: Tokens = Field(default_factory=Tokens)
    agent: str | None = None
    model: SessionModel | None = None
    time: SessionTime


# --- messages -------------------------------------------------------------------------------


class UserTime(Model):
    created: int


class UserSummary(Model):
    title: str | None = None
    body: str | None = None
    diffs: list[FileDiff] = Field(default_factory=list[FileDiff])


class UserMessage(Model):
    id: str
    sessionID: str
    role: Literal["user"] = "user"
    time: UserTime
    summary: UserSummary | None = None
    agent: str
    model: ModelRef
    system: str | None = None
    tools: dict[str, bool] | None = None
    format: dict[str, Any] | None = None
    variant: str | None = None


class AssistantTime(Model):
    created: int
    completed: int | None = None


class AssistantPath(Model):
    cwd: str
    root: str


class AssistantMessage(Model):
    id: str
    sessionID: str
    role: Literal["assistant"] = "assistant"
    time: AssistantTime
    error: MessageError | None = None
    parentID: str
    modelID: str
    providerID: str
    mode: str
    agent: str
    path: AssistantPath
    summary: bool | None = None
    cost: float = 0
    tokens: Tokens = Field(default_factory=Tokens)
    structured: Any = None
    variant: str | None = None
    finish: str | None = None


Message = Annotated[Union[UserMessage, AssistantMessage], Field(discriminator="role")]


# --- parts ----------------------------------------------------------------------------------


class PartBase(Model):
    id: str
    sessionID: str
    messageID: str


class PartOwner(TypedDict):
    """The message a new part belongs to (``PartBase`` fields without the part's own id)."""

    sessionID: str
    messageID: str


class PartIds(PartOwner):
    id: str


class PartTime(Model):
    start: int
    end: int | None = None


class TextPart(PartBase):
    type: Literal["text"] = "text"
    text: str
    synthetic: bool | None = None
    ignored: bool | None = None
    time: PartTime | None = None
    metadata: dict[str, Any] | None = None


class ReasoningPart(PartBase):
    type: Literal["reasoning"] = "reasoning"
    text: str
    metadata: dict[str, Any] | None = None
    time: PartTime


class SourceText(Model):
    value: str
    start: int
    end: int


class FileSource(Model):
    type: Literal["file"] = "file"
    path: str
    text: SourceText


class Position(Model):
    line: int
    character: int


class Range(Model):
    start: Position
    end: Position


class SymbolSource(Model):
    type: Literal["symbol"] = "symbol"
    path: str
    range: Range
    name: str
    kind: int
    text: SourceText


class ResourceSource(Model):
    type: Literal["resource"] = "resource"
    clientName: str
    uri: str
    text: SourceText


PartSource = Annotated[Union[FileSource, SymbolSource, ResourceSource], Field(discriminator="type")]


class FilePart(PartBase):
    type: Literal["file"] = "file"
    mime: str
    filename: str | None = None
    url: str
    source: PartSource | None = None


class ToolTimeStart(Model):
    start: int


class ToolTimeEnd(Model):
    start: int
    end: int
    compacted: int | None = None


class ToolStatePending(Model):
    status: Literal["pending"] = "pending"
    input: dict[str, Any] = Field(default_factory=dict)
    raw: str = ""


class ToolStateRunning(Model):
    status: Literal["running"] = "running"
    input: dict[str, Any] = Field(default_factory=dict)
    title: str | None = None
    metadata: dict[str, Any] | None = None
    time: ToolTimeStart


class ToolStateCompleted(Model):
    status: Literal["completed"] = "completed"
    input: dict[str, Any] = Field(default_factory=dict)
    output: str
    title: str
    metadata: dict[str, Any] = Field(default_factory=dict)
    time: ToolTimeEnd
    attachments: list[FilePart] | None = None


class ToolStateError(Model):
    status: Literal["error"] = "error"
    input: dict[str, Any] = Field(default_factory=dict)
    error: str
    metadata: dict[str, Any] | None = None
    time: ToolTimeEnd


ToolState = Annotated[
    Union[ToolStatePending, ToolStateRunning, ToolStateCompleted, ToolStateError],
    Field(discriminator="status"),
]


class ToolPart(PartBase):
    type: Literal["tool"] = "tool"
    callID: str
    tool: str
    state: ToolState
    metadata: dict[str, Any] | None = None


class StepStartPart(PartBase):
    type: Literal["step-start"] = "step-start"
    snapshot: str | None = None


class StepFinishPart(PartBase):
    type: Literal["step-finish"] = "step-finish"
    reason: str
    snapshot: str | None = None
    cost: float = 0
    tokens: Tokens = Field(default_factory=Tokens)


class SnapshotPart(PartBase):
    type: Literal["snapshot"] = "snapshot"
    snapshot: str


class PatchPart(PartBase):
    type: Literal["patch"] = "patch"
    hash: str
    files: list[str]


class AgentPart(PartBase):
    type: Literal["agent"] = "agent"
    name: str
    source: SourceText | None = None


class SubtaskPart(PartBase):
    type: Literal["subtask"] = "subtask"
    prompt: str
    description: str
    agent: str
    model: ModelRef | None = None
    command: str | None = None


class RetryTime(Model):
    created: int


class RetryPart(PartBase):
    type: Literal["retry"] = "retry"
    attempt: int
    error: APIError
    time: RetryTime


class CompactionPart(PartBase):
    type: Literal["compaction"] = "compaction"
    auto: bool
    overflow: bool | None = None


Part = Annotated[
    Union[
        TextPart,
        ReasoningPart,
        FilePart,
        ToolPart,
        StepStartPart,
        StepFinishPart,
        SnapshotPart,
        PatchPart,
        AgentPart,
        SubtaskPart,
        RetryPart,
        CompactionPart,
    ],
    Field(discriminator="type"),
]


class MessageWithParts(Model):
    info: Message
    parts: list[Part] = Field(default_factory=list[Part])


class Todo(Model):
    content: str
    status: str
    priority: str
    id: str | None = None


PART_ADAPTER: TypeAdapter[Any] = TypeAdapter(Part)
MESSAGE_ADAPTER: TypeAdapter[Any] = TypeAdapter(Message)


def parse_part(data: Any) -> Any:
    """Validate a part dict into its typed model (raises pydantic.ValidationError)."""
    return PART_ADAPTER.validate_python(data)


def parse_message(data: Any) -> UserMessage | AssistantMessage:
    return MESSAGE_ADAPTER.validate_python(data)
