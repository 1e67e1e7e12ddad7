// The chat webview view: owns the current session, forwards server events to the panel and
// turns the panel's messages into server requests.

import * as vscode from "vscode";
import type { Attachment, HostToPanel, PanelToHost, QueuedPrompt, SlashCommandName } from "../shared/messages";
import {
  type AgentInfo,
  ErrorCodes,
  errorCode,
  type MessageWithParts,
  Methods,
  type ModelInfo,
  type PermissionRequest,
  type PromptPart,
  type RunProgressValue,
  type ServerEvent,
  type Session,
  type SessionStatus,
  type Todo,
} from "../shared/protocol";
import { emptyState, lastUserMessage, loadSession, reduce, reduceAll, toMessages, type ViewState } from "../shared/reducer";
import { EventsDuringLoad } from "../shared/sessionLoad";
import { OpenAsks } from "./asks";
import { attachmentPart, chosen, describe, findWorkspaceFiles, insertAtCursor, resolvePath } from "./chatHelpers";
import { McpWatch } from "./mcpWatch";
import { makeNonce, panelHtml } from "./panelHtml";
import type { ServerClient } from "./serverClient";
import { runSlashCommand } from "./slashCommands";
import { readSettings } from "./serverClient";

const CURRENT_SESSION_KEY = "opencode.currentSession";

export class ChatViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewId = "opencode.chat";
  private view: vscode.WebviewView | undefined;
  /** A mirror of the panel's state, so retry and undo know the last user message. */
  private state: ViewState;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly runListeners = new Set<(value: RunProgressValue | null) => void>();
  /** False until the panel's script says ready: messages posted earlier would be lost. */
  private panelReady = false;
  /** Attachments (and notices) sent before the panel was ready; the transcript is rebuilt anyway. */
  private pending: HostToPanel[] = [];
  /** Prompts typed while the session was busy, sent one by one as runs end. */
  private queue: Array<QueuedPrompt & { agent?: string; model?: string }> = [];
  /** Permission asks of every session still waiting for an answer (badge, status bar, toasts). */
  readonly asks: OpenAsks;
  /** MCP servers' state in the panel header. */
  private readonly mcp: McpWatch;
  /** Session loads under way, each recording the events that arrive meanwhile. */
  private readonly loads = new Set<EventsDuringLoad>();

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly server: ServerClient,
  ) {
    this.state = emptyState(context.workspaceState.get<string>(CURRENT_SESSION_KEY) ?? null);
    this.mcp = new McpWatch(server, (message) => this.post(message));
    this.asks = new OpenAsks(server, async (sessionID) => {
      await this.reveal();
      if (sessionID !== this.state.sessionID) await this.open(sessionID);
    });
    this.disposables.push(
      server.onEvent((event) => this.onServerEvent(event)),
      server.onState((state, message) => {
        this.post({ type: "server", state, message });
        if (state === "running") {
          void this.refreshAll().catch((error) => this.notify("error", describe(error)));
          this.mcp.watch();
        } else {
          this.asks.clear();
        }
      }),
    );
  }

  private onServerEvent(event: ServerEvent): void {
    const wasRunning = this.state.status.type !== "idle";
    for (const load of this.loads) load.record(event);
    this.state = reduce(this.state, event);
    this.post({ type: "event", event });
    this.asks.onEvent(event, Boolean(this.view?.visible));
    // The run ended: the next queued prompt goes out.
    if (wasRunning && this.state.status.type === "idle" && this.queue.length) void this.sendNextQueued();
  }

  async reveal(): Promise<void> {
    await vscode.commands.executeCommand(`${ChatViewProvider.viewId}.focus`);
  }

  get sessionID(): string | null {
    return this.state.sessionID;
  }

  /** Progress of runs started from the panel (null when a run ends), for the status bar. */
  onRunProgress(listener: (value: RunProgressValue | null) => void): vscode.Disposable {
    this.runListeners.add(listener);
    return { dispose: () => this.runListeners.delete(listener) };
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.asks.setView(view);
    const mediaRoot = vscode.Uri.joinPath(this.context.extensionUri, "media");
    const distRoot = vscode.Uri.joinPath(this.context.extensionUri, "dist");
    view.webview.options = { enableScripts: true, localResourceRoots: [mediaRoot, distRoot] };
    view.webview.html = panelHtml({
      cspSource: view.webview.cspSource,
      nonce: makeNonce(),
      scriptUri: view.webview.asWebviewUri(vscode.Uri.joinPath(distRoot, "webview.js")).toString(),
      styleUri: view.webview.asWebviewUri(vscode.Uri.joinPath(mediaRoot, "panel.css")).toString(),
    });
    view.webview.onDidReceiveMessage((message: PanelToHost) => this.handle(message), undefined, this.disposables);
    view.onDidDispose(
      () => {
        this.view = undefined;
        this.asks.setView(undefined);
        this.panelReady = false;
      },
      undefined,
      this.disposables,
    );
  }

  private post(message: HostToPanel): void {
    if (this.view && this.panelReady) {
      void this.view.webview.postMessage(message);
    } else if (message.type === "attach" || message.type === "notice") {
      this.pending.push(message);
    }
  }

  private notify(level: "info" | "error", message: string): void {
    this.post({ type: "notice", level, message });
  }

  private async handle(message: PanelToHost): Promise<void> {
    try {
      switch (message.type) {
        case "ready": {
          this.panelReady = true;
          this.post({ type: "server", state: this.server.state });
          this.postQueue();
          if (this.server.running) {
            await this.refreshAll();
            void this.mcp.refresh();
          }
          const pending = this.pending;
          this.pending = [];
          for (const queued of pending) this.post(queued);
          return;
        }
        case "send":
          return await this.send(message.text, message.attachments, message.agent, message.model).catch((e) => this.unsent(e, message.text, message.attachments));
        case "customCommand":
          return await this.customCommand(message.name, message.arguments, message.agent, message.model).catch((e) => this.unsent(e, `/${message.name} ${message.arguments}`.trimEnd(), []));
        case "command":
          return await this.slashCommand(message.name);
        case "cancel":
          if (this.state.sessionID) await this.server.request(Methods.sessionAbort, { sessionID: this.state.sessionID });
          return;
        case "permissionReply":
          await this.server.request(Methods.permissionReply, {
            requestID: message.requestID,
            reply: message.reply,
            ...(message.message ? { message: message.message } : {}),
          });
          return;
        case "retry":
          return await this.retry();
        case "searchFiles":
          return await this.searchFiles(message.requestId, message.query);
        case "openFile": {
          const selection = message.startLine
            ? new vscode.Range(message.startLine - 1, 0, (message.endLine ?? message.startLine) - 1, 0)
            : undefined;
          await vscode.window.showTextDocument(resolvePath(message.path), { preview: true, selection });
          return;
        }
        case "unqueue":
          this.queue.splice(message.index, 1);
          this.postQueue();
          return;
        case "copy":
          await vscode.env.clipboard.writeText(message.text);
          return;
        case "insert":
          return await insertAtCursor(message.text);
        case "serverAction":
          if (message.action === "install") return this.server.showInstallGuide();
          await vscode.commands.executeCommand(message.action === "log" ? "opencode.showLog" : "opencode.restartServer");
          return;
      }
    } catch (error) {
      this.notify("error", describe(error));
    }
  }

  /** The panel cleared its input on sending: a refused prompt goes back there, then the error is told. */
  private unsent(error: unknown, text: string, attachments: Attachment[]): never {
    this.post({ type: "unsent", text, attachments });
    throw error;
  }

  private postQueue(): void {
    this.post({ type: "queue", items: this.queue.map(({ text, attachments }) => ({ text, attachments })) });
  }

  private async sendNextQueued(): Promise<void> {
    const next = this.queue.shift();
    this.postQueue();
    if (!next) return;
    await this.send(next.text, next.attachments, next.agent, next.model).catch((e) => this.unsent(e, next.text, next.attachments)).catch((e) => this.notify("error", describe(e)));
  }

  private async refreshAll(): Promise<void> {
    await Promise.all([this.sendCatalog(), this.open(this.state.sessionID)]);
  }

  private async sendCatalog(): Promise<void> {
    const [agents, models] = await Promise.all([
      this.server.request<AgentInfo[]>(Methods.agentList, {}),
      this.server.request<ModelInfo[]>(Methods.modelList, {}),
    ]);
    const settings = readSettings();
    this.post({
      type: "catalog",
      agents: agents.filter((a) => a.mode !== "subagent" && !a.hidden),
      models,
      agent: settings.agent || undefined,
      model: settings.model || undefined,
    });
  }

  /** Show a session (or none): rebuilt from `opencode/session/messages`, todos and pending asks. */
  async open(sessionID: string | null): Promise<void> {
    await this.context.workspaceState.update(CURRENT_SESSION_KEY, sessionID ?? undefined);
    if (!sessionID) {
      this.state = emptyState(null);
      this.post({ type: "session", session: null, messages: [], todos: [], permissions: [], status: { type: "idle" } });
      return;
    }
    let session: Session;
    try {
      session = await this.server.request<Session>(Methods.sessionGet, { sessionID });
    } catch (error) {
      if (errorCode(error) === ErrorCodes.notFound) return this.open(null); // deleted since: start empty
      throw error;
    }
    if (sessionID !== this.state.sessionID) this.queue = [];
    // Events streamed while the load is out (a prompt sent at once) go over the snapshot, not under.
    const load = new EventsDuringLoad();
    this.loads.add(load);
    const [messages, todos, permissions, statuses] = await Promise.all([
      load.snapshot(this.server.request<MessageWithParts[]>(Methods.sessionMessages, { sessionID })),
      this.server.request<Todo[]>(Methods.sessionTodo, { sessionID }),
      this.server.request<PermissionRequest[]>(Methods.permissionList, {}),
      this.server.request<Record<string, SessionStatus>>(Methods.sessionStatus, {}),
    ]).finally(() => this.loads.delete(load));
    const loaded = reduceAll(loadSession(session, messages, { todos, permissions, status: statuses[sessionID] }), load.after());
    this.state = loaded;
    this.post({ type: "session", session: loaded.session, messages: toMessages(loaded), todos: loaded.todos, permissions: loaded.permissions, status: loaded.status });
  }

  /** A fresh, empty chat: the session itself is created with its first message, so "+" saves nothing. */
  async newSession(): Promise<void> {
    this.queue = [];
    this.postQueue();
    await this.open(null);
  }

  /** Run `prompt` in the chat's session, or in a new one when the chat has none yet. */
  private async inSession(prompt: (sessionID: string) => Promise<void>): Promise<void> {
    if (this.state.sessionID) return prompt(this.state.sessionID);
    return this.inNewSession(prompt);
  }

  /**
   * Create a session, show it and run `prompt` in it. When the server refuses the prompt the new
   * session holds nothing: it is deleted again, so the Sessions view keeps no empty entry (the
   * refused text goes back in the input as for any refusal).
   */
  private async inNewSession(prompt: (sessionID: string) => Promise<void>, title?: string): Promise<void> {
    const session = await this.server.request<Session>(Methods.sessionCreate, title ? { title } : {});
    await this.open(session.id);
    try {
      await prompt(session.id);
    } catch (error) {
      await this.dropIfEmpty(session.id).catch(() => undefined); // the refusal is what the user is told
      throw error;
    }
  }

  private async dropIfEmpty(sessionID: string): Promise<void> {
    const messages = await this.server.request<MessageWithParts[]>(Methods.sessionMessages, { sessionID, limit: 1 });
    if (messages.length) return; // the prompt got in (a run that failed later): the session stays
    await this.server.request(Methods.sessionDelete, { sessionID });
    if (this.state.sessionID === sessionID) await this.open(null);
  }

  /** Start a run in a new session shown in the chat (editor commands such as Fix). */
  async runInNewSession(parts: PromptPart[], title?: string): Promise<void> {
    await this.reveal();
    await this.inNewSession((sessionID) => this.runRequest(Methods.sessionPrompt, { sessionID, parts }), title);
  }

  /** Reveal the panel and add a file (or a selection of it) to the next message. */
  async attach(attachment: Attachment, text?: string): Promise<void> {
    await vscode.commands.executeCommand(`${ChatViewProvider.viewId}.focus`);
    this.post({ type: "attach", attachment, text });
  }

  private async runRequest(method: string, params: Record<string, unknown>): Promise<void> {
    try {
      await this.server.run(method, params, (value) => {
        for (const listener of this.runListeners) listener(value);
      });
    } finally {
      for (const listener of this.runListeners) listener(null);
    }
  }

  async send(text: string, attachments: Attachment[], agent?: string, model?: string): Promise<void> {
    const parts: PromptPart[] = [];
    if (text.trim()) parts.push({ type: "text", text });
    for (const attachment of attachments) parts.push(attachmentPart(attachment));
    if (!parts.length) return;
    // A prompt sent while a run streams waits, visibly, until the run ends.
    if (this.state.sessionID && this.state.status.type !== "idle") {
      this.queue.push({ text, attachments, agent, model });
      this.postQueue();
      return;
    }
    await this.inSession(async (sessionID) => {
      try {
        await this.runRequest(Methods.sessionPrompt, { sessionID, parts, ...chosen(agent, model) });
      } catch (error) {
        if (errorCode(error) !== ErrorCodes.sessionBusy) throw error;
        // Busy with a run this panel has not heard of yet (e.g. started from a code action).
        this.queue.unshift({ text, attachments, agent, model });
        this.postQueue();
      }
    });
  }

  private async customCommand(name: string, args: string, agent?: string, model?: string): Promise<void> {
    await this.inSession((sessionID) =>
      this.runRequest(Methods.sessionCommand, { sessionID, command: name, arguments: args, ...chosen(agent, model) }),
    );
  }

  private async retry(): Promise<void> {
    const last = lastUserMessage(this.state);
    if (!last || !this.state.sessionID) return;
    const parts: PromptPart[] = [];
    for (const part of last.parts) {
      if (part.type === "text" && !part.synthetic) parts.push({ type: "text", text: part.text });
      if (part.type === "file") parts.push({ type: "file", url: part.url, mime: part.mime, filename: part.filename });
    }
    const info = last.info?.role === "user" ? last.info : undefined;
    const choice = info ? { agent: info.agent, model: info.model } : {};
    const sessionID = this.state.sessionID;
    // Take the failed exchange back first, so the retried message replaces it instead of
    // showing twice (the server drops reverted messages when the next prompt starts).
    await this.server.request(Methods.sessionRevert, { sessionID, messageID: last.id });
    await this.open(sessionID);
    await this.runRequest(Methods.sessionPrompt, { sessionID, parts, ...choice });
  }

  private async slashCommand(name: SlashCommandName): Promise<void> {
    if (name === "new") return this.newSession();
    await runSlashCommand(name, {
      server: this.server,
      state: () => this.state,
      open: (sessionID) => this.open(sessionID),
      notify: (level, message) => this.notify(level, message),
      post: (message) => this.post(message),
    });
  }

  private async searchFiles(requestId: number, query: string): Promise<void> {
    this.post({ type: "fileResults", requestId, paths: await findWorkspaceFiles(query) });
  }

  dispose(): void {
    this.mcp.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
