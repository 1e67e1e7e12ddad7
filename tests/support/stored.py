"""A store as it is on disk, read without a server that could repair it.

The layout is the one ``opencode_lsp.storage.tinydb_store`` documents: ``index`` and
``sessions/<ses_id>`` databases, each a base ``.json`` file plus a ``.jsonl`` journal of
committed changes (either may be absent). ``check_files`` holds every file to that shape;
``database`` and ``session`` read one database through the store's own storage class.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from filelock import FileLock

from opencode_lsp.storage.journal_storage import JournaledJSONStorage


def _databases(root: Path) -> list[Path]:
    """The base path of every database in ``root``, whether its base or only its journal exists."""
    found = {root / "index.json"}
    sessions = root / "sessions"
    if sessions.is_dir():
        for path in sessions.iterdir():
            if path.suffix in (".json", ".jsonl") and not path.name.startswith("."):
                found.add(path.with_suffix(".json"))
    return sorted(p for p in found if p.exists() or p.with_suffix(".jsonl").exists())


def check_files(root: Path, *, torn_tail: bool = False) -> list[Path]:
    """Assert every database file is whole; returns the databases found.

    A base is one JSON object of tables. A journal is complete lines, each a JSON list of
    ``[table, id, document | null]``, ending with a newline: after a failed append the store
    cuts what it wrote, so no torn tail may stay behind while the server runs. ``torn_tail``
    allows one unterminated last line (a writer killed mid-append; the next writer cuts it).
    """
    databases = _databases(root)
    assert databases, f"no database in {root}"
    for base in databases:
        if base.exists():
            tables = orjson.loads(base.read_bytes())
            assert isinstance(tables, dict) and all(isinstance(t, dict) for t in tables.values()), base
        journal = base.with_suffix(".jsonl")
        if journal.exists():
            raw = journal.read_bytes()
            if torn_tail:
                raw = raw[: raw.rfind(b"\n") + 1]
            assert not raw or raw.endswith(b"\n"), f"torn tail left in {journal}: {raw[-80:]!r}"
            for line in raw.splitlines():
                changes = orjson.loads(line)
                assert isinstance(changes, list), journal
                for change in changes:
                    table, doc_id, document = change
                    assert isinstance(table, str) and isinstance(doc_id, str), journal
                    assert document is None or isinstance(document, dict), journal
    return databases


def database(root: Path, name: str) -> dict[str, dict[str, Any]]:
    """One database (``"index"`` or ``"sessions/<id>"``): base and journal, as the store reads them."""
    storage = JournaledJSONStorage(root / f"{name}.json", FileLock(str(root / ".lock")))
    try:
        return storage.read()
    finally:
        storage.close()


def session(root: Path, session_id: str) -> dict[str, dict[str, Any]]:
    """A session's tables ``messages`` and ``parts``, keyed by id."""
    return database(root, f"sessions/{session_id}")


def session_ids(root: Path) -> set[str]:
    return set(database(root, "index").get("sessions", {}))
