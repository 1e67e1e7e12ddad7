// The status bar item: the agent in use, and a spinner with the run's status while it streams.

import * as vscode from "vscode";
import type { RunProgressValue } from "../shared/protocol";

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
  private serverState: "starting" | "running" | "stopped" = "starting";
  private agentLabel = "opencode";

  constructor() {
    this.item.command = "opencode.chat.focus";
    this.render(undefined);
    this.item.show();
  }

  setServerState(state: "starting" | "running" | "stopped"): void {
    this.serverState = state;
    this.render(undefined);
  }

  /** A run's `$/progress`: `begin` names "agent · provider/model", reports say what it does. */
  setRun(value: RunProgressValue | null): void {
    if (value?.kind === "begin" && value.message) this.agentLabel = value.message;
    this.render(value && value.kind !== "end" ? value : undefined);
  }

  private render(run: RunProgressValue | undefined): void {
    if (this.serverState !== "running") {
      this.item.text = this.serverState === "starting" ? "$(loading~spin) opencode" : "$(error) opencode";
      this.item.tooltip = this.serverState === "starting" ? "opencode server starting" : "opencode server stopped";
      return;
    }
    if (run) {
      const detail = run.kind === "report" && run.message ? ` · ${run.message}` : "";
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
