"""JSON-RPC messages on stdio or TCP: reading them with limits (a bad frame costs one error, not
the server), and encoding and framing the ones the server writes (``encode_message``, ``frame``).

pygls' own loop trusts the ``Content-Length`` header: a length of 10^12 makes it allocate that
much (MemoryError kills the process), and a negative or garbled one leaves it waiting for a
header that never comes, so every later message is swallowed. This loop parses the header
strictly, answers a bad frame with a JSON-RPC error (id null), skips an oversized body in small
pieces without keeping it, and finds the next ``Content-Length`` header to carry on. Both
transports use it: ``StreamSource`` makes a TCP connection read like stdin, and ``BoundedStdin``
reads stdin with a bounded header line.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from concurrent.futures import Executor
from typing import Any, BinaryIO, Callable, Protocol

import orjson
from pygls.protocol import JsonRPCProtocol

MAX_MESSAGE_BYTES = 64 * 1024 * 1024  # the largest request body accepted (an import is the biggest)
MAX_HEADER_LINE = 8 * 1024
SKIP_CHUNK = 1024 * 1024
PARSE_ERROR = -32700
INVALID_REQUEST = -32600

_HEADER = re.compile(rb"content-length:\s*(.*?)\s*$", re.IGNORECASE)


class FrameReader(Protocol):
    """What ``serve_messages`` reads from: ``BoundedStdin`` or ``StreamSource``. Both end a
    stream with ``b""`` rather than an exception."""

    async def readline(self) -> bytes: ...

    async def readexactly(self, n: int) -> bytes: ...


def encode_message(message: Any, default: Callable[[Any], Any]) -> bytes:
    """One message as UTF-8 JSON. orjson is several times faster than json on large results (a
    long session's messages) and on the stream of ``$/progress`` reports; ``default`` turns what
    it does not know (pygls' attrs messages) into plain data, and a message of plain JSON never
    calls it. json takes what orjson refuses (e.g. a dict with non-string keys)."""
    try:
        return orjson.dumps(message, default=default)
    except TypeError:
        return json.dumps(message, default=default).encode()


def frame(body: bytes) -> bytes:
    """``body`` with its header: LSP counts ``Content-Length`` in bytes, not characters."""
    return b"Content-Length: %d\r\n\r\n%b" % (len(body), body)


async def serve_messages(stop_event: threading.Event, reader: FrameReader, protocol: JsonRPCProtocol,
                         logger: logging.Logger, send_error: Callable[[int, str], None],
                         error_handler: Callable[[Exception, None], None] | None = None) -> None:
    """Read frames until EOF or ``stop_event``; hand each good body to ``protocol``."""
    length: int | None = None
    while not stop_event.is_set():
        line = await reader.readline()
        if not line:
            return
        if len(line) > MAX_HEADER_LINE:
            line = line[-MAX_HEADER_LINE:]
        found = _HEADER.search(line)
        if found is not None:
            raw = found.group(1)
            if not raw.isdigit():
                logger.warning("dropping a message with a malformed Content-Length %r", raw[:40])
                send_error(INVALID_REQUEST, f"malformed Content-Length header: {raw[:40]!r}")
                length = None
                continue
            length = int(raw)
            continue
        if line.strip() or length is None:
            continue  # another header (Content-Type), or noise while looking for a header
        size, length = length, None
        if size > MAX_MESSAGE_BYTES:
            logger.warning("dropping a message of %d bytes (the limit is %d)", size, MAX_MESSAGE_BYTES)
            send_error(INVALID_REQUEST, f"message of {size} bytes is larger than the limit of "
                                        f"{MAX_MESSAGE_BYTES} bytes")
            if not await _skip(reader, size):
                return
            continue
        body = await reader.readexactly(size) if size else b""
        if size and not body:
            return
        try:
            message = json.loads(body, object_hook=protocol.structure_message)
        except ValueError as exc:
            logger.warning("dropping a message that is not JSON: %s", exc)
            send_error(PARSE_ERROR, f"the message body is not valid JSON: {exc}")
            continue
        try:
            protocol.handle_message(message)
        except Exception as exc:
            logger.exception("unable to handle a message")
            if error_handler is not None:
                error_handler(exc, None)


async def _skip(reader: FrameReader, size: int) -> bool:
    """Read and drop ``size`` bytes in pieces; False at EOF."""
    left = size
    while left > 0:
        piece = await reader.readexactly(min(left, SKIP_CHUNK))
        if not piece:
            return False
        left -= len(piece)
    return True


class BoundedStdin:
    """stdin read the way ``serve_messages`` reads it, with a header line cut at
    ``MAX_HEADER_LINE`` bytes: pygls' reader calls ``readline()`` with no limit, so a client that
    sends bytes with no newline would grow one line in memory without end. The pieces of a long
    line read as noise, like any line that is not a header."""

    def __init__(self, stdin: BinaryIO, executor: Executor | None = None):
        self._stdin = stdin
        self._executor = executor

    async def readline(self) -> bytes:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._stdin.readline, MAX_HEADER_LINE + 1)

    async def readexactly(self, n: int) -> bytes:
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._stdin.read, n)


class StreamSource:
    """An ``asyncio.StreamReader`` read the way ``serve_messages`` reads stdin.

    At EOF a short body reads as ``b""`` (asyncio raises instead), and a header line longer than
    the stream's buffer limit, which asyncio drops and reports as ValueError, reads as noise.
    """

    def __init__(self, reader: asyncio.StreamReader):
        self._reader = reader

    async def readline(self) -> bytes:
        try:
            return await self._reader.readline()
        except ValueError:
            return b"<line too long>\n"

    async def readexactly(self, n: int) -> bytes:
        try:
            return await self._reader.readexactly(n)
        except asyncio.IncompleteReadError:
            return b""
