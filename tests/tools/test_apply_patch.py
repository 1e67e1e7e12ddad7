import pytest

from opencode_lsp.core.tools.apply_patch import parse_patch, tool as apply_patch
from opencode_lsp.core.tools.base import ToolError


def patch(*body: str) -> str:
    return "\n".join(["*** Begin Patch", *body, "*** End Patch"])


async def test_add_update_delete_in_one_patch(root, ctx, rec):
    (root / "src").mkdir()
    (root / "src" / "app.py").write_text("import os\n\ndef main():\n    print('hi')\n    return 0\n")
    (root / "old.txt").write_text("bye\n")
    text = patch(
        "*** Add File: src/new.py",
        "+def added():",
        "+    return 1",
        "*** Update File: src/app.py",
        "@@ def main():",
        "-    print('hi')",
        "+    print('hello')",
        "     return 0",
        "*** Delete File: old.txt",
    )
    result = await apply_patch.execute({"patchText": text}, ctx)
    assert (root / "src" / "new.py").read_text() == "def added():\n    return 1\n"
    assert (root / "src" / "app.py").read_text() == "import os\n\ndef main():\n    print('hello')\n    return 0\n"
    assert not (root / "old.txt").exists()
    assert "A src/new.py" in result.output and "M src/app.py" in result.output and "D old.txt" in result.output
    [ask] = rec.of("edit")
    assert ask["patterns"] == ["src/new.py", "src/app.py", "old.txt"]
    assert "+    print('hello')" in ask["metadata"]["diff"]


async def test_update_with_move(root, ctx):
    (root / "a.txt").write_text("one\ntwo\nthree\n")
    text = patch("*** Update File: a.txt", "*** Move to: moved/b.txt", "@@", " one", "-two", "+TWO", " three")
    result = await apply_patch.execute({"patchText": text}, ctx)
    assert not (root / "a.txt").exists()
    assert (root / "moved" / "b.txt").read_text() == "one\nTWO\nthree\n"
    assert result.metadata["files"][0]["type"] == "move"


async def test_several_hunks_and_crlf_kept(root, ctx):
    (root / "w.txt").write_bytes(b"a\r\nb\r\nc\r\nd\r\ne\r\nf\r\n")
    text = patch("*** Update File: w.txt", "@@", " a", "-b", "+B", "@@", " e", "-f", "+F")
    await apply_patch.execute({"patchText": text}, ctx)
    assert (root / "w.txt").read_bytes() == b"a\r\nB\r\nc\r\nd\r\ne\r\nF\r\n"


async def test_whitespace_tolerant_context(root, ctx):
    (root / "t.py").write_text("def f():  \n    return 1\n")
    text = patch("*** Update File: t.py", "@@", " def f():", "-    return 1", "+    return 2")
    await apply_patch.execute({"patchText": text}, ctx)
    assert (root / "t.py").read_text() == "def f():  \n    return 2\n"


@pytest.mark.parametrize("text,message", [
    ("*** Update File: x\n*** End Patch", "must start"),
    ("*** Begin Patch\n*** Add File: x\n+a", "must end"),
    (patch("*** Frobnicate File: x"), "Unexpected line"),
    (patch("*** Add File: n.txt", "no plus"), "must start with '\\+'"),
    (patch("*** Update File: x.txt"), "no changes"),
    (patch(), "no file operations"),
])
def test_bad_patches_are_explained(text, message):
    with pytest.raises(ToolError, match=message):
        parse_patch(text)


async def test_nothing_is_written_when_any_part_fails(root, ctx, rec):
    (root / "keep.txt").write_text("keep\n")
    text = patch(
        "*** Add File: fresh.txt", "+fresh",
        "*** Update File: keep.txt", "@@", "-not in the file", "+x",
    )
    with pytest.raises(ToolError, match="could not find"):
        await apply_patch.execute({"patchText": text}, ctx)
    assert not (root / "fresh.txt").exists() and (root / "keep.txt").read_text() == "keep\n"
    assert rec.of("edit") == []


async def test_missing_files_and_existing_add_target(root, ctx):
    (root / "there.txt").write_text("x\n")
    with pytest.raises(ToolError, match="no such file"):
        await apply_patch.execute({"patchText": patch("*** Delete File: ghost.txt")}, ctx)
    with pytest.raises(ToolError, match="already exists"):
        await apply_patch.execute({"patchText": patch("*** Add File: there.txt", "+y")}, ctx)
    with pytest.raises(ToolError, match="context line"):
        await apply_patch.execute({"patchText": patch("*** Update File: there.txt", "@@ nowhere", "-x", "+y")}, ctx)


async def test_patch_outside_workspace_asks_external_directory(root, tmp_path, ctx, rec):
    await apply_patch.execute({"patchText": patch(f"*** Add File: {tmp_path}/out.txt", "+o")}, ctx)
    assert rec.of("external_directory")[0]["patterns"] == [f"{tmp_path}/*"]
    assert (tmp_path / "out.txt").read_text() == "o\n"
