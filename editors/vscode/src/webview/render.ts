// Draws the view model. Parts and messages are immutable, so an element is rebuilt only when
// its part object changed: a streamed delta redraws one part, not the transcript.

import type { MessageError, Part, PermissionReply, PermissionRequest } from "../shared/protocol";
import { isRunning, type MessageView, messageUsage, revertedCount, sessionUsage, type ViewState, visibleMessages, visibleTodos } from "../shared/reducer";
import { formatCost, formatTokens, h } from "./dom";
import { diffView, type PartActions, partView, toolCard } from "./parts";

export interface ViewActions extends PartActions {
  reply(requestID: string, reply: PermissionReply, message?: string): void;
  retry(): void;
  redo(): void;
}

interface Cached<T> {
  key: T;
  el: HTMLElement | null;
}

export function errorText(error: MessageError): string {
  return error.data?.message ? `${error.name}: ${error.data.message}` : error.name;
}

/** What "Always" would allow from now on, in the server's own patterns. */
export function alwaysScope(request: PermissionRequest): string {
  const patterns = request.always && request.always.length ? request.always : request.patterns;
  return `${request.permission}: ${patterns.join(", ")}`;
}

export function permissionView(request: PermissionRequest, actions: ViewActions): HTMLElement {
  const feedback = h("input", {
    class: "permission-feedback",
    type: "text",
    placeholder: "Optional: tell the agent why, or what to do instead",
  });
  const button = (label: string, reply: PermissionReply, cls: string, title: string) => {
    const el = h("button", { type: "button", class: `permission-${cls}`, "data-reply": reply, title }, label);
    el.addEventListener("click", () => {
      const message = reply === "reject" && feedback.value.trim() ? feedback.value.trim() : undefined;
      for (const b of box.querySelectorAll("button")) (b as HTMLButtonElement).disabled = true;
      actions.reply(request.id, reply, message);
    });
    return el;
  };
  const diff = typeof request.metadata?.diff === "string" && request.metadata.diff.trim() ? request.metadata.diff : undefined;
  const scope = alwaysScope(request);
  const box = h(
    "div",
    { class: "permission", "data-request-id": request.id },
    h("div", { class: "permission-title" }, `Permission required: ${request.permission}`),
    h("code", { class: "permission-patterns" }, request.patterns.join("\n")),
    diff ? h("div", { class: "permission-diff" }, diffView(diff)) : null,
    h("div", { class: "permission-scope" }, "Always allows: ", h("code", {}, scope)),
    h(
      "div",
      { class: "permission-actions" },
      button("Allow once", "once", "once", "Allow this call only"),
      button("Always", "always", "always", `Allow from now on: ${scope}`),
      button("Reject", "reject", "reject", "Refuse; the note below goes to the agent"),
    ),
    feedback,
  );
  return box;
}

export class TranscriptView {
  private readonly partCache = new Map<string, Cached<Part>>();
  private readonly messageEls = new Map<string, HTMLElement>();
  private readonly permissionCache = new Map<string, HTMLElement>();
  /** The session's directory: tool cards name files under it relative to it. */
  private directory: string | undefined;

  constructor(
    private readonly root: HTMLElement,
    private readonly actions: ViewActions,
  ) {}

  private permissionEl(request: PermissionRequest): HTMLElement {
    let el = this.permissionCache.get(request.id);
    if (!el) {
      el = permissionView(request, this.actions);
      this.permissionCache.set(request.id, el);
    }
    return el;
  }

  private partEl(part: Part, permission: PermissionRequest | undefined): HTMLElement | null {
    const cached = this.partCache.get(part.id);
    // A tool card also depends on whether a permission ask is attached to it.
    const fresh = cached && cached.key === part && (part.type !== "tool" || cached.el?.dataset.permission === (permission?.id ?? ""));
    if (fresh) return cached.el;
    let el: HTMLElement | null;
    if (part.type === "tool") {
      el = toolCard(part, permission, permission ? this.permissionEl(permission) : null, this.directory);
      el.dataset.permission = permission?.id ?? "";
    } else {
      el = partView(part, this.actions);
      if (el) el.dataset.partId = part.id;
    }
    this.partCache.set(part.id, { key: part, el });
    return el;
  }

  private messageEl(message: MessageView, asks: Map<string, PermissionRequest>): HTMLElement {
    let el = this.messageEls.get(message.id);
    const role = message.info?.role ?? "assistant";
    if (!el) {
      el = h("div", { class: `message message-${role}`, "data-message-id": message.id });
      this.messageEls.set(message.id, el);
    }
    el.className = `message message-${role}`;
    const children: HTMLElement[] = [];
    for (const part of message.parts) {
      const ask = part.type === "tool" ? asks.get(part.callID) : undefined;
      const partEl = this.partEl(part, ask);
      if (partEl) children.push(partEl);
    }
    const info = message.info;
    if (info?.role === "assistant" && info.error) {
      const aborted = info.error.name === "MessageAbortedError";
      const box = h("div", { class: aborted ? "message-aborted" : "message-error" }, aborted ? "Canceled" : errorText(info.error));
      if (!aborted) {
        const retry = h("button", { type: "button", class: "retry" }, "Retry");
        retry.addEventListener("click", () => this.actions.retry());
        box.append(retry);
      }
      children.push(box);
    }
    const usage = messageUsage(message);
    if (usage && info?.role === "assistant" && info.time.completed) {
      children.push(h("div", { class: "message-usage" }, `${info.agent} · ${info.providerID}/${info.modelID} · ${formatTokens(usage.tokens)} · ${formatCost(usage.cost)}`));
    }
    replaceChildren(el, children);
    return el;
  }

  render(state: ViewState): void {
    this.directory = state.session?.directory;
    // Asks tied to a tool call are drawn inside that tool's card.
    const asks = new Map<string, PermissionRequest>();
    for (const request of state.permissions) if (request.tool) asks.set(request.tool.callID, request);
    const messages = visibleMessages(state);
    const elements = messages.map((m) => this.messageEl(m, asks));
    const reverted = revertedCount(state);
    if (reverted) elements.push(this.revertMarker(reverted));
    replaceChildren(this.root, elements);
    const live = new Set(messages.flatMap((m) => m.parts.map((p) => p.id)));
    for (const id of this.partCache.keys()) if (!live.has(id)) this.partCache.delete(id);
    const liveMessages = new Set(messages.map((m) => m.id));
    for (const id of this.messageEls.keys()) if (!liveMessages.has(id)) this.messageEls.delete(id);
    const pending = new Set(state.permissions.map((p) => p.id));
    for (const id of this.permissionCache.keys()) if (!pending.has(id)) this.permissionCache.delete(id);
  }

  private marker: { count: number; el: HTMLElement } | undefined;

  /** After /undo: how much is hidden, and a Redo button that brings back one turn per click. */
  private revertMarker(count: number): HTMLElement {
    if (this.marker?.count === count) return this.marker.el;
    const redo = h("button", { type: "button", class: "redo" }, "Redo");
    redo.addEventListener("click", () => this.actions.redo());
    const el = h(
      "div",
      { class: "revert-marker" },
      h("span", {}, `${count} message${count === 1 ? "" : "s"} reverted — Redo (or /redo) brings them back one turn at a time, with their file changes`),
      redo,
    );
    this.marker = { count, el };
    return el;
  }

  /** Asks whose tool call is not on screen (e.g. from a subtask session) go in their own section. */
  renderLooseAsks(state: ViewState, section: HTMLElement): void {
    const shown = new Set(
      visibleMessages(state).flatMap((m) => m.parts.filter((p) => p.type === "tool").map((p) => (p as { callID: string }).callID)),
    );
    const loose = state.permissions.filter((p) => !p.tool || !shown.has(p.tool.callID));
    replaceChildren(section, loose.map((p) => this.permissionEl(p)));
  }
}

/** Swap children only where they differ, so untouched nodes keep focus, selection and open state. */
export function replaceChildren(parent: HTMLElement, children: HTMLElement[]): void {
  children.forEach((child, index) => {
    if (parent.children[index] !== child) parent.insertBefore(child, parent.children[index] ?? null);
  });
  while (parent.children.length > children.length) parent.lastElementChild?.remove();
}

export function renderTodos(state: ViewState, section: HTMLElement): void {
  const todos = visibleTodos(state);
  section.hidden = todos.length === 0;
  const items = todos.map((todo) => {
    const done = todo.status === "completed";
    const box = h("input", { type: "checkbox", disabled: true, checked: done });
    return h("li", { class: `todo todo-${todo.status}` }, box, h("span", {}, todo.content));
  });
  section.replaceChildren(h("div", { class: "section-title" }, "Todos"), h("ul", { class: "todo-list" }, ...items));
}

export function renderHeader(state: ViewState, title: HTMLElement, usage: HTMLElement): void {
  title.textContent = state.session?.title ?? "New session";
  const total = sessionUsage(state);
  usage.textContent = state.messages.length ? `${formatTokens(total.tokens)} · ${formatCost(total.cost)}` : "";
}

export function renderRunStatus(state: ViewState, status: HTMLElement, stop: HTMLElement): void {
  stop.hidden = !isRunning(state);
  if (state.status.type === "retry") status.textContent = `retrying (attempt ${state.status.attempt})…`;
  else status.textContent = state.status.type === "busy" ? "working…" : "";
}
