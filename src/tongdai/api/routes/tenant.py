"""Tenant admin endpoints: hotlines, adaptive numbers, groups, agents, queues, IVR trees, audio.

Every route takes the admin's tenant from its key; another tenant's ids answer 404.
"""

import inspect
from typing import Annotated, Any, Callable

from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile

from ...app.security import Principal
from ...app.services import adaptive_numbers, agents, groups, hotlines, ivr, queues
from ...app.services.common import get_or_404
from ...domain.errors import RuleViolation, Violation
from ...store.codecs import node_to_dict
from .. import schemas as s
from ..deps import Context, Paging, admin, ctx, own_agent_or_admin, tenant_member
from ._view import view

router = APIRouter()
Admin = Annotated[Principal, Depends(admin)]
Member = Annotated[Principal, Depends(tenant_member)]
Ctx = Annotated[Context, Depends(ctx)]
PageQ = Annotated[Paging, Depends()]
Name = Annotated[str | None, Query(max_length=100)]


def crud(path: str, kind: str, repo: str, *, tag: str, schema_in: type, schema_patch: type, schema_out: type,
         create: Callable, update: Callable, delete: Callable, id_arg: str,
         to_view: Callable[[Any, Any], dict] = lambda _uow, obj: view(obj), with_get: bool = True) -> None:
    """Register create / get / patch / delete for one kind of tenant object."""
    name = kind.replace(" ", "_").lower()
    stamped = "now" in inspect.signature(create).parameters

    def create_one(body: schema_in, p: Admin, c: Ctx):  # type: ignore[valid-type]
        with c.uow() as uow:
            extra = {"now": c.clock()} if stamped else {}
            obj = create(uow, tenant_id=p.tenant_id, data=body.model_dump(), **extra)
            return to_view(uow, obj)

    def get_one(object_id: str, p: Admin, c: Ctx):
        with c.uow() as uow:
            return to_view(uow, get_or_404(getattr(uow, repo), kind, object_id, p.tenant_id))

    def update_one(object_id: str, body: schema_patch, p: Admin, c: Ctx):  # type: ignore[valid-type]
        with c.uow() as uow:
            obj = update(uow, tenant_id=p.tenant_id, changes=body.model_dump(exclude_unset=True),
                         **{id_arg: object_id})
            return to_view(uow, obj)

    def delete_one(object_id: str, p: Admin, c: Ctx):
        with c.uow() as uow:
            delete(uow, tenant_id=p.tenant_id, **{id_arg: object_id})
        return Response(status_code=204)

    router.add_api_route(path, create_one, methods=["POST"], status_code=201, response_model=schema_out,
                         name=f"create_{name}", tags=[tag])
    if with_get:
        router.add_api_route(path + "/{object_id}", get_one, methods=["GET"], response_model=schema_out,
                             name=f"get_{name}", tags=[tag])
    router.add_api_route(path + "/{object_id}", update_one, methods=["PATCH"], response_model=schema_out,
                         name=f"update_{name}", tags=[tag])
    router.add_api_route(path + "/{object_id}", delete_one, methods=["DELETE"], status_code=204,
                         name=f"delete_{name}", tags=[tag], response_class=Response)


# -- hotlines ---------------------------------------------------------------------------------------

@router.get("/hotlines", response_model=s.HotlineList, tags=["hotlines"])
def list_hotlines(p: Admin, c: Ctx, page: PageQ, name: Name = None,
                  number_type: Annotated[s.Literal["carrier", "virtual"] | None, Query()] = None,
                  line_type: Annotated[s.LineType | None, Query()] = None,
                  country: Annotated[str | None, Query(max_length=2)] = None,
                  carrier: Annotated[s.Carrier | None, Query()] = None,
                  outbound_enabled: bool | None = None, show_in_widget: bool | None = None,
                  ivr_enabled: bool | None = None, queue_id: Annotated[str | None, Query(max_length=40)] = None,
                  number: Annotated[str | None, Query(max_length=20)] = None):
    filters = {"number_type": number_type, "line_type": line_type, "country": country, "carrier": carrier,
               "outbound_enabled": outbound_enabled, "show_in_widget": show_in_widget,
               "ivr_enabled": ivr_enabled, "queue_id": queue_id, "number": number}
    with c.uow() as uow:
        items, total = hotlines.list_hotlines(uow, tenant_id=p.tenant_id, filters=filters, name_contains=name,
                                              limit=page.limit, offset=page.offset)
    return {"items": [view(h) for h in items], "total": total}


crud("/hotlines", "hotline", "hotlines", tag="hotlines", schema_in=s.HotlineIn, schema_patch=s.HotlinePatch,
     schema_out=s.HotlineOut, create=hotlines.create_hotline, update=hotlines.update_hotline,
     delete=hotlines.delete_hotline, id_arg="hotline_id")


@router.get("/inventory/available", response_model=s.AvailableList, tags=["hotlines"])
def available_numbers(p: Admin, c: Ctx, page: PageQ,
                      country: Annotated[str | None, Query(max_length=2)] = None,
                      line_type: Annotated[s.LineType | None, Query()] = None):
    """Numbers this tenant may take for a carrier hotline: free pool numbers and its own unused ones."""
    with c.uow() as uow:
        items, total = uow.inventory.available(p.tenant_id, country=country, line_type=line_type,
                                               limit=page.limit, offset=page.offset)
    return {"items": [view(i) for i in items], "total": total}


# -- adaptive numbers, groups -----------------------------------------------------------------------

@router.get("/adaptive-numbers", response_model=s.AdaptiveList, tags=["adaptive numbers"])
def list_adaptive(p: Admin, c: Ctx, page: PageQ, name: Name = None,
                  outbound_enabled: bool | None = None, show_in_widget: bool | None = None):
    with c.uow() as uow:
        items, total = uow.adaptive_numbers.list(
            p.tenant_id, filters={"outbound_enabled": outbound_enabled, "show_in_widget": show_in_widget},
            name_contains=name, limit=page.limit, offset=page.offset)
    return {"items": [view(a) for a in items], "total": total}


crud("/adaptive-numbers", "adaptive number", "adaptive_numbers", tag="adaptive numbers",
     schema_in=s.AdaptiveIn, schema_patch=s.AdaptivePatch, schema_out=s.AdaptiveOut,
     create=adaptive_numbers.create_adaptive_number, update=adaptive_numbers.update_adaptive_number,
     delete=adaptive_numbers.delete_adaptive_number, id_arg="adaptive_id")


@router.get("/groups", response_model=s.GroupList, tags=["groups"])
def list_groups(p: Admin, c: Ctx, page: PageQ, name: Name = None):
    with c.uow() as uow:
        items, total = uow.groups.list(p.tenant_id, name_contains=name, limit=page.limit, offset=page.offset)
    return {"items": [view(g) for g in items], "total": total}


crud("/groups", "group", "groups", tag="groups", schema_in=s.GroupIn, schema_patch=s.GroupPatch,
     schema_out=s.GroupOut, create=groups.create_group, update=groups.update_group,
     delete=groups.delete_group, id_arg="group_id")


# -- agents -------------------------------------------------------------------------------------------

def _agent(uow, agent) -> dict:
    return view(agent, sip_domain=uow.tenants.get(agent.tenant_id).sip_domain)


@router.get("/agents", response_model=s.AgentList, tags=["agents"])
def list_agents(p: Admin, c: Ctx, page: PageQ, name: Name = None,
                group_id: Annotated[str | None, Query(max_length=40)] = None,
                extension: Annotated[str | None, Query(max_length=6)] = None,
                sip_username: Annotated[str | None, Query(max_length=64)] = None):
    with c.uow() as uow:
        if group_id:  # membership lives in a JSON list: filter in Python, then page
            every = [a for a in uow.agents.all(p.tenant_id) if group_id in a.groups
                     and (not name or name in a.name) and (not extension or a.extension == extension)
                     and (not sip_username or a.sip_username == sip_username)]
            items, total = every[page.offset: page.offset + page.limit], len(every)
        else:
            items, total = uow.agents.list(p.tenant_id, filters={"extension": extension, "sip_username": sip_username},
                                           name_contains=name, limit=page.limit, offset=page.offset)
        return {"items": [_agent(uow, a) for a in items], "total": total}


@router.get("/agents/me", response_model=s.AgentOut, tags=["agents"])
def my_agent(p: Member, c: Ctx):
    """The agent an agent key belongs to."""
    if p.agent_id is None:
        raise RuleViolation(Violation("authorization", "not_an_agent", "this key does not belong to an agent"))
    with c.uow() as uow:
        return _agent(uow, get_or_404(uow.agents, "agent", p.agent_id, p.tenant_id))


@router.get("/agents/{object_id}", response_model=s.AgentOut, tags=["agents"])
def get_agent(object_id: str, p: Member, c: Ctx):
    """An admin reads any agent of its tenant; an agent key reads only its own profile."""
    own_agent_or_admin(p, object_id)
    with c.uow() as uow:
        return _agent(uow, get_or_404(uow.agents, "agent", object_id, p.tenant_id))


crud("/agents", "agent", "agents", tag="agents", schema_in=s.AgentIn, schema_patch=s.AgentPatch,
     schema_out=s.AgentOut, create=agents.create_agent, update=agents.update_agent, delete=agents.delete_agent,
     id_arg="agent_id", to_view=_agent, with_get=False)


@router.post("/agents/{object_id}/api-keys", status_code=201, response_model=s.KeyOut, tags=["agents"])
def create_agent_key(object_id: str, p: Admin, c: Ctx):
    """A key for the agent's own use (softphone apps, the agent's profile)."""
    with c.uow() as uow:
        return {"key": agents.create_agent_key(uow, tenant_id=p.tenant_id, agent_id=object_id, now=c.clock())}


# -- queues, IVR trees, audio ----------------------------------------------------------------------

@router.get("/queues", response_model=s.QueueList, tags=["queues"])
def list_queues(p: Admin, c: Ctx, page: PageQ, name: Name = None,
                strategy: Annotated[s.Literal["ring_all", "longest_idle", "round_robin", "least_calls"] | None,
                                    Query()] = None):
    with c.uow() as uow:
        items, total = uow.queues.list(p.tenant_id, filters={"strategy": strategy}, name_contains=name,
                                       limit=page.limit, offset=page.offset)
    return {"items": [view(q) for q in items], "total": total}


crud("/queues", "queue", "queues", tag="queues", schema_in=s.QueueIn, schema_patch=s.QueuePatch,
     schema_out=s.QueueOut, create=queues.create_queue, update=queues.update_queue, delete=queues.delete_queue,
     id_arg="queue_id")


def _tree(_uow, tree) -> dict:
    return {"id": tree.id, "name": tree.name, "root_node_id": tree.root_node_id,
            "nodes": [node_to_dict(n) for n in tree.nodes]}


@router.get("/ivr-trees", response_model=s.IvrTreeList, tags=["IVR trees"])
def list_trees(p: Admin, c: Ctx, page: PageQ, name: Name = None):
    with c.uow() as uow:
        items, total = uow.ivr_trees.list(p.tenant_id, name_contains=name, limit=page.limit, offset=page.offset)
    return {"items": [_tree(None, t) for t in items], "total": total}


crud("/ivr-trees", "IVR tree", "ivr_trees", tag="IVR trees", schema_in=s.IvrTreeIn, schema_patch=s.IvrTreePatch,
     schema_out=s.IvrTreeOut, create=ivr.create_ivr_tree, update=ivr.update_ivr_tree, delete=ivr.delete_ivr_tree,
     id_arg="tree_id", to_view=_tree)


@router.post("/audio", status_code=201, response_model=s.AudioOut, tags=["IVR trees"])
async def upload_audio(p: Admin, c: Ctx, file: Annotated[UploadFile, File()],
                       name: Annotated[str | None, Form(max_length=200)] = None):
    """Upload a mono PCM WAV prompt for IVR nodes (at most 5 MiB)."""
    data = await file.read(ivr.MAX_AUDIO_BYTES + 1)
    with c.uow() as uow:
        return ivr.upload_audio(uow, tenant_id=p.tenant_id, name=name or file.filename or "prompt.wav",
                                data=data, now=c.clock())


@router.get("/audio", response_model=s.AudioList, tags=["IVR trees"])
def list_audio(p: Admin, c: Ctx, page: PageQ):
    with c.uow() as uow:
        items, total = uow.audio.list(p.tenant_id, page.limit, page.offset)
    return {"items": items, "total": total}


@router.delete("/audio/{object_id}", status_code=204, tags=["IVR trees"], response_class=Response)
def delete_audio(object_id: str, p: Admin, c: Ctx):
    with c.uow() as uow:
        ivr.delete_audio(uow, tenant_id=p.tenant_id, audio_id=object_id)
    return Response(status_code=204)
