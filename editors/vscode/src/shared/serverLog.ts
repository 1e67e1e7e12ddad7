// The server's stderr, sorted into log levels for the output channel. The server writes
// `time LEVEL logger: message` lines (continuation lines, e.g. tracebacks, belong to the record
// above them). Records of its own `opencode_lsp` loggers at INFO and above also arrive as
// `window/logMessage`, which the language client logs already: those are dropped here so that
// each line shows once, and everything else keeps its own level instead of all being errors.

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface LogLine {
  level: LogLevel;
  text: string;
}

const RECORD = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (DEBUG|INFO|WARNING|ERROR|CRITICAL) (\S+): /;

const LEVELS: Record<string, LogLevel> = { DEBUG: "debug", INFO: "info", WARNING: "warn", ERROR: "error", CRITICAL: "error" };

export class StderrLog {
  private partial = "";
  /** The level of the current record, or null when it is being dropped. */
  private current: LogLevel | null = "error";

  constructor(private readonly sink: (line: LogLine) => void) {}

  /** Feed a chunk of stderr; complete lines go to the sink. */
  write(chunk: string): void {
    const text = this.partial + chunk;
    const lines = text.split(/\r?\n/);
    this.partial = lines.pop() ?? "";
    for (const line of lines) this.line(line);
  }

  flush(): void {
    if (this.partial) this.line(this.partial);
    this.partial = "";
  }

  private line(line: string): void {
    const record = RECORD.exec(line);
    if (record) {
      const level = LEVELS[record[1]];
      const ours = record[2] === "opencode_lsp" || record[2].startsWith("opencode_lsp.");
      // Forwarded over window/logMessage already (see opencode_lsp/lsp/client_log.py).
      this.current = ours && level !== "debug" ? null : level;
    } else if (!line.trim()) {
      return;
    }
    // A line outside any record (a crash before logging is set up) is an error.
    if (this.current) this.sink({ level: this.current, text: line });
  }
}
