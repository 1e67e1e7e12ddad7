// Permission asks waiting for an answer, in every session: the chat view's activity-bar badge,
// the status bar's count, and a toast when an ask arrives while the chat is hidden.

import * as vscode from "vscode";
import { Methods, type PermissionRequest, type ServerEvent, type Session } from "../shared/protocol";
import type { ServerClient } from "./serverClient";

export class OpenAsks {
  private readonly asks = new Map<string, PermissionRequest>();
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
      if (!chatVisible) void this.announce(event.properties);
    } else if (event.type === "permission.replied") {
      this.asks.delete(event.properties.requestID);
      this.update();
    } else if (event.type === "session.idle" || (event.type === "session.status" && event.properties.status.type === "idle")) {
      // No ask outlives its run (a stopped run withdraws its asks).
      const sessionID = event.properties.sessionID;
      for (const [id, ask] of this.asks) if (ask.sessionID === sessionID) this.asks.delete(id);
      this.update();
    }
  }

  /** The server stopped: its asks are gone with it. */
  clear(): void {
    this.asks.clear();
    this.update();
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
  private async announce(request: PermissionRequest): Promise<void> {
    const what = request.patterns.length ? `: ${request.patterns.join(", ")}` : "";
    const choice = await vscode.window.showWarningMessage(`opencode asks for permission (${request.permission}${what})`, "Show", "Allow once", "Reject");
    if (!this.asks.has(request.id)) return; // answered meanwhile
    if (choice === "Allow once" || choice === "Reject") {
      await this.server.request(Methods.permissionReply, { requestID: request.id, reply: choice === "Allow once" ? "once" : "reject" });
    } else if (choice === "Show") {
      await this.show(await this.rootSession(request.sessionID));
    }
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
