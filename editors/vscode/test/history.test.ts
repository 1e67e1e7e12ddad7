// Undo/redo steps and the input bookkeeping of an undone prompt (src/shared/history.ts).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { promptText, redoStep, UndoneInput, undoTarget } from "../src/shared/history";
import type { MessageInfo, Part, Session } from "../src/shared/protocol";
import { emptyState, type MessageView, type ViewState } from "../src/shared/reducer";

const text = (id: string, value: string, synthetic = false): Part =>
  ({ type: "text", id, sessionID: "ses", messageID: "m", text: value, ...(synthetic ? { synthetic } : {}) }) as Part;

function message(id: string, role: "user" | "assistant", parts: Part[] = []): MessageView {
  return { id, info: { id, role, sessionID: "ses" } as MessageInfo, parts };
}

// Three turns: u1 a1, u2 a2, u3 a3.
const messages = [
  message("m1", "user", [text("p1", "first")]),
  message("m2", "assistant"),
  message("m3", "user", [text("p2", "second")]),
  message("m4", "assistant"),
  message("m5", "user", [text("p3", "third")]),
  message("m6", "assistant"),
];

function state(revert?: string): ViewState {
  const session = { id: "ses", ...(revert ? { revert: { messageID: revert } } : {}) } as Session;
  return { ...emptyState("ses"), session, messages };
}

describe("undo and redo steps", () => {
  it("undo reverts the last visible user message, then the one before", () => {
    assert.equal(undoTarget(state())?.id, "m5");
    assert.equal(undoTarget(state("m5"))?.id, "m3");
    assert.equal(undoTarget(state("m1")), undefined);
    assert.equal(undoTarget(emptyState("ses")), undefined);
  });

  it("redo brings back one turn at a time, and unreverts after the last", () => {
    assert.deepEqual(redoStep(state("m1")), { revertTo: "m3" });
    assert.deepEqual(redoStep(state("m3")), { revertTo: "m5" });
    assert.deepEqual(redoStep(state("m5")), { unrevert: true });
    assert.equal(redoStep(state()), null);
  });

  it("the prompt is the non-synthetic text parts in part order", () => {
    const m = message("m1", "user", [text("p3", "after"), text("p2", "<file contents>", true), text("p1", "before")]);
    assert.equal(promptText(m), "before\nafter");
    assert.equal(promptText(message("m1", "user", [text("p1", "x", true)])), "");
  });
});

describe("the undone prompt and the input", () => {
  it("goes in an empty input, and replaces a previous undo's prompt", () => {
    const undone = new UndoneInput();
    assert.deepEqual(undone.undone("", "third"), { input: "third" });
    assert.deepEqual(undone.undone("third", "second"), { input: "second" });
    assert.deepEqual(undone.undone("  \n", "first"), { input: "first" });
  });

  it("is quoted in a notice (first 80 characters) when the user typed something else", () => {
    const undone = new UndoneInput();
    assert.deepEqual(undone.undone("my own text", "short"), { notice: "The undone prompt was: short" });
    const long = "x".repeat(100);
    assert.deepEqual(undone.undone("my own text", long), { notice: `The undone prompt was: ${"x".repeat(80)}…` });
    assert.equal(undone.undone("", ""), null, "a prompt of attachments only leaves the input alone");
  });

  it("redo clears the input only while it holds exactly what undo put there", () => {
    const undone = new UndoneInput();
    undone.undone("", "third");
    assert.equal(undone.redone("third"), true);
    assert.equal(undone.redone(""), false, "the memory went with the first redo");
    undone.undone("", "second");
    assert.equal(undone.redone("second, edited"), false);
    assert.equal(undone.redone("second"), false);
  });
});
