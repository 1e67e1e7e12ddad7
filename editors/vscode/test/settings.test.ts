// How settings become the server's command line, initializationOptions and environment.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { contentSecurityPolicy, makeNonce, panelHtml } from "../src/extension/panelHtml";
import {
  apiKeyEnvName,
  initializationOptions,
  missingMethods,
  parseModel,
  REQUIRED_METHODS,
  serverCommand,
  serverEnvironment,
} from "../src/shared/settings";

describe("server settings", () => {
  it("runs python3 -m opencode_lsp unless a server path is set", () => {
    assert.deepEqual(serverCommand({}), { command: "python3", args: ["-m", "opencode_lsp", "--stdio"] });
    assert.deepEqual(serverCommand({ pythonPath: "/venv/bin/python" }).command, "/venv/bin/python");
    assert.deepEqual(serverCommand({ serverPath: "/usr/local/bin/opencode-lsp" }), { command: "/usr/local/bin/opencode-lsp", args: ["--stdio"] });
    assert.deepEqual(serverCommand({ serverPath: "opencode-lsp", serverArgs: ["--stdio", "--log-file", "/tmp/l"] }).args, ["--stdio", "--log-file", "/tmp/l"]);
  });

  it("always asks for permissionUI and events, and passes only the settings that are set", () => {
    assert.deepEqual(initializationOptions({ model: " ", agent: "" }, true), { permissionUI: true, events: true });
    const full = initializationOptions(
      { model: "anthropic/claude-sonnet-4-5", smallModel: "openai/gpt-4o-mini", agent: "plan", providers: { local: { apiBase: "http://127.0.0.1:1/v1" } } },
      true,
    );
    assert.deepEqual(full, {
      permissionUI: true,
      events: true,
      model: "anthropic/claude-sonnet-4-5",
      smallModel: "openai/gpt-4o-mini",
      agent: "plan",
      providers: { local: { apiBase: "http://127.0.0.1:1/v1" } },
    });
  });

  it("denies edits and bash in an untrusted workspace", () => {
    assert.deepEqual(initializationOptions({}, false).permission, { edit: "deny", bash: "deny" });
    assert.equal(initializationOptions({}, true).permission, undefined);
  });

  it("passes API keys in the environment under each provider's variable", () => {
    assert.equal(apiKeyEnvName("anthropic", undefined), "ANTHROPIC_API_KEY");
    assert.equal(apiKeyEnvName("my-proxy", undefined), "MY_PROXY_API_KEY");
    assert.equal(apiKeyEnvName("local", { local: { apiKeyEnv: "LOCAL_TOKEN" } }), "LOCAL_TOKEN");
    const env = serverEnvironment({ PATH: "/bin", UNSET: undefined }, { openai: "sk-1", local: "t-2" }, { local: { apiKeyEnv: "LOCAL_TOKEN" } });
    assert.deepEqual(env, { PATH: "/bin", OPENAI_API_KEY: "sk-1", LOCAL_TOKEN: "t-2" });
  });

  it("splits provider/model at the first slash", () => {
    assert.deepEqual(parseModel("openrouter/meta/llama-3"), { providerID: "openrouter", modelID: "meta/llama-3" });
    assert.equal(parseModel("nomodel"), undefined);
    assert.equal(parseModel(""), undefined);
  });

  it("finds a server too old for the extension from its advertised methods", () => {
    assert.deepEqual(missingMethods({ experimental: { opencode: { methods: [...REQUIRED_METHODS] } } }), []);
    assert.deepEqual(missingMethods({}), [...REQUIRED_METHODS]);
  });
});

describe("panel HTML", () => {
  it("allows only its nonce'd script and the webview's own resources", () => {
    const nonce = makeNonce();
    assert.match(nonce, /^[A-Za-z0-9]{32}$/);
    assert.notEqual(makeNonce(), nonce);
    const csp = contentSecurityPolicy("vscode-webview://x", nonce);
    assert.match(csp, /^default-src 'none'/);
    assert.match(csp, new RegExp(`script-src 'nonce-${nonce}'$`));
    const html = panelHtml({ cspSource: "vscode-webview://x", nonce, scriptUri: "s.js", styleUri: "p.css" });
    assert.equal(html.match(/<script/g)?.length, 1);
    assert.match(html, new RegExp(`<script nonce="${nonce}" src="s.js">`));
  });
});
