"""Run every benchmark script and write bench/RESULTS.md: machine, versions, then each script's
figures as it printed them.

Run: .venv/bin/python bench/run_all.py [--only NAME ...]   (about ten minutes; prints as it goes)

Each ``bench/bench_*.py`` runs in its own process, one after another (the machine has few cores;
running them side by side would measure contention). A script that fails or overruns is
reported as such in RESULTS.md, with its last output, rather than dropped.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "RESULTS.md"
TIMEOUT_S = 900
# Lines of bench_opencode.py's output repeated at the top of the report.
HEADLINE = ("opencode-lsp:", "OpenCode ", "ratio (ours / OpenCode)")
# Lines of any script's output gathered under "Targets": the figures the issues set goals for.
TARGETS = ("ratio", "target")

INTRO = """\
# Benchmark results

Written by `bench/run_all.py` from one run of every `bench/bench_*.py` on the machine below.
The figures are the scripts' own output, unedited; each script's docstring says what it measures.
Timings come from a shared machine and vary by some tens of percent between runs: compare
orders of magnitude and ratios, not single milliseconds.
"""


def machine() -> list[str]:
    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")
    mem_kb = next((int(line.split()[1]) for line in _read("/proc/meminfo").splitlines()
                   if line.startswith("MemTotal")), 0)
    return [f"- {platform.system()} {platform.release()} ({platform.machine()}), {os.cpu_count()} CPUs: {cpu}",
            f"- memory: {mem_kb / 1024 / 1024:.1f} GB",
            f"- run at {datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')}"]


def versions() -> list[str]:
    out = [f"- Python {platform.python_version()}"]
    for name in ("opencode-lsp", "pygls", "lsprotocol", "pydantic", "tinydb", "litellm", "orjson", "httpx"):
        try:
            out.append(f"- {name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            out.append(f"- {name}: not installed")
    node = _run(["node", "--version"])
    out.append(f"- node {node}" if node else "- node: not found")
    opencode = BENCH / ".work" / "node_modules" / ".bin" / "opencode"
    if opencode.exists():
        out.append(f"- OpenCode (npm opencode-ai) {_run([str(opencode), '--version']) or 'unknown'}")
    return out


def load() -> str:
    """The load average and how many processes were runnable: the machine is shared."""
    fields = _read("/proc/loadavg").split()
    if len(fields) < 4:
        return "unknown"
    return f"load average {fields[0]} / {fields[1]} / {fields[2]} (1 / 5 / 15 min), runnable {fields[3]}"


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _run(command: list[str]) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def run_script(script: Path) -> tuple[str, float, str]:
    """(status, seconds, output) of one bench script."""
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True,
                              timeout=TIMEOUT_S, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        output = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return f"timed out after {TIMEOUT_S} s", time.perf_counter() - started, output
    elapsed = time.perf_counter() - started
    output = done.stdout
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        return f"failed (exit {done.returncode})", elapsed, f"{output}\n{tail}".strip()
    return "ok", elapsed, output


def docstring_title(script: Path) -> str:
    import ast

    doc = ast.get_docstring(ast.parse(script.read_text())) or ""
    return doc.split("\n\n", 1)[0].replace("\n", " ").strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--only", nargs="*", help="script names (e.g. bench_scale) to run")
    args = parser.parse_args()
    scripts = sorted(BENCH.glob("bench_*.py"))
    if args.only:
        scripts = [s for s in scripts if s.stem in args.only]
    sections = []
    headline: list[str] = []
    targets: list[str] = []
    loads = [f"- at the start: {load()}"]
    for script in scripts:
        print(f"== {script.name}", flush=True)
        before = load()
        status, seconds, output = run_script(script)
        print(output.rstrip(), f"\n({status}, {seconds:.0f} s)", flush=True)
        headline.extend(f"- {line.strip()}" for line in output.splitlines() if line.startswith(HEADLINE))
        targets.extend(f"- {script.stem}: {line.strip()}" for line in output.splitlines()
                       if any(word in line for word in TARGETS))
        loads.append(f"- {script.stem}: before {before}; after {load()}")
        sections.append(f"## {script.stem}\n\n{docstring_title(script)}\n\n"
                        f"`{status}`, {seconds:.0f} s\n\n```\n{output.rstrip()}\n```\n")
    top = ["## Side by side with OpenCode\n", *(headline or ["- (bench_opencode.py did not run)"]), "",
           "## Targets\n", "Every output line that states a ratio or a target, as printed.\n",
           *(targets or ["- (none printed)"]), ""]
    text = "\n".join([INTRO, *top, "## Machine\n", *machine(), "", "## Load while running\n",
                       "Other work shares the machine; the load average at each script's start and end:\n",
                       *loads, "", "## Versions\n", *versions(), "", *sections])
    RESULTS.write_text(text)
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
