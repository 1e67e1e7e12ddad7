// The session reducer: server events -> the chat panel's view model.
// Pure and immutable (a changed message or part is a new object) so the webview can redraw
// only what changed and node tests can replay a recorded stream without a DOM.

import type {
  MessageError,
  MessageInfo,
  MessageWithParts,
  Part,
  PermissionRequest,
  ServerEvent,
  Session,
  SessionStatus,
  Todo,
  Tokens,
} from "./protocol";

export interface MessageView {
  id: string;
  /** Undefined while parts arrive before their message's `message.updated`. */
  info?: MessageInfo;
  parts: Part[];
}

export interface ViewState {
  sessionID: string | null;
  session: Session | null;
  /** Child sessions (subtasks) whose permission asks also belong in this panel. */
  childIDs: string[];
  messages: MessageView[];
  todos: Todo[];
  permissions: PermissionRequest[];
  status: SessionStatus;
  /** The last `session.error` not tied to a message (cleared when a new run starts). */
  error: MessageError | null;
}

export function emptyState(sessionID: string | null = null): ViewState {
  return {
    sessionID,
    session: null,
    childIDs: [],
    messages: [],
    todos: [],
    permissions: [],
    status: { type: "idle" },
    error: null,
  };
}

/** The state of a session loaded with `opencode/session/messages` (the panel's rebuild path). */
export function loadSession(
  session: Session | null,
  messages: MessageWithParts[],
  extra: { todos?: Todo[]; permissions?: PermissionRequest[]; status?: SessionStatus } = {},
): ViewState {
  const sessionID = session?.id ?? messages[0]?.info.sessionID ?? null;
  const views = messages.map((m) => ({ id: m.info.id, info: m.info, parts: sortById(m.parts) }));
  return {
    ...emptyState(sessionID),
    session,
    messages: sortById(views),
    todos: extra.todos ?? [],
    permissions: (extra.permissions ?? []).filter((p) => p.sessionID === sessionID),
    status: extra.status ?? { type: "idle" },
  };
}

// OpenCode ids sort in creation order (msg_/prt_ ascending), so id order is display order.
function sortById<T extends { id: string }>(items: T[]): T[] {
  return [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function insertSorted<T extends { id: string }>(items: T[], item: T): T[] {
  const index = items.findIndex((x) => x.id === item.id);
  if (index >= 0) return items.map((x, i) => (i === index ? item : x));
  let at = items.length;
  while (at > 0 && items[at - 1].id > item.id) at--;
  return [...items.slice(0, at), item, ...items.slice(at)];
}

function belongs(state: ViewState, sessionID: string | null | undefined): boolean {
  return sessionID != null && sessionID === state.sessionID;
}

function updateMessage(state: ViewState, messageID: string, change: (m: MessageView) => MessageView): ViewState {
  const current = state.messages.find((m) => m.id === messageID) ?? { id: messageID, parts: [] };
  return { ...state, messages: insertSorted(state.messages, change(current)) };
}

/** Apply a part update: a `delta` appends to the text the panel already has. */
export function mergePart(existing: Part | undefined, incoming: Part, delta: string | undefined): Part {
  if (delta !== undefined && existing && (existing.type === "text" || existing.type === "reasoning")) {
    if (incoming.type === existing.type) return { ...incoming, text: existing.text + delta };
  }
  // Delta-only streaming (protocol v2): the part that comes with a delta may not hold the text so
  // far, so a part the panel has not seen yet starts from the delta.
  if (delta !== undefined && (incoming.type === "text" || incoming.type === "reasoning")) return { ...incoming, text: delta };
  return incoming;
}

export function reduce(state: ViewState, event: ServerEvent): ViewState {
  switch (event.type) {
    case "message.updated": {
      const info = event.properties.info;
      if (!belongs(state, info.sessionID)) return state;
      const next = updateMessage(state, info.id, (m) => ({ ...m, info }));
      // A new user message starts a new run: an older run's error no longer applies.
      return info.role === "user" && !state.messages.some((m) => m.id === info.id) ? { ...next, error: null } : next;
    }
    case "message.removed": {
      if (!belongs(state, event.properties.sessionID)) return state;
      return { ...state, messages: state.messages.filter((m) => m.id !== event.properties.messageID) };
    }
    case "message.part.updated": {
      const { part, delta } = event.properties;
      if (!belongs(state, part.sessionID)) return state;
      return updateMessage(state, part.messageID, (m) => {
        const existing = m.parts.find((p) => p.id === part.id);
        return { ...m, parts: insertSorted(m.parts, mergePart(existing, part, delta)) };
      });
    }
    case "message.part.removed": {
      const { sessionID, messageID, partID } = event.properties;
      if (!belongs(state, sessionID)) return state;
      return updateMessage(state, messageID, (m) => ({ ...m, parts: m.parts.filter((p) => p.id !== partID) }));
    }
    case "session.status": {
      if (!belongs(state, event.properties.sessionID)) return state;
      const status = event.properties.status;
      return { ...state, status, error: status.type === "busy" && state.status.type === "idle" ? null : state.error };
    }
    case "session.idle":
      return belongs(state, event.properties.sessionID) ? { ...state, status: { type: "idle" } } : state;
    case "session.error": {
      const { sessionID, error } = event.properties;
      // Stopping a run is not an error: the message itself shows a neutral "Canceled".
      if (!belongs(state, sessionID) || !error || isAbort(error)) return state;
      return { ...state, error };
    }
    case "session.created":
    case "session.updated": {
      const info = event.properties.info;
      if (info.id === state.sessionID) return { ...state, session: info };
      if (info.parentID && info.parentID === state.sessionID && !state.childIDs.includes(info.id)) {
        return { ...state, childIDs: [...state.childIDs, info.id] };
      }
      return state;
    }
    case "session.deleted":
      return event.properties.info.id === state.sessionID ? emptyState(null) : state;
    case "todo.updated":
      return belongs(state, event.properties.sessionID) ? { ...state, todos: event.properties.todos } : state;
    case "permission.asked": {
      const request = event.properties;
      const mine = belongs(state, request.sessionID) || state.childIDs.includes(request.sessionID);
      if (!mine || state.permissions.some((p) => p.id === request.id)) return state;
      return { ...state, permissions: [...state.permissions, request] };
    }
    case "permission.replied": {
      const id = event.properties.requestID;
      if (!state.permissions.some((p) => p.id === id)) return state;
      return { ...state, permissions: state.permissions.filter((p) => p.id !== id) };
    }
    default:
      return state;
  }
}

export function isAbort(error: MessageError): boolean {
  return error.name === "MessageAbortedError";
}

export function reduceAll(state: ViewState, events: Iterable<ServerEvent>): ViewState {
  let next = state;
  for (const event of events) next = reduce(next, event);
  return next;
}

// --- selectors ---------------------------------------------------------------------------------

export interface Usage {
  tokens: number;
  cost: number;
}

function tokenTotal(tokens: Tokens | undefined): number {
  if (!tokens) return 0;
  return tokens.input + tokens.output + tokens.reasoning + tokens.cache.read + tokens.cache.write;
}

/**
 * A reply's usage, or null when there is none to show: a reply stopped (or failed) before the
 * model reported any usage has no token count, not a count of 0.
 */
export function messageUsage(message: MessageView): Usage | null {
  const info = message.info;
  if (!info || info.role !== "assistant") return null;
  const tokens = tokenTotal(info.tokens);
  if (info.error && tokens === 0 && !info.cost) return null;
  return { tokens, cost: info.cost ?? 0 };
}

/** Session totals: cost adds up; tokens are the last reply's (its input already holds the history). */
export function sessionUsage(state: ViewState): Usage {
  let cost = 0;
  let tokens = 0;
  for (const message of state.messages) {
    const usage = messageUsage(message);
    if (!usage) continue;
    cost += usage.cost;
    if (usage.tokens > 0) tokens = usage.tokens;
  }
  return { tokens, cost };
}

export function isRunning(state: ViewState): boolean {
  return state.status.type !== "idle";
}

/** The last user message: what retry re-sends (`/undo` takes `history.undoTarget`, which stops at a revert point). */
export function lastUserMessage(state: ViewState): MessageView | undefined {
  for (let i = state.messages.length - 1; i >= 0; i--) {
    if (state.messages[i].info?.role === "user") return state.messages[i];
  }
  return undefined;
}

/** How many messages the session's revert point hides (shown as a marker with Redo). */
export function revertedCount(state: ViewState): number {
  const revert = state.session?.revert?.messageID;
  return revert ? state.messages.filter((m) => m.id >= revert).length : 0;
}

/** Messages at or after the session's revert point are hidden, as OpenCode does. */
export function visibleMessages(state: ViewState): MessageView[] {
  const revert = state.session?.revert?.messageID;
  return revert ? state.messages.filter((m) => m.id < revert) : state.messages;
}

/**
 * The task list as of what the transcript shows. The server keeps the last list the agent wrote,
 * also when an undo hides the messages that wrote it; with a revert point the list is the one the
 * last visible `todowrite` call left (none when no visible call wrote one). Redo shows the kept
 * list again.
 */
export function visibleTodos(state: ViewState): Todo[] {
  if (!state.session?.revert?.messageID) return state.todos;
  const messages = visibleMessages(state);
  for (let i = messages.length - 1; i >= 0; i--) {
    const parts = messages[i].parts;
    for (let j = parts.length - 1; j >= 0; j--) {
      const part = parts[j];
      if (part.type !== "tool" || part.tool !== "todowrite" || part.state.status !== "completed") continue;
      const todos = part.state.metadata?.todos ?? part.state.input.todos;
      if (Array.isArray(todos)) return todos as Todo[];
    }
  }
  return [];
}

export function toMessages(state: ViewState): MessageWithParts[] {
  return state.messages.filter((m) => m.info).map((m) => ({ info: m.info as MessageInfo, parts: m.parts }));
}
