import pytest

from opencode_lsp.core.tools import matchers
from opencode_lsp.core.tools.base import ToolError
from opencode_lsp.core.tools.edit import tool as edit
from opencode_lsp.core.tools.write import tool as write


def only(name, content, find):
    """Candidates one matcher yields (each must be real text of the file)."""
    fn = dict(matchers.MATCHERS)[name]
    found = list(fn(content, find))
    assert all(c in content for c in found)
    return found


# --- each matcher, on an input only it (or a looser one) can match ------------------------

def test_exact_matcher():
    new, how = matchers.replace("a = 1\nb = 2\n", "b = 2", "b = 3")
    assert (new, how) == ("a = 1\nb = 3\n", "exact")


def test_line_trimmed_matcher():
    content = "def f():\n    x = 1\n    return x\n"
    assert only("line_trimmed", content, "x = 1\nreturn x") == ["    x = 1\n    return x"]
    new, how = matchers.replace(content, "x = 1\n  return x", "    y = 2\n    return y")
    assert how == "line_trimmed" and new == "def f():\n    y = 2\n    return y\n"


def test_block_anchor_matcher_tolerates_a_changed_middle():
    content = "start()\n    alpha = compute(1)\n    beta = other(2)\nfinish()\ntail\n"
    find = "start()\n    alpha = compute(10)\n    beta = othr(2)\nfinish()"
    assert only("block_anchor", content, find) == ["start()\n    alpha = compute(1)\n    beta = other(2)\nfinish()"]
    new, how = matchers.replace(content, find, "done()")
    assert how == "block_anchor" and new == "done()\ntail\n"


def test_block_anchor_needs_three_lines_and_picks_the_most_similar():
    assert only("block_anchor", "a\nb\n", "a\nb") == []
    content = "if x:\n    foo(1)\nend\nif x:\n    bar(2)\nend\n"
    assert only("block_anchor", content, "if x:\n    bar(3)\nend") == ["if x:\n    bar(2)\nend"]


def test_whitespace_normalized_matcher():
    content = "value  =   compute( a,  b )\n"
    assert only("whitespace_normalized", content, "value = compute( a, b )") == ["value  =   compute( a,  b )"]
    new, how = matchers.replace(content, "value = compute( a, b )", "value = 0")
    assert how == "whitespace_normalized" and new == "value = 0\n"
    # a part of a line, with different inner spacing
    new, _ = matchers.replace("x = call(a,   b) + 1\n", "call(a, b)", "call(b)")
    assert new == "x = call(b) + 1\n"


def test_indentation_flexible_matcher():
    content = "class A:\n        def m(self):\n            return 1\n"
    find = "def m(self):\n    return 1"
    assert only("indentation_flexible", content, find) == ["        def m(self):\n            return 1"]


def test_escape_normalized_matcher():
    content = 'print("a\\tb")\nmsg = "line1\nline2"\n'
    # the model sent escaped newlines/quotes instead of the real characters
    assert set(only("escape_normalized", content, 'msg = \\"line1\\nline2\\"')) == {'msg = "line1\nline2"'}
    new, how = matchers.replace(content, 'msg = \\"line1\\nline2\\"', 'msg = "x"')
    assert how == "escape_normalized" and new == 'print("a\\tb")\nmsg = "x"\n'


def test_trimmed_boundary_matcher():
    content = "keep\n  target line  \nkeep\n"
    assert "target line" in only("trimmed_boundary", content, "\n\ntarget line\n\n")
    new, how = matchers.replace("alpha beta gamma", "  beta  ", "BETA")
    assert new == "alpha BETA gamma"


def test_context_aware_matcher():
    content = "begin\n  one\n  two\n  three\nend\n"
    find = "begin\n  one\n  TWO CHANGED\n  three\nend"
    assert only("context_aware", content, find) == ["begin\n  one\n  two\n  three\nend"]
    assert only("context_aware", content, "begin\n  x\n  y\n  z\nend") == []


def test_trailing_newline_of_a_line_match_is_kept_as_opencode_does():
    # The line-trimmed match is the line without its newline, so newString's newline is added
    # to the file's own (OpenCode 1.18.33 gives the same result: fixture case table-043).
    new, how = matchers.replace("a\n  b  \nc\n", "b\n", "B\n")
    assert new == "a\nB\n\nc\n" and how == "line_trimmed"


def test_block_anchor_refuses_an_unrelated_middle_and_a_far_larger_block():
    with pytest.raises(matchers.NotFound):
        matchers.replace("function foo() {\n  deleteEverything()\n}", "function foo() {\n  const x = 1\n}", "X")
    function = "def f(a):\n" + "".join(f"    step{k}(a)\n" for k in range(10)) + "end\n"
    with pytest.raises(matchers.NotFound):
        matchers.replace(function, "def f(a):\n    step0(a)\nend", "def f(a): pass")


def test_span_much_larger_than_old_string_is_refused():
    # whitespace-normalised: two lines of oldString match one window, the trimmed text is huge
    big = "x = " + "1 + " * 300 + "1"
    assert matchers.span_too_large("a\n" + big + "\nb", "a\nx\nb")
    assert not matchers.span_too_large("a\nb\nc", "a\nb\nc")
    with pytest.raises(matchers.SpanTooLarge):
        matchers.replace("a" + " " * 600 + "\nb\n", "a\nb", "X")


def test_errors_not_found_and_ambiguous():
    with pytest.raises(matchers.NotFound):
        matchers.replace("abc\n", "xyz", "q")
    with pytest.raises(matchers.Ambiguous):
        matchers.replace("x = 1\nx = 1\n", "x = 1", "x = 2")
    new, _ = matchers.replace("x = 1\nx = 1\n", "x = 1", "x = 2", replace_all=True)
    assert new == "x = 2\nx = 2\n"


# --- the tool -----------------------------------------------------------------------------

async def test_edit_replaces_and_reports_diff(root, ctx, rec):
    f = root / "m.py"
    f.write_text("def f():\n    return 1\n")
    result = await edit.execute({"filePath": str(f), "oldString": "return 1", "newString": "return 2"}, ctx)
    assert f.read_text() == "def f():\n    return 2\n"
    assert result.title == "m.py" and "applied" in result.output
    assert "-    return 1\n+    return 2\n" in result.metadata["diff"]
    fd = result.metadata["filediff"]
    assert (fd["file"], fd["additions"], fd["deletions"]) == (str(f), 1, 1)
    assert fd["before"] == "def f():\n    return 1\n" and fd["after"] == "def f():\n    return 2\n"
    [ask] = rec.of("edit")
    assert ask["patterns"] == ["m.py"] and ask["metadata"]["diff"] == result.metadata["diff"]


async def test_edit_keeps_crlf_and_bom(root, ctx):
    f = root / "w.txt"
    f.write_bytes("\ufeffone\r\ntwo\r\nthree\r\n".encode())
    await edit.execute({"filePath": "w.txt", "oldString": "two\nthree", "newString": "TWO\nTHREE\nFOUR"}, ctx)
    assert f.read_bytes() == "\ufeffone\r\nTWO\r\nTHREE\r\nFOUR\r\n".encode()


async def test_edit_replace_all(root, ctx):
    f = root / "r.py"
    f.write_text("foo(1)\nfoo(2)\nbar(foo)\n")
    with pytest.raises(ToolError, match="more than one place.*replaceAll"):
        await edit.execute({"filePath": "r.py", "oldString": "foo", "newString": "baz"}, ctx)
    assert f.read_text() == "foo(1)\nfoo(2)\nbar(foo)\n"
    await edit.execute({"filePath": "r.py", "oldString": "foo", "newString": "baz", "replaceAll": True}, ctx)
    assert f.read_text() == "baz(1)\nbaz(2)\nbar(baz)\n"


async def test_edit_errors(root, ctx, rec):
    f = root / "e.py"
    f.write_text("x = 1\n")
    with pytest.raises(ToolError, match="are the same"):
        await edit.execute({"filePath": "e.py", "oldString": "x", "newString": "x"}, ctx)
    with pytest.raises(ToolError, match="Could not find oldString"):
        await edit.execute({"filePath": "e.py", "oldString": "nothing like it", "newString": "y"}, ctx)
    with pytest.raises(ToolError, match="File .*missing.py not found"):
        await edit.execute({"filePath": "missing.py", "oldString": "a", "newString": "b"}, ctx)
    assert rec.of("edit") == []  # nothing asked for edits that cannot apply
    assert f.read_text() == "x = 1\n"


async def test_empty_old_string_creates_file(root, ctx):
    result = await edit.execute({"filePath": "new/dir/n.txt", "oldString": "", "newString": "hello\n"}, ctx)
    assert (root / "new" / "dir" / "n.txt").read_text() == "hello\n"
    assert "applied" in result.output and result.metadata["filediff"]["additions"] == 1


async def test_empty_old_string_on_an_existing_file_is_refused(root, ctx, rec):
    for content in ("keep me\n", ""):
        (root / "k.txt").write_text(content)
        with pytest.raises(ToolError, match="already exists"):
            await edit.execute({"filePath": "k.txt", "oldString": "", "newString": "replaced"}, ctx)
        assert (root / "k.txt").read_text() == content
    assert rec.of("edit") == []


async def test_edit_outside_workspace_asks_external_directory(root, tmp_path, ctx, rec):
    target = tmp_path / "out.txt"
    target.write_text("a\n")
    await edit.execute({"filePath": str(target), "oldString": "a", "newString": "b"}, ctx)
    assert rec.asks[0]["permission"] == "external_directory"
    assert rec.asks[0]["patterns"] == [f"{tmp_path}/*"]
    assert target.read_text() == "b\n"


async def test_write_creates_then_overwrites(root, ctx, rec):
    r1 = await write.execute({"filePath": "a/b.txt", "content": "one\n"}, ctx)
    assert (root / "a" / "b.txt").read_text() == "one\n" and "Created" in r1.output
    r2 = await write.execute({"filePath": str(root / "a" / "b.txt"), "content": "two\n"}, ctx)
    assert (root / "a" / "b.txt").read_text() == "two\n" and "Overwrote" in r2.output
    assert "-one\n+two\n" in r2.metadata["diff"]
    assert [a["patterns"] for a in rec.of("edit")] == [["a/b.txt"], ["a/b.txt"]]
    assert r2.title == "a/b.txt"


async def test_write_refused_leaves_file_alone(root, ctx, rec):
    from tests.tools.conftest import Refused
    (root / "keep.txt").write_text("keep\n")
    rec.refuse.add("edit")
    with pytest.raises(Refused):
        await write.execute({"filePath": "keep.txt", "content": "gone\n"}, ctx)
    assert (root / "keep.txt").read_text() == "keep\n"


async def test_write_keeps_executable_mode(root, ctx):
    f = root / "run.sh"
    f.write_text("#!/bin/sh\n")
    f.chmod(0o755)
    await write.execute({"filePath": "run.sh", "content": "#!/bin/sh\necho hi\n"}, ctx)
    assert f.stat().st_mode & 0o777 == 0o755
