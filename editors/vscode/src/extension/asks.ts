// Permission asks waiting for an answer, in every session: the chat view's activity-bar badge,
// the status bar's count, and a toast when an ask arrives while the chat is hidden. The toast is
// a progress notification with links (an error or warning toast cannot be closed by the
// extension): it goes away by itself once the ask is answered anywhere, its run ends or the
// server stops, so no stale ask stays on screen.

import * as vscode from "vscode";
import { Methods, type PermissionRequest, type ServerEvent, type Session } from "../shared/protocol";
import type { ServerClient } from "./serverClient";

/** The command behind the toast's links: `[requestID, "show" | "once" | "reject"]`. */
const ANSWER_COMMAND = "opencode.permission.answerToast";

export class OpenAsks {
  private readonly asks = new Map<string, PermissionRequest>();
  /** Closers of the toasts on screen, by ask id. */
  private readonly toasts = new Map<string, () => void>();
  private readonly listeners = new Set<(count: number) => void>();
  private view: vscode.WebviewView | undefined;

  constructor(
    private readonly server: ServerClient,
    /** Bring the chat forward on the session that shows the ask. */
    private readonly show: (sessionID: string) => Promise<void>,
  ) {}

  /** The chat view carrying the badge (undefined while it is not resolved). */
  setView(view: vscode.WebviewView | undefined): void {
    this.view = view;
    this.update();
  }

  /** Follow the server's events; `chatVisible` says whether a new ask needs a toast. */
  onEvent(event: ServerEvent, chatVisible: boolean): void {
    if (event.type === "permission.asked") {
      this.asks.set(event.properties.id, event.properties);
      this.update();
      if (!chatVisible) this.announce(event.properties);
    } else if (event.type === "permission.replied") {
      this.drop(event.properties.requestID);
      this.update();
    } else if (event.type === "session.idle" || (event.type === "session.status" && event.properties.status.type === "idle")) {
      // No ask outlives its run (a stopped run withdraws its asks).
      const sessionID = event.properties.sessionID;
      for (const [id, ask] of this.asks) if (ask.sessionID === sessionID) this.drop(id);
      this.update();
    }
  }

  /** The server stopped: its asks are gone with it. */
  clear(): void {
    for (const id of [...this.asks.keys()]) this.drop(id);
    this.update();
  }

  private drop(id: string): void {
    this.asks.delete(id);
    this.toasts.get(id)?.();
    this.toasts.delete(id);
  }

  /** The command the toasts' links run. */
  register(): vscode.Disposable {
    return vscode.commands.registerCommand(ANSWER_COMMAND, (id: string, action: string) => this.answer(id, action));
  }

  private async answer(id: string, action: string): Promise<void> {
    const request = this.asks.get(id);
    if (!request) return; // answered meanwhile
    if (action === "show") return this.show(await this.rootSession(request.sessionID));
    await this.server.request(Methods.permissionReply, { requestID: id, reply: action === "once" ? "once" : "reject" });
  }

  /** Asks waiting anywhere, for the status bar. */
  onChange(listener: (count: number) => void): vscode.Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private update(): void {
    const count = this.asks.size;
    // Cleared with a zero badge, not `undefined`: VS Code (1.100) keeps a webview view's last
    // badge on the activity bar when it is set to undefined; a zero count is drawn as no badge.
    if (this.view) this.view.badge = { value: count, tooltip: count ? `${count} permission request${count === 1 ? "" : "s"} waiting` : "" };
    for (const listener of this.listeners) listener(count);
  }

  /** A toast for an ask while the chat is hidden: the run waits on it. */
  private announce(request: PermissionRequest): void {
    if (this.toasts.has(request.id)) return;
    const what = request.patterns.length ? `: ${request.patterns.join(", ")}` : "";
    const link = (label: string, action: string) =>
      `[${label}](command:${ANSWER_COMMAND}?${encodeURIComponent(JSON.stringify([request.id, action]))})`;
    const title = `opencode asks for permission (${request.permission}${what}) - ${link("Show", "show")} | ${link("Allow once", "once")} | ${link("Reject", "reject")}`;
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (_progress, token) =>
      new Promise<void>((resolve) => {
        this.toasts.set(request.id, resolve);
        token.onCancellationRequested(() => resolve()); // dismissed: the ask still waits in the chat
      }),
    );
  }

  /** The session an ask belongs to in the chat: a subtask's asks show in its parent. */
  private async rootSession(sessionID: string): Promise<string> {
    try {
      const session = await this.server.request<Session>(Methods.sessionGet, { sessionID });
      return session.parentID ? this.rootSession(session.parentID) : session.id;
    } catch {
      return sessionID;
    }
  }
}
