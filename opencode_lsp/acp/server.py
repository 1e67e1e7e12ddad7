"""Run the ACP agent on stdin/stdout until the client closes stdin."""

from __future__ import annotations

import asyncio
import logging

from acp import run_agent

from ..process_exit import leave
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
        leave(130)
    # The stores are flushed in shutdown; leave without interpreter teardown (process_exit).
    leave(0)
