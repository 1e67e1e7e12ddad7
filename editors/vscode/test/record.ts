// Records the scenario's stream from the real server into test/fixtures/run.jsonl, and the
// session as `opencode/session/messages` returns it into test/fixtures/run.messages.json.
// Run: npm run record (needs the repo's .venv with the server installed).

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { toJsonl } from "./support/harness";
import { FIXTURES } from "./support/fixtures";
import { runScenario } from "./support/scenario";

const run = await runScenario();
try {
  // Keep only what a client sees of this run: events and the run's own progress.
  const lines = run.stream.filter((n) => n.method === "opencode/event" || n.method === "$/progress");
  writeFileSync(join(FIXTURES, "run.jsonl"), toJsonl(lines));
  writeFileSync(join(FIXTURES, "run.messages.json"), JSON.stringify(run.stored, null, 1) + "\n");
  console.log(`recorded ${lines.length} notifications, ${run.stored.length} messages`);
} finally {
  await run.server.stop();
  run.model.stop();
}
