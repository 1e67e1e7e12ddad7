// Starting, restarting and talking to the opencode-lsp server over stdio.

import * as vscode from "vscode";
import { type ChildProcess, spawn } from "node:child_process";
import {
  DidChangeConfigurationNotification,
  LanguageClient,
  type LanguageClientOptions,
  RevealOutputChannelOn,
  type ServerOptions,
  State,
  WorkDoneProgress,
} from "vscode-languageclient/node";
import { Methods, type RunProgressValue, type ServerEvent } from "../shared/protocol";
import { sendRequest } from "../shared/request";
import { StderrLog } from "../shared/serverLog";
import {
  type ExtensionSettings,
  initializationOptions,
  missingMethods,
  serverCommand,
  serverEnvironment,
} from "../shared/settings";
import type { ApiKeys } from "./apiKeys";
import { handleApplyEdit } from "./documentSync";

export function readSettings(): ExtensionSettings {
  const config = vscode.workspace.getConfiguration("opencode");
  const python = vscode.workspace.getConfiguration("python");
  return {
    serverPath: config.get<string>("server.path"),
    serverArgs: config.get<string[]>("server.args"),
    // An interpreter set in settings; without one, start() asks the Python extension.
    pythonPath: config.get<string>("server.pythonPath") || python.get<string>("defaultInterpreterPath") || undefined,
    model: config.get<string>("model"),
    smallModel: config.get<string>("smallModel"),
    agent: config.get<string>("agent"),
    providers: config.get<ExtensionSettings["providers"]>("providers"),
  };
}

interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string };
    resolveEnvironment(path: string): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
  };
}

/** The interpreter the Python extension has selected for this workspace, if it is installed. */
async function pythonFromExtension(): Promise<string | undefined> {
  const extension = vscode.extensions.getExtension<PythonExtensionApi>("ms-python.python");
  if (!extension) return undefined;
  try {
    const api = extension.isActive ? extension.exports : await extension.activate();
    const environments = api?.environments;
    if (!environments) return undefined;
    const active = environments.getActiveEnvironmentPath(vscode.workspace.workspaceFolders?.[0]?.uri);
    const resolved = await environments.resolveEnvironment(active.path);
    return resolved?.executable.uri?.fsPath;
  } catch {
    return undefined; // an older Python extension without the environments API
  }
}

/** Settings plus, when no interpreter is configured, the Python extension's choice. */
async function resolveSettings(): Promise<ExtensionSettings> {
  const settings = readSettings();
  if (!settings.serverPath && !settings.pythonPath) settings.pythonPath = await pythonFromExtension();
  return settings;
}

/** What the server gets as initializationOptions and as the `opencode` configuration section. */
function currentOptions(): ReturnType<typeof initializationOptions> {
  return initializationOptions(readSettings(), vscode.workspace.isTrusted);
}

type EventListener = (event: ServerEvent) => void;
export type ServerState = "starting" | "running" | "stopped";
type StateListener = (state: ServerState, message?: string) => void;

/** Start the server process and wait until it has really started (or failed to). */
function spawnServer(command: string, args: string[], env: Record<string, string>, cwd: string | undefined): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd, stdio: ["pipe", "pipe", "pipe"] });
    child.once("error", reject);
    child.once("spawn", () => {
      child.off("error", reject);
      resolve(child);
    });
  });
}

/**
 * One language client at a time. Start, stop and restart run one after another (a restart asked
 * while one is under way waits for it, and restarts asked together run once), so two clients never
 * register the server's commands at the same time and no process is left behind.
 */
export class ServerClient implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private process: ChildProcess | undefined;
  private readonly eventListeners = new Set<EventListener>();
  private readonly stateListeners = new Set<StateListener>();
  private runCounter = 0;
  private lifecycle: Promise<void> = Promise.resolve();
  private restartQueued = false;
  private currentState: ServerState = "stopped";
  /** The notification of the current start failure; it closes when the server runs again. */
  private failure: { message: string; close: () => void } | undefined;
  private disposed = false;

  constructor(
    private readonly output: vscode.LogOutputChannel,
    private readonly keys: ApiKeys,
    /** The extension's own readme, whose first section says how to install the server. */
    private readonly installGuide: vscode.Uri,
  ) {}

  get running(): boolean {
    return this.client?.state === State.Running && this.currentState === "running";
  }

  get state(): ServerState {
    return this.currentState;
  }

  /** The custom methods the running server advertises. */
  get methods(): string[] {
    const advertised = (this.client?.initializeResult?.capabilities as { experimental?: { opencode?: { methods?: unknown } } } | undefined)
      ?.experimental?.opencode?.methods;
    return Array.isArray(advertised) ? (advertised as string[]) : [];
  }

  supports(method: string): boolean {
    return this.methods.includes(method);
  }

  onEvent(listener: EventListener): vscode.Disposable {
    this.eventListeners.add(listener);
    return { dispose: () => this.eventListeners.delete(listener) };
  }

  onState(listener: StateListener): vscode.Disposable {
    this.stateListeners.add(listener);
    return { dispose: () => this.stateListeners.delete(listener) };
  }

  private setState(state: ServerState, message?: string): void {
    this.currentState = state;
    for (const listener of this.stateListeners) listener(state, message);
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.lifecycle.then(step, step);
    this.lifecycle = next.catch((error) => this.output.error(`server lifecycle: ${String(error)}`));
    return this.lifecycle;
  }

  start(): Promise<void> {
    return this.enqueue(() => this.doStart());
  }

  stop(): Promise<void> {
    return this.enqueue(() => this.doStop());
  }

  /** Stop then start with the current settings; restarts asked while one waits are merged into it. */
  restart(): Promise<void> {
    if (this.restartQueued) return this.lifecycle;
    this.restartQueued = true;
    return this.enqueue(async () => {
      this.restartQueued = false;
      await this.doStop();
      await this.doStart();
    });
  }

  private async doStart(): Promise<void> {
    if (this.disposed) return;
    const settings = await resolveSettings();
    const { command, args } = serverCommand(settings);
    const trusted = vscode.workspace.isTrusted;
    const env = serverEnvironment(process.env, await this.keys.all(), settings.providers);
    const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const commandLine = `${command} ${args.join(" ")}`;
    this.setState("starting");
    this.output.info(`starting ${commandLine} (workspace ${trusted ? "trusted" : "untrusted"})`);
    // The process is ours: the client gets its pipes, and its stderr is logged here (once, at the
    // right level) instead of all of it as errors. Spawned before the client exists so that a
    // missing interpreter is one clear message, not the client's own error toasts too.
    const launch = async (): Promise<ChildProcess> => {
      const started = await spawnServer(command, args, env, cwd);
      this.process = started;
      const log = new StderrLog(({ level, text }) => this.output[level](text));
      started.stderr?.setEncoding("utf8");
      started.stderr?.on("data", (chunk: string) => log.write(chunk));
      started.once("exit", (code, signal) => {
        log.flush();
        if (this.process === started) this.process = undefined;
        this.output.info(`server process exited (${signal ?? code})`);
      });
      return started;
    };
    let child: ChildProcess | undefined;
    try {
      child = await launch();
    } catch (error) {
      return this.failed(`opencode: could not start the server (${commandLine}): ${String(error)}`);
    }
    const serverOptions: ServerOptions = async () => {
      // The first start uses the process spawned above; the client's own restarts after a crash
      // get a new one.
      const server = child ?? (await launch());
      child = undefined;
      return { reader: server.stdout!, writer: server.stdin! };
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: "file" }, { scheme: "untitled" }],
      outputChannel: this.output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: initializationOptions(settings, trusted),
      middleware: {
        workspace: {
          // The server merges the `opencode` section over initializationOptions: answer with the
          // same shape (not VS Code's raw section), so permissionUI, events and an untrusted
          // workspace's denials are never overridden.
          configuration: (params, token, next) => {
            if (params.items.every((item) => item.section === "opencode")) {
              return params.items.map(() => currentOptions());
            }
            return next(params, token);
          },
          // opencode's edits of open documents leave them clean and equal to the disk.
          handleApplyEdit,
        },
        // The server's "Ask opencode to fix" runs in a session nobody sees: run it in the chat.
        provideCodeActions: async (document, range, context, token, next) => {
          const actions = await next(document, range, context, token);
          return actions?.map((action) => rerouteFix(action, document.uri, range));
        },
      },
      // A crashing server should produce one clear message, not a restart loop.
      connectionOptions: { maxRestartCount: 2 },
    };
    const client = new LanguageClient("opencode", "opencode", serverOptions, clientOptions);
    this.client = client;
    client.onDidChangeState((e) => {
      if (e.newState === State.Stopped && this.client === client && this.currentState === "running") {
        this.setState("stopped", "The opencode server stopped (see the opencode output channel).");
      }
    });
    try {
      await client.start();
    } catch (error) {
      await this.disposeClient(client, this.process);
      return this.failed(`opencode: the server did not start (${commandLine}): ${String(error)}`);
    }
    const missing = missingMethods(client.initializeResult?.capabilities);
    if (missing.length) {
      await this.disposeClient(client, this.process);
      return this.failed(`opencode: the server is too old for this extension (missing ${missing.join(", ")}).`);
    }
    client.onNotification(Methods.eventNotification, (event: ServerEvent) => {
      for (const listener of this.eventListeners) listener(event);
    });
    this.closeFailure();
    this.setState("running");
  }

  /**
   * One notification per distinct failure, and it goes away by itself once the server runs again
   * (an error toast stays until dismissed, stale after the setting is fixed, so this is a progress
   * notification that ends on recovery). What to do about it is in the chat panel's notice:
   * How to install, Show log, Restart.
   */
  private failed(message: string): void {
    this.client = undefined;
    this.output.error(message);
    this.setState("stopped", message);
    if (this.failure?.message === message) return;
    this.closeFailure();
    let close!: () => void;
    const closed = new Promise<void>((resolve) => (close = resolve));
    this.failure = { message, close };
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `${message} - fix the setting or see the opencode chat`, cancellable: true },
      (_progress, token) => {
        token.onCancellationRequested(close);
        return closed;
      },
    );
  }

  private closeFailure(): void {
    this.failure?.close();
    this.failure = undefined;
  }

  /** The extension's readme section on installing the server. */
  showInstallGuide(): void {
    void vscode.commands.executeCommand("markdown.showPreview", this.installGuide);
  }

  private async disposeClient(client: LanguageClient, child: ChildProcess | undefined): Promise<void> {
    try {
      if (client.state !== State.Stopped) await client.stop(4000);
    } catch (error) {
      this.output.warn(`stopping the server: ${String(error)}`);
    }
    try {
      await client.dispose();
    } catch {
      /* already stopped */
    }
    if (this.client === client) this.client = undefined;
    await killProcess(child);
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    const child = this.process;
    this.client = undefined;
    if (this.currentState !== "stopped") this.setState("stopped");
    if (client) await this.disposeClient(client, child);
    else await killProcess(child);
  }

  /** Send changed model/agent settings without a restart (the server reloads its config). */
  async pushSettings(): Promise<void> {
    if (!this.running || !this.client) return;
    await this.client.sendNotification(DidChangeConfigurationNotification.type, { settings: { opencode: currentOptions() } });
  }

  private requireClient(): LanguageClient {
    if (!this.client || !this.running) {
      const why = this.currentState === "starting" ? "is still starting" : "is not running (see the opencode output channel)";
      throw new Error(`The opencode server ${why}.`);
    }
    return this.client;
  }

  request<R>(method: string, params: object, token?: vscode.CancellationToken): Promise<R> {
    return sendRequest<R>(this.requireClient(), method, params, token);
  }

  /**
   * Send a prompt-like request (prompt, command) with its own work-done token and report its
   * `$/progress` messages; the panel gets the events from `opencode/event`, not from here,
   * so that each event is applied once.
   */
  async run<R>(
    method: string,
    params: Record<string, unknown>,
    onProgress: (value: RunProgressValue) => void,
    token?: vscode.CancellationToken,
  ): Promise<R> {
    const client = this.requireClient();
    const workDoneToken = `vscode-run-${++this.runCounter}-${Date.now()}`;
    const subscription = client.onProgress(WorkDoneProgress.type, workDoneToken, (value) =>
      onProgress(value as RunProgressValue),
    );
    try {
      return await sendRequest<R>(client, method, { ...params, workDoneToken }, token);
    } finally {
      subscription.dispose();
    }
  }

  dispose(): void {
    this.disposed = true;
    this.closeFailure();
    void this.stop();
  }
}

/** Ends a server process that did not exit by itself after the client stopped. */
async function killProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  await Promise.race([exited, wait(2000)]);
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  await Promise.race([exited, wait(3000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}

/** The command the extension runs instead of the server's `opencode.fix` (see editorCommands). */
export const FIX_IN_CHAT_COMMAND = "opencode.fixInChat";

function rerouteFix(action: vscode.Command | vscode.CodeAction, uri: vscode.Uri, range: vscode.Range): vscode.Command | vscode.CodeAction {
  const command = "command" in action && typeof action.command === "object" ? action.command : undefined;
  if (command?.command !== "opencode.fix") return action;
  (action as vscode.CodeAction).command = { title: command.title, command: FIX_IN_CHAT_COMMAND, arguments: [uri, range] };
  return action;
}
