// One DOM element per message part: text, reasoning, files, tool cards (with diffs), retries.

import type { Part, PermissionRequest, ToolPart } from "../shared/protocol";
import { h } from "./dom";
import { renderMarkdown } from "./markdown";

export interface PartActions {
  openFile(path: string): void;
}

function markdownBlock(className: string, text: string): HTMLElement {
  const el = h("div", { class: `markdown ${className}` });
  // renderMarkdown escapes raw HTML in the text, so this is the model's markdown, not its HTML.
  el.innerHTML = renderMarkdown(text);
  return el;
}

function fileLabel(url: string, filename?: string): string {
  if (filename) return filename;
  try {
    return decodeURIComponent(new URL(url).pathname);
  } catch {
    return url;
  }
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

function toolTitle(part: ToolPart): string {
  const state = part.state;
  if ((state.status === "running" || state.status === "completed") && state.title) return state.title;
  const input = state.input;
  const guess = input.filePath ?? input.command ?? input.pattern ?? input.description ?? input.url;
  return typeof guess === "string" ? guess : "";
}

export function toolCard(part: ToolPart, permission: PermissionRequest | undefined, permissionEl: HTMLElement | null): HTMLElement {
  const state = part.state;
  const card = h(
    "div",
    { class: `tool tool-${state.status}`, "data-part-id": part.id, "data-status": state.status, "data-tool": part.tool },
    h(
      "div",
      { class: "tool-header" },
      h("span", { class: "tool-icon" }, STATUS_ICON[state.status] ?? "?"),
      h("span", { class: "tool-name" }, part.tool),
      h("span", { class: "tool-title" }, toolTitle(part)),
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
      return markdownBlock("text-part", part.text);
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
        try {
          actions.openFile(decodeURIComponent(new URL(part.url).pathname));
        } catch {
          /* not a file: URL (a data URL attachment): nothing to open */
        }
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
