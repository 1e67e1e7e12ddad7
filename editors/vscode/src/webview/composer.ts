// The input box: Enter sends, Shift+Enter adds a line, `@` completes workspace files (each
// chosen file goes with the message as a file part), `/` completes commands.

import { type Attachment, SLASH_COMMANDS, type SlashCommandName } from "../shared/messages";
import { h } from "./dom";

export interface ComposerActions {
  send(text: string, attachments: Attachment[]): void;
  command(name: SlashCommandName): void;
  customCommand(name: string, args: string): void;
  searchFiles(query: string): number;
}

interface Completion {
  label: string;
  detail?: string;
  apply(): void;
  /** Already typed in full (a whole `/command`): Enter runs it instead of completing it. */
  complete?: boolean;
}

/** The `@word` or leading `/word` being typed just before the caret, if any. */
export function tokenAtCaret(text: string, caret: number): { kind: "@" | "/"; query: string; start: number } | null {
  const before = text.slice(0, caret);
  const mention = /(^|\s)@([^\s@]*)$/.exec(before);
  if (mention) return { kind: "@", query: mention[2], start: caret - mention[2].length - 1 };
  const slash = /^\/(\S*)$/.exec(before);
  if (slash) return { kind: "/", query: slash[1], start: 0 };
  return null;
}

export class Composer {
  private attachments: Attachment[] = [];
  private completions: Completion[] = [];
  private selected = 0;
  private pendingSearch = -1;
  /** False until the server is running: Enter then neither sends nor adds a line. */
  private ready = true;

  constructor(
    private readonly input: HTMLTextAreaElement,
    private readonly list: HTMLElement,
    private readonly chips: HTMLElement,
    private readonly actions: ComposerActions,
  ) {
    input.addEventListener("keydown", (e) => this.onKey(e));
    input.addEventListener("input", () => this.updateCompletions());
  }

  private onKey(e: KeyboardEvent): void {
    if (!this.list.hidden && this.completions.length) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        const step = e.key === "ArrowDown" ? 1 : -1;
        this.selected = (this.selected + step + this.completions.length) % this.completions.length;
        this.drawCompletions();
        return;
      }
      const chosen = this.completions[this.selected];
      if (e.key === "Tab" || (e.key === "Enter" && !chosen.complete)) {
        e.preventDefault();
        chosen.apply();
        return;
      }
      if (e.key === "Escape") {
        e.preventDefault(); // closes the list; a second Escape stops the run
        this.closeCompletions();
        return;
      }
    }
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      this.submit();
    }
  }

  setReady(ready: boolean): void {
    this.ready = ready;
  }

  get isReady(): boolean {
    return this.ready;
  }

  submit(): void {
    if (!this.ready) return; // the text stays; it can be sent once the server is up
    const text = this.input.value;
    const trimmed = text.trim();
    if (!trimmed && !this.attachments.length) return;
    const slash = /^\/(\S+)\s*([\s\S]*)$/.exec(trimmed);
    if (slash && !this.attachments.length) {
      const builtin = SLASH_COMMANDS.find((c) => c.name === slash[1]);
      if (builtin) this.actions.command(builtin.name);
      else this.actions.customCommand(slash[1], slash[2]);
    } else {
      this.actions.send(text, this.attachments);
    }
    this.input.value = "";
    this.attachments = [];
    this.drawChips();
    this.closeCompletions();
  }

  attach(attachment: Attachment): void {
    const same = (a: Attachment) => a.path === attachment.path && a.startLine === attachment.startLine && a.endLine === attachment.endLine;
    if (!this.attachments.some(same)) this.attachments.push(attachment);
    this.drawChips();
    this.input.focus();
  }

  /** What is typed in the input now. */
  get text(): string {
    return this.input.value;
  }

  /** Replace what is typed (an undone prompt coming back, or a redo taking it away). */
  setText(text: string): void {
    this.input.value = text;
    this.closeCompletions();
    this.input.focus();
  }

  /** A sent prompt the server refused: its text goes back before whatever was typed since. */
  restore(text: string, attachments: Attachment[]): void {
    const typed = this.input.value;
    this.input.value = typed.trim() ? `${text}\n\n${typed}` : text;
    for (const attachment of attachments) this.attach(attachment);
    this.input.focus();
  }

  private drawChips(): void {
    this.chips.replaceChildren(
      ...this.attachments.map((a, index) => {
        const range = a.startLine ? `:${a.startLine}-${a.endLine ?? a.startLine}` : "";
        const remove = h("button", { type: "button", class: "chip-remove", title: "Remove" }, "×");
        remove.addEventListener("click", () => {
          this.attachments.splice(index, 1);
          this.drawChips();
        });
        return h("span", { class: "chip", title: `${a.path}${range}` }, `${a.path.split(/[\\/]/).pop()}${range}`, remove);
      }),
    );
  }

  private updateCompletions(): void {
    const token = tokenAtCaret(this.input.value, this.input.selectionStart ?? this.input.value.length);
    if (!token) return this.closeCompletions();
    if (token.kind === "/") {
      const matches = SLASH_COMMANDS.filter((c) => c.name.startsWith(token.query));
      this.show(matches.map((c) => ({
        label: `/${c.name}`,
        detail: c.description,
        apply: () => this.replaceToken(token.start, `/${c.name} `),
        complete: c.name === token.query,
      })));
      return;
    }
    this.pendingSearch = this.actions.searchFiles(token.query);
  }

  /** File search results from the host; stale answers (the user typed on) are dropped. */
  fileResults(requestId: number, paths: string[]): void {
    if (requestId !== this.pendingSearch) return;
    const token = tokenAtCaret(this.input.value, this.input.selectionStart ?? this.input.value.length);
    if (!token || token.kind !== "@") return;
    this.show(
      paths.map((path) => ({
        label: path,
        apply: () => {
          this.replaceToken(token.start, `@${path} `);
          this.attach({ path });
        },
      })),
    );
  }

  private replaceToken(start: number, replacement: string): void {
    const caret = this.input.selectionStart ?? this.input.value.length;
    this.input.value = this.input.value.slice(0, start) + replacement + this.input.value.slice(caret);
    const at = start + replacement.length;
    this.input.setSelectionRange(at, at);
    this.closeCompletions();
    this.input.focus();
  }

  private show(items: Completion[]): void {
    this.completions = items;
    this.selected = 0;
    this.drawCompletions();
  }

  private drawCompletions(): void {
    this.list.hidden = this.completions.length === 0;
    this.list.replaceChildren(
      ...this.completions.map((c, index) => {
        const item = h(
          "div",
          { class: index === this.selected ? "completion selected" : "completion", role: "option" },
          h("span", { class: "completion-label" }, c.label),
          c.detail ? h("span", { class: "completion-detail" }, c.detail) : null,
        );
        item.addEventListener("mousedown", (e) => {
          e.preventDefault();
          c.apply();
        });
        return item;
      }),
    );
  }

  private closeCompletions(): void {
    this.completions = [];
    this.list.hidden = true;
    this.list.replaceChildren();
  }
}
