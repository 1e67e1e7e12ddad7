"""Where a workspace's store lives on disk."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import platformdirs

DATA_DIR_ENV = "OPENCODE_LSP_DATA_DIR"


def data_dir() -> Path:
    """The base directory for all workspaces: ``$OPENCODE_LSP_DATA_DIR`` or the user data dir."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser().resolve()
    return Path(platformdirs.user_data_dir("opencode-lsp"))


def default_store_root(workspace_root: Path, override: str | None = None) -> Path:
    """The store directory for one workspace.

    ``override`` (config ``storage.path``) wins; a relative one is taken relative to the
    workspace. Otherwise the store sits in the user's data directory, never in the workspace
    itself, named after the folder plus a hash of its absolute path so two folders with the
    same name do not share a store.
    """
    workspace = Path(workspace_root).expanduser().resolve()
    if override:
        chosen = Path(override).expanduser()
        return chosen if chosen.is_absolute() else workspace / chosen
    digest = hashlib.sha256(str(workspace).encode()).hexdigest()[:12]
    name = f"{workspace.name or 'root'}-{digest}"
    return data_dir() / "workspaces" / name
