"""Run the ACP agent on stdin/stdout until the client closes stdin."""

from __future__ import annotations

import asyncio
import logging
import os
import sys

from acp import run_agent

from .agent import OpencodeAgent

log = logging.getLogger(__name__)


async def serve() -> None:
    agent = OpencodeAgent()
    try:
        # fork and resume are still "unstable" in the SDK's routing; this agent implements them.
        await run_agent(agent, use_unstable_protocol=True)
    finally:
        await agent.shutdown()


def run_acp() -> int:
    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        return 130
    # Everything is flushed (the stores in shutdown, the streams here). Tearing down the
    # interpreter with litellm loaded takes seconds of garbage collection an editor would wait
    # on when it closes the agent, so leave at once.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
