"""A test editor's buffers: open documents that apply ``workspace/applyEdit`` like an editor does
(versions checked, text replaced, the change reported back with ``didChange``).

Attach to a pytest-lsp client with ``Buffers(client)``; it sets ``client.on_apply_edit``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import to_fs_path


def _offset(text: str, position: types.Position) -> int:
    lines = text.split("\n")
    line = min(position.line, len(lines) - 1)
    return sum(len(x) + 1 for x in lines[:line]) + min(position.character, len(lines[line]))


class Buffers:
    def __init__(self, client: Any):
        self.client = client
        self.docs: dict[str, list[Any]] = {}  # uri -> [version, text]
        self.refused = 0
        client.on_apply_edit = self.apply_edit

    def open(self, path: Path, text: str | None = None) -> str:
        uri = path.as_uri()
        text = path.read_text() if text is None else text
        self.docs[uri] = [1, text]
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
        return uri

    def type(self, path: Path, text: str) -> None:
        """The user changes the buffer (unsaved)."""
        uri = path.as_uri()
        doc = self.docs[uri]
        doc[0] += 1
        doc[1] = text
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=doc[0]),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))

    def save(self, path: Path) -> None:
        uri = path.as_uri()
        path.write_text(self.docs[uri][1])
        self.client.text_document_did_save(types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))

    def text(self, path: Path) -> str:
        return self.docs[path.as_uri()][1]

    def apply_edit(self, params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        for change in params.edit.document_changes or []:
            uri = change.text_document.uri
            doc = self.docs.get(uri)
            if doc is None:
                continue
            version = change.text_document.version
            if version is not None and version != doc[0]:
                self.refused += 1
                return types.ApplyWorkspaceEditResult(applied=False, failure_reason="version mismatch")
            text = doc[1]
            for edit in sorted(change.edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
                start, end = _offset(text, edit.range.start), _offset(text, edit.range.end)
                text = text[:start] + edit.new_text + text[end:]
            self.type(Path(to_fs_path(uri)), text)
        return types.ApplyWorkspaceEditResult(applied=True)
