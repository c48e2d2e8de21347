"""IVR trees of a tenant and the audio prompts their nodes may play."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Response, UploadFile

from ...app.security import Principal
from ...app.services import ivr
from ...app.services.common import get_or_404
from ..deps import Context, Paging, admin, ctx
from ..schemas import ivr as s

router = APIRouter(tags=["IVR trees"])
Admin = Annotated[Principal, Depends(admin)]
Ctx = Annotated[Context, Depends(ctx)]


@router.get("/ivr-trees", response_model=s.IvrTreeList)
def list_trees(p: Admin, c: Ctx, page: Annotated[Paging, Depends()],
               name: Annotated[str | None, Query(max_length=100)] = None):
    with c.uow() as uow:
        items, total = uow.ivr_trees.list(p.tenant, name_contains=name, limit=page.limit, offset=page.offset)
    return {"items": [ivr.tree_view(t) for t in items], "total": total}


@router.post("/ivr-trees", status_code=201, response_model=s.IvrTreeOut)
def create_ivr_tree(body: s.IvrTreeIn, p: Admin, c: Ctx):
    with c.uow() as uow:
        return ivr.tree_view(ivr.create_ivr_tree(uow, tenant_id=p.tenant, data=body.model_dump()))


@router.get("/ivr-trees/{object_id}", response_model=s.IvrTreeOut)
def get_ivr_tree(object_id: str, p: Admin, c: Ctx):
    with c.uow() as uow:
        return ivr.tree_view(get_or_404(uow.ivr_trees, "IVR tree", object_id, p.tenant))


@router.patch("/ivr-trees/{object_id}", response_model=s.IvrTreeOut)
def update_ivr_tree(object_id: str, body: s.IvrTreePatch, p: Admin, c: Ctx):
    with c.uow() as uow:
        return ivr.tree_view(ivr.update_ivr_tree(uow, tenant_id=p.tenant, tree_id=object_id,
                                                 changes=body.model_dump(exclude_unset=True)))


@router.delete("/ivr-trees/{object_id}", status_code=204, response_class=Response)
def delete_ivr_tree(object_id: str, p: Admin, c: Ctx):
    with c.uow() as uow:
        ivr.delete_ivr_tree(uow, tenant_id=p.tenant, tree_id=object_id)
    return Response(status_code=204)


@router.get("/ivr-trees/{object_id}/nodes/{node_id}/prompt", response_class=Response,
            responses={200: {"content": {"audio/wav": {}}, "description": "the prompt as callers hear it"}})
def preview_prompt(object_id: str, node_id: str, p: Admin, c: Ctx):
    """The node's prompt as the caller will hear it: 8 kHz mono WAV (spoken text, or the upload)."""
    with c.uow() as uow:
        prompt, upload = ivr.node_prompt(uow, tenant_id=p.tenant, tree_id=object_id, node_id=node_id)
    if c.prompt_audio is None:
        raise HTTPException(503, "prompts are not made in this process")
    return Response(c.prompt_audio(prompt, upload), media_type="audio/wav")


@router.get("/opening-hours", response_model=s.OpeningHoursOut)
def get_opening_hours(p: Admin, c: Ctx):
    """The tenant's opening hours, which IVR `hours` nodes follow (none set: always open)."""
    with c.uow() as uow:
        return ivr.opening_hours(uow, tenant_id=p.tenant)


@router.put("/opening-hours", response_model=s.OpeningHoursOut)
def set_opening_hours(body: s.OpeningHoursIn, p: Admin, c: Ctx):
    with c.uow() as uow:
        return ivr.set_opening_hours(uow, tenant_id=p.tenant, data=body.model_dump())


@router.post("/audio", status_code=201, response_model=s.AudioOut)
async def upload_audio(p: Admin, c: Ctx, file: Annotated[UploadFile, File()],
                       name: Annotated[str | None, Form(max_length=200)] = None):
    """Upload a mono PCM WAV prompt for IVR nodes (at most 5 MiB)."""
    data = await file.read(ivr.MAX_AUDIO_BYTES + 1)
    with c.uow() as uow:
        return ivr.upload_audio(uow, tenant_id=p.tenant, name=name or file.filename or "prompt.wav",
                                data=data, now=c.clock(), convert=c.audio_upload)


@router.get("/audio", response_model=s.AudioList)
def list_audio(p: Admin, c: Ctx, page: Annotated[Paging, Depends()]):
    with c.uow() as uow:
        items, total = uow.audio.list(p.tenant, page.limit, page.offset)
    return {"items": items, "total": total}


@router.delete("/audio/{object_id}", status_code=204, response_class=Response)
def delete_audio(object_id: str, p: Admin, c: Ctx):
    with c.uow() as uow:
        ivr.delete_audio(uow, tenant_id=p.tenant, audio_id=object_id)
    return Response(status_code=204)
