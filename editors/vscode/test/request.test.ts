// The request helper puts exactly one params object on the wire, with or without a token
// (an `undefined` token used to turn params into `[params, null]`).

import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { CancellationTokenSource, createMessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";
import { sendRequest } from "../src/shared/request";

/** A client connection whose requests are answered by a server that records the raw params. */
function pair(): { client: ReturnType<typeof createMessageConnection>; received: unknown[] } {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  const received: unknown[] = [];
  let buffered = "";
  // Read the raw bytes the client writes: the shape on the wire is what a server sees.
  toServer.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    for (;;) {
      const header = /Content-Length: (\d+)\r\n\r\n/.exec(buffered);
      if (!header) return;
      const start = header.index + header[0].length;
      const length = Number(header[1]);
      if (buffered.length < start + length) return;
      const message = JSON.parse(buffered.slice(start, start + length));
      buffered = buffered.slice(start + length);
      received.push(message.params);
      const body = JSON.stringify({ jsonrpc: "2.0", id: message.id, result: true });
      toClient.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    }
  });
  const client = createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
  client.listen();
  return { client, received };
}

describe("sendRequest", () => {
  it("sends params as one object without a token", async () => {
    const { client, received } = pair();
    assert.equal(await sendRequest<boolean>(client, "opencode/session/list", { limit: 5 }), true);
    assert.equal(await sendRequest<boolean>(client, "opencode/agent/list", {}, undefined), true);
    assert.deepEqual(received, [{ limit: 5 }, {}]);
    client.dispose();
  });

  it("sends params as one object with a token", async () => {
    const { client, received } = pair();
    const source = new CancellationTokenSource();
    assert.equal(await sendRequest<boolean>(client, "opencode/session/get", { sessionID: "ses_1" }, source.token), true);
    assert.deepEqual(received, [{ sessionID: "ses_1" }]);
    client.dispose();
  });
});
