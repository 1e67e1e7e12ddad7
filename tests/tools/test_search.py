import os
import time
from pathlib import Path

import pytest

from opencode_lsp.core.tools import search
from opencode_lsp.core.tools.base import ToolError
from opencode_lsp.core.tools.glob import tool as glob
from opencode_lsp.core.tools.grep import tool as grep


def touch(path: Path, text: str = "", age: float = 0.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


@pytest.fixture
def tree(root: Path) -> Path:
    touch(root / ".gitignore", "build/\n*.log\n!keep.log\n/rootonly.txt\n")
    touch(root / "src" / "app.py", "def main():\n    return 'needle'\n", age=300)
    touch(root / "src" / "util.py", "NEEDLE = 1\nneedle()\n", age=100)
    touch(root / "src" / "deep" / "mod.py", "x = 'needle'\n", age=200)
    touch(root / "src" / "deep" / ".gitignore", "secret.py\n")
    touch(root / "src" / "deep" / "secret.py", "needle\n")
    touch(root / "src" / "rootonly.txt", "needle\n")   # only the root one is ignored
    touch(root / "rootonly.txt", "needle\n")
    touch(root / "build" / "out.py", "needle\n")
    touch(root / "debug.log", "needle\n")
    touch(root / "keep.log", "needle\n", age=50)
    touch(root / ".hidden" / "h.py", "needle\n", age=400)
    touch(root / ".git" / "config", "needle\n")
    touch(root / "notes.md", "nothing here\n", age=10)
    return root


async def test_glob_respects_gitignore_and_sorts_newest_first(tree, ctx):
    result = await glob.execute({"pattern": "**/*.py"}, ctx)
    paths = result.output.split("\n")
    assert paths == [str(tree / p) for p in ("src/util.py", "src/deep/mod.py", "src/app.py", ".hidden/h.py")]
    assert result.metadata == {"count": 4, "truncated": False}


async def test_glob_pattern_forms(tree, ctx):
    names = lambda r: sorted(Path(p).relative_to(tree).as_posix() for p in r.output.split("\n"))
    assert names(await glob.execute({"pattern": "*.py"}, ctx)) == [".hidden/h.py", "src/app.py", "src/deep/mod.py", "src/util.py"]
    assert names(await glob.execute({"pattern": "src/*.py"}, ctx)) == ["src/app.py", "src/util.py"]
    assert names(await glob.execute({"pattern": "*.{log,txt}"}, ctx)) == ["keep.log", "src/rootonly.txt"]
    sub = await glob.execute({"pattern": "*.py", "path": "src/deep"}, ctx)
    assert sub.output == str(tree / "src/deep/mod.py") and sub.title == "src/deep"
    assert (await glob.execute({"pattern": "*.nothing"}, ctx)).output == "No files found."


async def test_glob_caps_results_at_100(root, ctx):
    for i in range(130):
        touch(root / f"f{i:03}.txt", age=i)
    result = await glob.execute({"pattern": "*.txt"}, ctx)
    lines = result.output.split("\n")
    assert lines[0] == str(root / "f000.txt") and lines[99] == str(root / "f099.txt")
    assert "Results truncated" in result.output and result.metadata["truncated"] is True


async def test_grep_groups_by_file_newest_first(tree, ctx):
    result = await grep.execute({"pattern": "needle"}, ctx)
    out = result.output
    assert out.startswith("Found 6 matching lines:\n")
    assert out.index(str(tree / "src/rootonly.txt")) < out.index(str(tree / "keep.log")) \
        < out.index(str(tree / "src/util.py")) < out.index(str(tree / "src/deep/mod.py")) < out.index(str(tree / "src/app.py")) \
        < out.index(str(tree / ".hidden/h.py"))
    assert f"{tree / 'src/util.py'}:\n  2: needle()" in out
    assert f"{tree / 'src/app.py'}:\n  2:     return 'needle'" in out
    for ignored in ("build/out.py", "debug.log", "secret.py", str(tree / "rootonly.txt"), ".git/"):
        assert ignored not in out.replace(str(tree / "src/rootonly.txt"), "")
    assert result.metadata["matches"] == 6


async def test_grep_counts_and_include(tree, ctx):
    result = await grep.execute({"pattern": "needle"}, ctx)
    # util.py, keep.log, mod.py, src/rootonly.txt, app.py, .hidden/h.py
    assert result.metadata["matches"] == 6
    py = await grep.execute({"pattern": "needle|NEEDLE", "include": "*.py"}, ctx)
    assert py.metadata["matches"] == 5 and "keep.log" not in py.output and "  1: NEEDLE = 1" in py.output
    anchored = await grep.execute({"pattern": "needle", "include": "src/deep/*.py"}, ctx)
    assert anchored.metadata["matches"] == 1 and "mod.py" in anchored.output
    one_file = await grep.execute({"pattern": "needle", "path": "src/util.py"}, ctx)
    assert one_file.metadata["matches"] == 1
    none = await grep.execute({"pattern": "zzz_absent"}, ctx)
    assert none.output == "No matches found."


async def test_grep_bad_regex_and_missing_path(tree, ctx):
    with pytest.raises(ToolError, match="grep failed"):
        await grep.execute({"pattern": "(unclosed"}, ctx)
    with pytest.raises(ToolError, match="does not exist"):
        await grep.execute({"pattern": "x", "path": "nowhere"}, ctx)


async def test_grep_caps_at_100_and_skips_binary(root, ctx):
    touch(root / "many.txt", "".join(f"hit {i}\n" for i in range(150)))
    (root / "bin.dat").write_bytes(b"hit\x00\x01\x02")
    result = await grep.execute({"pattern": "hit"}, ctx)
    assert result.metadata == {"matches": 150, "truncated": True, "path": "."}
    assert "  100: hit 99" in result.output and "hit 100\n" not in result.output
    assert "50 more matching lines" in result.output and "bin.dat" not in result.output


async def test_search_outside_workspace_asks(root, tmp_path, ctx, rec):
    touch(tmp_path / "other" / "a.py", "needle\n")
    await glob.execute({"pattern": "*.py", "path": str(tmp_path / "other")}, ctx)
    await grep.execute({"pattern": "needle", "path": str(tmp_path / "other")}, ctx)
    assert [a["patterns"] for a in rec.of("external_directory")] == [[f"{tmp_path / 'other'}/*"]] * 2


def test_ignored_directories_seen_from_any_depth(tmp_path):
    touch(tmp_path / ".gitignore", "logs/\n/top/\nbuild\n!build/keep/\n")
    touch(tmp_path / "pkg" / ".gitignore", "local/\n")
    for rel in ("logs", "a/logs", "top", "build", "pkg/local", "pkg/local/x", ".git", "a/.git/hooks"):
        assert search.is_ignored_dir(tmp_path, rel), rel
    for rel in ("src", "sub/top", "pkg", "local"):
        assert not search.is_ignored_dir(tmp_path, rel), rel


def test_path_globs_follow_ripgrep():
    assert search.path_glob("*.{ts,tsx}").match_file("a/b.tsx")
    assert search.path_glob("src/**/*.go").match_file("src/x/y.go")
    assert not search.path_glob("src/**/*.go").match_file("lib/src/y.go")


async def test_glob_with_literal_directory_prefix(tree, ctx):
    result = await glob.execute({"pattern": "src/deep/**/*.py"}, ctx)
    assert result.output == str(tree / "src/deep/mod.py")  # secret.py stays ignored
    assert (await glob.execute({"pattern": "build/**/*.py"}, ctx)).output == "No files found."
    assert (await glob.execute({"pattern": "absent/**/*.py"}, ctx)).output == "No files found."


async def test_ignore_files_above_the_searched_directory_apply(tree, ctx):
    touch(tree / "src" / "deep" / "trace.log", "needle\n")
    touch(tree / "src" / "deep" / "keep.log", "needle\n")
    result = await glob.execute({"pattern": "*", "path": "src/deep"}, ctx)
    names = sorted(Path(p).name for p in result.output.split("\n"))
    assert names == [".gitignore", "keep.log", "mod.py"]  # *.log and secret.py ignored, !keep.log kept
    found = await grep.execute({"pattern": "needle", "path": "src/deep"}, ctx)
    assert found.metadata["matches"] == 2 and "trace.log" not in found.output
