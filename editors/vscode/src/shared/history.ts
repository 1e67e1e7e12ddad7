// Undo/redo of turns, as OpenCode and the Neovim plugin do them: undo reverts the last visible
// turn and hands its prompt back to the input; redo brings hidden turns back one at a time.
// Pure functions over the view state (host side) plus the input bookkeeping (panel side).

import type { MessageView, ViewState } from "./reducer";

/** The last user message before the revert point (all of them when nothing is reverted). */
export function undoTarget(state: ViewState): MessageView | undefined {
  const revert = state.session?.revert?.messageID;
  let target: MessageView | undefined;
  for (const message of state.messages) {
    if (revert && message.id >= revert) break;
    if (message.info?.role === "user") target = message;
  }
  return target;
}

/**
 * What redo does: revert to the next user message after the revert point (one turn comes back),
 * or unrevert when the hidden turns hold no further user message. Null when nothing is reverted.
 */
export function redoStep(state: ViewState): { revertTo: string } | { unrevert: true } | null {
  const revert = state.session?.revert?.messageID;
  if (!revert) return null;
  const next = state.messages.find((m) => m.id > revert && m.info?.role === "user");
  return next ? { revertTo: next.id } : { unrevert: true };
}

/** The text the user typed for a message: its non-synthetic text parts, in part order. */
export function promptText(message: MessageView): string {
  const texts: Array<{ id: string; text: string }> = [];
  for (const part of message.parts) {
    if (part.type === "text" && !part.synthetic) texts.push({ id: part.id, text: part.text });
  }
  texts.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return texts.map((t) => t.text).join("\n");
}

/** How long a notice quotes a reverted prompt that could not go in the input. */
export const QUOTE_LENGTH = 80;

/**
 * The panel's memory of the prompt an undo put in the input. The input is the user's: an undone
 * prompt replaces it only when it is empty or still holds the previous undo's prompt, and redo
 * clears it only when it still holds exactly what undo put there.
 */
export class UndoneInput {
  private restored: string | null = null;

  /** After an undo: the new input text, or a notice quoting the prompt when the input is taken. */
  undone(input: string, prompt: string): { input: string } | { notice: string } | null {
    if (!prompt) return null;
    if (input.trim() === "" || input === this.restored) {
      this.restored = prompt;
      return { input: prompt };
    }
    const quote = prompt.length > QUOTE_LENGTH ? `${prompt.slice(0, QUOTE_LENGTH)}…` : prompt;
    return { notice: `The undone prompt was: ${quote}` };
  }

  /** After a redo: whether the input should be emptied. Either way the memory is dropped. */
  redone(input: string): boolean {
    const clear = this.restored !== null && input === this.restored;
    this.restored = null;
    return clear;
  }
}
