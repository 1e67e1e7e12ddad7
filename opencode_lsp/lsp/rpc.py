"""Registering custom methods: parse params, call a thin handler, map errors to JSON-RPC codes.

A handler that fails for an unexpected reason answers that one request with an internal error;
the server keeps serving (features fail alone).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any, Callable

from pydantic import BaseModel
from pygls.exceptions import JsonRpcException

from ..core.errors import BusyError, InvalidInputError, NotFoundError
from ..core.events import Event
from . import methods
from .host import ServerHost
from .params import Params, parse

log = logging.getLogger(__name__)

Handler = Callable[..., Any]
_REGISTRY: list[tuple[str, type[Params], Handler]] = []
_COMMANDS: list[tuple[str, Handler]] = []
_FEATURES: list[tuple[str, Any, Handler]] = []


def method(name: str, params_model: type[Params]) -> Callable[[Handler], Handler]:
    """Mark ``fn(ls, params)`` as the handler of custom request ``name``."""

    def decorate(fn: Handler) -> Handler:
        _REGISTRY.append((name, params_model, fn))
        return fn

    return decorate


def command(name: str) -> Callable[[Handler], Handler]:
    """Mark ``fn(ls, arguments: list)`` as the handler of ``workspace/executeCommand`` ``name``."""

    def decorate(fn: Handler) -> Handler:
        _COMMANDS.append((name, fn))
        return fn

    return decorate


def feature(name: str, options: Any = None) -> Callable[[Handler], Handler]:
    """Mark ``fn(ls, params)`` as the handler of standard LSP feature ``name`` (registered on the
    server as is: no params model, no error mapping), so handlers need not import the server."""

    def decorate(fn: Handler) -> Handler:
        _FEATURES.append((name, options, fn))
        return fn

    return decorate


def to_json(value: Any) -> Any:
    """Handlers return models, lists of models, or plain JSON; plain JSON is passed through
    untouched (a long session's messages are megabytes: no deep copy)."""
    if isinstance(value, Event):
        return value.dump()  # its properties as published, None values included
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, list):
        return [to_json(v) if isinstance(v, BaseModel) else v for v in value]
    return value


def rpc_error(exc: Exception) -> JsonRpcException:
    if isinstance(exc, JsonRpcException):
        return exc
    if isinstance(exc, NotFoundError):
        return JsonRpcException(message=str(exc), code=methods.NOT_FOUND)
    if isinstance(exc, BusyError):
        return JsonRpcException(message=str(exc), code=methods.SESSION_BUSY)
    if isinstance(exc, InvalidInputError):
        return JsonRpcException(message=str(exc), code=methods.INVALID_PARAMS, data={"field": exc.field})
    log.exception("request failed")
    return JsonRpcException(message=f"internal error: {type(exc).__name__}: {exc}", code=-32603)


def _guarded(ls: ServerHost, call: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``call`` once the server is ready; core errors become JSON-RPC errors."""

    async def guarded(*args: Any) -> Any:
        try:
            ls.require_ready()
            result = call(*args)
            if inspect.isawaitable(result):
                result = await result
            return to_json(result)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            raise rpc_error(exc) from exc

    return guarded


def _wrap(ls: ServerHost, name: str, params_model: type[Params], fn: Handler) -> Handler:
    run = _guarded(ls, lambda raw: fn(ls, parse(params_model, raw)))

    async def handler(raw: Any) -> Any:
        return await run(raw)

    # Not functools.wraps: pygls would read the original ``(ls, params)`` signature and pass
    # the server twice.
    handler.__name__ = f"opencode_{fn.__name__}"
    return handler


def _wrap_command(ls: ServerHost, fn: Handler) -> Handler:
    run = _guarded(ls, lambda arguments: fn(ls, list(arguments)))

    async def handler(*arguments: Any) -> Any:
        return await run(arguments)

    handler.__name__ = f"opencode_command_{fn.__name__}"
    return handler


def install(ls: ServerHost) -> list[str]:
    """Register every handler declared with ``@method`` / ``@command`` / ``@feature`` (the caller
    imports ``lsp.handlers`` first, which declares them); returns the custom method names."""
    names = []
    for name, params_model, fn in _REGISTRY:
        ls.feature(name)(_wrap(ls, name, params_model, fn))
        names.append(name)
    for name, fn in _COMMANDS:
        ls.command(name)(_wrap_command(ls, fn))
    for name, options, fn in _FEATURES:
        ls.feature(name, options)(fn)
    return names
