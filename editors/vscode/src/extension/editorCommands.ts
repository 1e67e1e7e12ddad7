// Editor-side entry points: ask about the selection, explain the current file.

import * as vscode from "vscode";
import type { Attachment } from "../shared/messages";
import type { ChatViewProvider } from "./chatView";

/** The selection as an attachment with its 1-based, inclusive line range. */
export function selectionAttachment(editor: vscode.TextEditor): Attachment {
  const selection = editor.selection;
  const path = editor.document.uri.fsPath;
  if (selection.isEmpty) return { path };
  // A selection ending at column 0 of a line does not include that line.
  const endLine = selection.end.character === 0 && selection.end.line > selection.start.line
    ? selection.end.line
    : selection.end.line + 1;
  return { path, startLine: selection.start.line + 1, endLine };
}

export function registerEditorCommands(chat: ChatViewProvider): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand("opencode.askAboutSelection", async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor || editor.document.uri.scheme !== "file") {
        void vscode.window.showInformationMessage("opencode: open a file and select some code first.");
        return;
      }
      await chat.attach(selectionAttachment(editor));
    }),
    vscode.commands.registerCommand("opencode.explainFile", async (uri?: vscode.Uri) => {
      const target = uri ?? vscode.window.activeTextEditor?.document.uri;
      if (!target || target.scheme !== "file") {
        void vscode.window.showInformationMessage("opencode: open a file to explain.");
        return;
      }
      await vscode.commands.executeCommand("opencode.chat.focus");
      const name = vscode.workspace.asRelativePath(target, false);
      await chat.send(`Explain what ${name} does and how it fits in this project.`, [{ path: target.fsPath }]);
    }),
  ];
}
