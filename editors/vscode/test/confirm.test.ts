// Confirmation texts (src/shared/confirm.ts).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deleteSessionQuestion } from "../src/shared/confirm";

describe("the delete-session question", () => {
  it("mentions child sessions only when there are some", () => {
    assert.equal(deleteSessionQuestion("Topic two", 0), 'Delete "Topic two"?');
    assert.equal(deleteSessionQuestion("Plan", 1), 'Delete "Plan" and its child session?');
    assert.equal(deleteSessionQuestion("Plan", 3), 'Delete "Plan" and its 3 child sessions?');
  });
});
