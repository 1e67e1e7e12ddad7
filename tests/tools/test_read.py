import base64
import json
import os
from pathlib import Path

import pytest

from opencode_lsp.core.tools.base import ToolError
from opencode_lsp.core.tools.read import tool as read

REFERENCE = Path("/work/shared/reference/opencode-1.18.33-session-export.json")


async def test_matches_reference_export_shape(root, ctx, rec):
    (root / "hello.py").write_text('print("hi")\n')
    result = await read.execute({"filePath": str(root / "hello.py")}, ctx)
    # The reference part was produced by OpenCode for the same file at another path.
    export = json.loads(REFERENCE.read_text())
    ref = next(p for m in export["messages"] for p in m["parts"] if p["type"] == "tool")["state"]
    ref_path = ref["input"]["filePath"]
    assert result.output == ref["output"].replace(ref_path, str(root / "hello.py"))
    expected_meta = json.loads(json.dumps(ref["metadata"]).replace(ref_path, str(root / "hello.py")))
    assert result.metadata == expected_meta
    assert result.title == ref["title"] == "hello.py"
    assert rec.of("read") == [{"permission": "read", "patterns": [str(root / "hello.py")],
                               "always": ["*"], "metadata": {}}]
    assert rec.of("external_directory") == []


async def test_offset_limit_and_continuation_note(root, ctx):
    (root / "f.txt").write_text("".join(f"line {i}\n" for i in range(1, 11)))
    result = await read.execute({"filePath": "f.txt", "offset": 3, "limit": 4}, ctx)
    assert "\n3: line 3\n4: line 4\n5: line 5\n6: line 6\n\n" in result.output
    assert "2: line 2" not in result.output and "7: line 7" not in result.output
    assert "lines 3-6 of 10" in result.output and "offset=7" in result.output
    assert result.metadata["truncated"] is True
    d = result.metadata["display"]
    assert (d["lineStart"], d["lineEnd"], d["totalLines"]) == (3, 6, 10)
    assert d["text"] == "line 3\nline 4\nline 5\nline 6"


async def test_default_limit_is_2000_lines(root, ctx):
    (root / "big.txt").write_text("".join(f"{i}\n" for i in range(1, 2501)))
    result = await read.execute({"filePath": "big.txt"}, ctx)
    assert "\n2000: 2000\n" in result.output and "2001: 2001" not in result.output
    assert "offset=2001" in result.output


async def test_long_lines_are_cut(root, ctx):
    (root / "wide.txt").write_text("x" * 5000 + "\nshort\n")
    result = await read.execute({"filePath": "wide.txt"}, ctx)
    first = result.output.split("\n")[3]
    assert first.startswith("1: " + "x" * 2000) and "x" * 2001 not in first
    assert "cut at 2000 characters" in first
    assert "2: short" in result.output


async def test_output_is_capped_at_50kb(root, ctx):
    (root / "fat.txt").write_text("".join("y" * 1000 + "\n" for _ in range(200)))
    result = await read.execute({"filePath": "fat.txt"}, ctx)
    assert len(result.output.encode()) < 52 * 1024
    assert "50 KB" in result.output and result.metadata["truncated"] is True
    last_shown = result.metadata["display"]["lineEnd"]
    assert 40 < last_shown < 200 and f"offset={last_shown + 1}" in result.output


async def test_offset_past_end_is_an_error(root, ctx):
    (root / "short.txt").write_text("a\nb\n")
    with pytest.raises(ToolError, match="Offset 5 is past the end.*2 lines"):
        await read.execute({"filePath": "short.txt", "offset": 5}, ctx)


async def test_empty_file(root, ctx):
    (root / "empty.txt").write_text("")
    result = await read.execute({"filePath": "empty.txt"}, ctx)
    assert "(End of file - total 0 lines)" in result.output


async def test_crlf_and_bom_are_not_shown(root, ctx):
    (root / "win.txt").write_bytes("\ufeffone\r\ntwo\r\n".encode())
    result = await read.execute({"filePath": "win.txt"}, ctx)
    assert "\n1: one\n2: two\n" in result.output and "\r" not in result.output and "\ufeff" not in result.output


async def test_directory_listing(root, ctx):
    (root / "pkg").mkdir()
    (root / "pkg" / "sub").mkdir()
    (root / "pkg" / "a.py").write_text("")
    (root / "pkg" / ".hidden").write_text("")
    result = await read.execute({"filePath": str(root / "pkg")}, ctx)
    assert result.output.startswith(f"<path>{root / 'pkg'}</path>\n<type>directory</type>\n<entries>\n")
    entries = result.output.split("<entries>\n")[1].split("\n")
    assert entries[:3] == [".hidden", "a.py", "sub/"]
    assert result.title == "pkg"


async def test_missing_file_suggests_similar_names(root, ctx):
    (root / "config.yaml").write_text("")
    (root / "other.txt").write_text("")
    with pytest.raises(ToolError) as err:
        await read.execute({"filePath": str(root / "config.yml")}, ctx)
    assert "File not found" in str(err.value)
    assert str(root / "config.yaml") in str(err.value) and "other.txt" not in str(err.value)


async def test_binary_files_are_refused(root, ctx):
    (root / "blob.dat").write_bytes(b"hello")
    (root / "noext").write_bytes(b"\x00\x01\x02\x03binary\x00")
    for name in ("blob.dat", "noext"):
        with pytest.raises(ToolError, match="binary"):
            await read.execute({"filePath": name}, ctx)


async def test_images_and_pdfs_are_attachments(root, ctx):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
    (root / "pic.png").write_bytes(png)
    (root / "doc.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3")
    result = await read.execute({"filePath": "pic.png"}, ctx)
    [att] = result.attachments
    assert att["mime"] == "image/png" and att["filename"] == "pic.png"
    assert base64.b64decode(att["url"].split(",", 1)[1]) == png
    assert "Image" in result.output
    pdf = await read.execute({"filePath": "doc.pdf"}, ctx)
    assert pdf.attachments[0]["mime"] == "application/pdf"


async def test_env_read_asks_read_permission_and_refusal_stops_it(root, ctx, rec):
    (root / ".env").write_text("SECRET=1\n")
    rec.refuse.add("read")
    from tests.tools.conftest import Refused
    with pytest.raises(Refused):
        await read.execute({"filePath": ".env"}, ctx)
    assert rec.of("read")[0]["patterns"] == [str(root / ".env")]


async def test_outside_file_asks_external_directory(root, tmp_path, ctx, rec):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "x.txt").write_text("x\n")
    result = await read.execute({"filePath": str(outside / "x.txt")}, ctx)
    assert "1: x" in result.output
    [ask] = rec.of("external_directory")
    assert ask["patterns"] == [f"{outside}/*"] and ask["always"] == [f"{outside}/*"]
    assert result.title == str(outside / "x.txt")


async def test_symlink_out_of_workspace_asks(root, tmp_path, ctx, rec):
    outside = tmp_path / "secret"
    outside.mkdir()
    (outside / "s.txt").write_text("s\n")
    os.symlink(outside, root / "link")
    await read.execute({"filePath": "link/s.txt"}, ctx)
    assert rec.of("external_directory")[0]["patterns"] == [f"{outside}/*"]


async def test_dotdot_escape_asks(root, tmp_path, ctx, rec):
    (tmp_path / "up.txt").write_text("u\n")
    await read.execute({"filePath": "sub/../../up.txt"}, ctx)
    assert rec.of("external_directory")[0]["patterns"] == [f"{tmp_path}/*"]


async def test_saved_tool_output_is_named_as_the_loop_allows_it(root, tmp_path, make_ctx, rec):
    # The loop allows "<data_dir>/tool-output/*" without asking; the ask must use that spelling
    # even when data_dir sits behind a symlink.
    real_data = tmp_path / "real-data"
    (real_data / "tool-output").mkdir(parents=True)
    os.symlink(real_data, tmp_path / "data-link")
    (real_data / "tool-output" / "tool_1.txt").write_text("saved\n")
    ctx = make_ctx()
    await read.execute({"filePath": str(tmp_path / "data-link" / "tool-output" / "tool_1.txt")}, ctx)
    assert rec.of("external_directory")[0]["patterns"] == [f"{tmp_path / 'data-link' / 'tool-output'}/*"]
