"""``session list``, ``session delete``, ``export`` and ``import`` (OpenCode's names and flags)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from ..core.errors import CoreError, NotFoundError
from .common import CommandError, open_app


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {value}")
    return value


def add_parsers(sub: Any) -> None:
    session = sub.add_parser("session", help="manage sessions", description="Manage this folder's sessions.")
    actions = session.add_subparsers(dest="session_command", metavar="{list,delete}")
    actions.required = True
    listing = actions.add_parser("list", help="list sessions", description="List the sessions, newest first.")
    listing.add_argument("-n", "--max-count", type=positive_int, metavar="N", help="only the N most recent sessions")
    listing.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    listing.set_defaults(handler=list_sessions)
    delete = actions.add_parser("delete", help="delete a session", description="Delete a session and its children.")
    delete.add_argument("sessionID", help="the session to delete")
    delete.set_defaults(handler=delete_session)

    export = sub.add_parser("export", help="write a session as JSON on stdout",
                            description="Write a session (info and messages, OpenCode's export shape) as JSON "
                                        "on stdout. Without an id, the most recent session.")
    export.add_argument("sessionID", nargs="?", help="the session to export")
    export.set_defaults(handler=export_session)
    imported = sub.add_parser("import", help="import a session from an export file",
                              description="Import a session from a JSON file written by `export` "
                                          "(ours or OpenCode's). `-` reads stdin.")
    imported.add_argument("file", help="the JSON file")
    imported.set_defaults(handler=import_session)


def _when(ms: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000)
    if moment.date() == datetime.now().date():
        return moment.strftime("%H:%M")
    return moment.strftime("%Y-%m-%d %H:%M")


def _table(sessions: list[Any]) -> str:
    id_width = max(20, *(len(s.id) for s in sessions))
    title_width = max(25, *(min(len(s.title), 60) for s in sessions))
    header = f"{'Session ID':<{id_width}}  {'Title':<{title_width}}  Updated"
    lines = [header, "─" * len(header)]
    for s in sessions:
        title = s.title if len(s.title) <= title_width else s.title[: title_width - 1] + "…"
        lines.append(f"{s.id:<{id_width}}  {title:<{title_width}}  {_when(s.time.updated)}")
    return "\n".join(lines)


def list_sessions(args: argparse.Namespace) -> int:
    app = open_app()
    sessions = app.sessions.list(roots=True, limit=args.max_count or 1_000_000)
    if not sessions:
        return 0
    if args.format == "json":
        rows = [{"id": s.id, "title": s.title, "updated": s.time.updated, "created": s.time.created,
                 "projectId": s.projectID, "directory": s.directory} for s in sessions]
        print(json.dumps(rows, indent=2))
    else:
        print(_table(sessions))
    return 0


def delete_session(args: argparse.Namespace) -> int:
    app = open_app()
    if not app.sessions.exists(args.sessionID):
        raise CommandError(f"Session not found: {args.sessionID}")
    app.sessions.delete(args.sessionID)
    app.store.flush()
    print(f"Session {args.sessionID} deleted")
    return 0


def export_session(args: argparse.Namespace) -> int:
    app = open_app()
    session_id = args.sessionID
    if session_id is None:
        latest = app.sessions.list(roots=True, limit=1)
        if not latest:
            raise CommandError("there are no sessions to export in this folder")
        session_id = latest[0].id
    try:
        data = app.sessions.export(session_id)
    except NotFoundError:
        raise CommandError(f"Session not found: {session_id}") from None
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return 0


def import_session(args: argparse.Namespace) -> int:
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CommandError(f"{args.file} is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(f"{args.file} is not JSON: {exc.msg} at line {exc.lineno}") from None
    app = open_app()
    try:
        info = app.sessions.import_(data)
    except CoreError as exc:
        raise CommandError(f"{args.file}: {exc}".replace("\n", " ")) from None
    print(f"Imported session: {info.id}")
    return 0
