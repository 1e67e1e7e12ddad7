"""Server logs shown in the editor: records of our own loggers also go to ``window/logMessage``.

Only ``opencode_lsp`` records at INFO and above are forwarded (pygls logs every message it sends,
and forwarding those would loop). The log file or stderr still gets everything.
"""

from __future__ import annotations

import logging
import threading

from lsprotocol import types

from .host import ServerHost

_TYPES = {
    logging.ERROR: types.MessageType.Error,
    logging.WARNING: types.MessageType.Warning,
    logging.INFO: types.MessageType.Info,
}


class _Sending(threading.local):
    active = False  # this thread is inside emit (a record logged while sending is dropped)


class ClientLogHandler(logging.Handler):
    """Forwards log records to the editor, and stops for good once the editor is gone.

    A failed send is never reported through logging: that record would come back here, fail
    again and loop (85 MB of tracebacks when a client vanished mid-run)."""

    def __init__(self, ls: ServerHost, level: int = logging.INFO):
        super().__init__(level)
        self.ls = ls
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        self._sending = _Sending()

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith("opencode_lsp") or self.ls.loop is None or self.ls.loop.is_closed():
            return
        if self.ls.client_gone or self._sending.active:
            return
        kind = next((t for level, t in _TYPES.items() if record.levelno >= level), types.MessageType.Log)
        self._sending.active = True
        try:
            self.ls.send_soon(types.WINDOW_LOG_MESSAGE, types.LogMessageParams(type=kind, message=self.format(record)))
        except Exception:  # the editor is gone; the file log still has the record
            self.ls.client_gone = True
        finally:
            self._sending.active = False


def install(ls: ServerHost) -> ClientLogHandler:
    handler = ClientLogHandler(ls)
    logging.getLogger("opencode_lsp").addHandler(handler)
    return handler
