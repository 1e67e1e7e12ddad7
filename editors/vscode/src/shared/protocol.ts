// The server's wire shapes (OpenCode's JSON, see shared/spec/protocol.md) and method names.
// Only the fields the extension reads are typed; everything else passes through untouched.

export const Methods = {
  sessionCreate: "opencode/session/create",
  sessionGet: "opencode/session/get",
  sessionList: "opencode/session/list",
  sessionChildren: "opencode/session/children",
  sessionUpdate: "opencode/session/update",
  sessionFork: "opencode/session/fork",
  sessionDelete: "opencode/session/delete",
  sessionMessages: "opencode/session/messages",
  sessionPrompt: "opencode/session/prompt",
  sessionCommand: "opencode/session/command",
  sessionAbort: "opencode/session/abort",
  sessionSummarize: "opencode/session/summarize",
  sessionRevert: "opencode/session/revert",
  sessionUnrevert: "opencode/session/unrevert",
  sessionTodo: "opencode/session/todo",
  sessionStatus: "opencode/session/status",
  sessionExport: "opencode/session/export",
  permissionReply: "opencode/permission/reply",
  permissionList: "opencode/permission/list",
  permissionApprovals: "opencode/permission/approvals",
  permissionRevoke: "opencode/permission/revoke",
  mcpStatus: "opencode/mcp/status",
  agentList: "opencode/agent/list",
  modelList: "opencode/model/list",
  eventNotification: "opencode/event",
} as const;

/** Protocol v2 error codes (docs/protocol.md). */
export const ErrorCodes = {
  notFound: -31001,
  sessionBusy: -31002,
  invalidParams: -32602,
  requestCancelled: -32800,
} as const;

/** The JSON-RPC error code of a failed request, if it has one. */
export function errorCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : undefined;
}

/** An "always" approval the server keeps (opencode/permission/approvals). */
export interface Approval {
  id: string;
  sessionID?: string;
  permission: string;
  pattern: string;
  time: number;
}

export interface McpServerStatus {
  name: string;
  type: string;
  enabled: boolean;
  state: "disabled" | "starting" | "connected" | "failed";
  tools: string[];
  error?: string;
}

export interface Tokens {
  total?: number;
  input: number;
  output: number;
  reasoning: number;
  cache: { read: number; write: number };
}

export interface Session {
  id: string;
  slug?: string;
  directory: string;
  parentID?: string;
  title: string;
  cost?: number;
  tokens?: Tokens;
  agent?: string;
  model?: { id: string; providerID: string };
  revert?: { messageID: string; partID?: string };
  time: { created: number; updated: number; archived?: number };
}

export interface MessageError {
  name: string;
  data?: { message?: string; [key: string]: unknown };
}

export interface UserMessage {
  id: string;
  sessionID: string;
  role: "user";
  time: { created: number };
  agent: string;
  model: { providerID: string; modelID: string };
}

export interface AssistantMessage {
  id: string;
  sessionID: string;
  role: "assistant";
  parentID: string;
  time: { created: number; completed?: number };
  error?: MessageError;
  modelID: string;
  providerID: string;
  agent: string;
  mode?: string;
  cost: number;
  tokens: Tokens;
  finish?: string;
}

export type MessageInfo = UserMessage | AssistantMessage;

interface PartBase {
  id: string;
  sessionID: string;
  messageID: string;
}

export interface TextPart extends PartBase {
  type: "text";
  text: string;
  synthetic?: boolean;
  ignored?: boolean;
  time?: { start: number; end?: number };
}

export interface ReasoningPart extends PartBase {
  type: "reasoning";
  text: string;
  time?: { start: number; end?: number };
}

export interface FilePart extends PartBase {
  type: "file";
  mime: string;
  filename?: string;
  url: string;
}

export type ToolState =
  | { status: "pending"; input: Record<string, unknown>; raw?: string }
  | { status: "running"; input: Record<string, unknown>; title?: string; metadata?: Record<string, unknown>; time: { start: number } }
  | {
      status: "completed";
      input: Record<string, unknown>;
      output: string;
      title: string;
      metadata: Record<string, unknown>;
      time: { start: number; end: number };
    }
  | { status: "error"; input: Record<string, unknown>; error: string; metadata?: Record<string, unknown>; time: { start: number; end: number } };

export interface ToolPart extends PartBase {
  type: "tool";
  callID: string;
  tool: string;
  state: ToolState;
}

export interface StepFinishPart extends PartBase {
  type: "step-finish";
  reason: string;
  cost: number;
  tokens: Tokens;
}

export interface RetryPart extends PartBase {
  type: "retry";
  attempt: number;
  error: MessageError;
}

/** Parts the panel does not draw specially (step-start, snapshot, patch, agent, subtask, compaction). */
export interface OtherPart extends PartBase {
  type: "step-start" | "snapshot" | "patch" | "agent" | "subtask" | "compaction";
  [key: string]: unknown;
}

export type Part = TextPart | ReasoningPart | FilePart | ToolPart | StepFinishPart | RetryPart | OtherPart;

export interface MessageWithParts {
  info: MessageInfo;
  parts: Part[];
}

export interface Todo {
  id?: string;
  content: string;
  status: string;
  priority: string;
}

export interface PermissionRequest {
  id: string;
  sessionID: string;
  permission: string;
  patterns: string[];
  always?: string[];
  metadata: Record<string, unknown>;
  tool?: { messageID: string; callID: string };
}

export type PermissionReply = "once" | "always" | "reject";

export type SessionStatus =
  | { type: "idle" }
  | { type: "busy" }
  | { type: "retry"; attempt: number; message: string; next: number };

/** Every event the server publishes, as `{type, properties}` (opencode/event and $/progress `event`). */
export type ServerEvent =
  | { type: "session.created" | "session.updated" | "session.deleted"; properties: { info: Session } }
  | { type: "session.status"; properties: { sessionID: string; status: SessionStatus } }
  | { type: "session.idle" | "session.compacted"; properties: { sessionID: string } }
  | { type: "session.error"; properties: { sessionID?: string | null; error?: MessageError } }
  | { type: "session.diff"; properties: { sessionID: string; diff: unknown[] } }
  | { type: "message.updated"; properties: { info: MessageInfo } }
  | { type: "message.removed"; properties: { sessionID: string; messageID: string } }
  | { type: "message.part.updated"; properties: { part: Part; delta?: string } }
  | { type: "message.part.removed"; properties: { sessionID: string; messageID: string; partID: string } }
  | { type: "todo.updated"; properties: { sessionID: string; todos: Todo[] } }
  | { type: "permission.asked"; properties: PermissionRequest }
  | { type: "permission.replied"; properties: { sessionID: string; requestID: string; reply: PermissionReply } };

/** A `$/progress` value of a prompt run: plain LSP fields plus the run's `event`. */
export interface RunProgressValue {
  kind: "begin" | "report" | "end";
  title?: string;
  message?: string;
  cancellable?: boolean;
  event?: ServerEvent;
}

export type PromptPart =
  | { type: "text"; text: string }
  | { type: "file"; url: string; mime: string; filename?: string }
  | { type: "agent"; name: string };

export interface AgentInfo {
  name: string;
  description?: string;
  mode: "primary" | "subagent" | "all";
  hidden?: boolean;
}

export interface ModelInfo {
  providerID: string;
  modelID: string;
}

/** What the extension sends as `initializationOptions` (and as the `opencode` configuration section). */
export interface InitializationOptions {
  model?: string;
  smallModel?: string;
  agent?: string;
  providers?: Record<string, { apiBase?: string; apiKeyEnv?: string; headers?: Record<string, string> }>;
  permissionUI: true;
  events: true;
  /** OpenCode's permission config; set to deny edits and bash in an untrusted workspace. */
  permission?: Record<string, "allow" | "ask" | "deny">;
}
