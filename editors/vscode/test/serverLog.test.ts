// The server's stderr in the output channel: each line once, at its own level.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type LogLine, StderrLog } from "../src/shared/serverLog";

function feed(chunks: string[]): LogLine[] {
  const lines: LogLine[] = [];
  const log = new StderrLog((line) => lines.push(line));
  for (const chunk of chunks) log.write(chunk);
  log.flush();
  return lines;
}

describe("StderrLog", () => {
  it("drops opencode_lsp records the client already has from window/logMessage", () => {
    const lines = feed(["2026-12-04 10:00:00,123 INFO opencode_lsp.lsp.server: started\n"]);
    assert.deepEqual(lines, []);
  });

  it("keeps other loggers at their level, with continuation lines, across chunk boundaries", () => {
    const lines = feed([
      "2026-12-04 10:00:00,123 WARNING pygls.protocol: slow\n2026-12-04 10:00:01,000 ERR",
      "OR asyncio: boom\nTraceback (most recent call last):\n  File \"x.py\"\n",
      "2026-12-04 10:00:02,000 INFO litellm: hi\n",
    ]);
    assert.deepEqual(lines, [
      { level: "warn", text: "2026-12-04 10:00:00,123 WARNING pygls.protocol: slow" },
      { level: "error", text: "2026-12-04 10:00:01,000 ERROR asyncio: boom" },
      { level: "error", text: "Traceback (most recent call last):" },
      { level: "error", text: '  File "x.py"' },
      { level: "info", text: "2026-12-04 10:00:02,000 INFO litellm: hi" },
    ]);
  });

  it("reports lines outside any record (a crash at start-up) as errors", () => {
    assert.deepEqual(feed(["/usr/bin/python3: No module named opencode_lsp\n"]), [
      { level: "error", text: "/usr/bin/python3: No module named opencode_lsp" },
    ]);
  });
});
