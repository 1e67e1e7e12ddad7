// The chat panel's HTML: a strict Content-Security-Policy where only our nonce'd script runs.
// Free of the `vscode` module so the Chromium tests load exactly this page.

export function makeNonce(random: () => number = Math.random): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let nonce = "";
  for (let i = 0; i < 32; i++) nonce += alphabet.charAt(Math.floor(random() * alphabet.length));
  return nonce;
}

export interface PanelHtmlOptions {
  /** The webview's `cspSource` (who may serve our script, style and images). */
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  nonce: string;
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
    `style-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join("; ");
}

export function panelHtml(options: PanelHtmlOptions): string {
  const { cspSource, scriptUri, styleUri, nonce } = options;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(cspSource, nonce)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${styleUri}">
<title>opencode</title>
</head>
<body>
<div id="app">
  <header id="toolbar">
    <span id="session-title" class="title">No session</span>
    <span id="mcp-status" class="usage" hidden></span>
    <span id="session-usage" class="usage"></span>
  </header>
  <div id="banner" hidden></div>
  <main id="transcript" aria-live="polite"></main>
  <section id="todos" hidden></section>
  <section id="permissions"></section>
  <section id="queue" hidden></section>
  <footer id="composer">
    <div id="attachments"></div>
    <div id="completions" role="listbox" hidden></div>
    <textarea id="input" rows="3" placeholder="Ask opencode… (@ to mention a file, / for commands)"></textarea>
    <div id="controls">
      <div id="pickers">
        <select id="agent-picker" title="Agent"></select>
        <select id="model-picker" title="Model"></select>
      </div>
      <span id="run-status"></span>
      <div id="actions">
        <button id="stop" type="button" title="Stop (Escape)" hidden>Stop</button>
        <button id="send" type="button" title="Send (Enter)">Send</button>
      </div>
    </div>
  </footer>
</div>
<script nonce="${nonce}" src="${scriptUri}"></script>
</body>
</html>`;
}
