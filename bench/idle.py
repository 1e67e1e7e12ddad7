"""Wait until a server process stops using CPU (its litellm import in the background is done),
so a measurement does not share the machine with the server's own start-up."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def settled(pid: int, quiet: float = 0.5, timeout: float = 30.0) -> None:
    """Return once ``pid`` used under 5% of a core for ``quiet`` seconds (or after ``timeout``)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        before = cpu_seconds(pid)
        await asyncio.sleep(quiet)
        if cpu_seconds(pid) - before < 0.05 * quiet:
            return
