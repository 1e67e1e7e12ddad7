"""Session CRUD, messages, todos, export and import."""

from __future__ import annotations

from typing import Any

from .. import methods as m
from .. import params as p
from ..host import ServerHost
from ..rpc import method


def _rules(rules: list[p.RuleParam] | None) -> list[dict[str, Any]] | None:
    return [r.model_dump() for r in rules] if rules is not None else None


@method(m.SESSION_CREATE, p.SessionCreate)
def create(ls: ServerHost, params: p.SessionCreate):
    return ls.app.sessions.create(
        directory=params.directory,
        title=params.title,
        parent_id=params.parentID,
        agent=params.agent,
        model=params.model.model_dump() if params.model else None,
        permission=_rules(params.permission),
    )


@method(m.SESSION_GET, p.SessionRef)
def get(ls: ServerHost, params: p.SessionRef):
    return ls.app.sessions.get(params.sessionID)


@method(m.SESSION_LIST, p.SessionList)
def list_(ls: ServerHost, params: p.SessionList):
    return ls.app.sessions.list(
        directory=params.directory,
        search=params.search,
        roots=bool(params.roots),
        archived=params.archived,
        limit=params.limit,
        start=params.start,
    )


@method(m.SESSION_CHILDREN, p.SessionRef)
def children(ls: ServerHost, params: p.SessionRef):
    return ls.app.sessions.children(params.sessionID)


@method(m.SESSION_UPDATE, p.SessionUpdate)
def update(ls: ServerHost, params: p.SessionUpdate):
    sessions = ls.app.sessions
    info = sessions.get(params.sessionID)
    if params.title is not None:
        info = sessions.set_title(params.sessionID, params.title)
    if params.archived is not None:
        info = sessions.set_archived(params.sessionID, params.archived)
    if params.permission is not None:
        info = sessions.set_permission(params.sessionID, _rules(params.permission) or [])
    return info


@method(m.SESSION_FORK, p.SessionFork)
def fork(ls: ServerHost, params: p.SessionFork):
    return ls.app.sessions.fork(params.sessionID, params.messageID)


@method(m.SESSION_DELETE, p.SessionRef)
async def delete(ls: ServerHost, params: p.SessionRef):
    ls.app.sessions.get(params.sessionID)
    await ls.app.abort_tree(params.sessionID)
    ls.app.sessions.delete(params.sessionID)
    return True


@method(m.SESSION_MESSAGES, p.SessionMessages)
def messages(ls: ServerHost, params: p.SessionMessages):
    return ls.app.sessions.messages(params.sessionID, limit=params.limit, before=params.before)


@method(m.SESSION_TODO, p.SessionRef)
def todo(ls: ServerHost, params: p.SessionRef):
    return ls.app.sessions.todos(params.sessionID)


@method(m.SESSION_EXPORT, p.SessionRef)
def export(ls: ServerHost, params: p.SessionRef):
    return ls.app.sessions.export(params.sessionID)


@method(m.SESSION_IMPORT, p.SessionImport)
def import_(ls: ServerHost, params: p.SessionImport):
    return ls.app.sessions.import_(params.data)
