"""Loading litellm: once, lazily, quietly.

litellm takes seconds and ~200 MB to import, so nothing imports it at module level; the server
warms it up in a background thread after ``initialized`` and the first model call waits for that.
Two hazards are handled here, before and during the import:

- without ``LITELLM_LOCAL_MODEL_COST_MAP`` it downloads a price list at import time, which can
  stall for seconds behind a firewall; the bundled copy is good enough for us;
- it may ``print()``; over stdio, stdout is the JSON-RPC channel and one stray line corrupts it,
  so the import runs with stdout redirected to stderr and debug output is switched off after.

Importing is not all: litellm's first call imports some dozens more modules, CPU that would land
between the user's first prompt and its first token. ``warm_up`` therefore also rehearses one
streamed call against litellm's built-in mock response (no network), so the first real call finds
all of that done. litellm's own token counting is switched off (counts are the provider's), so no
tokenizer is loaded, and none is ever downloaded.

The collector is kept out of it. litellm's import creates ~370,000 objects, nearly all of them
live for the life of the process; with the collector running, about a quarter of the import's CPU
went to collections that found nothing, and afterwards every full collection (several per long
answer: thousands of chunks are thousands of short-lived objects) walked all of them again, ~0.2 s
each. So the import runs with the collector paused, and what exists once litellm is ready is moved
to the permanent generation (``gc.freeze``), where collections no longer visit it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
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
            with contextlib.redirect_stdout(sys.stderr), _collector_paused():
                import litellm as module
            module.suppress_debug_info = True
            # Switches litellm reads at call time but leaves out of its typed exports.
            setattr(module, "set_verbose", False)
            setattr(module, "telemetry", False)  # older releases read this; newer ones simply ignore it
            # Parameters a provider does not accept (e.g. stream_options on some local servers)
            # are dropped instead of failing the whole call.
            module.drop_params = True
            # Its pricing of each call would otherwise download a tokenizer for some models.
            module.disable_hf_tokenizer_download = True
            # Token counts come from the provider's usage report (every call asks for it). litellm
            # would also count tokens itself: it estimates counts the provider left out (a
            # reasoning count, or a whole usage when none is sent), and loading its tokenizer for
            # that costs ~35 MB of resident memory and CPU on the first call. OpenCode 1.18.33
            # books only reported counts (``usage_from`` already drops the reasoning estimate),
            # so unreported counts are 0 here too.
            module.disable_token_counter = True
            logging.getLogger("LiteLLM").setLevel(logging.WARNING)
            gc.freeze()
            _module = module
    return _module


@contextlib.contextmanager
def _collector_paused():
    """No garbage collection while litellm imports (process-wide, for those seconds: garbage the
    other threads make meanwhile waits for the next collection; the import itself leaves a few
    thousand unreachable objects, too few to be worth a full collection's ~0.3 s)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def is_loaded() -> bool:
    return _module is not None


_rehearsed = False


def rehearse() -> None:
    """One streamed call answered by litellm's mock (no network), on a private event loop, so
    the lazy imports and the tokenizer of the first call are loaded before a prompt needs them."""
    global _rehearsed
    if _rehearsed:
        return
    lib = litellm()

    async def call() -> None:
        stream = await lib.acompletion(model="openai/warm-up", messages=[{"role": "user", "content": "hi"}],
                                       stream=True, mock_response="ok")
        async for _ in stream:
            pass

    def run() -> None:
        try:
            with contextlib.redirect_stdout(sys.stderr):
                asyncio.run(call())
            gc.freeze()  # the modules and caches the first call loaded, too (see the module docstring)
        except Exception:  # only an optimisation: the first real call does the same work itself
            log.warning("rehearsing a litellm call failed", exc_info=True)

    with _lock:
        if _rehearsed:
            return
        _rehearsed = True  # tried once: a failure is not retried on every warm-up
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            run()
            return
        # Called from a coroutine: the rehearsal needs an event loop of its own.
        helper = threading.Thread(target=run, name="litellm-rehearsal", daemon=True)
        helper.start()
        helper.join()


def warm_up() -> None:
    """Import litellm and rehearse a call now (blocking: ``App.warm_up`` runs it in a thread)."""
    if not _rehearsed:
        _load_and_rehearse()


def _load_and_rehearse() -> None:
    try:
        litellm()
    except Exception:  # the first real call will raise the same error where it can be reported
        log.exception("importing litellm failed")
        return
    rehearse()

