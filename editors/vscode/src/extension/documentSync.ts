// Open documents the agent changes (or an undo restores) end clean and equal to the disk.
//
// The server puts its text in an open document with `workspace/applyEdit` (label "opencode", one
// whole-document TextDocumentEdit per document) so that it is in the editor's undo history, and
// writes the same text on disk itself. Applied as is, VS Code keeps the document marked modified
// (the disk changed while it was dirty, so it does not reload it), and saving it later fails with
// "The content of the file is newer". So, for opencode's edits:
// - the text is not on disk yet (an agent's edit; the server writes it after our answer): apply it,
//   then save the document through VS Code, so the file and VS Code's idea of it agree;
// - the disk already holds the text (an undo restored it) and the document has no unsaved changes:
//   VS Code reloads a clean document whose file changed by itself; wait for that instead of
//   editing (an edit would leave it dirty, with no way to clear that but a conflicting save).
// A document with unsaved user changes that an undo overwrites stays modified: the user is told by
// the server, and only they decide what to save.

import * as vscode from "vscode";
import {
  type ApplyWorkspaceEditParams,
  ApplyWorkspaceEditRequest,
  type ApplyWorkspaceEditResult,
  CancellationToken,
} from "vscode-languageclient/node";

/** The label the server gives its edits of open documents (opencode_lsp/lsp/editor_workspace.py). */
export const OPENCODE_EDIT_LABEL = "opencode";
/** How long to wait for VS Code to reload a document whose file an undo restored. */
const RELOAD_WAIT_MS = 5000;

interface Change {
  uri: vscode.Uri;
  text: string;
  document: vscode.TextDocument | undefined;
  onDisk: boolean;
}

/** The documents the edit replaces whole, with their new text; undefined for any other edit. */
function wholeDocumentChanges(params: ApplyWorkspaceEditParams): Omit<Change, "document" | "onDisk">[] | undefined {
  const changes = params.edit.documentChanges;
  if (!changes?.length || params.edit.changes) return undefined;
  const result: Omit<Change, "document" | "onDisk">[] = [];
  for (const change of changes) {
    if (!("textDocument" in change) || change.edits.length !== 1) return undefined;
    const edit = change.edits[0];
    if (!("range" in edit) || !("newText" in edit) || edit.range.start.line !== 0 || edit.range.start.character !== 0) return undefined;
    result.push({ uri: vscode.Uri.parse(change.textDocument.uri), text: edit.newText });
  }
  return result;
}

function openDocument(uri: vscode.Uri): vscode.TextDocument | undefined {
  return vscode.workspace.textDocuments.find((document) => document.uri.toString() === uri.toString());
}

async function diskHolds(uri: vscode.Uri, text: string): Promise<boolean> {
  try {
    return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri)) === text;
  } catch {
    return false;
  }
}

/** Whether the document shows `text` now or within `ms` (VS Code reloading it from disk). */
function untilText(document: vscode.TextDocument, text: string, ms: number): Promise<boolean> {
  if (document.getText() === text) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (value: boolean) => {
      clearTimeout(timer);
      listener.dispose();
      resolve(value);
    };
    const listener = vscode.workspace.onDidChangeTextDocument((event) => {
      if (event.document === document && document.getText() === text) done(true);
    });
    const timer = setTimeout(() => done(document.getText() === text), ms);
  });
}

/** `middleware.workspace.handleApplyEdit`: opencode's edits leave documents clean and equal to the disk. */
export async function handleApplyEdit(
  params: ApplyWorkspaceEditParams,
  next: ApplyWorkspaceEditRequest.HandlerSignature,
): Promise<ApplyWorkspaceEditResult> {
  const apply = async () => (await next(params, CancellationToken.None)) as ApplyWorkspaceEditResult;
  const whole = params.label === OPENCODE_EDIT_LABEL ? wholeDocumentChanges(params) : undefined;
  if (!whole) return apply();
  const changes: Change[] = await Promise.all(
    whole.map(async (change) => ({ ...change, document: openDocument(change.uri), onDisk: await diskHolds(change.uri, change.text) })),
  );
  const reloads = changes.every(({ document, onDisk, text }) => document && onDisk && (!document.isDirty || document.getText() === text));
  if (reloads) {
    const shown = await Promise.all(changes.map(({ document, text }) => untilText(document!, text, RELOAD_WAIT_MS)));
    if (shown.every(Boolean)) return { applied: true };
  }
  const result = await apply();
  if (!result.applied) return result;
  for (const { document, onDisk, text } of changes) {
    if (document && !onDisk && document.isDirty && document.getText() === text) await document.save();
  }
  return result;
}
