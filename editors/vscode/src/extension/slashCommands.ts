// The chat's built-in slash commands other than /new: compact, undo, redo, fork, export.

import * as vscode from "vscode";
import { promptText, redoStep, undoTarget } from "../shared/history";
import type { HostToPanel, SlashCommandName } from "../shared/messages";
import { Methods, type Session } from "../shared/protocol";
import type { ViewState } from "../shared/reducer";
import type { ServerClient } from "./serverClient";

/** What a command needs of the chat view. */
export interface Chat {
  server: ServerClient;
  /** The chat's current view state (its session, messages and revert point). */
  state(): ViewState;
  open(sessionID: string): Promise<void>;
  notify(level: "info" | "error", message: string): void;
  post(message: HostToPanel): void;
}

export async function runSlashCommand(name: Exclude<SlashCommandName, "new">, chat: Chat): Promise<void> {
  const { server } = chat;
  const state = chat.state();
  const sessionID = state.sessionID;
  if (!sessionID) return chat.notify("info", `/${name} needs a session: send a message first.`);
  switch (name) {
    case "compact":
      await server.request(Methods.sessionSummarize, { sessionID });
      break;
    case "undo": {
      const target = undoTarget(state);
      if (!target) return chat.notify("info", "Nothing to undo.");
      await server.request(Methods.sessionRevert, { sessionID, messageID: target.id });
      await chat.open(sessionID);
      // The panel owns the input: it decides whether the prompt goes there or in a notice.
      return chat.post({ type: "undone", text: promptText(target) });
    }
    case "redo": {
      const step = redoStep(state);
      if (!step) return chat.notify("info", "Nothing to redo.");
      if ("revertTo" in step) await server.request(Methods.sessionRevert, { sessionID, messageID: step.revertTo });
      else await server.request(Methods.sessionUnrevert, { sessionID });
      await chat.open(sessionID);
      return chat.post({ type: "redone" });
    }
    case "fork": {
      const fork = await server.request<Session>(Methods.sessionFork, { sessionID });
      return chat.open(fork.id);
    }
    case "export": {
      const data = await server.request<unknown>(Methods.sessionExport, { sessionID });
      const doc = await vscode.workspace.openTextDocument({ language: "json", content: JSON.stringify(data, null, 2) });
      await vscode.window.showTextDocument(doc);
      return;
    }
  }
  await chat.open(sessionID);
}
