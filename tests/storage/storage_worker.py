"""A separate process that drives a TinyDBStore, for the multi-process storage tests.

Run as ``python storage_worker.py <mode> <args...>``; each mode prints what it did to stdout.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import time
from pathlib import Path

from opencode_lsp.core.ids import new_id
from opencode_lsp.storage import StorageError, TinyDBStore


def text_part(sid: str, mid: str, text: str) -> dict:
    return {"id": new_id("prt"), "sessionID": sid, "messageID": mid, "type": "text", "text": text}


def concurrent(root: str, shared_sid: str, count: str, go_file: str) -> None:
    """Write ``count`` parts into a shared session and as many into a session of our own."""
    store = TinyDBStore(Path(root))
    own_sid = new_id("ses")
    store.put_session({"id": own_sid, "title": f"worker {os.getpid()}", "time": {"created": 1, "updated": 1}})
    shared_mid, own_mid = new_id("msg"), new_id("msg")
    store.put_message(shared_sid, {"id": shared_mid, "sessionID": shared_sid, "role": "user"})
    store.put_message(own_sid, {"id": own_mid, "sessionID": own_sid, "role": "user"})
    while not os.path.exists(go_file):  # start both workers' loops together
        time.sleep(0.001)
    written: dict[str, list[str]] = {"shared": [], "own": [], "approvals": []}
    for i in range(int(count)):
        shared = text_part(shared_sid, shared_mid, f"{os.getpid()}-{i}")
        # Every fourth shared part is held back, to mix coalesced and direct writes.
        store.put_part(shared_sid, shared, durable=i % 4 != 0)
        written["shared"].append(shared["id"])
        own = text_part(own_sid, own_mid, str(i))
        store.put_part(own_sid, own)
        written["own"].append(own["id"])
        if i % 10 == 0:
            pattern = f"pid{os.getpid()}-{i}"
            store.add_approval({"permission": "bash", "pattern": pattern, "action": "allow"})
            written["approvals"].append(pattern)
    store.close()
    print(json.dumps({"own_sid": own_sid, "shared_mid": shared_mid, "own_mid": own_mid, **written}))


def write_until_killed(root: str, sid: str, mid: str) -> None:
    """Write durable parts forever, printing each id only after the write returned."""
    store = TinyDBStore(Path(root))
    i = 0
    while True:
        part = text_part(sid, mid, "z" * (i % 300))
        store.put_part(sid, part)
        sys.stdout.write(part["id"] + "\n")
        sys.stdout.flush()
        i += 1


def file_size_limit(root: str) -> None:
    """Hit RLIMIT_FSIZE mid-write (as root, chmod cannot make a directory unwritable)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
    store = TinyDBStore(Path(root))
    sid, mid = new_id("ses"), new_id("msg")
    store.put_session({"id": sid, "title": "t", "time": {"created": 1, "updated": 1}})
    store.put_message(sid, {"id": mid, "sessionID": sid, "role": "user"})
    store.put_part(sid, text_part(sid, mid, "small before"))
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (8192, hard))
    report: dict = {"sid": sid}
    try:
        store.put_part(sid, text_part(sid, mid, "B" * 20000))
        report["error"] = None
    except StorageError as exc:
        report["error"] = str(exc)
        report["error_path"] = str(exc.path)
    report["after_failure"] = [p["text"][:12] for p in store.get_message(sid, mid)["parts"]]
    store.put_part(sid, text_part(sid, mid, "small after"))
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    store.put_part(sid, text_part(sid, mid, "B" * 20000))
    report["final"] = [p["text"][:12] for p in store.get_message(sid, mid)["parts"]]
    store.close()
    print(json.dumps(report))


if __name__ == "__main__":
    modes = {"concurrent": concurrent, "kill": write_until_killed, "fsize": file_size_limit}
    modes[sys.argv[1]](*sys.argv[2:])
