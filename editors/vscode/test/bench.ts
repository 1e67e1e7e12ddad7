// Figures, not pass/fail: reducer and panel cost per streamed delta. Run: npm run bench

import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { makeNonce, panelHtml } from "../src/extension/panelHtml";
import type { HostToPanel } from "../src/shared/messages";
import type { ServerEvent } from "../src/shared/protocol";
import { emptyState, reduceAll } from "../src/shared/reducer";
import { fixtureEvents, fixtureSessionID } from "./support/fixtures";

const ROOT = resolve(import.meta.dirname, "../..");
const recorded = fixtureEvents("run.jsonl");
const sessionID = fixtureSessionID(recorded);

/** The recorded run followed by a long answer streamed as `count` deltas of `size` characters. */
function longStream(count: number, size: number): ServerEvent[] {
  const base = { sessionID, messageID: "msg_zzzz_bench" };
  const events: ServerEvent[] = [...recorded];
  const chunk = "word ".repeat(size / 5).slice(0, size - 1) + "\n";
  let text = "";
  for (let i = 0; i < count; i++) {
    text += i % 40 === 39 ? "\n```ts\nconst x = 1;\n```\n" : chunk;
    events.push({ type: "message.part.updated", properties: { part: { ...base, id: "prt_zzzz_bench", type: "text", text }, delta: chunk } });
  }
  return events;
}

function benchReducer(count: number): void {
  const events = longStream(count, 40);
  const start = performance.now();
  const rounds = 5;
  for (let i = 0; i < rounds; i++) reduceAll(emptyState(sessionID), events);
  const ms = (performance.now() - start) / rounds;
  console.log(`reducer: ${events.length} events in ${ms.toFixed(1)} ms (${((ms / events.length) * 1000).toFixed(1)} µs/event)`);
}

async function benchPanel(count: number): Promise<void> {
  const dir = resolve(ROOT, "../../tests/artifacts/vscode");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "bench.html");
  writeFileSync(file, panelHtml({
    cspSource: "file:",
    nonce: makeNonce(),
    scriptUri: pathToFileURL(join(ROOT, "dist/webview.js")).toString(),
    styleUri: pathToFileURL(join(ROOT, "media/panel.css")).toString(),
  }));
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 460, height: 900 } });
    await page.addInitScript(() => {
      (window as unknown as { acquireVsCodeApi: () => unknown }).acquireVsCodeApi = () => ({ postMessage() {}, getState() {}, setState() {} });
    });
    await page.goto(pathToFileURL(file).toString());
    const session = { id: sessionID, directory: "/ws", title: "bench", time: { created: 1, updated: 1 } };
    const messages: HostToPanel[] = [
      { type: "session", session, messages: [], todos: [], permissions: [], status: { type: "idle" } },
      ...longStream(count, 40).map((event) => ({ type: "event" as const, event })),
    ];
    // A stream faster than the frame rate: every message is reduced, the panel draws once a frame.
    const burst = await page.evaluate(async (list) => {
      const start = performance.now();
      for (const m of list) window.dispatchEvent(new MessageEvent("message", { data: m }));
      await new Promise<void>((r) => requestAnimationFrame(() => r()));
      return performance.now() - start;
    }, messages);
    // One frame's draw once the answer is long: the cost of each redraw at the end of the stream.
    const last = messages[messages.length - 1];
    const draws: number[] = [];
    for (let i = 0; i < 10; i++) {
      draws.push(await page.evaluate(async (m) => {
        const start = performance.now();
        window.dispatchEvent(new MessageEvent("message", { data: m }));
        await new Promise<void>((r) => requestAnimationFrame(() => r()));
        return performance.now() - start;
      }, last));
    }
    draws.sort((a, b) => a - b);
    const kb = (count * 40) / 1000;
    console.log(`panel: ${messages.length} messages (${count} deltas, ${kb} kB answer) reduced and drawn in ${burst.toFixed(0)} ms; one redraw at ${kb} kB: median ${draws[5].toFixed(1)} ms (includes waiting for the frame)`);
  } finally {
    await browser.close();
  }
}

benchReducer(2000);
await benchPanel(500);
await benchPanel(2000);
