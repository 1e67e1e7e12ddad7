// Helpers of the chat view that need no view state: prompt parts for attachments, the MCP
// summary line, inserting a code block at the cursor.

import { isAbsolute } from "node:path";
import * as vscode from "vscode";
import type { Attachment } from "../shared/messages";
import type { McpServerStatus, PromptPart } from "../shared/protocol";
import { parseModel } from "../shared/settings";

/** Mentions carry workspace-relative paths; the server wants absolute file URLs. */
export function resolvePath(path: string): vscode.Uri {
  const root = vscode.workspace.workspaceFolders?.[0]?.uri;
  return isAbsolute(path) || !root ? vscode.Uri.file(path) : vscode.Uri.joinPath(root, path);
}

export function attachmentPart(attachment: Attachment): PromptPart {
  const uri = resolvePath(attachment.path);
  const range = attachment.startLine ? `?start=${attachment.startLine}&end=${attachment.endLine ?? attachment.startLine}` : "";
  const filename = vscode.workspace.asRelativePath(uri, false);
  return { type: "file", url: uri.toString() + range, mime: "text/plain", filename };
}

export function mcpSummary(servers: McpServerStatus[]): string | null {
  const enabled = servers.filter((s) => s.enabled);
  if (!enabled.length) return null;
  const connected = enabled.filter((s) => s.state === "connected").length;
  const failed = enabled.filter((s) => s.state === "failed").length;
  const starting = enabled.filter((s) => s.state === "starting").length;
  const parts = [`MCP ${connected}/${enabled.length}`];
  if (starting) parts.push(`${starting} starting`);
  if (failed) parts.push(`${failed} failed`);
  return parts.join(" · ");
}

/** The Insert button of a code block: at the cursor (replacing the selection) of the last editor. */
export async function insertAtCursor(text: string): Promise<void> {
  const editor = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
  if (!editor) {
    void vscode.window.showInformationMessage("opencode: open a file to insert the code into.");
    return;
  }
  await editor.edit((edit) => edit.replace(editor.selection, text.replace(/\n$/, "")));
}

/** The agent and model a prompt names, in the shape the server's prompt request takes. */
export function chosen(agent?: string, model?: string): Record<string, unknown> {
  const choice: Record<string, unknown> = {};
  if (agent) choice.agent = agent;
  const parsed = parseModel(model);
  if (parsed) choice.model = parsed;
  return choice;
}

/** Workspace files whose path holds `query` (the panel's @ mention list). */
export async function findWorkspaceFiles(query: string): Promise<string[]> {
  const safe = query.replace(/[{}[\]*?]/g, "");
  const found = await vscode.workspace.findFiles(`**/*${safe}*`, "**/{node_modules,.git,.venv,dist,out}/**", 40);
  return found.map((uri) => vscode.workspace.asRelativePath(uri, false)).sort();
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
