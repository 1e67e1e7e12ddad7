// The one way the extension sends a request to the server. vscode-jsonrpc treats every argument
// after the method name as a positional parameter unless it is a real CancellationToken, so
// `sendRequest(method, params, undefined)` goes out as `params: [params, null]` and the server
// rejects it. A RequestType with by-name parameters fixes the shape to exactly one object, and the
// token is passed only when there is one.

import { type CancellationToken, ParameterStructures, RequestType } from "vscode-jsonrpc";

/** What both LanguageClient and a bare MessageConnection offer. */
export interface RequestSender {
  sendRequest<P, R, E>(type: RequestType<P, R, E>, params: P, token?: CancellationToken): Promise<R>;
}

const requestTypes = new Map<string, RequestType<object, unknown, void>>();

function requestType(method: string): RequestType<object, unknown, void> {
  let type = requestTypes.get(method);
  if (!type) {
    type = new RequestType<object, unknown, void>(method, ParameterStructures.byName);
    requestTypes.set(method, type);
  }
  return type;
}

export function sendRequest<R>(sender: RequestSender, method: string, params: object, token?: CancellationToken): Promise<R> {
  const type = requestType(method) as RequestType<object, R, void>;
  return token ? sender.sendRequest(type, params, token) : sender.sendRequest(type, params);
}
