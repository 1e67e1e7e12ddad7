// The real Python server driven from Node with vscode-jsonrpc exactly as the extension does it
// (same command line, initializationOptions and requests), against the scripted model.

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { MessageWithParts, RunProgressValue, ServerEvent, TextPart, ToolPart } from "../src/shared/protocol";
import { emptyState, loadSession, reduceAll } from "../src/shared/reducer";
import { EventsDuringLoad } from "../src/shared/sessionLoad";
import { missingMethods } from "../src/shared/settings";
import { type Notification, setTurns, startFakeModel, startServer } from "./support/harness";
import { ANSWER, runScenario, type ScenarioResult } from "./support/scenario";

const events = (stream: Notification[]) =>
  stream.filter((n) => n.method === "opencode/event").map((n) => n.params as ServerEvent);
const tools = (messages: { parts: unknown[] }[]) =>
  messages.flatMap((m) => (m.parts as ToolPart[]).filter((p) => p.type === "tool"));

describe("real server, full run", () => {
  let run: ScenarioResult;

  before(async () => {
    run = await runScenario();
  });

  after(async () => {
    await run?.server.stop();
    run?.model.stop();
  });

  it("advertises every method the extension calls", () => {
    assert.deepEqual(missingMethods(run.server.initializeResult.capabilities), []);
  });

  it("advertises no executeCommand id the extension contributes itself", () => {
    // vscode-languageclient registers each server command as a VS Code command; a clash with
    // one of ours would make that registration throw when the client starts.
    const serverCommands: string[] = run.server.initializeResult.capabilities.executeCommandProvider?.commands ?? [];
    const manifest = JSON.parse(readFileSync(join(import.meta.dirname, "../../package.json"), "utf8"));
    const ours = manifest.contributes.commands.map((c: { command: string }) => c.command);
    assert.ok(serverCommands.length > 0);
    assert.deepEqual(serverCommands.filter((c) => ours.includes(c)), []);
  });

  it("streams the run as begin, reports, end on the request's token; events only on opencode/event", () => {
    const progress = run.stream
      .filter((n) => n.method === "$/progress" && n.params.token === run.token)
      .map((n) => n.params.value as RunProgressValue);
    assert.equal(progress[0].kind, "begin");
    assert.equal(progress[0].cancellable, true);
    assert.match(progress[0].message ?? "", /fake\/m/);
    assert.equal(progress[progress.length - 1].kind, "end");
    // With events: true each event comes once, on opencode/event; progress carries only words.
    const reports = progress.filter((v) => v.kind === "report");
    assert.ok(reports.length > 0);
    assert.ok(reports.every((v) => v.event === undefined && typeof v.message === "string"));
    assert.ok(events(run.stream).some((e) => JSON.stringify(e).includes(run.sessionID)));
  });

  it("answers the prompt with the final assistant message", () => {
    assert.equal(run.result.info.role, "assistant");
    assert.equal(run.result.info.role === "assistant" && run.result.info.finish, "stop");
    const text = run.result.parts.filter((p): p is TextPart => p.type === "text").map((p) => p.text).join("");
    assert.equal(text, ANSWER);
  });

  it("builds the transcript the panel shows from opencode/event alone", () => {
    const state = reduceAll(emptyState(run.sessionID), events(run.stream));
    const texts = state.messages.flatMap((m) => m.parts.filter((p): p is TextPart => p.type === "text"));
    assert.equal(texts[texts.length - 1].text, ANSWER);
    assert.deepEqual(tools(state.messages).map((t) => [t.tool, t.state.status]), [
      ["read", "completed"],
      ["bash", "completed"],
      ["edit", "completed"],
      ["todowrite", "completed"],
    ]);
    assert.equal(state.status.type, "idle");
    assert.equal(state.permissions.length, 0);
    assert.equal(state.todos.length, 3);
    assert.equal(state.session?.title, "Greeting script");
  });

  it("asked for bash permission and ran it after Allow once", () => {
    const asked = events(run.stream).find((e) => e.type === "permission.asked");
    assert.ok(asked && asked.type === "permission.asked");
    assert.equal(asked.properties.permission, "bash");
    assert.equal(asked.properties.tool?.callID, "call_bash");
    const replied = events(run.stream).find((e) => e.type === "permission.replied");
    assert.ok(replied && replied.type === "permission.replied" && replied.properties.reply === "once");
    const bash = tools(run.stored).find((t) => t.tool === "bash")!;
    assert.equal(bash.state.status, "completed");
    assert.match(bash.state.status === "completed" ? bash.state.output : "", /hi/);
  });

  it("edited the file and the panel rebuilds the same transcript from opencode/session/messages", () => {
    assert.equal(readFileSync(join(run.server.workspace, "hello.py"), "utf8"), 'print("hello")\n');
    const streamed = reduceAll(emptyState(run.sessionID), events(run.stream));
    const rebuilt = loadSession(streamed.session, run.stored);
    assert.deepEqual(rebuilt.messages.map((m) => m.info), streamed.messages.map((m) => m.info));
    assert.deepEqual(
      rebuilt.messages.map((m) => m.parts.map((p) => p.id)),
      streamed.messages.map((m) => m.parts.map((p) => p.id)),
    );
  });
});

describe("real server, a session loaded while it streams", () => {
  it("the snapshot plus the events after its answer is the whole streamed answer", async () => {
    const model = await startFakeModel({ turns: [], routes: [{ match: { title: true }, turns: [["Loaded"]] }] });
    const server = await startServer({ settings: { model: "fake/m", providers: { fake: { apiBase: model.url } } } });
    try {
      const pieces = ["First piece, ", "second piece, ", "third piece, ", "last piece."];
      await setTurns(model, [pieces.flatMap((text) => [{ sleep: 0.3 }, { text }])]);
      const session = await server.connection.sendRequest<{ id: string }>("opencode/session/create", {});
      const prompt = server.connection.sendRequest<MessageWithParts>("opencode/session/prompt", {
        sessionID: session.id,
        parts: [{ type: "text", text: "stream slowly" }],
        workDoneToken: "vscode-run-load",
      });
      await server.waitFor(
        (n) => n.method === "opencode/event" && n.params.type === "message.part.updated" && n.params.properties.delta !== undefined,
      );
      // What the chat does when it (re)loads the session mid-run: record events meanwhile.
      const load = new EventsDuringLoad();
      const stop = server.listen((n) => n.method === "opencode/event" && load.record(n.params as ServerEvent));
      const messages = await load.snapshot(
        server.connection.sendRequest<MessageWithParts[]>("opencode/session/messages", { sessionID: session.id }),
      );
      await prompt;
      await server.waitFor((n) => n.method === "opencode/event" && n.params.type === "session.idle");
      stop();
      assert.ok(load.after().length > 0, "events came after the snapshot");
      const state = reduceAll(loadSession(null, messages), load.after());
      const streamed = reduceAll(emptyState(session.id), events(server.notifications));
      const text = (s: typeof state) => s.messages.flatMap((m) => m.parts.filter((p): p is TextPart => p.type === "text").map((p) => p.text));
      assert.deepEqual(text(state), text(streamed));
      assert.deepEqual(text(state).at(-1), pieces.join(""));
      assert.deepEqual(state.messages.map((m) => m.info), streamed.messages.map((m) => m.info));
    } finally {
      await server.stop();
      model.stop();
    }
  });
});

describe("real server, stop and workspace trust", () => {
  it("Stop (opencode/session/abort) ends a streaming run as aborted", async () => {
    const model = await startFakeModel({ turns: [], routes: [{ match: { title: true }, turns: [["Stopped"]] }] });
    const server = await startServer({ settings: { model: "fake/m", providers: { fake: { apiBase: model.url } } } });
    try {
      await setTurns(model, [[{ text: "Working on it", chunks: 2 }, { hang: true }]]);
      const session = await server.connection.sendRequest<{ id: string }>("opencode/session/create", {});
      const prompt = server.connection.sendRequest<MessageWithParts>("opencode/session/prompt", {
        sessionID: session.id,
        parts: [{ type: "text", text: "long task" }],
        workDoneToken: "vscode-run-stop",
      });
      await server.waitFor(
        (n) => n.method === "opencode/event" && n.params.type === "message.part.updated" && n.params.properties.delta !== undefined,
      );
      assert.equal(await server.connection.sendRequest("opencode/session/abort", { sessionID: session.id }), true);
      const result = await prompt;
      assert.equal(result.info.role === "assistant" && result.info.error?.name, "MessageAbortedError");
      const state = reduceAll(emptyState(session.id), events(server.notifications));
      assert.equal(state.status.type, "idle");
      const end = await server.waitFor((n) => n.method === "$/progress" && n.params.token === "vscode-run-stop" && n.params.value.kind === "end");
      assert.ok(end);
    } finally {
      await server.stop();
      model.stop();
    }
  });

  it("an untrusted workspace denies bash without asking", async () => {
    const model = await startFakeModel({ turns: [], routes: [{ match: { title: true }, turns: [["Untrusted"]] }] });
    const server = await startServer({
      settings: { model: "fake/m", providers: { fake: { apiBase: model.url } } },
      trusted: false,
      files: { "opencode.json": JSON.stringify({ permission: { bash: "ask" } }) },
    });
    try {
      await setTurns(model, [
        [{ tool_call: { name: "bash", arguments: { command: "touch pwned", description: "Touch" }, id: "call_b" } }],
        [{ text: "Could not run it." }],
      ]);
      const session = await server.connection.sendRequest<{ id: string }>("opencode/session/create", {});
      await server.connection.sendRequest("opencode/session/prompt", {
        sessionID: session.id,
        parts: [{ type: "text", text: "touch a file" }],
        workDoneToken: "vscode-run-untrusted",
      });
      const stream = events(server.notifications);
      assert.equal(stream.filter((e) => e.type === "permission.asked").length, 0, "denied outright, not asked");
      const messages = await server.connection.sendRequest<MessageWithParts[]>("opencode/session/messages", { sessionID: session.id });
      const bash = tools(messages).find((t) => t.tool === "bash");
      // A denied tool is either not offered at all or fails when called.
      assert.ok(!bash || bash.state.status === "error", `bash state: ${JSON.stringify(bash?.state)}`);
      assert.equal(existsSync(join(server.workspace, "pwned")), false);
    } finally {
      await server.stop();
      model.stop();
    }
  });
});
