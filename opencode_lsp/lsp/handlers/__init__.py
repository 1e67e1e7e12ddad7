"""Thin request handlers: params in, one core call, result out. Importing declares them."""

from . import catalog, prompt, sessions  # noqa: F401
