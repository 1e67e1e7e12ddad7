"""``opencode-lsp acp``: the agent core served over the Agent Client Protocol (ACP v1) on stdio."""
