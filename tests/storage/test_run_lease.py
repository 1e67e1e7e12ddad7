"""The cross-process run lease: a second process sees a run as alive only while its owner lives."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from opencode_lsp.storage import TinyDBStore

HOLDER = """
import sys, time
from opencode_lsp.storage import TinyDBStore
store = TinyDBStore(__import__("pathlib").Path(sys.argv[1]))
store.claim_run("ses_lease")
print("held", flush=True)
time.sleep(60)
"""


def test_lease_seen_from_another_process_until_it_dies(tmp_path: Path):
    store = TinyDBStore(tmp_path)
    assert store.run_active_elsewhere("ses_lease") is False
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert store.run_active_elsewhere("ses_lease") is True
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(10)
        assert store.run_active_elsewhere("ses_lease") is False
    finally:
        if holder.poll() is None:
            holder.kill()


def test_own_lease_is_not_elsewhere_and_release_frees_it(tmp_path: Path):
    mine = TinyDBStore(tmp_path)
    other = TinyDBStore(tmp_path)
    release = mine.claim_run("ses_a")
    assert mine.run_active_elsewhere("ses_a") is False
    assert other.run_active_elsewhere("ses_a") is True  # another open file description
    release()
    deadline = time.time() + 2
    while other.run_active_elsewhere("ses_a") and time.time() < deadline:
        time.sleep(0.01)
    assert other.run_active_elsewhere("ses_a") is False
