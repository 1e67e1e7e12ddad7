import os

import pytest

from opencode_lsp.core.tools.base import ToolError
from opencode_lsp.core.workspace import DiskWorkspace


async def test_resolve_contains_and_symlinks(tmp_path):
    root = tmp_path / "ws"
    (root / "a").mkdir(parents=True)
    (tmp_path / "out").mkdir()
    os.symlink(tmp_path / "out", root / "escape")
    ws = DiskWorkspace(root)
    assert ws.resolve("a/../b.txt") == root / "b.txt"
    assert ws.resolve(str(tmp_path / "x")) == tmp_path / "x"
    assert ws.contains(root / "a" / "new.txt") and ws.contains(root)
    assert not ws.contains(ws.resolve("../x")) and not ws.contains(root / "escape" / "f")
    other = tmp_path / "second"
    other.mkdir()
    multi = DiskWorkspace(root, [root, other])
    assert multi.contains(other / "f") and not multi.contains(tmp_path / "out" / "f")


async def test_read_write_delete(tmp_path):
    ws = DiskWorkspace(tmp_path)
    target = tmp_path / "deep" / "f.txt"
    await ws.write_text(target, "héllo\n")
    assert await ws.exists(target) and await ws.read_text(target) == "héllo\n"
    assert await ws.read_bytes(target) == "héllo\n".encode()
    assert await ws.is_dir(tmp_path / "deep") and not await ws.is_dir(target)
    assert [p.name for p in (tmp_path / "deep").iterdir()] == ["f.txt"]  # no temp file left behind
    await ws.delete(target)
    assert not await ws.exists(target)
    with pytest.raises(ToolError, match="not found"):
        await ws.read_text(target)


async def test_write_through_symlink_keeps_the_link(tmp_path):
    ws = DiskWorkspace(tmp_path)
    (tmp_path / "real.txt").write_text("a")
    os.symlink(tmp_path / "real.txt", tmp_path / "link.txt")
    await ws.write_text(tmp_path / "link.txt", "b")
    assert (tmp_path / "link.txt").is_symlink() and (tmp_path / "real.txt").read_text() == "b"
