// The status bar item: the agent in use, and a spinner with the run's status while it streams.

import * as vscode from "vscode";
import type { RunProgressValue, SessionStatus } from "../shared/protocol";

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
  private serverState: "starting" | "running" | "stopped" = "starting";
  private agentLabel = "opencode";
  private run: RunProgressValue | undefined;
  private asks = 0;
  /** Sessions the server reports busy, including runs not started from the panel (code actions). */
  private readonly busy = new Set<string>();

  constructor() {
    this.item.command = "opencode.chat.focus";
    this.render();
    this.item.show();
  }

  setServerState(state: "starting" | "running" | "stopped"): void {
    this.serverState = state;
    if (state !== "running") this.busy.clear();
    this.render();
  }

  setSessionStatus(sessionID: string, status: SessionStatus["type"]): void {
    if (status === "idle") this.busy.delete(sessionID);
    else this.busy.add(sessionID);
    this.render();
  }

  /** A run's `$/progress`: `begin` names "agent · provider/model", reports say what it does. */
  setRun(value: RunProgressValue | null): void {
    if (value?.kind === "begin" && value.message) this.agentLabel = value.message;
    this.run = value && value.kind !== "end" ? value : undefined;
    this.render();
  }

  /** Permission asks waiting for an answer: the run is blocked on them. */
  setAsks(count: number): void {
    this.asks = count;
    this.render();
  }

  private render(): void {
    const run = this.run;
    this.item.backgroundColor = undefined;
    if (this.serverState !== "running") {
      this.item.text = this.serverState === "starting" ? "$(loading~spin) opencode" : "$(error) opencode";
      this.item.tooltip = this.serverState === "starting" ? "opencode server starting" : "opencode server stopped";
      return;
    }
    if (this.asks) {
      this.item.text = `$(bell-dot) opencode: ${this.asks} permission request${this.asks === 1 ? "" : "s"}`;
      this.item.tooltip = "opencode is waiting for your answer - click to open the chat";
      this.item.backgroundColor = new vscode.ThemeColor("statusBarItem.warningBackground");
      return;
    }
    if (run || this.busy.size) {
      const detail = run?.kind === "report" && run.message ? ` · ${run.message}` : "";
      this.item.text = `$(sync~spin) ${this.agentLabel}${detail}`;
      this.item.tooltip = "opencode is working - click to open the chat";
    } else {
      this.item.text = `$(comment-discussion) ${this.agentLabel}`;
      this.item.tooltip = "Open the opencode chat";
    }
  }

  dispose(): void {
    this.item.dispose();
  }
}
