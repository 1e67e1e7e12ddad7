"""Any failure of a litellm call -> a classified ``ModelError``.

The agent loop decides from ``kind`` and ``retryable`` alone:

- context overflow (litellm's ``ContextWindowExceededError`` or a body that says so) -> kind
  ``context_overflow``, not retried (compaction is the cure, not waiting);
- 401/403 -> kind ``auth``;
- 408/409/429, 5xx, 529 and "overloaded", timeouts, connection errors and streams that break
  off mid-way (litellm surfaces those as ``MidStreamFallbackError``/``APIConnectionError``) ->
  retryable, with ``retry_after_ms`` from ``retry-after-ms`` / ``retry-after`` when sent;
- any other 4xx -> retryable only when its message or body has one of OpenCode 1.18.33's retry
  words (``says_retry``), e.g. a 400 whose body says ``"type": "server_error"``.

Matching is by class name and status code so that this module does not import litellm.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from typing import Any

from ..core.llm import ModelError

_OVERFLOW = re.compile(
    r"context[ _]length|maximum context|context window|too many tokens|prompt is too long|"
    r"input is too long|exceeds? the (?:model'?s? )?(?:context|token) limit|context_length_exceeded|"
    r"request too large for model|reduce the length of the messages",
    re.IGNORECASE,
)
_OVERLOADED = re.compile(r"overloaded|rate.?limit|try again later|temporarily unavailable", re.IGNORECASE)
# Words in an error's message or body that make OpenCode 1.18.33 retry it whatever the status
# (e.g. a 400 whose body says "server_error"): status codes, rate limits, overload and server
# faults, network failures, timeouts, and "try again" advice.
_SEP = r"[-_\s]"
_RETRY_WORDS = [
    re.compile(r"429|500|502|503|504|524"),
    re.compile(r"rate increased too quickly|rate" + _SEP + r"?limit|too many requests", re.I),
    re.compile(r"overloaded|service" + _SEP + "unavailable|internal" + _SEP + "(?:error|server error)"
               r"|server" + _SEP + "error|provider" + _SEP + "returned" + _SEP + "error", re.I),
    re.compile(r"terminated|fetch failed|failed to fetch|network[-_\s]error|upstream connect"
               r"|connection (?:error|refused|lost)|socket connection was closed|socket hang up"
               r"|reset before headers|getaddrinfo|enotfound|eai_again|econnrefused|econnreset|etimedout", re.I),
    re.compile(r"^timeout$|\b(?:request|response|connection|network|stream|read) (?:timeout|timed out|time out)\b",
               re.I),
    re.compile(r"try your request again|retry your request|resource" + _SEP + "exhausted", re.I),
    re.compile(r"\btry again (?:later|in\b)|\b(?:currently|temporarily) at capacity\b", re.I),
]


def says_retry(text: str | None) -> bool:
    return bool(text) and any(p.search(text) for p in _RETRY_WORDS)
_RETRYABLE_CLASSES = {
    "Timeout", "APITimeoutError", "APIConnectionError", "MidStreamFallbackError", "ServiceUnavailableError",
    "InternalServerError", "RateLimitError", "BadGatewayError",
    # transport errors that may escape litellm's wrapping
    "ConnectError", "ReadError", "ReadTimeout", "ConnectTimeout", "RemoteProtocolError",
    "ClientPayloadError", "ServerDisconnectedError", "ClientConnectionError", "TimeoutError",
    "ConnectionResetError", "IncompleteRead",
}
_CONNECTION_CLASSES = {"APIConnectionError", "MidStreamFallbackError", "Timeout", "APITimeoutError"}
_AUTH_CLASSES = {"AuthenticationError", "PermissionDeniedError"}
# litellm prefixes messages with class names ("litellm.RateLimitError: RateLimitError: OpenAIException - ")
# and may append the wrapped error; the user wants the provider's words.
_LITELLM_PREFIX = re.compile(r"^(?:(?:litellm\.)?\w+(?:Error|Exception)(?::|\s+-)\s*)+")
_LITELLM_SUFFIX = re.compile(r"\s*Original exception:.*$", re.DOTALL)


def _class_names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def retry_after_ms(headers: dict[str, str] | None, now: float | None = None) -> int | None:
    """``retry-after-ms`` (milliseconds), else ``retry-after`` (seconds or an HTTP date)."""
    if not headers:
        return None
    lower = {k.lower(): v for k, v in headers.items()}
    raw_ms = lower.get("retry-after-ms")
    if raw_ms is not None:
        try:
            return max(0, int(float(raw_ms)))
        except ValueError:
            pass
    raw = lower.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0, int(float(raw) * 1000))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0, int((when.timestamp() - (time.time() if now is None else now)) * 1000))


def _response_parts(exc: BaseException) -> tuple[int | None, dict[str, str] | None, str | None]:
    status = getattr(exc, "status_code", None)
    response = getattr(exc, "response", None)
    headers: dict[str, str] | None = None
    body: str | None = None
    if response is not None:
        try:
            headers = {k.lower(): v for k, v in response.headers.items()}
        except Exception:  # a placeholder response without headers
            headers = None
        try:
            body = response.text or None
        except Exception:  # the body of a streamed response may not be readable
            body = None
        if status is None:
            status = getattr(response, "status_code", None)
    if not headers:
        extra = getattr(exc, "litellm_response_headers", None) or getattr(exc, "headers", None)
        if extra:
            try:
                headers = {k.lower(): str(v) for k, v in dict(extra).items()}
            except Exception:
                headers = None
    if body is None:
        raw_body = getattr(exc, "body", None)
        if raw_body is not None:
            body = raw_body if isinstance(raw_body, str) else json.dumps(raw_body, default=str)
    return (int(status) if isinstance(status, int) else None), headers, body


def _provider_message(exc: BaseException, body: str | None) -> str:
    """The provider's own error text when the body carries one, else litellm's, unprefixed."""
    if body:
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if isinstance(data, dict):
            error = data.get("error", data)
            message = error.get("message") if isinstance(error, dict) else error
            if isinstance(message, str) and message:
                return message
    text = str(getattr(exc, "message", None) or exc) or type(exc).__name__
    cleaned = _LITELLM_SUFFIX.sub("", _LITELLM_PREFIX.sub("", text, count=1)).strip()
    return cleaned or text


def to_model_error(exc: BaseException, provider_id: str | None = None) -> ModelError:
    if isinstance(exc, ModelError):
        if exc.provider_id is None:
            exc.provider_id = provider_id
        return exc
    names = _class_names(exc)
    status, headers, body = _response_parts(exc)
    message = _provider_message(exc, body)
    if "MidStreamFallbackError" in names:
        # litellm wraps a stream that broke in a synthetic 500; the original error tells the
        # real story when it is more than a broken connection (e.g. an error event mid-stream)
        original = getattr(exc, "original_exception", None)
        if original is not None and original is not exc and not _class_names(original) & _CONNECTION_CLASSES:
            inner = to_model_error(original, provider_id)
            if inner.kind != "api" or inner.status_code is not None:
                return inner
    if names & _CONNECTION_CLASSES:
        status, headers = None, None  # no HTTP answer was received; litellm's 500 is made up
    common: dict[str, Any] = dict(status_code=status, headers=headers, body=body, provider_id=provider_id)
    overflow_text = " ".join(filter(None, [message, body, str(exc)]))
    if "ContextWindowExceededError" in names or _OVERFLOW.search(overflow_text):
        return ModelError(message, kind="context_overflow", **common)
    if status in (401, 403) or names & _AUTH_CLASSES:
        return ModelError(message, kind="auth", **common)
    retryable = (
        status in (408, 409, 429, 529)
        or (status is not None and status >= 500)
        or bool(names & _RETRYABLE_CLASSES)
        or (status is None and bool(_OVERLOADED.search(overflow_text)))
    )
    if status is not None and 400 <= status < 500 and status not in (408, 409, 429):
        retryable = says_retry(message) or says_retry(body)
    return ModelError(message, kind="api", retryable=retryable,
                      retry_after_ms=retry_after_ms(headers) if retryable else None, **common)


def incomplete_stream(provider_id: str | None) -> ModelError:
    """The stream ended cleanly but the model never said it was done: a cut connection."""
    return ModelError("The model's response ended before it finished (connection cut?)",
                      kind="api", retryable=True, provider_id=provider_id)
