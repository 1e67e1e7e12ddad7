// The chat panel's script: applies host messages to the view model and draws it.

import type { HostToPanel, PanelToHost, QueuedPrompt, ServerState } from "../shared/messages";
import { UndoneInput } from "../shared/history";
import type { AgentInfo, ModelInfo } from "../shared/protocol";
import { emptyState, isRunning, loadSession, reduce, type ViewState } from "../shared/reducer";
import { Composer } from "./composer";
import { h } from "./dom";
import { errorText, renderHeader, renderRunStatus, renderTodos, TranscriptView } from "./render";

interface VsCodeApi {
  postMessage(message: PanelToHost): void;
  getState(): PersistedState | undefined;
  setState(state: PersistedState): void;
}

interface PersistedState {
  agent?: string;
  model?: string;
}

declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const post = (message: PanelToHost) => vscode.postMessage(message);
const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const transcript = byId<HTMLElement>("transcript");
const banner = byId<HTMLElement>("banner");
const todos = byId<HTMLElement>("todos");
const looseAsks = byId<HTMLElement>("permissions");
const agentPicker = byId<HTMLSelectElement>("agent-picker");
const modelPicker = byId<HTMLSelectElement>("model-picker");
const stop = byId<HTMLButtonElement>("stop");
const sendButton = byId<HTMLButtonElement>("send");
const queueSection = byId<HTMLElement>("queue");
const mcpStatus = byId<HTMLElement>("mcp-status");

let state: ViewState = emptyState();
let notice: { level: "info" | "error"; message: string } | null = null;
let searchCounter = 0;
let serverState: ServerState = "starting";
let queued: QueuedPrompt[] = [];
const persisted: PersistedState = vscode.getState() ?? {};
const undone = new UndoneInput();

const view = new TranscriptView(transcript, {
  openFile: (path, startLine, endLine) => post({ type: "openFile", path, startLine, endLine }),
  reply: (requestID, reply, message) => post({ type: "permissionReply", requestID, reply, ...(message ? { message } : {}) }),
  retry: () => post({ type: "retry" }),
  redo: () => post({ type: "command", name: "redo" }),
  copy: (text) => post({ type: "copy", text }),
  insert: (text) => post({ type: "insert", text }),
});

const choice = () => ({
  ...(agentPicker.value ? { agent: agentPicker.value } : {}),
  ...(modelPicker.value ? { model: modelPicker.value } : {}),
});

const composer = new Composer(byId("input"), byId("completions"), byId("attachments"), {
  send: (text, attachments) => {
    notice = null;
    post({ type: "send", text, attachments, ...choice() });
  },
  command: (name) => post({ type: "command", name }),
  customCommand: (name, args) => post({ type: "customCommand", name, arguments: args, ...choice() }),
  searchFiles: (query) => {
    const requestId = ++searchCounter;
    post({ type: "searchFiles", requestId, query });
    return requestId;
  },
});

stop.addEventListener("click", () => post({ type: "cancel" }));
// Escape stops the run from anywhere in the panel (the composer's own Escape closes its
// completion list first, and stops propagation there).
document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && !e.defaultPrevented && isRunning(state)) {
    e.preventDefault();
    post({ type: "cancel" });
  }
});
sendButton.addEventListener("click", () => composer.submit());
for (const picker of [agentPicker, modelPicker]) {
  picker.addEventListener("change", () => {
    persisted.agent = agentPicker.value || undefined;
    persisted.model = modelPicker.value || undefined;
    vscode.setState(persisted);
  });
}

function fillPicker(picker: HTMLSelectElement, defaultLabel: string, values: string[], chosen: string | undefined): void {
  const options = [h("option", { value: "" }, defaultLabel), ...values.map((v) => h("option", { value: v }, v))];
  picker.replaceChildren(...options);
  picker.value = chosen && values.includes(chosen) ? chosen : "";
}

function showCatalog(agents: AgentInfo[], models: ModelInfo[], agent?: string, model?: string): void {
  fillPicker(agentPicker, agent ? `${agent} (default)` : "default agent", agents.map((a) => a.name), persisted.agent);
  const names = models.map((m) => `${m.providerID}/${m.modelID}`);
  fillPicker(modelPicker, model ? `${model} (default)` : "default model", names, persisted.model);
}

/** What to do when the server is down: read how to install it, read its log, start it again. */
function serverActions(): HTMLElement[] {
  if (serverState !== "stopped" || notice?.level !== "error") return [];
  const button = (label: string, action: "install" | "log" | "restart") => {
    const el = h("button", { type: "button", class: `server-action server-${action}` }, label);
    el.addEventListener("click", () => post({ type: "serverAction", action }));
    return el;
  };
  return [h("span", { class: "server-actions" }, button("How to install", "install"), button("Show log", "log"), button("Restart", "restart"))];
}

function renderBanner(): void {
  const items: HTMLElement[] = [];
  if (notice) items.push(h("div", { class: `notice notice-${notice.level}` }, notice.message, ...serverActions()));
  if (state.error) {
    const retry = h("button", { type: "button", class: "retry" }, "Retry");
    retry.addEventListener("click", () => post({ type: "retry" }));
    items.push(h("div", { class: "notice notice-error session-error" }, errorText(state.error), retry));
  }
  banner.hidden = items.length === 0;
  banner.replaceChildren(...items);
}

function renderQueue(): void {
  queueSection.hidden = queued.length === 0;
  queueSection.replaceChildren(
    ...queued.map((item, index) => {
      const remove = h("button", { type: "button", class: "queued-remove", title: "Do not send" }, "×");
      remove.addEventListener("click", () => post({ type: "unqueue", index }));
      const files = item.attachments.length ? ` (+${item.attachments.length} file${item.attachments.length === 1 ? "" : "s"})` : "";
      return h("div", { class: "queued" }, h("span", { class: "queued-label" }, "Queued"), h("span", { class: "queued-text" }, item.text + files), remove);
    }),
  );
}

function renderComposerState(): void {
  const ready = serverState === "running";
  composer.setReady(ready);
  sendButton.disabled = !ready;
  sendButton.title = ready ? (isRunning(state) ? "Queue this message until the run ends" : "Send (Enter)") : "The server is starting…";
  sendButton.textContent = ready && isRunning(state) ? "Queue" : "Send";
}

let scheduled = false;
function render(): void {
  scheduled = false;
  // Follow the stream only when the user has not scrolled up to read.
  const atBottom = transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 40;
  renderHeader(state, byId("session-title"), byId("session-usage"));
  view.render(state);
  view.renderLooseAsks(state, looseAsks);
  renderTodos(state, todos);
  renderRunStatus(state, byId("run-status"), stop);
  renderBanner();
  renderQueue();
  renderComposerState();
  if (atBottom) transcript.scrollTop = transcript.scrollHeight;
}

// Draw at most once a frame: a fast stream sends many deltas per frame, and redrawing the
// growing markdown for each would cost O(text) per delta (see bench: npm run bench).
function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(render);
}

window.addEventListener("message", (e: MessageEvent<HostToPanel>) => {
  const message = e.data;
  switch (message.type) {
    case "session":
      // A failed command's notice is about the session it ran on; the server's own notices
      // (starting, stopped) stay whatever the session.
      if (message.session?.id !== state.sessionID && serverState === "running") notice = null;
      state = loadSession(message.session, message.messages, message);
      break;
    case "event":
      state = reduce(state, message.event);
      break;
    case "catalog":
      showCatalog(message.agents, message.models, message.agent, message.model);
      return;
    case "fileResults":
      composer.fileResults(message.requestId, message.paths);
      return;
    case "attach":
      composer.attach(message.attachment);
      return;
    case "unsent":
      composer.restore(message.text, message.attachments);
      return;
    case "undone": {
      const outcome = undone.undone(composer.text, message.text);
      if (outcome && "input" in outcome) composer.setText(outcome.input);
      else if (outcome) notice = { level: "info", message: outcome.notice };
      break;
    }
    case "redone":
      if (undone.redone(composer.text)) composer.setText("");
      return;
    case "notice":
      notice = { level: message.level, message: message.message };
      break;
    case "queue":
      queued = message.items;
      break;
    case "mcp":
      mcpStatus.textContent = message.summary ?? "";
      mcpStatus.hidden = !message.summary;
      return;
    case "server":
      serverState = message.state;
      if (message.state === "starting") notice = { level: "info", message: "Starting the opencode server…" };
      else if (message.state === "stopped") notice = { level: "error", message: message.message ?? "The opencode server stopped." };
      else notice = null;
      break;
  }
  schedule();
});

post({ type: "ready" });
schedule();
