"""``models [PROVIDER]`` and ``agent list``: what this folder's configuration offers."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..core.message import ModelRef
from .common import CommandError, open_app


def add_parsers(sub: Any) -> None:
    models = sub.add_parser("models", help="list the configured models",
                            description="List the models the configuration names (model, small_model and "
                                        "every model under provider/providers), as provider/model.")
    models.add_argument("provider", nargs="?", help="only this provider's models")
    models.add_argument("--verbose", action="store_true", help="also print each model's limits and costs (JSON)")
    models.set_defaults(handler=list_models)
    agent = sub.add_parser("agent", help="manage agents", description="Agents of this folder.")
    actions = agent.add_subparsers(dest="agent_command", metavar="{list}")
    actions.required = True
    listing = actions.add_parser("list", help="list the agents", description="List the agents and their modes.")
    listing.set_defaults(handler=list_agents)


def list_models(args: argparse.Namespace) -> int:
    app = open_app()
    refs = app.provider.configured_refs()
    if args.provider is not None:
        refs = [r for r in refs if (ref := ModelRef.parse_or_none(r)) is not None and ref.providerID == args.provider]
        if not refs:
            raise CommandError(f"Provider not found or has no configured models: {args.provider}")
    for ref in refs:
        print(ref)
        if args.verbose:
            info = app.provider.get_ref(ref).info
            print(json.dumps(info.model_dump(mode="json"), indent=2))
    return 0


def list_agents(args: argparse.Namespace) -> int:
    app = open_app()
    for agent in app.agents.list():
        if agent.hidden:
            continue
        line = f"{agent.name} ({agent.mode})"
        if agent.description:
            line += f"  {agent.description.splitlines()[0]}"
        print(line)
    return 0
