"""``stats [--days N]``: tokens and cost per model over this folder's sessions."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from .common import open_app
from .sessions import positive_int

_FIELDS = ("messages", "input", "output", "reasoning", "cache_read", "cache_write", "cost")


def add_parsers(sub: Any) -> None:
    stats = sub.add_parser("stats", help="token usage and cost per model",
                           description="Token usage and cost of the assistant's answers, per model.")
    stats.add_argument("--days", type=positive_int, metavar="N", help="only the last N days (default: all time)")
    stats.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    stats.set_defaults(handler=show_stats)


def collect(app: Any, days: int | None) -> dict[str, Any]:
    since = (time.time() - days * 86400) * 1000 if days else 0
    per_model: dict[str, dict[str, float]] = {}
    sessions = set()
    for record in app.store.list_sessions():
        for entry in app.store.list_messages(record["id"]):
            info = entry["info"]
            if info.get("role") != "assistant" or (info.get("time") or {}).get("created", 0) < since:
                continue
            sessions.add(record["id"])
            row = per_model.setdefault(f"{info.get('providerID')}/{info.get('modelID')}", dict.fromkeys(_FIELDS, 0))
            tokens = info.get("tokens") or {}
            cache = tokens.get("cache") or {}
            row["messages"] += 1
            row["input"] += tokens.get("input") or 0
            row["output"] += tokens.get("output") or 0
            row["reasoning"] += tokens.get("reasoning") or 0
            row["cache_read"] += cache.get("read") or 0
            row["cache_write"] += cache.get("write") or 0
            row["cost"] += info.get("cost") or 0
    total = {k: sum(r[k] for r in per_model.values()) for k in _FIELDS}
    return {"days": days, "sessions": len(sessions), "models": per_model, "total": total}


def _row(name: str, r: dict[str, float]) -> str:
    return (f"{name:<36} {int(r['messages']):>8} {int(r['input']):>12} {int(r['output']):>10} "
            f"{int(r['reasoning']):>10} {int(r['cache_read']):>11} {int(r['cache_write']):>11} {r['cost']:>10.4f}")


def show_stats(args: argparse.Namespace) -> int:
    data = collect(open_app(), args.days)
    if args.format == "json":
        print(json.dumps(data, indent=2))
        return 0
    span = f"last {args.days} days" if args.days else "all time"
    print(f"Sessions: {data['sessions']} ({span})")
    header = (f"{'Model':<36} {'Messages':>8} {'Input':>12} {'Output':>10} {'Reasoning':>10} "
              f"{'Cache read':>11} {'Cache write':>11} {'Cost ($)':>10}")
    print(header)
    print("─" * len(header))
    for name, row in sorted(data["models"].items(), key=lambda kv: -kv[1]["cost"] - kv[1]["input"]):
        print(_row(name, row))
    print("─" * len(header))
    print(_row("Total", data["total"]))
    return 0
