"""Text synchronisation hooks: pygls keeps the documents; the editor workspace learns which
buffers match the disk (see ``editor_workspace``)."""

from __future__ import annotations

from lsprotocol import types

from ..editor_workspace import EditorWorkspace
from ..host import ServerHost
from ..rpc import feature


def _workspace(ls: ServerHost) -> EditorWorkspace | None:
    """The editor workspace the server gave the app; None before ``initialize``."""
    app = ls.app_if_ready
    workspace = app.workspace if app is not None else None
    return workspace if isinstance(workspace, EditorWorkspace) else None


@feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: ServerHost, params: types.DidOpenTextDocumentParams) -> None:
    workspace = _workspace(ls)
    if workspace is not None:
        workspace.document_opened(params.text_document.uri)


@feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
def did_save(ls: ServerHost, params: types.DidSaveTextDocumentParams) -> None:
    workspace = _workspace(ls)
    if workspace is not None:
        workspace.document_saved(params.text_document.uri)


@feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: ServerHost, params: types.DidCloseTextDocumentParams) -> None:
    workspace = _workspace(ls)
    if workspace is not None:
        workspace.document_closed(params.text_document.uri)
