// The built chat panel in headless Chromium, fed the recorded stream of a real run.
// Loads dist/webview.js and media/panel.css through the same HTML and CSP the extension
// serves, with a stub `acquireVsCodeApi` that records what the panel posts.

import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { makeNonce, panelHtml } from "../src/extension/panelHtml";
import type { HostToPanel, PanelToHost } from "../src/shared/messages";
import type { ServerEvent } from "../src/shared/protocol";
import { emptyState, reduceAll } from "../src/shared/reducer";
import { fixtureEvents, fixtureSessionID, readMessages } from "./support/fixtures";

const ROOT = resolve(import.meta.dirname, "../..");
const ARTIFACTS = resolve(ROOT, "../../tests/artifacts/vscode");
const events = fixtureEvents("run.jsonl");
const sessionID = fixtureSessionID(events);
const session = { id: sessionID, directory: "/ws", title: "New session", time: { created: 1, updated: 1 } };

let browser: Browser;
let page: Page;
let pageErrors: string[] = [];

function writePanel(): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  const html = panelHtml({
    cspSource: "file:",
    nonce: makeNonce(),
    scriptUri: pathToFileURL(join(ROOT, "dist/webview.js")).toString(),
    styleUri: pathToFileURL(join(ROOT, "media/panel.css")).toString(),
  });
  const file = join(ARTIFACTS, "panel.html");
  writeFileSync(file, html);
  return pathToFileURL(file).toString();
}

async function deliver(message: HostToPanel): Promise<void> {
  // Dispatched as VS Code delivers host messages; the panel redraws on the next animation frame,
  // whose callbacks run in order, so ours runs after the panel's draw.
  await page.evaluate((m) => {
    window.dispatchEvent(new MessageEvent("message", { data: m }));
    return new Promise<void>((r) => requestAnimationFrame(() => r()));
  }, message);
}

async function deliverEvents(list: ServerEvent[]): Promise<void> {
  for (const event of list) await deliver({ type: "event", event });
}

async function posted(): Promise<PanelToHost[]> {
  return page.evaluate(() => (window as unknown as { __posted: PanelToHost[] }).__posted);
}

async function lastPosted(): Promise<PanelToHost | undefined> {
  const all = await posted();
  return all[all.length - 1];
}

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

function indexOf(predicate: (e: ServerEvent) => boolean): number {
  const index = events.findIndex(predicate);
  assert.ok(index >= 0, "the fixture has the expected event");
  return index;
}

const lastAssistantText = () =>
  page.evaluate(() => {
    const texts = document.querySelectorAll(".message-assistant .text-part");
    return texts.length ? (texts[texts.length - 1] as HTMLElement).innerText : "";
  });

describe("chat panel in Chromium", () => {
  before(async () => {
    browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
  });

  after(async () => {
    await browser?.close();
  });

  beforeEach(async () => {
    page = await browser.newPage({ viewport: { width: 460, height: 900 } });
    pageErrors = [];
    page.on("pageerror", (error) => pageErrors.push(String(error)));
    page.on("console", (msg) => {
      if (msg.type() === "error") pageErrors.push(msg.text());
    });
    await page.addInitScript(() => {
      const w = window as unknown as { __posted: unknown[]; __state: unknown; acquireVsCodeApi: () => unknown };
      w.__posted = [];
      w.__state = undefined;
      w.acquireVsCodeApi = () => ({
        postMessage: (m: unknown) => w.__posted.push(m),
        getState: () => w.__state,
        setState: (s: unknown) => (w.__state = s),
      });
    });
    await page.goto(writePanel());
    await page.waitForFunction(() => (window as unknown as { __posted: Array<{ type: string }> }).__posted.some((m) => m.type === "ready"));
    await deliver({ type: "server", state: "running" });
    await deliver({ type: "session", session, messages: [], todos: [], permissions: [], status: { type: "idle" } });
    await deliver({
      type: "catalog",
      agents: [{ name: "build", mode: "primary" }, { name: "plan", mode: "primary" }],
      models: [{ providerID: "fake", modelID: "m" }],
      agent: "build",
      model: "fake/m",
    });
  });

  it("runs under the strict CSP and says ready", async () => {
    assert.deepEqual(await posted(), [{ type: "ready" }]);
    const csp = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', "content");
    assert.match(csp ?? "", /script-src 'nonce-[A-Za-z0-9]{32}'/);
    assert.doesNotMatch(csp ?? "", /unsafe-inline|unsafe-eval/);
    assert.deepEqual(pageErrors, []);
  });

  it("shows streamed text as it arrives, then as markdown with a code block", async () => {
    const seen: string[] = [];
    for (const event of events) {
      await deliver({ type: "event", event });
      if (event.type === "message.part.updated" && event.properties.delta !== undefined && event.properties.part.type === "text") {
        seen.push(await lastAssistantText());
      }
    }
    assert.ok(seen.length >= 3, `several deltas drawn, got ${seen.length}`);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i].length > seen[i - 1].length, `text grows: ${JSON.stringify(seen)}`);
    assert.equal((await page.locator(".message-assistant pre code").last().innerText()).trim(), 'print("hello")');
    assert.equal(await page.locator(".message-assistant strong").last().innerText(), "hello");
    assert.match(await page.locator("#session-usage").innerText(), /tokens/);
    await screenshot("stream");
    assert.deepEqual(pageErrors, []);
  });

  it("moves a tool card from running to completed and shows the edit as a diff", async () => {
    const running = indexOf((e) => e.type === "message.part.updated" && e.properties.part.type === "tool" && e.properties.part.tool === "read" && e.properties.part.state.status === "running");
    await deliverEvents(events.slice(0, running + 1));
    const card = page.locator('.tool[data-tool="read"]');
    assert.equal(await card.getAttribute("data-status"), "running");
    assert.equal(await card.locator(".tool-status").innerText(), "running");
    await screenshot("tool-running");
    await deliverEvents(events.slice(running + 1));
    assert.equal(await card.getAttribute("data-status"), "completed");
    assert.match(await card.locator(".tool-output pre").textContent() ?? "", /print\("hi"\)/);
    const edit = page.locator('.tool[data-tool="edit"]');
    assert.equal(await edit.getAttribute("data-status"), "completed");
    assert.match(await edit.locator(".diff-add").first().innerText(), /\+print\("hello"\)/);
    assert.match(await edit.locator(".diff-del").first().innerText(), /-print\("hi"\)/);
    await screenshot("tool-completed");
  });

  it("names a tool's file relative to the workspace, also when the call ends without a title", async () => {
    // A running call has no title yet and an aborted or failed one never gets one: the card used to
    // show the absolute path, cut off at the side bar's width so that the file was not visible.
    const running = indexOf((e) => e.type === "message.part.updated" && e.properties.part.type === "tool" && e.properties.part.tool === "edit" && e.properties.part.state.status === "running");
    const event = events[running] as Extract<ServerEvent, { type: "message.part.updated" }>;
    const part = event.properties.part as Extract<typeof event.properties.part, { type: "tool" }>;
    const file = String(part.state.input.filePath);
    const directory = file.slice(0, file.lastIndexOf("/"));
    await deliver({ type: "session", session: { ...session, directory }, messages: [], todos: [], permissions: [], status: { type: "idle" } });
    await deliverEvents(events.slice(0, running + 1));
    const title = page.locator('.tool[data-tool="edit"] .tool-title');
    assert.equal(await title.innerText(), "hello.py");
    const aborted = (filePath: string): ServerEvent => ({
      ...event,
      properties: { ...event.properties, part: { ...part, state: { status: "error", input: { ...part.state.input, filePath }, error: "Tool execution aborted", time: { start: 1, end: 2 } } } },
    });
    await deliver({ type: "event", event: aborted(`${directory}/src/app.py`) });
    assert.equal(await title.innerText(), "src/app.py");
    // Outside the workspace the whole path says where the file is.
    await deliver({ type: "event", event: aborted("/etc/hosts") });
    assert.equal(await title.innerText(), "/etc/hosts");
  });

  it("asks for permission inline and posts the chosen reply", async () => {
    const asked = indexOf((e) => e.type === "permission.asked");
    await deliverEvents(events.slice(0, asked + 1));
    const ask = events[asked] as Extract<ServerEvent, { type: "permission.asked" }>;
    const prompt = page.locator(`.tool .permission[data-request-id="${ask.properties.id}"]`);
    assert.equal(await prompt.count(), 1, "the ask sits in its tool's card");
    assert.match(await prompt.locator(".permission-title").innerText(), new RegExp(ask.properties.permission));
    await screenshot("permission");
    await prompt.getByRole("button", { name: "Allow once" }).click();
    assert.deepEqual(await lastPosted(), { type: "permissionReply", requestID: ask.properties.id, reply: "once" });
    await deliverEvents(events.slice(asked + 1));
    assert.equal(await page.locator(".permission").count(), 0, "gone once replied");
  });

  it("sends the feedback with a rejection", async () => {
    const asked = indexOf((e) => e.type === "permission.asked");
    await deliverEvents(events.slice(0, asked + 1));
    const ask = events[asked] as Extract<ServerEvent, { type: "permission.asked" }>;
    await page.locator(".permission-feedback").fill("Do not run it, just read it");
    await page.getByRole("button", { name: "Reject" }).click();
    assert.deepEqual(await lastPosted(), {
      type: "permissionReply",
      requestID: ask.properties.id,
      reply: "reject",
      message: "Do not run it, just read it",
    });
  });

  it("shows Stop while running and posts cancel", async () => {
    const busy = indexOf((e) => e.type === "session.status" && e.properties.status.type === "busy");
    await deliverEvents(events.slice(0, busy + 1));
    const stop = page.locator("#stop");
    assert.equal(await stop.isVisible(), true);
    await stop.click();
    assert.deepEqual(await lastPosted(), { type: "cancel" });
    await deliverEvents(events.slice(busy + 1));
    assert.equal(await stop.isVisible(), false);
  });

  it("puts a prompt the server refused back in the input, before anything typed since", async () => {
    // With no model configured the prompt failed and the text typed was gone with it.
    const input = page.locator("#input");
    await input.fill("a long prompt worth keeping");
    await input.press("Enter");
    assert.equal(await input.inputValue(), "");
    const attachment = { path: "hello.py", startLine: 1, endLine: 2 };
    await deliver({ type: "unsent", text: "a long prompt worth keeping", attachments: [attachment] });
    assert.equal(await input.inputValue(), "a long prompt worth keeping");
    assert.equal(await page.locator(".chip").count(), 1);
    await input.fill("typed since");
    await deliver({ type: "unsent", text: "/nosuch args", attachments: [attachment] });
    assert.equal(await input.inputValue(), "/nosuch args\n\ntyped since");
    assert.equal(await page.locator(".chip").count(), 1, "the same attachment once");
  });

  it("puts an undone prompt in the input, or quotes it when the user typed something else", async () => {
    const input = page.locator("#input");
    await deliver({ type: "undone", text: "second prompt" });
    assert.equal(await input.inputValue(), "second prompt");
    await deliver({ type: "undone", text: "first prompt" });
    assert.equal(await input.inputValue(), "first prompt", "a previous undo's prompt is replaced");
    await deliver({ type: "redone" });
    assert.equal(await input.inputValue(), "", "redo takes back what undo put there");
    await input.fill("my own words");
    await deliver({ type: "undone", text: `long ${"x".repeat(100)}` });
    assert.equal(await input.inputValue(), "my own words");
    assert.equal(await page.locator(".notice").innerText(), `The undone prompt was: long ${"x".repeat(75)}…`);
    await deliver({ type: "redone" });
    assert.equal(await input.inputValue(), "my own words", "redo leaves the user's own text");
  });

  it("sends on Enter, keeps Shift+Enter as a newline, and runs / commands", async () => {
    const input = page.locator("#input");
    await input.click();
    await input.pressSequentially("first line");
    await input.press("Shift+Enter");
    await input.pressSequentially("second line");
    assert.equal((await posted()).length, 1);
    await input.press("Enter");
    assert.deepEqual(await lastPosted(), { type: "send", text: "first line\nsecond line", attachments: [] });
    assert.equal(await input.inputValue(), "");
    await input.pressSequentially("/un");
    assert.match(await page.locator("#completions").innerText(), /\/undo/);
    await input.press("Enter"); // picks the completion
    await input.press("Enter"); // sends it
    assert.deepEqual(await lastPosted(), { type: "command", name: "undo" });
    // A command typed in full runs on the first Enter.
    await input.pressSequentially("/redo");
    assert.match(await page.locator("#completions").innerText(), /\/redo/);
    await input.press("Enter");
    assert.deepEqual(await lastPosted(), { type: "command", name: "redo" });
    assert.equal(await input.inputValue(), "");
  });

  it("sends the agent and model picked in the pickers", async () => {
    await page.locator("#agent-picker").selectOption("plan");
    await page.locator("#model-picker").selectOption("fake/m");
    await page.locator("#input").fill("plan it");
    await page.locator("#send").click();
    assert.deepEqual(await lastPosted(), { type: "send", text: "plan it", attachments: [], agent: "plan", model: "fake/m" });
  });

  it("completes @file mentions from the workspace and attaches them", async () => {
    const input = page.locator("#input");
    await input.click();
    await input.pressSequentially("explain @hel");
    const search = (await posted()).filter((m) => m.type === "searchFiles").pop() as Extract<PanelToHost, { type: "searchFiles" }>;
    assert.equal(search.query, "hel");
    await deliver({ type: "fileResults", requestId: search.requestId, paths: ["hello.py", "src/help.py"] });
    assert.equal(await page.locator(".completion").count(), 2);
    await input.press("Enter");
    assert.equal(await input.inputValue(), "explain @hello.py ");
    assert.match(await page.locator("#attachments").innerText(), /hello\.py/);
    await input.press("Enter");
    assert.deepEqual(await lastPosted(), { type: "send", text: "explain @hello.py ", attachments: [{ path: "hello.py" }] });
  });

  it("rebuilds the transcript from opencode/session/messages", async () => {
    const state = reduceAll(emptyState(sessionID), events);
    const messages = readMessages("run.messages.json");
    await deliver({ type: "session", session: { ...session, title: "Greeting script" }, messages, todos: state.todos, permissions: [], status: { type: "idle" } });
    assert.equal(await page.locator("#session-title").innerText(), "Greeting script");
    assert.equal(await page.locator(".tool").count(), 4);
    assert.equal(await page.locator(".todo").count(), 3);
    assert.match(await lastAssistantText(), /Run it with/);
    await screenshot("rebuilt");
  });

  it("drops a failed command's notice when another session is shown, keeps it for the same one", async () => {
    // "/compact" while the agent works fails with "session is busy: <id>"; after /fork or a pick in
    // the Sessions view the other session's chat still showed that error at its top.
    const notices = page.locator(".notice");
    await deliver({ type: "notice", level: "error", message: `session is busy: ${sessionID}` });
    assert.match(await notices.innerText(), /session is busy/);
    await deliver({ type: "session", session, messages: [], todos: [], permissions: [], status: { type: "idle" } });
    assert.equal(await notices.count(), 1, "the same session reloaded (e.g. after /undo) keeps it");
    const other = { ...session, id: `${sessionID}-fork`, title: "fork" };
    await deliver({ type: "session", session: other, messages: [], todos: [], permissions: [], status: { type: "idle" } });
    assert.equal(await notices.count(), 0);
  });

  it("shows a failed reply with a retry action", async () => {
    const user = events.find((e) => e.type === "message.updated" && e.properties.info.role === "user")!;
    const info = (user as Extract<ServerEvent, { type: "message.updated" }>).properties.info;
    await deliver({ type: "event", event: user });
    await deliver({
      type: "event",
      event: {
        type: "message.updated",
        properties: {
          info: {
            id: `${info.id}z`, sessionID, role: "assistant", parentID: info.id, time: { created: 2, completed: 3 },
            modelID: "m", providerID: "fake", agent: "build", cost: 0,
            tokens: { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } },
            error: { name: "APIError", data: { message: "rate limited" } },
          },
        },
      },
    });
    assert.match(await page.locator(".message-error").innerText(), /APIError: rate limited/);
    await page.locator(".message-error .retry").click();
    assert.deepEqual(await lastPosted(), { type: "retry" });
    await screenshot("error");
  });
});
