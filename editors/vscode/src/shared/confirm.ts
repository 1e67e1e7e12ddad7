// Texts of the confirmations the extension asks before destructive session commands.

/** The delete question: child sessions (subtasks) go with their parent, so say so when there are any. */
export function deleteSessionQuestion(title: string, children: number): string {
  if (children <= 0) return `Delete "${title}"?`;
  return `Delete "${title}" and its ${children === 1 ? "child session" : `${children} child sessions`}?`;
}
