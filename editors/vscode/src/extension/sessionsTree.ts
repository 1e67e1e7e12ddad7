// The sessions tree: root sessions newest first, children (subtasks, forks with a parent) nested.

import * as vscode from "vscode";
import { Methods, type Session } from "../shared/protocol";
import type { ServerClient } from "./serverClient";

export function relativeTime(epochMs: number, now: number = Date.now()): string {
  const seconds = Math.round((now - epochMs) / 1000);
  if (seconds < 60) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  return days < 30 ? `${days} d ago` : new Date(epochMs).toISOString().slice(0, 10);
}

export function formatCost(cost: number | undefined): string {
  if (!cost) return "";
  return cost < 0.01 ? `$${cost.toFixed(4)}` : `$${cost.toFixed(2)}`;
}

export class SessionItem extends vscode.TreeItem {
  constructor(
    readonly session: Session,
    hasChildren: boolean,
    current: boolean,
  ) {
    super(
      session.title,
      hasChildren ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    this.id = session.id;
    this.description = [relativeTime(session.time.updated), formatCost(session.cost)].filter(Boolean).join(" · ");
    this.tooltip = `${session.title}\n${session.id}\n${new Date(session.time.updated).toLocaleString()}`;
    this.contextValue = "opencodeSession";
    this.iconPath = new vscode.ThemeIcon(current ? "comment-discussion" : "comment");
    this.command = { command: "opencode.sessions.open", title: "Open session", arguments: [this] };
  }
}

export class SessionsTreeProvider implements vscode.TreeDataProvider<SessionItem> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(
    private readonly server: ServerClient,
    private readonly currentSession: () => string | null,
  ) {
    server.onEvent((event) => {
      if (event.type === "session.created" || event.type === "session.updated" || event.type === "session.deleted") {
        this.refresh();
      }
    });
    server.onState(() => this.refresh());
  }

  refresh(): void {
    this.changed.fire();
  }

  async getChildren(element?: SessionItem): Promise<SessionItem[]> {
    if (!this.server.running) return [];
    const sessions = element
      ? await this.server.request<Session[]>(Methods.sessionChildren, { sessionID: element.session.id })
      : await this.server.request<Session[]>(Methods.sessionList, { roots: true, limit: 200 });
    // Which of these have children: one listing request per visible session would be slow,
    // so ask the server once for all non-root sessions and group them by parent.
    const all = await this.server.request<Session[]>(Methods.sessionList, { limit: 1000 });
    const parents = new Set(all.map((s) => s.parentID).filter((id): id is string => Boolean(id)));
    const current = this.currentSession();
    return sessions.map((s) => new SessionItem(s, parents.has(s.id), s.id === current));
  }

  getTreeItem(element: SessionItem): vscode.TreeItem {
    return element;
  }
}
