"""The narrow protocol between the agent loop and a language model.

The core never sees litellm: a ``LanguageModel`` turns a ``ChatRequest`` (OpenAI-style chat
messages plus tool specs) into an async stream of typed ``StreamEvent``s. Providers live in
``opencode_lsp.providers``; tests may script a model through this same protocol.
"""

from __future__ import annotations

from typing import Annotated, Any, AsyncIterator, Literal, Protocol, Union, runtime_checkable

from pydantic import BaseModel, Field


class ModelCost(BaseModel):
    """Prices in USD per one million tokens. ``None`` means the price is unknown."""

    input: float | None = None
    output: float | None = None
    cache_read: float | None = None
    cache_write: float | None = None
    # Context tiers: {"size": tokens, "input": ..., "output": ..., ...}; the largest tier whose
    # size is below the input tokens replaces the base prices.
    tiers: list[dict[str, Any]] = Field(default_factory=list[dict[str, Any]])


class ModelLimit(BaseModel):
    context: int = 0
    input: int | None = None
    output: int = 0


class ModelInfo(BaseModel):
    providerID: str
    modelID: str
    name: str | None = None
    limit: ModelLimit = Field(default_factory=ModelLimit)
    cost: ModelCost = Field(default_factory=ModelCost)
    reasoning: bool = False
    tool_call: bool = True
    attachment: bool = False

    @property
    def ref(self) -> str:
        return f"{self.providerID}/{self.modelID}"


class ToolSpec(BaseModel):
    name: str
    description: str
    parameters: dict[str, Any]


class ChatRequest(BaseModel):
    model: ModelInfo
    messages: list[dict[str, Any]]
    tools: list[ToolSpec] = Field(default_factory=list[ToolSpec])
    tool_choice: str | dict[str, Any] | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None


class Usage(BaseModel):
    """Provider usage as reported: ``prompt`` includes cached tokens, ``completion`` reasoning."""

    prompt: int = 0
    completion: int = 0
    reasoning: int = 0
    cache_read: int = 0
    cache_write: int = 0


class TextDelta(BaseModel):
    type: Literal["text-delta"] = "text-delta"
    text: str


class ReasoningDelta(BaseModel):
    type: Literal["reasoning-delta"] = "reasoning-delta"
    text: str


class ToolCallStart(BaseModel):
    """A tool call began streaming; its arguments follow as ``ToolCallDelta``s."""

    type: Literal["tool-call-start"] = "tool-call-start"
    index: int
    id: str
    name: str


class ToolCallDelta(BaseModel):
    type: Literal["tool-call-delta"] = "tool-call-delta"
    index: int
    arguments: str


class ToolCall(BaseModel):
    """A complete tool call; ``arguments`` is the raw JSON text the model produced."""

    type: Literal["tool-call"] = "tool-call"
    index: int
    id: str
    name: str
    arguments: str


class Finish(BaseModel):
    type: Literal["finish"] = "finish"
    # OpenCode's finish reasons: stop, tool-calls, length, content-filter, other, unknown.
    reason: str
    usage: Usage = Field(default_factory=Usage)


StreamEvent = Annotated[
    Union[TextDelta, ReasoningDelta, ToolCallStart, ToolCallDelta, ToolCall, Finish],
    Field(discriminator="type"),
]


class ModelError(Exception):
    """A failed model call, classified so the loop can retry or store the right error."""

    def __init__(
        self,
        message: str,
        *,
        kind: Literal["api", "auth", "context_overflow", "output_length", "unknown"] = "api",
        status_code: int | None = None,
        retryable: bool = False,
        retry_after_ms: int | None = None,
        headers: dict[str, str] | None = None,
        body: str | None = None,
        provider_id: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.status_code = status_code
        self.retryable = retryable
        self.retry_after_ms = retry_after_ms
        self.headers = headers
        self.body = body
        self.provider_id = provider_id


class LanguageModel(Protocol):
    info: ModelInfo

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        """Yield events for one completion; raise ``ModelError`` on failure."""
        ...


class ModelProvider(Protocol):
    """Resolves ``provider/model`` references into models, and knows what is configured."""

    def get(self, provider_id: str, model_id: str) -> LanguageModel: ...

    def list_models(self) -> list[ModelInfo]: ...


@runtime_checkable
class LibraryProvider(ModelProvider, Protocol):
    """A provider over a model library that is slow to import (litellm's): the app warms it up
    off the request path, waits for it without blocking the event loop, and hands it config
    changes instead of building a new provider."""

    def warm_up(self) -> None:
        """Import the library now (called off the event loop)."""
        ...

    async def ready(self) -> None:
        """Return once the library is imported, without blocking the event loop."""
        ...

    def reconfigure(self, config: dict[str, Any]) -> None: ...
