// One realistic run against the real server and the scripted model: reasoning, a read,
// a bash call that needs permission, an edit, and a streamed markdown answer.
// The recorder writes it to fixtures/run.jsonl; server.test.ts asserts on it live.

import { join } from "node:path";
import type { MessageWithParts, PermissionRequest } from "../../src/shared/protocol";
import type { ExtensionSettings } from "../../src/shared/settings";
import { type FakeModel, type Notification, type ServerHandle, setTurns, startFakeModel, startServer } from "./harness";

export const PROMPT = "what does hello.py do? make it say hello";
export const ANSWER =
  "`hello.py` prints a greeting. I changed it to say **hello**:\n\n```python\nprint(\"hello\")\n```\n\nRun it with `python hello.py`.";

export function scriptTurns(workspace: string): unknown[] {
  const file = join(workspace, "hello.py");
  return [
    [
      { reasoning: "The user asks about hello.py. Read it before answering.", chunks: 3 },
      { tool_call: { name: "read", arguments: { filePath: file }, id: "call_read" } },
    ],
    [{ tool_call: { name: "bash", arguments: { command: "python3 hello.py", description: "Run the script" }, id: "call_bash" } }],
    [{ tool_call: { name: "edit", arguments: { filePath: file, oldString: 'print("hi")', newString: 'print("hello")' }, id: "call_edit" } }],
    [
      {
        tool_call: {
          name: "todowrite",
          arguments: {
            todos: [
              { content: "Read hello.py", status: "completed", priority: "high" },
              { content: "Change the greeting", status: "completed", priority: "high" },
              { content: "Add a test for the greeting", status: "pending", priority: "low" },
            ],
          },
          id: "call_todo",
        },
      },
    ],
    [{ text: ANSWER, chunks: 8 }, { usage: { prompt_tokens: 1450, completion_tokens: 52 } }],
  ];
}

export interface ScenarioResult {
  server: ServerHandle;
  model: FakeModel;
  sessionID: string;
  token: string;
  result: MessageWithParts;
  stored: MessageWithParts[];
  /** Notifications from session creation to the prompt's answer, in arrival order. */
  stream: Notification[];
}

export async function runScenario(): Promise<ScenarioResult> {
  const model = await startFakeModel({ turns: [], routes: [{ match: { title: true }, turns: [["Greeting script"]] }] });
  const settings: ExtensionSettings = { model: "fake/m", smallModel: "fake/m", providers: { fake: { apiBase: model.url } } };
  const server = await startServer({
    settings,
    files: {
      "hello.py": 'print("hi")\n',
      // The project's own config asks before shell commands, so the run shows a permission prompt.
      "opencode.json": JSON.stringify({ permission: { bash: "ask" } }),
    },
  });
  try {
    await setTurns(model, scriptTurns(server.workspace));
    const start = server.notifications.length;
    const session = await server.connection.sendRequest<{ id: string }>("opencode/session/create", {});
    // Answer the permission prompt the way the panel's "Allow once" button does.
    const answered = server
      .waitFor((n) => n.method === "opencode/event" && n.params.type === "permission.asked")
      .then((n) => {
        const ask = n.params.properties as PermissionRequest;
        return server.connection.sendRequest("opencode/permission/reply", { requestID: ask.id, reply: "once" });
      });
    const token = "vscode-run-1";
    const prompt = server.connection.sendRequest<MessageWithParts>("opencode/session/prompt", {
      sessionID: session.id,
      parts: [{ type: "text", text: PROMPT }],
      workDoneToken: token,
    });
    // The run waits on the ask: if no ask came, fail with that instead of waiting forever.
    const result = await Promise.race([prompt, answered.then(() => prompt)]);
    // The end of a run is also announced as an event; wait for it so the stream is complete.
    await server.waitFor((n) => n.method === "$/progress" && n.params.token === token && n.params.value.kind === "end");
    const stored = await server.connection.sendRequest<MessageWithParts[]>("opencode/session/messages", { sessionID: session.id });
    return { server, model, sessionID: session.id, token, result, stored, stream: server.notifications.slice(start) };
  } catch (error) {
    await server.stop();
    model.stop();
    throw error;
  }
}
