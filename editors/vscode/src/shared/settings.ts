// Pure translation of the extension's settings into how the server is started:
// the command line, initializationOptions and environment. Kept free of the `vscode`
// module so the Node tests start the real server with exactly what the extension sends.

import type { InitializationOptions } from "./protocol";

export interface ProviderSetting {
  apiBase?: string;
  apiKeyEnv?: string;
  headers?: Record<string, string>;
}

/** The `opencode.*` settings the extension reads. */
export interface ExtensionSettings {
  serverPath?: string;
  serverArgs?: string[];
  pythonPath?: string;
  model?: string;
  smallModel?: string;
  agent?: string;
  providers?: Record<string, ProviderSetting>;
}

export interface ServerCommand {
  command: string;
  args: string[];
}

/** `opencode.server.path` when set; else `<python> -m opencode_lsp --stdio`. */
export function serverCommand(settings: ExtensionSettings): ServerCommand {
  const extra = settings.serverArgs ?? [];
  if (settings.serverPath && settings.serverPath.trim()) {
    return { command: settings.serverPath.trim(), args: extra.length ? extra : ["--stdio"] };
  }
  const python = settings.pythonPath && settings.pythonPath.trim() ? settings.pythonPath.trim() : "python3";
  return { command: python, args: ["-m", "opencode_lsp", "--stdio", ...extra] };
}

/**
 * The permission config sent for an untrusted workspace: the agent may read and search, but
 * every edit-type tool (edit, write, patch) and every shell command is denied outright.
 */
export const UNTRUSTED_PERMISSION: Readonly<Record<string, "deny">> = Object.freeze({ edit: "deny", bash: "deny" });

function nonEmpty(value: string | undefined): string | undefined {
  return value && value.trim() ? value.trim() : undefined;
}

export function initializationOptions(settings: ExtensionSettings, trusted: boolean): InitializationOptions {
  const options: InitializationOptions = { permissionUI: true, events: true };
  const model = nonEmpty(settings.model);
  const smallModel = nonEmpty(settings.smallModel);
  const agent = nonEmpty(settings.agent);
  if (model) options.model = model;
  if (smallModel) options.smallModel = smallModel;
  if (agent) options.agent = agent;
  if (settings.providers && Object.keys(settings.providers).length) options.providers = settings.providers;
  if (!trusted) options.permission = { ...UNTRUSTED_PERMISSION };
  return options;
}

/** The environment variable a provider's key goes in: the setting's `apiKeyEnv`, else `<ID>_API_KEY`. */
export function apiKeyEnvName(providerID: string, providers: Record<string, ProviderSetting> | undefined): string {
  const configured = providers?.[providerID]?.apiKeyEnv;
  if (configured && configured.trim()) return configured.trim();
  return `${providerID.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}_API_KEY`;
}

/** The server's environment: the editor's, plus one variable per stored API key. */
export function serverEnvironment(
  base: Record<string, string | undefined>,
  keys: Record<string, string>,
  providers: Record<string, ProviderSetting> | undefined,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) if (value !== undefined) env[name] = value;
  for (const [providerID, key] of Object.entries(keys)) env[apiKeyEnvName(providerID, providers)] = key;
  return env;
}

/** Split `"provider/model"` the way the server does (the model id may itself contain slashes). */
export function parseModel(value: string | undefined): { providerID: string; modelID: string } | undefined {
  const text = nonEmpty(value);
  if (!text) return undefined;
  const slash = text.indexOf("/");
  if (slash <= 0 || slash === text.length - 1) return undefined;
  return { providerID: text.slice(0, slash), modelID: text.slice(slash + 1) };
}

/** The methods the extension calls; a server that lacks one is too old for this extension. */
export const REQUIRED_METHODS = [
  "opencode/session/create",
  "opencode/session/list",
  "opencode/session/messages",
  "opencode/session/prompt",
  "opencode/session/abort",
  "opencode/permission/reply",
] as const;

export function missingMethods(capabilities: unknown): string[] {
  const advertised = (capabilities as { experimental?: { opencode?: { methods?: unknown } } } | undefined)
    ?.experimental?.opencode?.methods;
  const methods = Array.isArray(advertised) ? advertised : [];
  return REQUIRED_METHODS.filter((m) => !methods.includes(m));
}
