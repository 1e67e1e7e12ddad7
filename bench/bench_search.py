"""Time the grep and glob tools on a 50,000-file tree, through ripgrep and the Python walker,
against ``rg`` run directly. Prints figures; asserts nothing.

    .venv/bin/python bench/bench_search.py [--files 50000] [--repeat 3]

The tree is built once under bench/.work/search-tree (gitignored) and reused.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from opencode_lsp.core.tools import search  # noqa: E402
from opencode_lsp.core.tools.base import ToolContext, ToolServices  # noqa: E402
from opencode_lsp.core.tools.glob import tool as glob_tool  # noqa: E402
from opencode_lsp.core.tools.grep import tool as grep_tool  # noqa: E402
from opencode_lsp.core.workspace import DiskWorkspace  # noqa: E402

WORK = Path(__file__).resolve().parent / ".work"
WORDS = "alpha beta gamma delta epsilon zeta theta kappa lambda sigma omega".split()


def build_tree(root: Path, count: int) -> None:
    marker = root / ".built"
    if marker.exists() and marker.read_text() == str(count):
        return
    if root.exists():
        shutil.rmtree(root)
    rng = random.Random(7)
    started = time.perf_counter()
    # 50 packages x 20 modules x N files; about 1 file in 500 mentions the needle.
    per_dir = max(count // 1000, 1)
    made = 0
    for pkg in range(50):
        for mod in range(20):
            d = root / f"pkg{pkg:02}" / f"mod{mod:02}"
            d.mkdir(parents=True)
            for i in range(per_dir):
                if made >= count:
                    break
                ext = (".py", ".ts", ".md", ".txt")[i % 4]
                lines = [" ".join(rng.choices(WORDS, k=8)) for _ in range(20)]
                if rng.random() < 0.002:
                    lines[rng.randrange(20)] += " needle_marker"
                (d / f"file{i:03}{ext}").write_text("\n".join(lines) + "\n")
                made += 1
    # An ignored directory the tools must not enter.
    (root / "node_modules" / "dep").mkdir(parents=True)
    for i in range(500):
        (root / "node_modules" / "dep" / f"x{i}.js").write_text("needle_marker\n")
    (root / ".gitignore").write_text("node_modules/\n")
    marker.write_text(str(count))
    print(f"built {made} files in {time.perf_counter() - started:.1f} s under {root}")


def ctx_for(root: Path) -> ToolContext:
    async def ask(*args, **kwargs):
        return None

    return ToolContext(session_id="ses_bench", message_id="msg_bench", call_id="call_bench", agent="build",
                       workspace=DiskWorkspace(root), abort=asyncio.Event(), ask=ask,
                       services=ToolServices(data_dir=str(WORK / "data")))


def timed(fn, repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples), min(samples)


def report(label: str, median: float, best: float, extra: str = "") -> None:
    print(f"  {label:<44} median {median * 1000:8.1f} ms   best {best * 1000:8.1f} ms  {extra}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    opts = parser.parse_args()
    root = WORK / "search-tree"
    build_tree(root, opts.files)
    ctx = ctx_for(root)
    rg = search.ripgrep()

    cases = [
        ("grep needle_marker", lambda: grep_tool.execute({"pattern": "needle_marker"}, ctx)),
        ("grep needle_marker include=*.py", lambda: grep_tool.execute({"pattern": "needle_marker", "include": "*.py"}, ctx)),
        ("glob **/*.py", lambda: glob_tool.execute({"pattern": "**/*.py"}, ctx)),
        ("glob pkg07/**/*.md", lambda: glob_tool.execute({"pattern": "pkg07/**/*.md"}, ctx)),
    ]
    print("tools (through ripgrep):")
    for label, make in cases:
        result = {}
        median, best = timed(lambda: result.setdefault("r", asyncio.run(make())), opts.repeat)
        meta = result["r"].metadata
        report(label, median, best, f"({meta.get('matches', meta.get('count'))} results)")

    print("rg run directly (same flags, output discarded):")
    direct = [
        ("rg --json needle_marker", [rg, "--json", *search.RG_COMMON, "needle_marker", "."]),
        ("rg --files", [rg, "--files", *search.RG_COMMON, "."]),
        ("rg --files --type-add include:*.py -t include",
         [rg, "--files", *search.RG_COMMON, *search.include_args("*.py"), "."]),
    ]
    for label, argv in direct:
        median, best = timed(lambda: subprocess.run(argv, cwd=root, stdout=subprocess.DEVNULL, check=False), opts.repeat)
        report(label, median, best)


if __name__ == "__main__":
    main()
