// Loading a session while it runs: the snapshot (`opencode/session/messages`) holds what the
// server had stored when it answered, and events keep arriving while the other requests of the
// load are still out. Events that came after the snapshot's answer are applied over it, so a
// reload (or a server restart) during a run never drops the text streamed meanwhile.

import type { ServerEvent } from "./protocol";

export class EventsDuringLoad {
  private readonly seen: ServerEvent[] = [];
  private cut = 0;

  /** Called for every server event while the load is under way. */
  record(event: ServerEvent): void {
    this.seen.push(event);
  }

  /**
   * Wrap the snapshot request: events recorded before its answer are already in it (the server
   * writes the answer after the events it sent before), later ones are not.
   */
  snapshot<T>(request: Promise<T>): Promise<T> {
    return request.then((value) => {
      this.cut = this.seen.length;
      return value;
    });
  }

  /** The events to apply over the snapshot. */
  after(): ServerEvent[] {
    return this.seen.slice(this.cut);
  }
}
