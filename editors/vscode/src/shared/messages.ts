// Messages between the extension host and the chat webview: `{type, ...}` both ways.
// Both sides import this module so a renamed field is a type error on both.

import type {
  AgentInfo,
  MessageWithParts,
  ModelInfo,
  PermissionReply,
  PermissionRequest,
  ServerEvent,
  Session,
  SessionStatus,
  Todo,
} from "./protocol";

/** A file the user attached (mention or editor selection); lines are 1-based and inclusive. */
export interface Attachment {
  path: string;
  startLine?: number;
  endLine?: number;
}

export type SlashCommandName = "new" | "compact" | "undo" | "redo" | "fork" | "export";

export const SLASH_COMMANDS: ReadonlyArray<{ name: SlashCommandName; description: string }> = [
  { name: "new", description: "Start a new session" },
  { name: "compact", description: "Summarize the session to free context" },
  { name: "undo", description: "Revert the last turn and its file changes; its prompt comes back" },
  { name: "redo", description: "Bring back one undone turn" },
  { name: "fork", description: "Copy this session into a new one" },
  { name: "export", description: "Open the session as OpenCode export JSON" },
];

export type ServerState = "starting" | "running" | "stopped";

/** A prompt typed while the session was busy: sent when the run ends. */
export interface QueuedPrompt {
  text: string;
  attachments: Attachment[];
}

export type HostToPanel =
  | {
      type: "session";
      session: Session | null;
      messages: MessageWithParts[];
      todos: Todo[];
      permissions: PermissionRequest[];
      status: SessionStatus;
    }
  | { type: "event"; event: ServerEvent }
  | { type: "catalog"; agents: AgentInfo[]; models: ModelInfo[]; agent?: string; model?: string }
  | { type: "fileResults"; requestId: number; paths: string[] }
  | { type: "attach"; attachment: Attachment; text?: string }
  | { type: "notice"; level: "info" | "error"; message: string }
  | { type: "server"; state: ServerState; message?: string }
  | { type: "queue"; items: QueuedPrompt[] }
  /** A prompt (or /command) the server refused: back in the input, so that nothing typed is lost. */
  | { type: "unsent"; text: string; attachments: Attachment[] }
  | { type: "mcp"; summary: string | null }
  /** After /undo: the reverted prompt's text, for the input (or a notice when the input is taken). */
  | { type: "undone"; text: string }
  /** After /redo: the input is emptied if it still holds what the last undo put there. */
  | { type: "redone" };

export type PanelToHost =
  | { type: "ready" }
  | { type: "send"; text: string; attachments: Attachment[]; agent?: string; model?: string }
  | { type: "command"; name: SlashCommandName }
  | { type: "customCommand"; name: string; arguments: string; agent?: string; model?: string }
  | { type: "cancel" }
  | { type: "permissionReply"; requestID: string; reply: PermissionReply; message?: string }
  | { type: "retry" }
  | { type: "searchFiles"; requestId: number; query: string }
  | { type: "openFile"; path: string; startLine?: number; endLine?: number }
  | { type: "unqueue"; index: number }
  | { type: "copy"; text: string }
  | { type: "insert"; text: string }
  /** The buttons of the "server stopped" notice. */
  | { type: "serverAction"; action: "install" | "log" | "restart" };
