// Provider API keys live in VS Code's SecretStorage, never in settings; the server gets them
// through its environment when it starts.

import * as vscode from "vscode";

const INDEX_KEY = "opencode.apiKeyProviders";

export class ApiKeys {
  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly state: vscode.Memento,
  ) {}

  private providers(): string[] {
    return this.state.get<string[]>(INDEX_KEY, []);
  }

  async set(providerID: string, key: string): Promise<void> {
    await this.secrets.store(`opencode.apiKey.${providerID}`, key);
    const providers = this.providers();
    if (!providers.includes(providerID)) await this.state.update(INDEX_KEY, [...providers, providerID]);
  }

  async remove(providerID: string): Promise<void> {
    await this.secrets.delete(`opencode.apiKey.${providerID}`);
    await this.state.update(INDEX_KEY, this.providers().filter((p) => p !== providerID));
  }

  async all(): Promise<Record<string, string>> {
    const keys: Record<string, string> = {};
    for (const providerID of this.providers()) {
      const key = await this.secrets.get(`opencode.apiKey.${providerID}`);
      if (key) keys[providerID] = key;
    }
    return keys;
  }
}

const KNOWN_PROVIDERS = ["anthropic", "openai", "openrouter", "google", "groq", "mistral", "deepseek", "xai"];

/** The "Set API key" command: pick a provider, type the key, restart the server with it. */
export async function promptForApiKey(keys: ApiKeys, configured: string[]): Promise<boolean> {
  const names = [...new Set([...configured, ...KNOWN_PROVIDERS])];
  const items: vscode.QuickPickItem[] = [...names.map((label) => ({ label })), { label: "Other…" }];
  const picked = await vscode.window.showQuickPick(items, { placeHolder: "Provider to store an API key for" });
  if (!picked) return false;
  let providerID: string | undefined = picked.label;
  if (providerID === "Other…") {
    providerID = await vscode.window.showInputBox({ prompt: "Provider id (as in provider/model)" });
  }
  if (!providerID) return false;
  const key = await vscode.window.showInputBox({
    prompt: `API key for ${providerID} (stored in the OS keychain; leave empty to remove it)`,
    password: true,
    ignoreFocusOut: true,
  });
  if (key === undefined) return false;
  if (key.trim()) await keys.set(providerID, key.trim());
  else await keys.remove(providerID);
  return true;
}
