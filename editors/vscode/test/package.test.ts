// `vsce package` builds a .vsix whose manifest contributes the views, commands, settings and
// activation events the extension registers at runtime.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { before, describe, it } from "node:test";
import { readZip } from "./support/zip";

const ROOT = resolve(import.meta.dirname, "../..");
let manifest: any;
let entries: string[];
let zip: Map<string, Buffer>;

describe("packaged .vsix", () => {
  before(() => {
    const out = join(mkdtempSync(join(tmpdir(), "oc-vsix-")), "opencode.vsix");
    execFileSync(
      join(ROOT, "node_modules/.bin/vsce"),
      ["package", "--no-dependencies", "--allow-missing-repository", "--skip-license", "--readme-path", "media/extension-readme.md", "-o", out],
      { cwd: ROOT, stdio: "pipe" },
    );
    zip = readZip(readFileSync(out));
    entries = [...zip.keys()];
    manifest = JSON.parse(zip.get("extension/package.json")!.toString("utf8"));
  });

  it("holds the bundles and media, without sources or node_modules", () => {
    for (const file of ["extension/dist/extension.js", "extension/dist/webview.js", "extension/media/panel.css", "extension/media/icon.svg"]) {
      assert.ok(entries.includes(file), `${file} in ${entries.join(", ")}`);
    }
    // The extension's "How to install" action opens this readme.
    assert.match(zip.get("extension/readme.md")!.toString("utf8"), /Installing the server/);
    assert.ok(!entries.some((e) => e.includes("node_modules") || e.startsWith("extension/src/") || e.endsWith(".map")));
  });

  it("contributes the chat view in its own activity-bar container and the sessions tree", () => {
    const containers = manifest.contributes.viewsContainers.activitybar;
    assert.deepEqual(containers.map((c: any) => c.id), ["opencode"]);
    const views = manifest.contributes.views.opencode;
    assert.deepEqual(views.map((v: any) => [v.id, v.type ?? "tree"]), [["opencode.chat", "webview"], ["opencode.sessions", "tree"]]);
  });

  it("contributes every command the extension registers", () => {
    const source = readFileSync(join(ROOT, "dist/extension.js"), "utf8");
    const registered = [...source.matchAll(/registerCommand\(\s*"(opencode\.[\w.]+)"/g)].map((m) => m[1]);
    assert.ok(registered.length >= 10, `found ${registered.length} registrations`);
    const contributed = manifest.contributes.commands.map((c: any) => c.command);
    for (const command of registered) assert.ok(contributed.includes(command), `${command} is contributed`);
    for (const command of ["opencode.setApiKey", "opencode.restartServer", "opencode.askAboutSelection", "opencode.explainFile"]) {
      assert.ok(contributed.includes(command));
    }
  });

  it("contributes the settings, activation events and workspace trust mode", () => {
    const properties = Object.keys(manifest.contributes.configuration.properties);
    for (const key of ["opencode.server.path", "opencode.model", "opencode.smallModel", "opencode.agent", "opencode.providers"]) {
      assert.ok(properties.includes(key), key);
    }
    assert.ok(!properties.some((p) => /key|secret|token/i.test(p)), "no API key setting");
    assert.ok(manifest.activationEvents.includes("onView:opencode.chat"));
    assert.equal(manifest.main, "./dist/extension.js");
    assert.equal(manifest.capabilities.untrustedWorkspaces.supported, "limited");
  });

  it("requires a VS Code at least as new as the API it was typed against", () => {
    const types = JSON.parse(readFileSync(join(ROOT, "node_modules/@types/vscode/package.json"), "utf8")).version as string;
    const engine = (manifest.engines.vscode as string).replace(/^\^/, "");
    const [a, b] = [engine, types].map((v) => v.split(".").map(Number));
    assert.ok(a[0] > b[0] || (a[0] === b[0] && a[1] >= b[1]), `engines.vscode ${engine} >= @types/vscode ${types}`);
  });
});
