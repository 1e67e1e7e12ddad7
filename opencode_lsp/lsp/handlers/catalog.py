"""What is configured: agents, models, the effective config; permission replies."""

from __future__ import annotations

from .. import methods as m
from .. import params as p
from ..host import ServerHost
from ..rpc import method


@method(m.AGENT_LIST, p.Empty)
def agent_list(ls: ServerHost, params: p.Empty):
    return [a.model_dump(mode="json", exclude_none=True) for a in ls.app.agents.list()]


@method(m.MODEL_LIST, p.Empty)
def model_list(ls: ServerHost, params: p.Empty):
    return [info.model_dump(mode="json") for info in ls.app.provider.list_models()]


@method(m.CONFIG_GET, p.Empty)
def config_get(ls: ServerHost, params: p.Empty):
    return ls.app.config.redacted()


@method(m.PERMISSION_REPLY, p.PermissionReply)
def permission_reply(ls: ServerHost, params: p.PermissionReply):
    return ls.app.permissions.reply(params.requestID, params.reply, params.message)


@method(m.PERMISSION_LIST, p.Empty)
def permission_list(ls: ServerHost, params: p.Empty):
    return ls.app.permissions.list()


@method(m.PERMISSION_APPROVALS, p.Empty)
def permission_approvals(ls: ServerHost, params: p.Empty):
    return ls.app.permissions.approvals()


@method(m.PERMISSION_REVOKE, p.PermissionRevoke)
def permission_revoke(ls: ServerHost, params: p.PermissionRevoke):
    return ls.app.permissions.revoke(params.id)
