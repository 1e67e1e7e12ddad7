"""The package type-checks: pyright over opencode_lsp/ with the settings in pyproject.toml
(standard mode everywhere, strict on the core files listed there) reports no error."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import opencode_lsp

PACKAGE_DIR = Path(opencode_lsp.__file__).parent
ROOT = PACKAGE_DIR.parent


def test_pyright_reports_no_errors() -> None:
    # This interpreter's site-packages resolve the imports; pyproject.toml holds the settings.
    proc = subprocess.run(
        [sys.executable, "-m", "pyright", "--outputjson", "--pythonpath", sys.executable],
        cwd=ROOT, capture_output=True, text=True, timeout=280,
    )
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"pyright did not report (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    # Every module of the package was checked, not a path the config missed.
    assert report["summary"]["filesAnalyzed"] >= len(list(PACKAGE_DIR.rglob("*.py")))
    errors = [
        f"{Path(d['file']).relative_to(ROOT)}:{d['range']['start']['line'] + 1}: {d['message']}"
        f" ({d.get('rule', '')})"
        for d in report["generalDiagnostics"] if d["severity"] == "error"
    ]
    assert errors == [], f"{len(errors)} type errors:\n" + "\n".join(errors)
