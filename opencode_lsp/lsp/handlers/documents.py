"""Text synchronisation hooks: pygls keeps the documents; the editor workspace learns which
buffers match the disk (see ``editor_workspace``)."""

from __future__ import annotations

from lsprotocol import types

from ..rpc import feature


def _workspace(ls):
    app = ls.app
    if app is None:
        return None
    workspace = app.workspace
    return workspace if hasattr(workspace, "document_opened") else None


@feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls, params: types.DidOpenTextDocumentParams) -> None:
    workspace = _workspace(ls)
    if workspace is not None:
        workspace.document_opened(params.text_document.uri)


@feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
def did_save(ls, params: types.DidSaveTextDocumentParams) -> None:
    workspace = _workspace(ls)
    if workspace is not None:
        workspace.document_saved(params.text_document.uri)


@feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls, params: types.DidCloseTextDocumentParams) -> None:
    workspace = _workspace(ls)
    if workspace is not None:
        workspace.document_closed(params.text_document.uri)
