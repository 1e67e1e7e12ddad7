"""Asking the user through the editor's own UI when the client does not answer asks itself.

Without ``permissionUI`` each ``permission.asked`` becomes a ``window/showMessageRequest`` with
Allow once / Always allow / Reject. A dismissed prompt or a failed request is a reject.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from lsprotocol import types

from ..core.events import Event
from ..core.permission import Reply
from .host import ServerHost

log = logging.getLogger(__name__)

ACTIONS: dict[str, Reply] = {"Allow once": "once", "Always allow": "always", "Reject": "reject"}


def ask_text(request: dict[str, Any]) -> str:
    patterns = ", ".join(request.get("patterns") or []) or "*"
    return f"opencode wants permission for {request.get('permission')}: {patterns}"


class PermissionPrompter:
    def __init__(self, ls: ServerHost):
        self.ls = ls
        self.tasks: set[asyncio.Task[None]] = set()
        self.asking: dict[str, asyncio.Task[None]] = {}  # request id -> its open prompt

    def enabled(self) -> bool:
        app = self.ls.app_if_ready
        return not bool(app and app.config.permission_ui)

    def on_event(self, event: Event) -> None:
        if event.type == "permission.replied":
            # Answered elsewhere (abort, a protocol reply, an "always"): stop waiting on the
            # editor, which may never answer a prompt nobody looks at.
            task = self.asking.pop(event.properties.get("requestID", ""), None)
            if task is not None and task is not asyncio.current_task():
                task.cancel()
            return
        if event.type != "permission.asked" or not self.enabled():
            return
        request_id = event.properties.get("id", "")
        task = asyncio.ensure_future(self._ask(event.properties))
        self.tasks.add(task)
        self.asking[request_id] = task
        task.add_done_callback(self.tasks.discard)
        task.add_done_callback(lambda _: self.asking.pop(request_id, None))

    async def _ask(self, request: dict[str, Any]) -> None:
        reply: Reply = "reject"
        try:
            asked = self.ls.window_show_message_request_async(types.ShowMessageRequestParams(
                type=types.MessageType.Warning,
                message=ask_text(request),
                actions=[types.MessageActionItem(title=t) for t in ACTIONS],
            ))
            # Shielded: when the ask is settled elsewhere this task is cancelled, but pygls's
            # future must stay alive, or a late click would hit a cancelled future.
            choice = await asyncio.shield(asked)
            if choice is not None:
                reply = ACTIONS.get(choice.title, "reject")
        except Exception as exc:  # no answer is a no
            log.info("permission prompt failed, rejecting: %s", exc)
        try:
            self.ls.app.permissions.reply(request["id"], reply)
        except Exception as exc:  # already answered elsewhere (e.g. by an "always" reply)
            log.info("permission %s not replied: %s", request.get("id"), exc)
