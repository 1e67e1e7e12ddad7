// The chat webview view: owns the current session, forwards server events to the panel and
// turns the panel's messages into server requests.

import { isAbsolute } from "node:path";
import * as vscode from "vscode";
import type { Attachment, HostToPanel, PanelToHost, SlashCommandName } from "../shared/messages";
import {
  type AgentInfo,
  type MessageWithParts,
  Methods,
  type ModelInfo,
  type PermissionRequest,
  type PromptPart,
  type RunProgressValue,
  type Session,
  type SessionStatus,
  type Todo,
} from "../shared/protocol";
import { emptyState, lastUserMessage, loadSession, reduce, type ViewState } from "../shared/reducer";
import { parseModel } from "../shared/settings";
import { makeNonce, panelHtml } from "./panelHtml";
import type { ServerClient } from "./serverClient";
import { readSettings } from "./serverClient";

const CURRENT_SESSION_KEY = "opencode.currentSession";

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

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly server: ServerClient,
  ) {
    this.state = emptyState(context.workspaceState.get<string>(CURRENT_SESSION_KEY) ?? null);
    this.disposables.push(
      server.onEvent((event) => {
        this.state = reduce(this.state, event);
        this.post({ type: "event", event });
      }),
      server.onState((state, message) => {
        this.post({ type: "server", state, message });
        if (state === "running") void this.refreshAll();
      }),
    );
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
          this.post({ type: "server", state: this.server.running ? "running" : "starting" });
          if (this.server.running) await this.refreshAll();
          const pending = this.pending;
          this.pending = [];
          for (const queued of pending) this.post(queued);
          return;
        }
        case "send":
          return await this.send(message.text, message.attachments, message.agent, message.model);
        case "customCommand":
          return await this.customCommand(message.name, message.arguments, message.agent, message.model);
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
        case "openFile":
          await vscode.window.showTextDocument(resolvePath(message.path), { preview: true });
          return;
      }
    } catch (error) {
      this.notify("error", error instanceof Error ? error.message : String(error));
    }
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
    } catch {
      return this.open(null); // deleted since: start empty rather than fail
    }
    const [messages, todos, permissions, statuses] = await Promise.all([
      this.server.request<MessageWithParts[]>(Methods.sessionMessages, { sessionID }),
      this.server.request<Todo[]>(Methods.sessionTodo, { sessionID }),
      this.server.request<PermissionRequest[]>(Methods.permissionList, {}),
      this.server.request<Record<string, SessionStatus>>(Methods.sessionStatus, {}),
    ]);
    const status = statuses[sessionID] ?? { type: "idle" };
    this.state = loadSession(session, messages, { todos, permissions, status });
    this.post({ type: "session", session, messages, todos, permissions: this.state.permissions, status });
  }

  async newSession(): Promise<Session> {
    const session = await this.server.request<Session>(Methods.sessionCreate, {});
    await this.open(session.id);
    return session;
  }

  private async ensureSession(): Promise<string> {
    return this.state.sessionID ?? (await this.newSession()).id;
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
    const sessionID = await this.ensureSession();
    const parts: PromptPart[] = [];
    if (text.trim()) parts.push({ type: "text", text });
    for (const attachment of attachments) parts.push(attachmentPart(attachment));
    if (!parts.length) return;
    await this.runRequest(Methods.sessionPrompt, { sessionID, parts, ...this.choice(agent, model) });
  }

  private choice(agent?: string, model?: string): Record<string, unknown> {
    const chosen: Record<string, unknown> = {};
    if (agent) chosen.agent = agent;
    const parsed = parseModel(model);
    if (parsed) chosen.model = parsed;
    return chosen;
  }

  private async customCommand(name: string, args: string, agent?: string, model?: string): Promise<void> {
    const sessionID = await this.ensureSession();
    await this.runRequest(Methods.sessionCommand, { sessionID, command: name, arguments: args, ...this.choice(agent, model) });
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
    await this.runRequest(Methods.sessionPrompt, { sessionID: this.state.sessionID, parts, ...choice });
  }

  async slashCommand(name: SlashCommandName): Promise<void> {
    if (name === "new") {
      await this.newSession();
      return;
    }
    const sessionID = this.state.sessionID;
    if (!sessionID) return this.notify("info", `/${name} needs a session: send a message first.`);
    switch (name) {
      case "compact":
        await this.server.request(Methods.sessionSummarize, { sessionID });
        break;
      case "undo": {
        // Revert the last user message still visible (before any earlier revert point).
        const revertPoint = this.state.session?.revert?.messageID;
        const users = this.state.messages.filter((m) => m.info?.role === "user" && (!revertPoint || m.id < revertPoint));
        const target = users[users.length - 1];
        if (!target) return this.notify("info", "Nothing to undo.");
        await this.server.request(Methods.sessionRevert, { sessionID, messageID: target.id });
        break;
      }
      case "redo":
        await this.server.request(Methods.sessionUnrevert, { sessionID });
        break;
      case "fork": {
        const fork = await this.server.request<Session>(Methods.sessionFork, { sessionID });
        return this.open(fork.id);
      }
      case "export": {
        const data = await this.server.request<unknown>(Methods.sessionExport, { sessionID });
        const doc = await vscode.workspace.openTextDocument({ language: "json", content: JSON.stringify(data, null, 2) });
        await vscode.window.showTextDocument(doc);
        return;
      }
    }
    await this.open(sessionID);
  }

  private async searchFiles(requestId: number, query: string): Promise<void> {
    const safe = query.replace(/[{}[\]*?]/g, "");
    const found = await vscode.workspace.findFiles(`**/*${safe}*`, "**/{node_modules,.git,.venv,dist,out}/**", 40);
    const paths = found.map((uri) => vscode.workspace.asRelativePath(uri, false)).sort();
    this.post({ type: "fileResults", requestId, paths });
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
