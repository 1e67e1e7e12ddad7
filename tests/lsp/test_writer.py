"""The server's one writer: every outgoing message, whichever path made it, is encoded and
framed by ``OpencodeProtocol._send_data``, and a failed write marks the client gone once."""

from __future__ import annotations

import json
import logging

import pytest
from lsprotocol import types

from opencode_lsp.lsp.server import OpencodeServer


class Transport:
    def __init__(self, fail: Exception | None = None):
        self.data = b""
        self.fail = fail
        self.writes = 0

    def write(self, data: bytes) -> None:
        self.writes += 1
        if self.fail is not None:
            raise self.fail
        self.data += data

    def messages(self) -> list[dict]:
        found, rest = [], self.data
        while rest:
            header, rest = rest.split(b"\r\n\r\n", 1)
            assert header.startswith(b"Content-Length: ")
            length = int(header.split(b": ")[1])
            found.append(json.loads(rest[:length]))
            rest = rest[length:]
        return found


def serving(transport: Transport) -> OpencodeServer:
    server = OpencodeServer()
    server.protocol.set_writer(transport)
    return server


def test_streamed_notifications_pygls_messages_and_frame_errors_share_one_framing():
    transport = Transport()
    server = serving(transport)
    server.send_soon("$/progress", {"token": "t", "value": {"kind": "report", "message": "Écrit… ✓"}})
    server.send_soon(types.WINDOW_LOG_MESSAGE, types.LogMessageParams(type=types.MessageType.Info, message="hi"))
    server._send_frame_error(-32600, "bad frame")
    # The Content-Length of each frame counts bytes (the first body is not ASCII): read back
    # by it, the stream splits into exactly the three messages.
    assert transport.messages() == [
        {"jsonrpc": "2.0", "method": "$/progress",
         "params": {"token": "t", "value": {"kind": "report", "message": "Écrit… ✓"}}},
        {"jsonrpc": "2.0", "method": "window/logMessage", "params": {"type": 3, "message": "hi"}},
        {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "bad frame"}},
    ]


def test_a_message_orjson_refuses_is_still_sent():
    transport = Transport()
    serving(transport).send_soon("opencode/event", {"type": "x", "properties": {1: "non-string key"}})
    assert transport.messages() == [{"jsonrpc": "2.0", "method": "opencode/event",
                                     "params": {"type": "x", "properties": {"1": "non-string key"}}}]


@pytest.mark.parametrize("error", [BrokenPipeError(32, "Broken pipe"), ConnectionResetError()])
def test_a_failed_write_marks_the_client_gone_once_whatever_sent(error: Exception, caplog):
    transport = Transport(fail=error)
    server = serving(transport)
    with caplog.at_level(logging.WARNING, logger="opencode_lsp.lsp.server"):
        server.send_soon("$/progress", {"token": "t", "value": {"kind": "end", "message": "stop"}})
        server.protocol._send_data({"jsonrpc": "2.0", "id": 1, "result": None})  # a response
        server._send_frame_error(-32700, "not JSON")
    assert server.client_gone and transport.writes == 3
    assert len([r for r in caplog.records if "client is gone" in r.getMessage()]) == 1
