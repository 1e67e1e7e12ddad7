"""Message errors, stored on an assistant message as ``{name, data}`` like OpenCode does.

Also the core's own exceptions, which the LSP layer maps onto JSON-RPC error codes.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field


class _Data(BaseModel):
    model_config = ConfigDict(extra="allow")


class MessageData(_Data):
    message: str = ""


class ProviderAuthData(_Data):
    providerID: str
    message: str


class APIErrorData(_Data):
    message: str
    statusCode: int | None = None
    isRetryable: bool = False
    responseHeaders: dict[str, str] | None = None
    responseBody: str | None = None
    metadata: dict[str, str] | None = None


class ContextOverflowData(_Data):
    message: str
    responseBody: str | None = None


class StructuredOutputData(_Data):
    message: str
    retries: int = 0


class _Error(BaseModel):
    model_config = ConfigDict(extra="allow")

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class ProviderAuthError(_Error):
    name: Literal["ProviderAuthError"] = "ProviderAuthError"
    data: ProviderAuthData


class UnknownError(_Error):
    name: Literal["UnknownError"] = "UnknownError"
    data: MessageData


class MessageOutputLengthError(_Error):
    name: Literal["MessageOutputLengthError"] = "MessageOutputLengthError"
    data: dict[str, Any] = Field(default_factory=dict)


class MessageAbortedError(_Error):
    name: Literal["MessageAbortedError"] = "MessageAbortedError"
    data: MessageData


class StructuredOutputError(_Error):
    name: Literal["StructuredOutputError"] = "StructuredOutputError"
    data: StructuredOutputData


class ContextOverflowError(_Error):
    name: Literal["ContextOverflowError"] = "ContextOverflowError"
    data: ContextOverflowData


class APIError(_Error):
    name: Literal["APIError"] = "APIError"
    data: APIErrorData


MessageError = Annotated[
    Union[
        ProviderAuthError,
        UnknownError,
        MessageOutputLengthError,
        MessageAbortedError,
        StructuredOutputError,
        ContextOverflowError,
        APIError,
    ],
    Field(discriminator="name"),
]


def aborted(message: str = "The operation was aborted.") -> MessageAbortedError:
    return MessageAbortedError(data=MessageData(message=message))


def unknown(message: str) -> UnknownError:
    return UnknownError(data=MessageData(message=message))


# --- exceptions raised by the core; the LSP layer maps them to JSON-RPC codes -------------


class CoreError(Exception):
    """Base of the errors the core raises on purpose."""


class NotFoundError(CoreError):
    """A session, message, part or request that does not exist (JSON-RPC -31001)."""


class BusyError(CoreError):
    """The session is running and the operation needs it idle (JSON-RPC -31002)."""


class InvalidInputError(CoreError):
    """Input that parsed but makes no sense (JSON-RPC -32602); ``field`` names the culprit."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field
