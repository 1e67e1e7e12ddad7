"""Protocol version 2 error codes: application errors live outside JSON-RPC's reserved range."""

from __future__ import annotations

import re
from pathlib import Path

from opencode_lsp.lsp import methods

ROOT = Path(__file__).resolve().parents[2]


def test_application_codes_are_outside_the_reserved_range():
    assert methods.NOT_FOUND == -31001
    assert methods.SESSION_BUSY == -31002
    for code in (methods.NOT_FOUND, methods.SESSION_BUSY):
        assert not -32768 <= code <= -32000


def test_no_server_source_or_doc_uses_the_version_1_codes():
    old = re.compile(r"-3200[12]\b")
    offenders = []
    # opencode_lsp/acp speaks the Agent Client Protocol, whose own codes (-32002 resource not
    # found) are not this protocol's.
    sources = [p for p in (ROOT / "opencode_lsp").rglob("*.py") if "acp" not in p.relative_to(ROOT).parts]
    for path in [*sources, ROOT / "docs" / "protocol.md"]:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            # -32002 stays legitimate as LSP's own ServerNotInitialized.
            if old.search(line) and "not initialized" not in line.lower() and "ServerNotInitialized" not in line \
                    and "Version 1" not in line and "UnknownErrorCode" not in line:
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []
