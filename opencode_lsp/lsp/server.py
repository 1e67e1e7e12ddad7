"""The language server object and its lifecycle (initialize, configuration, shutdown).

One ``OpencodeServer``; every custom method is a thin handler in ``lsp/handlers``. Nothing on the
``initialize`` path imports litellm: the provider warms up in a background thread afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method
from pygls.uris import to_fs_path

from .. import __version__
from ..process_exit import exit_code, leave
from ..core.events import Event
from . import methods as m
from .converter import raw_converter
from .framing import BoundedStdin, StreamSource, encode_message, frame, serve_messages

if TYPE_CHECKING:
    from ..app import App

log = logging.getLogger(__name__)


class OpencodeProtocol(LanguageServerProtocol):
    # pygls structures messages in json.loads' object_hook, which runs on every nested object:
    # params holding an object with a "jsonrpc" key were structured as a message, failed, and
    # the whole request was dropped unanswered (the client waited forever). So nested objects
    # stay plain JSON, and only the top-level message is structured, in handle_message.
    def structure_message(self, data: dict[str, Any]) -> Any:
        return data

    def handle_message(self, message: Any) -> None:
        if isinstance(message, dict):
            try:
                message = super().structure_message(message)
            except Exception as exc:
                msg_id = message.get("id")
                if msg_id is not None and "method" in message:
                    self._send_response(msg_id, error=JsonRpcException(
                        code=-32602, message=f"invalid params for {message.get('method')}: {exc}",
                    ).to_response_error())
                return
            if isinstance(message, dict):  # not a JSON-RPC message at all
                log.warning("dropping a message without jsonrpc: %.200s", message)
                return
        super().handle_message(message)

    def _execute_handler(self, msg_id: Any, handler: Any, callback: Any, args: Any = None, kwargs: Any = None):
        # A generator feature (workspace/executeCommand) runs the user's handler as a task of its
        # own; $/cancelRequest cancels only the outer future, and the command would run on.
        # Link them: cancelling the request cancels the command's task.
        super()._execute_handler(msg_id, handler, callback, args=args, kwargs=kwargs)
        outer = getattr(callback, "keywords", {}).get("result_future")
        inner = self._request_futures.get(msg_id)
        if outer is not None and inner is not None and inner is not outer:
            self._request_futures.pop(msg_id, None)
            outer.add_done_callback(lambda done: inner.cancel() if done.cancelled() else None)

    def _send_data(self, data: Any) -> None:
        """The one writer: every message the server sends ends here, encoded once and framed
        (pygls' responses, requests and notifications, the plain-JSON notifications of
        ``OpencodeServer.send_soon``, the errors for frames that could not be read). A failed
        write means the editor went away: said once, and the run goes on and is stored."""
        if not data:
            return
        try:
            body = encode_message(data, self._serialize_message)
        except Exception as error:  # no encoder takes it: a bug in whoever built the message
            log.exception("could not encode a message")
            self._server._report_server_error(error, JsonRpcException)
            return
        writer = self.writer
        if writer is None:
            log.error("unable to send data: no transport")
            return
        try:
            result = writer.write(frame(body) if self._include_headers else body)
            if inspect.isawaitable(result):
                asyncio.ensure_future(result)
        except Exception as exc:
            cast(OpencodeServer, self._server).lost_client(exc)

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams):
        result = yield from super().lsp_initialize(params)
        result.capabilities.experimental = {
            "opencode": {"version": __version__, "methods": sorted(cast(OpencodeServer, self._server).custom_methods)}
        }
        return result


class OpencodeServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "opencode-lsp",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=OpencodeProtocol,
            converter_factory=raw_converter,
        )
        self._app: App | None = None  # built at initialize
        self.init_options: dict[str, Any] = {}
        self.editor_settings: dict[str, Any] = {}
        self.custom_methods: list[str] = []
        self.loop: asyncio.AbstractEventLoop | None = None
        self.progress_sessions: dict[str | int, str] = {}  # work-done token -> session it streams
        self.client_gone = False  # set once a send to the editor failed
        # What the process exits with once serving ends: LSP gives 1 for `exit` without `shutdown`.
        self.exit_status = 0
        self._loop_thread: int | None = None  # the event loop's thread, known at initialize

    # --- helpers for handlers ---------------------------------------------------------------

    def require_ready(self) -> App:
        if self._app is None:
            raise JsonRpcException(message="server not initialized", code=-32002)
        return self._app

    @property
    def app(self) -> App:
        return self.require_ready()

    @property
    def app_if_ready(self) -> App | None:
        return self._app

    @property
    def wants_events(self) -> bool:
        return bool(self._app and self._app.config.events)

    def client_can_apply_edit(self) -> bool:
        caps = self.client_capabilities
        return bool(caps and caps.workspace and caps.workspace.apply_edit)

    def report_server_error(self, error: Exception, source: Any) -> None:
        # Request errors already reach the client in the response; don't pop a message too.
        expected = isinstance(error, JsonRpcException) and error.code in (
            m.INVALID_PARAMS, m.NOT_FOUND, m.SESSION_BUSY, m.REQUEST_CANCELLED)
        log.log(logging.INFO if expected else logging.ERROR, "request error (%s): %s",
                getattr(source, "__name__", source), error)

    def notify_event(self, event: Event) -> None:
        """Forward a bus event as ``opencode/event`` (from any thread)."""
        if not self.wants_events:
            return
        self.send_soon(m.EVENT_NOTIFICATION, event.dump())

    def send_soon(self, method: str, params: Any) -> None:
        """Send a notification from any thread. Plain-JSON params (every ``$/progress`` report
        and event, one per streamed delta) are wrapped here and serialised once, by orjson, in
        the protocol's writer; lsprotocol's classes go through pygls' ``notify`` to that writer."""
        send = self._notify_plain if isinstance(params, dict) else self.protocol.notify
        loop = self.loop
        if loop is not None and threading.get_ident() != self._loop_thread:
            loop.call_soon_threadsafe(send, method, params)
        else:
            send(method, params)

    def _protocol(self) -> OpencodeProtocol:
        return cast(OpencodeProtocol, self.protocol)  # built from protocol_cls in __init__

    def _notify_plain(self, method: str, params: dict[str, Any]) -> None:
        self._protocol()._send_data({"jsonrpc": "2.0", "method": method, "params": params})

    def _send_frame_error(self, code: int, message: str) -> None:
        """Answer a frame that could not be read (its id is unknown, so null)."""
        self._protocol()._send_data({"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": message}})

    def lost_client(self, error: Exception) -> None:
        """A write to the editor failed: it is gone. Said once (a log record would be sent to
        the editor too); later writes fail quietly."""
        if not self.client_gone:
            self.client_gone = True
            log.warning("the client is gone (a write failed: %s)", error)

    # --- workspace ----------------------------------------------------------------------------

    def workspace_root(self, params: types.InitializeParams) -> Path:
        if params.workspace_folders:
            return Path(to_fs_path(params.workspace_folders[0].uri) or ".").resolve()
        if params.root_uri:
            return Path(to_fs_path(params.root_uri) or ".").resolve()
        if params.root_path:
            return Path(params.root_path).resolve()
        return Path.cwd().resolve()

    def build_app(self, root: Path) -> None:
        from ..app import App  # the composition root: store, core services, providers
        from .editor_workspace import EditorWorkspace

        self._app = app = App.create(root, self.merged_settings(), workspace=EditorWorkspace(self, root))
        app.bus.subscribe(self.notify_event)
        from .permission_ui import PermissionPrompter

        self.permission_prompter = PermissionPrompter(self)
        app.bus.subscribe(self.permission_prompter.on_event)
        from .handlers.mcp import show_failures

        app.bus.subscribe(show_failures(self))

    def merged_settings(self) -> dict[str, Any]:
        """initializationOptions, then the editor's ``opencode`` settings. An unset editor value
        (null or "") does not wipe out what initializationOptions gave."""
        merged = dict(self.init_options)
        merged.update({k: v for k, v in self.editor_settings.items() if v is not None and v != ""})
        return merged

    def start_io(self, stdin: Any = None, stdout: Any = None) -> None:
        """Serve over stdio until EOF or ``exit``, then stop runs in order before the event loop
        goes; ``exit_status`` is then the status LSP gives (1 for ``exit`` without ``shutdown``).

        pygls ends its read loop when stdin closes (the editor quit or crashed) and
        ``asyncio.run`` would then cancel every task at once, in no order: a run's cleanup could
        be cut off before its aborted message and held-back parts reach the disk. So the runs
        are aborted and the store flushed here first, and the process exits after."""
        from pygls.io_ import StdoutWriter

        self._stop_event = stop_event = threading.Event()
        reader = BoundedStdin(stdin or sys.stdin.buffer, self.thread_pool)
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))

        async def serve() -> None:
            signalled: list[int] = []
            me = asyncio.current_task()

            def on_signal(signum: int) -> None:
                signalled.append(signum)
                if me is not None:
                    me.cancel()

            for signum in (signal.SIGTERM, signal.SIGHUP):
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    asyncio.get_running_loop().add_signal_handler(signum, on_signal, signum)
            try:
                await serve_messages(stop_event, reader, self.protocol, log, self._send_frame_error,
                                     error_handler=self.report_server_error)
                log.info("the client closed the connection; stopping")
            except asyncio.CancelledError:
                if not signalled:
                    raise
                if me is not None:
                    me.uncancel()
                self.client_gone = True
                log.info("stopping on %s", signal.Signals(signalled[0]).name)
            if self._app is not None:
                await self._app.shutdown()
            # Let work the aborts released (snapshots, final responses) end, boundedly.
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            if others:
                await asyncio.wait(others, timeout=5)
            if signalled:
                # stdin's reader thread is still blocked in readline and would hold the exit.
                self.shutdown()
                leave(128 + signalled[0])

        try:
            asyncio.run(serve())
        except BrokenPipeError:
            log.error("the connection to the client is lost; stopping")
        except KeyboardInterrupt:
            pass
        except SystemExit as exc:
            self.exit_status = exit_code(exc)
        finally:
            self.shutdown()

    def start_tcp(self, host: str, port: int) -> None:
        """Serve one client over TCP with the framing stdio uses (pygls' own loop trusts any
        Content-Length); when it disconnects, stop its runs, flush the store and exit."""
        self._stop_event = stop = threading.Event()

        async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.protocol.set_writer(writer)
            await serve_messages(stop, StreamSource(reader), self.protocol, log,
                                 self._send_frame_error, error_handler=self.report_server_error)
            log.info("the client closed the connection; stopping")
            if self._app is not None:
                await self._app.shutdown()
            if self._server is not None:
                self._server.close()

        async def serve() -> None:
            self._server = await asyncio.start_server(connection, host, port)
            log.info("serving on %s:%s", host, port)
            with contextlib.suppress(asyncio.CancelledError):
                async with self._server:
                    await self._server.serve_forever()

        try:
            asyncio.run(serve())
        except KeyboardInterrupt:
            pass
        except SystemExit as exc:
            self.exit_status = exit_code(exc)
        finally:
            self.shutdown()

    def reload_settings(self, settings: dict[str, Any]) -> None:
        self.editor_settings = settings
        if self._app is not None:
            self._app.reload_config(self.merged_settings())


server = OpencodeServer()


@server.feature(types.INITIALIZE)
def on_initialize(ls: OpencodeServer, params: types.InitializeParams) -> None:
    ls.loop = asyncio.get_running_loop() if _has_running_loop() else None
    ls._loop_thread = threading.get_ident()
    options = params.initialization_options
    ls.init_options = options if isinstance(options, dict) else {}
    from . import client_log

    client_log.install(ls)
    ls.build_app(ls.workspace_root(params))


def _has_running_loop() -> bool:
    try:
        asyncio.get_running_loop()
        return True
    except RuntimeError:
        return False


@server.feature(types.INITIALIZED)
async def on_initialized(ls: OpencodeServer, params: types.InitializedParams) -> None:
    ls.app.warm_up()
    ls.app.start_tool_sources()
    caps = ls.client_capabilities
    if caps and caps.workspace and caps.workspace.configuration:
        # Not wait_for: cancelling pygls's response future on a timeout made the late answer of a
        # busy editor fail with InvalidStateError (a traceback on every start). A late answer is
        # applied when it comes.
        answer = asyncio.ensure_future(ls.workspace_configuration_async(
            types.ConfigurationParams(items=[types.ConfigurationItem(section="opencode")])))

        def apply(done: asyncio.Future) -> None:
            if done.cancelled() or done.exception() is not None:
                log.info("workspace/configuration not available: %s", "cancelled" if done.cancelled() else done.exception())
                return
            result = done.result()
            if result and isinstance(result[0], dict):
                ls.reload_settings(result[0])

        await asyncio.wait({answer}, timeout=5)
        answer.add_done_callback(apply)


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
def on_did_change_configuration(ls: OpencodeServer, params: types.DidChangeConfigurationParams) -> None:
    settings = params.settings
    if isinstance(settings, dict):
        section = settings.get("opencode", settings)
        if isinstance(section, dict):
            ls.reload_settings(section)


@server.feature(types.WINDOW_WORK_DONE_PROGRESS_CANCEL)
async def on_progress_cancel(ls: OpencodeServer, params: types.WorkDoneProgressCancelParams) -> None:
    session_id = ls.progress_sessions.get(params.token)
    app = ls.app_if_ready
    if session_id is not None and app is not None:
        await app.runner.abort(session_id)


@server.feature(types.SHUTDOWN)
async def on_shutdown(ls: OpencodeServer, params: None) -> None:
    app = ls.app_if_ready
    if app is not None:
        await app.shutdown()


def create_server() -> OpencodeServer:
    from . import handlers, rpc  # noqa: F401  (importing the handlers declares them)

    if not server.custom_methods:
        server.custom_methods = rpc.install(server)
    return server
