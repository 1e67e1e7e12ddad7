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

/** The "Archived" group at the end of the tree: archived sessions stay reachable there. */
export class ArchivedGroup extends vscode.TreeItem {
  constructor() {
    super("Archived", vscode.TreeItemCollapsibleState.Collapsed);
    this.id = "opencode.archived";
    this.contextValue = "opencodeArchivedGroup";
    this.iconPath = new vscode.ThemeIcon("archive");
  }
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
    this.contextValue = session.time.archived ? "opencodeArchivedSession" : "opencodeSession";
    this.iconPath = new vscode.ThemeIcon(current ? "comment-discussion" : "comment");
    this.command = { command: "opencode.sessions.open", title: "Open session", arguments: [this] };
  }
}

type Node = SessionItem | ArchivedGroup;

export class SessionsTreeProvider implements vscode.TreeDataProvider<Node> {
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

  async getChildren(element?: Node): Promise<Node[]> {
    if (!this.server.running) return [];
    let sessions: Session[];
    if (element instanceof ArchivedGroup) {
      sessions = (await this.server.request<Session[]>(Methods.sessionList, { roots: true, archived: true, limit: 200 })).filter(
        (s) => s.time.archived,
      );
    } else if (element) {
      sessions = await this.server.request<Session[]>(Methods.sessionChildren, { sessionID: element.session.id });
    } else {
      sessions = (await this.server.request<Session[]>(Methods.sessionList, { roots: true, limit: 200 })).filter((s) => !s.time.archived);
    }
    // Which of these have children: one listing request per visible session would be slow,
    // so ask the server once for all non-root sessions and group them by parent.
    const all = await this.server.request<Session[]>(Methods.sessionList, { limit: 1000 });
    const parents = new Set(all.map((s) => s.parentID).filter((id): id is string => Boolean(id)));
    const current = this.currentSession();
    const items: Node[] = sessions.map((s) => new SessionItem(s, parents.has(s.id), s.id === current));
    if (!element) {
      const archived = await this.server.request<Session[]>(Methods.sessionList, { roots: true, archived: true, limit: 1 });
      if (archived.some((s) => s.time.archived)) items.push(new ArchivedGroup());
    }
    return items;
  }

  getTreeItem(element: Node): vscode.TreeItem {
    return element;
  }
}
