"""Every custom method, command and notification name of the protocol, in one place."""

SESSION_CREATE = "opencode/session/create"
SESSION_GET = "opencode/session/get"
SESSION_LIST = "opencode/session/list"
SESSION_CHILDREN = "opencode/session/children"
SESSION_UPDATE = "opencode/session/update"
SESSION_FORK = "opencode/session/fork"
SESSION_DELETE = "opencode/session/delete"
SESSION_MESSAGES = "opencode/session/messages"
SESSION_PROMPT = "opencode/session/prompt"
SESSION_COMMAND = "opencode/session/command"
SESSION_SHELL = "opencode/session/shell"
SESSION_ABORT = "opencode/session/abort"
SESSION_SUMMARIZE = "opencode/session/summarize"
SESSION_REVERT = "opencode/session/revert"
SESSION_UNREVERT = "opencode/session/unrevert"
SESSION_TODO = "opencode/session/todo"
SESSION_STATUS = "opencode/session/status"
SESSION_EXPORT = "opencode/session/export"
SESSION_IMPORT = "opencode/session/import"
PERMISSION_REPLY = "opencode/permission/reply"
PERMISSION_LIST = "opencode/permission/list"
PERMISSION_APPROVALS = "opencode/permission/approvals"
PERMISSION_REVOKE = "opencode/permission/revoke"
AGENT_LIST = "opencode/agent/list"
MODEL_LIST = "opencode/model/list"
CONFIG_GET = "opencode/config/get"
MCP_STATUS = "opencode/mcp/status"
MCP_TOGGLE = "opencode/mcp/toggle"

EVENT_NOTIFICATION = "opencode/event"

CMD_SESSION_NEW = "opencode.session.new"
CMD_PROMPT = "opencode.prompt"
CMD_ABORT = "opencode.abort"
CMD_SESSION_LIST = "opencode.session.list"
CMD_FIX = "opencode.fix"

# JSON-RPC error codes of the protocol.
INVALID_PARAMS = -32602
NOT_FOUND = -31001
SESSION_BUSY = -31002
REQUEST_CANCELLED = -32800
