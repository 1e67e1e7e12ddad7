// The session reducer against the recorded stream of a real run (test/fixtures/run.jsonl).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ServerEvent, Session, TextPart, ToolPart } from "../src/shared/protocol";
import {
  emptyState,
  isRunning,
  lastUserMessage,
  loadSession,
  type MessageView,
  messageUsage,
  mergePart,
  reduce,
  reduceAll,
  sessionUsage,
  type ViewState,
  visibleTodos,
} from "../src/shared/reducer";
import { fixtureEvents, fixtureSessionID, readMessages } from "./support/fixtures";

const events = fixtureEvents("run.jsonl");
const sessionID = fixtureSessionID(events);
const final = reduceAll(emptyState(sessionID), events);

function toolParts(state: ViewState): ToolPart[] {
  return state.messages.flatMap((m) => m.parts.filter((p): p is ToolPart => p.type === "tool"));
}

function lastText(state: ViewState): string {
  const texts = state.messages.flatMap((m) => m.parts.filter((p): p is TextPart => p.type === "text"));
  return texts.length ? texts[texts.length - 1].text : "";
}

describe("reducer over the recorded run", () => {
  it("ends with one user message and assistant replies in id order", () => {
    const roles = final.messages.map((m) => m.info?.role);
    assert.equal(roles[0], "user");
    assert.ok(roles.slice(1).every((r) => r === "assistant"), `roles: ${roles.join(",")}`);
    const ids = final.messages.map((m) => m.id);
    assert.deepEqual(ids, [...ids].sort());
  });

  it("appends text deltas so the final text equals the finished part", () => {
    const finished = events
      .filter((e): e is Extract<ServerEvent, { type: "message.part.updated" }> => e.type === "message.part.updated")
      .map((e) => e.properties)
      .filter((p) => p.part.type === "text" && p.delta === undefined && p.part.messageID !== final.messages[0].id);
    const last = finished[finished.length - 1].part as TextPart;
    assert.equal(lastText(final), last.text);
    assert.match(lastText(final), /print\("hello"\)/);
  });

  it("shows the text growing while it streams", () => {
    let state = emptyState(sessionID);
    const lengths: number[] = [];
    for (const event of events) {
      state = reduce(state, event);
      if (event.type === "message.part.updated" && event.properties.delta !== undefined && event.properties.part.type === "text") {
        lengths.push(lastText(state).length);
      }
    }
    assert.ok(lengths.length >= 3, `expected several text deltas, got ${lengths.length}`);
    for (let i = 1; i < lengths.length; i++) assert.ok(lengths[i] > lengths[i - 1], `not growing at ${i}: ${lengths}`);
  });

  it("moves tool cards through running to completed", () => {
    let state = emptyState(sessionID);
    const seen = new Map<string, string[]>();
    for (const event of events) {
      state = reduce(state, event);
      for (const tool of toolParts(state)) {
        const statuses = seen.get(tool.callID) ?? [];
        if (statuses[statuses.length - 1] !== tool.state.status) statuses.push(tool.state.status);
        seen.set(tool.callID, statuses);
      }
    }
    const tools = toolParts(final);
    assert.deepEqual(tools.map((t) => t.tool), ["read", "bash", "edit", "todowrite"]);
    for (const tool of tools) {
      assert.equal(tool.state.status, "completed");
      const statuses = seen.get(tool.callID)!;
      assert.ok(statuses.includes("running"), `${tool.tool}: ${statuses}`);
      assert.equal(statuses[statuses.length - 1], "completed");
    }
  });

  it("holds a permission ask until it is replied", () => {
    const askIndex = events.findIndex((e) => e.type === "permission.asked");
    assert.ok(askIndex >= 0, "the run asks for permission");
    const asking = reduceAll(emptyState(sessionID), events.slice(0, askIndex + 1));
    assert.equal(asking.permissions.length, 1);
    assert.equal(asking.permissions[0].permission, "bash");
    assert.equal(final.permissions.length, 0);
  });

  it("is running during the run and idle at its end, with usage summed", () => {
    const busyAt = events.findIndex((e) => e.type === "session.status" && e.properties.status.type === "busy");
    assert.ok(isRunning(reduceAll(emptyState(sessionID), events.slice(0, busyAt + 1))));
    assert.equal(isRunning(final), false);
    const usage = sessionUsage(final);
    assert.ok(usage.tokens > 0);
    const costs = final.messages.reduce((sum, m) => sum + (m.info?.role === "assistant" ? m.info.cost : 0), 0);
    assert.equal(usage.cost, costs);
  });

  it("gives a reply stopped before any usage no token count (not 0 tokens)", () => {
    const reply = final.messages.find((m) => m.info?.role === "assistant" && m.info.tokens.output > 0);
    const info = reply?.info;
    assert.ok(reply && info?.role === "assistant");
    const none = { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } };
    const stopped = (tokens: typeof none, cost: number): MessageView => ({
      ...reply,
      info: { ...info, tokens, cost, error: { name: "MessageAbortedError", data: { message: "aborted" } } },
    });
    assert.equal(messageUsage(stopped(none, 0)), null);
    assert.deepEqual(messageUsage(stopped({ ...none, input: 200, output: 5 }, 0)), { tokens: 205, cost: 0 }, "usage reported before the stop stays");
    assert.ok(messageUsage(reply), "a finished reply keeps its usage");
  });

  it("keeps the todo list the agent wrote", () => {
    assert.deepEqual(final.todos.map((t) => t.status), ["completed", "completed", "pending"]);
  });

  it("ignores events of other sessions", () => {
    const other = reduceAll(emptyState("ses_someone_else"), events);
    assert.equal(other.messages.length, 0);
    assert.equal(other.permissions.length, 0);
  });

  it("rebuilds from opencode/session/messages the transcript the stream built", () => {
    // run.messages.json is what the server answered to opencode/session/messages after the run.
    const stored = readMessages("run.messages.json");
    const rebuilt = loadSession(final.session, stored);
    assert.deepEqual(rebuilt.messages.map((m) => m.id), final.messages.map((m) => m.id));
    for (const [index, message] of rebuilt.messages.entries()) {
      const streamed = final.messages[index];
      assert.deepEqual(message.info, streamed.info, `message ${message.id}`);
      assert.deepEqual(message.parts.map((p) => [p.id, p.type]), streamed.parts.map((p) => [p.id, p.type]));
    }
    assert.equal(lastText(rebuilt), lastText(final));
    assert.deepEqual(toolParts(rebuilt).map((t) => t.state.status), toolParts(final).map((t) => t.state.status));
    assert.equal(lastUserMessage(rebuilt)?.id, final.messages[0].id);
  });
});

describe("reducer rules", () => {
  const base = { sessionID: "ses_1", messageID: "msg_1" };

  it("a delta appends to the text the panel has; without one the part replaces it", () => {
    const first = { ...base, id: "prt_1", type: "text" as const, text: "Hel" };
    const grown = mergePart(first, { ...first, text: "Hello" }, "lo");
    assert.equal((grown as TextPart).text, "Hello");
    const replaced = mergePart(grown, { ...first, text: "Final" }, undefined);
    assert.equal((replaced as TextPart).text, "Final");
    // No earlier copy: the part as sent already includes its delta.
    assert.equal((mergePart(undefined, { ...first, text: "Hel" }, "Hel") as TextPart).text, "Hel");
  });

  it("removes parts and messages, keeps todos and errors per session", () => {
    let state = emptyState("ses_1");
    state = reduce(state, { type: "message.part.updated", properties: { part: { ...base, id: "prt_1", type: "text", text: "x" } } });
    assert.equal(state.messages[0].parts.length, 1);
    state = reduce(state, { type: "message.part.removed", properties: { ...base, partID: "prt_1" } });
    assert.equal(state.messages[0].parts.length, 0);
    state = reduce(state, { type: "todo.updated", properties: { sessionID: "ses_1", todos: [{ content: "a", status: "pending", priority: "high" }] } });
    assert.equal(state.todos.length, 1);
    state = reduce(state, { type: "session.error", properties: { sessionID: "ses_1", error: { name: "APIError", data: { message: "boom" } } } });
    assert.equal(state.error?.name, "APIError");
    state = reduce(state, { type: "message.removed", properties: { sessionID: "ses_1", messageID: "msg_1" } });
    assert.equal(state.messages.length, 0);
  });

  it("takes permission asks of child sessions once they are known", () => {
    const ask = { id: "per_1", sessionID: "ses_child", permission: "edit", patterns: ["a.py"], metadata: {} };
    let state = reduce(emptyState("ses_1"), { type: "permission.asked", properties: ask });
    assert.equal(state.permissions.length, 0);
    const child = { id: "ses_child", parentID: "ses_1", directory: "/", title: "sub", time: { created: 1, updated: 1 } };
    state = reduce(state, { type: "session.created", properties: { info: child } });
    state = reduce(state, { type: "permission.asked", properties: ask });
    assert.equal(state.permissions.length, 1);
  });

  it("forgets the session when it is deleted", () => {
    const info = { id: "ses_1", directory: "/", title: "t", time: { created: 1, updated: 1 } };
    const state = reduce(emptyState("ses_1"), { type: "session.deleted", properties: { info } });
    assert.equal(state.sessionID, null);
  });
});

describe("delta-only streaming (protocol v2)", () => {
  it("appends deltas to the held text and starts an unseen part from its delta", async () => {
    const { mergePart } = await import("../src/shared/reducer");
    const base = { id: "prt_1", sessionID: "s", messageID: "m", type: "text" as const };
    const first = mergePart(undefined, { ...base, text: "" }, "Hel");
    assert.equal((first as { text: string }).text, "Hel");
    const second = mergePart(first, { ...base, text: "not the full text" }, "lo");
    assert.equal((second as { text: string }).text, "Hello");
  });
});

describe("todos after an undo", () => {
  const reverted = (messageID: string): ViewState => ({
    ...final,
    session: { ...(final.session ?? ({ id: sessionID } as Session)), revert: { messageID } },
  });
  const writer = final.messages.find((m) => m.parts.some((p) => p.type === "tool" && p.tool === "todowrite"))!;

  it("shows the server's list when nothing is reverted", () => {
    assert.ok(final.todos.length > 0);
    assert.deepEqual(visibleTodos(final), final.todos);
  });

  it("hides a list written by reverted messages", () => {
    assert.deepEqual(visibleTodos(reverted(final.messages[0].id)), []);
    assert.deepEqual(visibleTodos(reverted(writer.id)), []);
  });

  it("keeps the list of the last visible todowrite call", () => {
    const after = final.messages[final.messages.indexOf(writer) + 1];
    const state = after ? reverted(after.id) : reverted("msg_zzzzzzzzzzzzzzzzzzzzzzzzzz");
    assert.deepEqual(visibleTodos(state).map((t) => t.content), final.todos.map((t) => t.content));
  });
});
