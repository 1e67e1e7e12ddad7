"""OpenCode's session and agent core, served as a Language Server."""

__version__ = "0.1.0"
# The OpenCode release whose session format we read and write.
OPENCODE_VERSION = "1.18.33"
