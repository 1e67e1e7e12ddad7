"""The VS Code extension's own checks, so the one pytest command covers them.

``editors/vscode`` holds a TypeScript project with Node tests (``npm test``): reducer tests over a
stream recorded from the real server, the chat panel in headless Chromium, the packaged .vsix
manifest, and the real server driven with vscode-jsonrpc. These tests run that suite and the
strict type check, and fail with the suite's output when they fail. They expect
``npm ci && npm run build`` to have run (``scripts/test`` does it).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

EXTENSION = Path(__file__).resolve().parents[2] / "editors" / "vscode"


@pytest.fixture(scope="module")
def npm() -> str:
    path = shutil.which("npm")
    if path is None:
        pytest.fail("npm is not on PATH: install Node.js 20+ to test editors/vscode")
    if not (EXTENSION / "node_modules" / ".bin" / "tsc").exists():
        pytest.fail(f"{EXTENSION}/node_modules is missing: run `npm ci && npm run build` there (scripts/test does)")
    return path


def run_npm(npm: str, script: str, timeout: int) -> None:
    result = subprocess.run(
        [npm, "run", "-s", script], cwd=EXTENSION, capture_output=True, text=True, timeout=timeout,
    )
    if result.returncode != 0:
        output = (result.stdout + "\n" + result.stderr)[-12000:]
        pytest.fail(f"`npm run {script}` in editors/vscode failed ({result.returncode}):\n{output}")


def test_typescript_strict_typecheck(npm: str) -> None:
    run_npm(npm, "typecheck", timeout=300)


def test_node_suite(npm: str) -> None:
    run_npm(npm, "test", timeout=900)
