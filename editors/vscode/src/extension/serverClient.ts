// Starting, restarting and talking to the opencode-lsp server over stdio.

import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  State,
  TransportKind,
  WorkDoneProgress,
} from "vscode-languageclient/node";
import { Methods, type RunProgressValue, type ServerEvent } from "../shared/protocol";
import { sendRequest } from "../shared/request";
import {
  type ExtensionSettings,
  initializationOptions,
  missingMethods,
  serverCommand,
  serverEnvironment,
} from "../shared/settings";
import type { ApiKeys } from "./apiKeys";

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
type StateListener = (state: "starting" | "running" | "stopped", message?: string) => void;

/** One language client at a time; `restart()` replaces it with the current settings. */
export class ServerClient implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private readonly eventListeners = new Set<EventListener>();
  private readonly stateListeners = new Set<StateListener>();
  private runCounter = 0;

  constructor(
    private readonly output: vscode.LogOutputChannel,
    private readonly keys: ApiKeys,
    /** The extension's own readme, whose first section says how to install the server. */
    private readonly installGuide: vscode.Uri,
  ) {}

  get running(): boolean {
    return this.client?.state === State.Running;
  }

  onEvent(listener: EventListener): vscode.Disposable {
    this.eventListeners.add(listener);
    return { dispose: () => this.eventListeners.delete(listener) };
  }

  onState(listener: StateListener): vscode.Disposable {
    this.stateListeners.add(listener);
    return { dispose: () => this.stateListeners.delete(listener) };
  }

  private setState(state: "starting" | "running" | "stopped", message?: string): void {
    for (const listener of this.stateListeners) listener(state, message);
  }

  async start(): Promise<void> {
    const settings = await resolveSettings();
    const { command, args } = serverCommand(settings);
    const trusted = vscode.workspace.isTrusted;
    const env = serverEnvironment(process.env, await this.keys.all(), settings.providers);
    const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const serverOptions: ServerOptions = { command, args, transport: TransportKind.stdio, options: { env, cwd } };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: "file" }, { scheme: "untitled" }],
      outputChannel: this.output,
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
        },
      },
      // A missing server should produce one clear message, not a restart loop.
      connectionOptions: { maxRestartCount: 2 },
    };
    this.output.info(`starting ${command} ${args.join(" ")} (workspace ${trusted ? "trusted" : "untrusted"})`);
    const client = new LanguageClient("opencode", "opencode", serverOptions, clientOptions);
    this.client = client;
    client.onDidChangeState((e) => {
      if (e.newState === State.Stopped) this.setState("stopped");
    });
    this.setState("starting");
    try {
      await client.start();
    } catch (error) {
      this.client = undefined;
      const message = `opencode: could not start the server (${command} ${args.join(" ")}): ${String(error)}`;
      this.setState("stopped", message);
      void this.reportMissing(message);
      return;
    }
    const missing = missingMethods(client.initializeResult?.capabilities);
    if (missing.length) {
      const message = `opencode: the server is too old for this extension (missing ${missing.join(", ")}).`;
      this.setState("stopped", message);
      void this.reportMissing(message);
      return;
    }
    client.onNotification(Methods.eventNotification, (event: ServerEvent) => {
      for (const listener of this.eventListeners) listener(event);
    });
    this.setState("running");
  }

  private async reportMissing(message: string): Promise<void> {
    const choice = await vscode.window.showErrorMessage(message, "How to install", "Show log");
    if (choice === "How to install") void vscode.commands.executeCommand("markdown.showPreview", this.installGuide);
    if (choice === "Show log") this.output.show();
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.stop();
      } catch (error) {
        this.output.warn(`stopping the server: ${String(error)}`);
      }
    }
    this.setState("stopped");
  }

  /** Send changed model/agent settings without a restart (the server reloads its config). */
  async pushSettings(): Promise<void> {
    if (!this.running || !this.client) return;
    await this.client.sendNotification(DidChangeConfigurationNotification.type, { settings: { opencode: currentOptions() } });
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  private requireClient(): LanguageClient {
    if (!this.client || this.client.state !== State.Running) {
      throw new Error("The opencode server is not running (see the opencode output channel).");
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
    void this.stop();
  }
}
