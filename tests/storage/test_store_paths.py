"""Where a workspace's store goes by default, and how config and env move it."""

from __future__ import annotations

import hashlib

from opencode_lsp.storage import DATA_DIR_ENV, default_store_root


def test_default_root_is_under_the_data_dir_and_named_after_the_folder(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    workspace = tmp_path / "proj"
    workspace.mkdir()
    root = default_store_root(workspace, None)
    digest = hashlib.sha256(str(workspace.resolve()).encode()).hexdigest()[:12]
    assert root == (tmp_path / "data").resolve() / "workspaces" / f"proj-{digest}"
    assert workspace not in root.parents


def test_same_folder_name_in_two_places_gets_two_stores(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    a, b = tmp_path / "one" / "proj", tmp_path / "two" / "proj"
    assert default_store_root(a, None) != default_store_root(b, None)
    assert default_store_root(a, None) == default_store_root(tmp_path / "one" / ".." / "one" / "proj", None)


def test_without_env_the_platform_user_data_dir_is_used(tmp_path, monkeypatch):
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    root = default_store_root(tmp_path / "proj", None)
    assert (tmp_path / "xdg" / "opencode-lsp" / "workspaces") in root.parents


def test_configured_path_wins_and_relative_means_inside_the_workspace(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    workspace = tmp_path / "proj"
    assert default_store_root(workspace, str(tmp_path / "elsewhere")) == tmp_path / "elsewhere"
    assert default_store_root(workspace, ".opencode-store") == workspace.resolve() / ".opencode-store"
