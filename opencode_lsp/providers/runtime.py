"""Loading litellm: once, lazily, quietly.

litellm takes seconds and ~200 MB to import, so nothing imports it at module level; the server
warms it up in a background thread after ``initialized`` and the first model call waits for that.
Two hazards are handled here, before and during the import:

- without ``LITELLM_LOCAL_MODEL_COST_MAP`` it downloads a price list at import time, which can
  stall for seconds behind a firewall; the bundled copy is good enough for us;
- it may ``print()``; over stdio, stdout is the JSON-RPC channel and one stray line corrupts it,
  so the import runs with stdout redirected to stderr and debug output is switched off after.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from typing import Any

log = logging.getLogger(__name__)

_lock = threading.Lock()
_module: Any = None


def litellm() -> Any:
    """The configured litellm module, importing it on first use (thread-safe)."""
    global _module
    if _module is not None:
        return _module
    with _lock:
        if _module is None:
            os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
            with contextlib.redirect_stdout(sys.stderr):
                import litellm as module
            module.suppress_debug_info = True
            # Switches litellm reads at call time but leaves out of its typed exports.
            setattr(module, "set_verbose", False)
            setattr(module, "telemetry", False)  # older releases read this; newer ones simply ignore it
            # Parameters a provider does not accept (e.g. stream_options on some local servers)
            # are dropped instead of failing the whole call.
            module.drop_params = True
            logging.getLogger("LiteLLM").setLevel(logging.WARNING)
            _module = module
    return _module


def is_loaded() -> bool:
    return _module is not None


def warm_up(background: bool = True) -> threading.Thread | None:
    """Import litellm now, in a daemon thread unless ``background`` is False."""
    if _module is not None:
        return None
    if not background:
        litellm()
        return None

    def load() -> None:
        try:
            litellm()
        except Exception:  # the first real call will raise the same error where it can be reported
            log.exception("importing litellm failed")

    thread = threading.Thread(target=load, name="litellm-import", daemon=True)
    thread.start()
    return thread
