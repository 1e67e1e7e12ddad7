"""Thin request handlers: params in, one core call, result out. Importing declares them."""

from . import catalog, commands, documents, history, mcp, prompt, sessions  # noqa: F401
