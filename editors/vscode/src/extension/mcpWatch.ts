// The MCP line of the chat panel's header: which MCP servers are connected, when the server has
// MCP support.

import type { HostToPanel } from "../shared/messages";
import { type McpServerStatus, Methods } from "../shared/protocol";
import { mcpSummary } from "./chatHelpers";
import type { ServerClient } from "./serverClient";

export class McpWatch {
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly server: ServerClient,
    private readonly post: (message: HostToPanel) => void,
  ) {}

  /** After a server start: MCP servers connect in the background, so look again a little later. */
  watch(): void {
    this.dispose();
    this.timers = [0, 4000, 15000].map((delay) => setTimeout(() => void this.refresh(), delay));
  }

  async refresh(): Promise<void> {
    if (!this.server.running || !this.server.supports(Methods.mcpStatus)) return this.post({ type: "mcp", summary: null });
    try {
      const servers = await this.server.request<McpServerStatus[]>(Methods.mcpStatus, {});
      this.post({ type: "mcp", summary: mcpSummary(servers) });
    } catch {
      this.post({ type: "mcp", summary: null });
    }
  }

  dispose(): void {
    for (const timer of this.timers) clearTimeout(timer);
  }
}
