"""Config files, substitutions and precedence."""

from __future__ import annotations

import json

from opencode_lsp.core.config import load_config, strip_jsonc


def test_jsonc_comments_and_trailing_commas():
    text = '{\n // a comment\n "model": "a/b", /* block */ "url": "http://x//y",\n}'
    assert json.loads(strip_jsonc(text)) == {"model": "a/b", "url": "http://x//y"}


def test_project_file_env_and_file_substitution(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENCODE_LSP_NO_GLOBAL_CONFIG", "1")
    monkeypatch.setenv("MY_BASE", "http://127.0.0.1:9")
    (tmp_path / "prompt.txt").write_text('say "hi"\n')
    (tmp_path / "opencode.jsonc").write_text(json.dumps({
        "model": "fake/m",
        "small_model": "fake/small",
        "provider": {"fake": {"options": {"baseURL": "{env:MY_BASE}", "apiKey": "sk-secret"}}},
        "agent": {"review": {"prompt": "{file:prompt.txt}"}},
        "instructions": ["docs/*.md"],
    }))
    config = load_config(tmp_path, {"smallModel": "fake/other", "permissionUI": True})
    assert config.model == "fake/m"
    assert config.small_model == "fake/other"  # editor settings beat the project file
    assert config.permission_ui is True
    assert config.provider["fake"]["options"]["baseURL"] == "http://127.0.0.1:9"
    assert config.agents["review"]["prompt"] == 'say "hi"'
    assert config.instructions == ["docs/*.md"]
    redacted = config.redacted()
    assert redacted["provider"]["fake"]["options"]["apiKey"] == "<redacted>"
    assert "sk-secret" not in json.dumps(redacted)


def test_broken_file_is_ignored_not_fatal(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENCODE_LSP_NO_GLOBAL_CONFIG", "1")
    (tmp_path / "opencode.json").write_text("{ not json")
    config = load_config(tmp_path, {"model": "a/b"})
    assert config.model == "a/b"


def test_global_file_is_lowest(tmp_path, monkeypatch):
    home = tmp_path / "cfg"
    (home / "opencode").mkdir(parents=True)
    (home / "opencode" / "opencode.json").write_text('{"model": "global/m", "agent": {"x": {}}}')
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    monkeypatch.delenv("OPENCODE_LSP_NO_GLOBAL_CONFIG", raising=False)
    project = tmp_path / "proj"
    project.mkdir()
    assert load_config(project).model == "global/m"
    (project / "opencode.json").write_text('{"model": "project/m"}')
    assert load_config(project).model == "project/m"
    assert load_config(project, {"model": "editor/m"}).model == "editor/m"
