// Editor-side entry points: ask about the selection, explain the current file.

import * as vscode from "vscode";
import type { Attachment } from "../shared/messages";
import type { PromptPart } from "../shared/protocol";
import type { ChatViewProvider } from "./chatView";

/**
 * The prompt of "Ask opencode to fix": every problem the editor reports on the lines (from any
 * extension, not only this server), and the code around them as a file part with its range.
 */
export function fixPromptParts(uri: vscode.Uri, range: vscode.Range, diagnostics: readonly vscode.Diagnostic[]): PromptPart[] {
  const touching = diagnostics.filter((d) => d.range.end.line >= range.start.line && d.range.start.line <= range.end.line);
  const severity = ["error", "warning", "info", "hint"];
  const problems = touching.map((d) => {
    const source = d.source ? ` [${d.source}${d.code !== undefined ? ` ${typeof d.code === "object" ? d.code.value : d.code}` : ""}]` : "";
    return `- line ${d.range.start.line + 1} (${severity[d.severity] ?? "problem"}): ${d.message}${source}`;
  });
  const first = Math.max(0, Math.min(range.start.line, ...touching.map((d) => d.range.start.line)) - 10);
  const last = Math.max(range.end.line, ...touching.map((d) => d.range.end.line)) + 10;
  const name = vscode.workspace.asRelativePath(uri, false);
  const text = problems.length
    ? `Fix the problems the editor reports in ${name}:\n${problems.join("\n")}`
    : `Fix the problem in ${name} around line ${range.start.line + 1}.`;
  return [
    { type: "text", text },
    { type: "file", url: `${uri.toString()}?start=${first + 1}&end=${last + 1}`, mime: "text/plain", filename: name },
  ];
}

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
      await chat.reveal();
      const name = vscode.workspace.asRelativePath(target, false);
      await chat.send(`Explain what ${name} does and how it fits in this project.`, [{ path: target.fsPath }]);
    }),
  ];
}
