// One DOM element per message part: text, reasoning, files, tool cards (with diffs), retries.

import type { Part, PermissionRequest, ToolPart } from "../shared/protocol";
import { h } from "./dom";
import { renderMarkdown } from "./markdown";

export interface PartActions {
  openFile(path: string, startLine?: number, endLine?: number): void;
  copy(text: string): void;
  insert(text: string): void;
}

/** Copy and Insert-at-cursor buttons on each code block of a rendered answer. */
function decorateCodeBlocks(root: HTMLElement, actions: PartActions): void {
  for (const pre of root.querySelectorAll("pre")) {
    const code = pre.textContent ?? "";
    const copy = h("button", { type: "button", class: "code-copy", title: "Copy" }, "Copy");
    copy.addEventListener("click", () => {
      actions.copy(code);
      copy.textContent = "Copied";
      setTimeout(() => (copy.textContent = "Copy"), 1500);
    });
    const insert = h("button", { type: "button", class: "code-insert", title: "Insert at the cursor in the editor" }, "Insert");
    insert.addEventListener("click", () => actions.insert(code));
    const block = h("div", { class: "code-block" }, h("div", { class: "code-actions" }, copy, insert));
    pre.replaceWith(block);
    block.append(pre);
  }
}

function markdownBlock(className: string, text: string, actions?: PartActions): HTMLElement {
  const el = h("div", { class: `markdown ${className}` });
  // renderMarkdown escapes raw HTML in the text, so this is the model's markdown, not its HTML.
  el.innerHTML = renderMarkdown(text);
  if (actions) decorateCodeBlocks(el, actions);
  return el;
}

/** A file part's path and the line range of its URL (`?start=10&end=20`), if any. */
export function fileTarget(url: string): { path: string; startLine?: number; endLine?: number } | null {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== "file:") return null;
    const start = Number(parsed.searchParams.get("start"));
    const end = Number(parsed.searchParams.get("end"));
    const path = decodeURIComponent(parsed.pathname);
    return start > 0 ? { path, startLine: start, endLine: end >= start ? end : start } : { path };
  } catch {
    return null;
  }
}

export function fileLabel(url: string, filename?: string): string {
  const target = fileTarget(url);
  const name = filename ?? target?.path ?? url;
  if (!target?.startLine) return name;
  return target.endLine && target.endLine !== target.startLine ? `${name}:${target.startLine}-${target.endLine}` : `${name}:${target.startLine}`;
}

/** The lines of a unified diff, each classed as added, removed, hunk header or context. */
export function diffView(diff: string): HTMLElement {
  const pre = h("pre", { class: "diff" });
  for (const line of diff.replace(/\n$/, "").split("\n")) {
    // The "Index:" banner and its rule say nothing the file header does not.
    if (line.startsWith("Index:") || /^={10,}$/.test(line)) continue;
    let kind = "ctx";
    if (line.startsWith("+++") || line.startsWith("---")) kind = "meta";
    else if (line.startsWith("@@")) kind = "hunk";
    else if (line.startsWith("+")) kind = "add";
    else if (line.startsWith("-")) kind = "del";
    pre.append(h("span", { class: `diff-line diff-${kind}` }, line + "\n"));
  }
  return pre;
}

function prefixed(prefix: string, text: string): string[] {
  return text.replace(/\n$/, "").split("\n").map((line) => prefix + line);
}

/** A diff for an edit-type tool: the server's unified diff when it sent one, else built from the input. */
export function toolDiff(part: ToolPart): string | undefined {
  const metadata = "metadata" in part.state ? part.state.metadata : undefined;
  if (metadata && typeof metadata.diff === "string" && metadata.diff.trim()) return metadata.diff;
  const input = part.state.input;
  if (part.tool === "edit" && typeof input.oldString === "string" && typeof input.newString === "string") {
    return [`--- ${String(input.filePath ?? "")}`, ...prefixed("-", input.oldString), ...prefixed("+", input.newString)].join("\n");
  }
  if (part.tool === "write" && typeof input.content === "string") {
    return [`+++ ${String(input.filePath ?? "")}`, ...prefixed("+", input.content)].join("\n");
  }
  return undefined;
}

const STATUS_ICON: Record<string, string> = { pending: "○", running: "◐", completed: "●", error: "✕" };

/** A path under the workspace as the server titles it (relative); any other path whole. */
function workspacePath(path: string, directory: string | undefined): string {
  const root = directory?.replace(/[\\/]+$/, "");
  if (!root || !path.startsWith(root)) return path;
  const rest = path.slice(root.length);
  return /^[\\/]./.test(rest) ? rest.slice(1) : path;
}

function toolTitle(part: ToolPart, directory: string | undefined): string {
  const state = part.state;
  if ((state.status === "running" || state.status === "completed") && state.title) return state.title;
  // Until the tool reports its title (and for good when the call fails or is aborted), a guess
  // from the input; an absolute path would be cut off at the side bar's width before its name.
  const input = state.input;
  if (typeof input.filePath === "string") return workspacePath(input.filePath, directory);
  const guess = input.command ?? input.pattern ?? input.description ?? input.url;
  return typeof guess === "string" ? guess : "";
}

/**
 * A call the server refused before running it: a tool that is denied (Restricted Mode) or unknown
 * reaches the model through the "invalid" tool; it is shown under the tool's own name as refused.
 */
function refusedCard(part: ToolPart): HTMLElement {
  const input = part.state.input;
  const name = typeof input.tool === "string" ? input.tool : "tool";
  const reason = typeof input.error === "string" ? input.error : "the call was refused";
  return h(
    "div",
    { class: "tool tool-refused", "data-part-id": part.id, "data-status": "refused", "data-tool": name },
    h(
      "div",
      { class: "tool-header" },
      h("span", { class: "tool-icon" }, "⊘"),
      h("span", { class: "tool-name" }, name),
      h("span", { class: "tool-title" }, ""),
      h("span", { class: "tool-status" }, "refused"),
    ),
    h("div", { class: "tool-error" }, reason),
  );
}

export function toolCard(
  part: ToolPart,
  permission: PermissionRequest | undefined,
  permissionEl: HTMLElement | null,
  directory?: string,
): HTMLElement {
  const state = part.state;
  if (part.tool === "invalid") return refusedCard(part);
  const card = h(
    "div",
    { class: `tool tool-${state.status}`, "data-part-id": part.id, "data-status": state.status, "data-tool": part.tool },
    h(
      "div",
      { class: "tool-header" },
      h("span", { class: "tool-icon" }, STATUS_ICON[state.status] ?? "?"),
      h("span", { class: "tool-name" }, part.tool),
      h("span", { class: "tool-title" }, toolTitle(part, directory)),
      h("span", { class: "tool-status" }, permission ? "waiting for permission" : state.status),
    ),
  );
  if (Object.keys(state.input).length) {
    card.append(h("details", { class: "tool-input" }, h("summary", {}, "Input"), h("pre", {}, JSON.stringify(state.input, null, 2))));
  }
  const diff = toolDiff(part);
  if (diff && state.status !== "error") card.append(diffView(diff));
  if (state.status === "completed" && state.output) {
    card.append(h("details", { class: "tool-output" }, h("summary", {}, "Output"), h("pre", {}, state.output)));
  }
  if (state.status === "error") card.append(h("div", { class: "tool-error" }, state.error));
  if (permissionEl) card.append(permissionEl);
  return card;
}

export function partView(part: Part, actions: PartActions): HTMLElement | null {
  switch (part.type) {
    case "text":
      if (part.synthetic || part.ignored) return null; // server-added context, not the user's words
      return markdownBlock("text-part", part.text, actions);
    case "reasoning": {
      const done = Boolean(part.time?.end);
      const details = h("details", { class: "reasoning", open: !done }, h("summary", {}, done ? "Thought" : "Thinking…"));
      details.append(markdownBlock("reasoning-text", part.text));
      return details;
    }
    case "file": {
      const label = fileLabel(part.url, part.filename);
      const link = h("a", { class: "file-chip", href: "#", title: part.url }, `📄 ${label}`);
      link.addEventListener("click", (e) => {
        e.preventDefault();
        const target = fileTarget(part.url);
        // Not a file: URL (a data URL attachment): nothing to open.
        if (target) actions.openFile(target.path, target.startLine, target.endLine);
      });
      return link;
    }
    case "retry":
      return h("div", { class: "retry-part" }, `Retrying (attempt ${part.attempt}): ${part.error.data?.message ?? part.error.name}`);
    case "compaction":
      return h("div", { class: "compaction-part" }, "Session compacted");
    case "agent":
      return h("span", { class: "agent-chip" }, `@${String(part.name)}`);
    case "subtask":
      return h("div", { class: "subtask-part" }, `Subtask (${String(part.agent)}): ${String(part.description)}`);
    default:
      return null; // step-start, step-finish, snapshot, patch: bookkeeping, shown as usage instead
  }
}
