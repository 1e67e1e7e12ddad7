// Entry point: wires the server client, chat panel, sessions tree, commands and status bar.

import { existsSync } from "node:fs";
import * as vscode from "vscode";
import { deleteSessionQuestion } from "../shared/confirm";
import { type Approval, Methods, type Session } from "../shared/protocol";
import { ApiKeys, promptForApiKey } from "./apiKeys";
import { ChatViewProvider } from "./chatView";
import { fixPromptParts, registerEditorCommands } from "./editorCommands";
import { FIX_IN_CHAT_COMMAND, readSettings, ServerClient } from "./serverClient";
import { type SessionItem, SessionsTreeProvider } from "./sessionsTree";
import { StatusBar } from "./statusBar";

let server: ServerClient | undefined;

/** vsce ships media/extension-readme.md as readme.md; a development checkout has the original. */
function installGuide(root: vscode.Uri): vscode.Uri {
  const packaged = vscode.Uri.joinPath(root, "readme.md");
  return existsSync(packaged.fsPath) ? packaged : vscode.Uri.joinPath(root, "media", "extension-readme.md");
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("opencode", { log: true });
  const keys = new ApiKeys(context.secrets, context.globalState);
  server = new ServerClient(output, keys, installGuide(context.extensionUri));
  const chat = new ChatViewProvider(context, server);
  const tree = new SessionsTreeProvider(server, () => chat.sessionID);
  const status = new StatusBar();
  const client = server;

  context.subscriptions.push(
    output,
    client,
    chat,
    status,
    client.onState((state) => status.setServerState(state)),
    chat.onRunProgress((value) => status.setRun(value)),
    chat.asks.onChange((count) => status.setAsks(count)),
    chat.asks.register(),
    client.onEvent((event) => {
      if (event.type === "session.status") status.setSessionStatus(event.properties.sessionID, event.properties.status.type);
      if (event.type === "session.idle") status.setSessionStatus(event.properties.sessionID, "idle");
    }),
    vscode.window.registerWebviewViewProvider(ChatViewProvider.viewId, chat, {
      webviewOptions: { retainContextWhenHidden: true },
    }),
    vscode.window.registerTreeDataProvider("opencode.sessions", tree),
    ...registerEditorCommands(chat),
    ...sessionCommands(chat, tree, client),
    vscode.commands.registerCommand("opencode.restartServer", () => client.restart()),
    vscode.commands.registerCommand(FIX_IN_CHAT_COMMAND, async (uri: vscode.Uri, range: vscode.Range) => {
      await chat.runInNewSession(fixPromptParts(uri, range, vscode.languages.getDiagnostics(uri)), "Fix diagnostics");
    }),
    vscode.commands.registerCommand("opencode.permissions.manage", () => manageApprovals(client)),
    vscode.commands.registerCommand("opencode.showLog", () => output.show()),
    vscode.commands.registerCommand("opencode.setApiKey", async () => {
      const changed = await promptForApiKey(keys, Object.keys(readSettings().providers ?? {}));
      // Keys reach the server through its environment, which only a restart changes.
      if (changed) await client.restart();
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      // Where and how the server runs needs a new process; other keys go over didChangeConfiguration.
      if (e.affectsConfiguration("opencode.server") || e.affectsConfiguration("opencode.providers")) {
        void client.restart();
      } else if (e.affectsConfiguration("opencode")) {
        void client.pushSettings();
      }
    }),
    // Trust granted: restart so edits and bash are no longer denied.
    vscode.workspace.onDidGrantWorkspaceTrust(() => void client.restart()),
  );
  // Not awaited: activation ends at once, the panel shows "starting" until the server is up.
  void client.start();
}

/** List the "always" approvals the server keeps and revoke the ones the user picks. */
async function manageApprovals(client: ServerClient): Promise<void> {
  if (!client.supports(Methods.permissionApprovals)) {
    void vscode.window.showInformationMessage("opencode: this server does not list stored approvals.");
    return;
  }
  const approvals = await client.request<Approval[]>(Methods.permissionApprovals, {});
  if (!approvals.length) {
    void vscode.window.showInformationMessage("opencode: no \"always\" approvals are stored.");
    return;
  }
  const picked = await vscode.window.showQuickPick(
    approvals.map((a) => ({
      label: `${a.permission}: ${a.pattern}`,
      description: a.sessionID ? `session ${a.sessionID}` : "all sessions",
      detail: `granted ${new Date(a.time).toLocaleString()}`,
      approval: a,
    })),
    { canPickMany: true, placeHolder: "Pick the approvals to revoke" },
  );
  if (!picked?.length) return;
  for (const item of picked) await client.request<boolean>(Methods.permissionRevoke, { id: item.approval.id });
  void vscode.window.showInformationMessage(`opencode: revoked ${picked.length} approval${picked.length === 1 ? "" : "s"}.`);
}

function sessionCommands(chat: ChatViewProvider, tree: SessionsTreeProvider, client: ServerClient): vscode.Disposable[] {
  const pickSession = async (item?: SessionItem): Promise<Session | undefined> => {
    if (item) return item.session;
    const sessions = await client.request<Session[]>(Methods.sessionList, { limit: 100 });
    const picked = await vscode.window.showQuickPick(
      sessions.map((s) => ({ label: s.title, description: s.id, session: s })),
      { placeHolder: "Session" },
    );
    return picked?.session;
  };
  return [
    vscode.commands.registerCommand("opencode.sessions.new", async () => {
      await chat.newSession();
      tree.refresh();
    }),
    vscode.commands.registerCommand("opencode.sessions.open", async (item?: SessionItem) => {
      const session = await pickSession(item);
      if (!session) return;
      await vscode.commands.executeCommand("opencode.chat.focus");
      await chat.open(session.id);
      tree.refresh();
    }),
    vscode.commands.registerCommand("opencode.sessions.rename", async (item?: SessionItem) => {
      const session = await pickSession(item);
      if (!session) return;
      const title = await vscode.window.showInputBox({ prompt: "New session title", value: session.title });
      if (title && title.trim()) await client.request(Methods.sessionUpdate, { sessionID: session.id, title: title.trim() });
      tree.refresh();
    }),
    vscode.commands.registerCommand("opencode.sessions.fork", async (item?: SessionItem) => {
      const session = await pickSession(item);
      if (!session) return;
      const fork = await client.request<Session>(Methods.sessionFork, { sessionID: session.id });
      await chat.reveal();
      await chat.open(fork.id);
      tree.refresh();
    }),
    vscode.commands.registerCommand("opencode.sessions.archive", async (item?: SessionItem) => {
      const session = await pickSession(item);
      if (session) await client.request(Methods.sessionUpdate, { sessionID: session.id, archived: true });
      tree.refresh();
    }),
    vscode.commands.registerCommand("opencode.sessions.unarchive", async (item?: SessionItem) => {
      if (item) await client.request(Methods.sessionUpdate, { sessionID: item.session.id, archived: false });
      tree.refresh();
    }),
    vscode.commands.registerCommand("opencode.sessions.delete", async (item?: SessionItem) => {
      const session = await pickSession(item);
      if (!session) return;
      const children = await client.request<Session[]>(Methods.sessionChildren, { sessionID: session.id });
      const answer = await vscode.window.showWarningMessage(deleteSessionQuestion(session.title, children.length), { modal: true }, "Delete");
      if (answer !== "Delete") return;
      await client.request(Methods.sessionDelete, { sessionID: session.id });
      if (chat.sessionID === session.id) await chat.open(null);
      tree.refresh();
    }),
    vscode.commands.registerCommand("opencode.sessions.refresh", () => tree.refresh()),
  ];
}

export async function deactivate(): Promise<void> {
  await server?.stop();
}
