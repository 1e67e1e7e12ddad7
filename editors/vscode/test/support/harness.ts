// Drives the real Python server from Node with vscode-jsonrpc, the way the extension does:
// the same command line, initializationOptions and requests. Also starts the scripted
// OpenAI-compatible server (tests/support/fake_openai.py) the model calls go to.

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { createMessageConnection, type MessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";
import { type ExtensionSettings, initializationOptions, serverCommand } from "../../src/shared/settings";

export const REPO_ROOT = resolve(import.meta.dirname, "../../../..");
export const PYTHON = join(REPO_ROOT, ".venv/bin/python");

export interface FakeModel {
  url: string;
  stop(): void;
}

/** Start `python -m tests.support.fake_openai` with a script; resolves once it listens. */
export function startFakeModel(script: unknown): Promise<FakeModel> {
  const dir = mkdtempSync(join(tmpdir(), "oc-fake-"));
  const file = join(dir, "script.json");
  writeFileSync(file, JSON.stringify(script));
  const child = spawn(PYTHON, ["-m", "tests.support.fake_openai", "--port", "0", "--script", file], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolvePromise, reject) => {
    let buffered = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const match = /FAKE_OPENAI_URL=(\S+)/.exec(buffered);
      if (match) resolvePromise({ url: match[1], stop: () => child.kill() });
    });
    child.on("exit", (code) => reject(new Error(`fake model exited with ${code}`)));
  });
}

/** Replace the fake model's script (its control endpoint), e.g. once the workspace path is known. */
export async function setTurns(model: FakeModel, turns: unknown[]): Promise<void> {
  const response = await fetch(model.url.replace(/\/v1$/, "") + "/_control/turns", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ turns, replace: true }),
  });
  if (!response.ok) throw new Error(`fake model control: ${response.status}`);
}

export interface Notification {
  method: string;
  params: any;
}

export interface ServerHandle {
  connection: MessageConnection;
  process: ChildProcess;
  workspace: string;
  notifications: Notification[];
  initializeResult: any;
  /** Resolves with the first notification matching `predicate` (already received or future). */
  waitFor(predicate: (n: Notification) => boolean, timeoutMs?: number): Promise<Notification>;
  /** Calls `listener` with each notification from now on, as it arrives; returns the unsubscribe. */
  listen(listener: (n: Notification) => void): () => void;
  stop(): Promise<void>;
}

export interface StartOptions {
  settings: ExtensionSettings;
  trusted?: boolean;
  /** Files to create in the temporary workspace (relative path -> content). */
  files?: Record<string, string>;
  env?: Record<string, string>;
}

export async function startServer(options: StartOptions): Promise<ServerHandle> {
  const workspace = mkdtempSync(join(tmpdir(), "oc-ws-"));
  for (const [path, content] of Object.entries(options.files ?? {})) writeFileSync(join(workspace, path), content);
  const data = mkdtempSync(join(tmpdir(), "oc-data-"));
  const { command, args } = serverCommand({ ...options.settings, pythonPath: options.settings.pythonPath ?? PYTHON });
  const child = spawn(command, args, {
    cwd: workspace,
    env: {
      ...process.env,
      PYTHONPATH: REPO_ROOT,
      OPENCODE_LSP_DATA_DIR: data,
      OPENCODE_LSP_NO_GLOBAL_CONFIG: "1",
      ...options.env,
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const notifications: Notification[] = [];
  const waiters: Array<{ predicate: (n: Notification) => boolean; resolve: (n: Notification) => void }> = [];
  const listeners = new Set<(n: Notification) => void>();
  const record = (method: string, params: unknown) => {
    const n = { method, params };
    notifications.push(n);
    for (const listener of listeners) listener(n);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(n)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(n);
      }
    }
  };
  connection.onNotification((method: string, params: unknown) => record(method, params));
  // vscode-jsonrpc routes `$/progress` to per-token handlers (the extension registers one per
  // run with onProgress); here every token's reports are kept, in arrival order.
  connection.onUnhandledProgress((params) => record("$/progress", params));
  // Server-to-client requests a VS Code client answers.
  const opencodeSection = initializationOptions(options.settings, options.trusted ?? true);
  connection.onRequest("workspace/configuration", (params: { items: unknown[] }) => params.items.map(() => opencodeSection));
  connection.onRequest("window/workDoneProgress/create", () => null);
  connection.onRequest("client/registerCapability", () => null);
  connection.onRequest("window/showMessageRequest", () => null);
  connection.listen();
  const rootUri = pathToFileURL(workspace).toString();
  const initializeResult = await connection.sendRequest("initialize", {
    processId: process.pid,
    rootUri,
    workspaceFolders: [{ uri: rootUri, name: "ws" }],
    capabilities: { window: { workDoneProgress: true }, workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } } },
    initializationOptions: initializationOptions(options.settings, options.trusted ?? true),
  });
  await connection.sendNotification("initialized", {});
  return {
    connection,
    process: child,
    workspace,
    notifications,
    initializeResult,
    listen(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    // Generous: on a loaded machine the first event of a run can take a long time to come.
    waitFor(predicate, timeoutMs = 180000) {
      const found = notifications.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolveWait, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching notification in ${timeoutMs} ms; server stderr:\n${stderr.slice(-3000)}`)), timeoutMs);
        waiters.push({ predicate, resolve: (n) => { clearTimeout(timer); resolveWait(n); } });
      });
    },
    async stop() {
      try {
        await connection.sendRequest("shutdown");
        await connection.sendNotification("exit");
      } catch {
        /* already gone */
      }
      connection.dispose();
      if (child.exitCode === null) child.kill();
    },
  };
}

/** The stream of one run as a fixture: one `{method, params}` JSON object per line. */
export function toJsonl(notifications: Notification[]): string {
  return notifications.map((n) => JSON.stringify({ method: n.method, params: n.params })).join("\n") + "\n";
}
