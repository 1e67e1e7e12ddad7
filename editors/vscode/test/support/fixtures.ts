// Reading recorded streams: `opencode/event` notifications are what the panel consumes.

import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { MessageWithParts, ServerEvent } from "../../src/shared/protocol";

export const FIXTURES = resolve(import.meta.dirname, "../../test/fixtures");

export interface RecordedLine {
  method: string;
  params: any;
}

export function readFixture(name: string): RecordedLine[] {
  return readFileSync(join(FIXTURES, name), "utf8")
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as RecordedLine);
}

export function fixtureEvents(name: string): ServerEvent[] {
  return readFixture(name)
    .filter((line) => line.method === "opencode/event")
    .map((line) => line.params as ServerEvent);
}

/** The session a recorded stream belongs to: its `session.created` info, else the first session id seen. */
export function fixtureSessionID(events: ServerEvent[]): string {
  for (const event of events) {
    const props = event.properties as Record<string, any>;
    const id = props.sessionID ?? props.info?.sessionID ?? props.part?.sessionID ?? (event.type === "session.created" ? props.info.id : undefined);
    if (typeof id === "string") return id;
  }
  throw new Error("no session id in the fixture");
}

export function readMessages(name: string): MessageWithParts[] {
  return JSON.parse(readFileSync(join(FIXTURES, name), "utf8")) as MessageWithParts[];
}
