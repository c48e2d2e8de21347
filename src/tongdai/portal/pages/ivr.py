"""IVR trees: a list, and an editor of a tree's nodes (menu, extension or opening-hours node; a spoken or
uploaded prompt with a play button; its key branches to a node, a queue, an agent, an external number or
hang-up). Uploads of WAV or MP3 prompts. The rules are the IVR service's; a refused tree comes back as
typed, each node with its own errors."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, UploadFile
from fastapi.responses import Response

from ...app.services import ivr
from ...app.services.common import get_or_404
from ...domain.errors import RuleViolation, Violation
from ..web import Page, field_errors, form, redirect, render, require, signed_in

router = APIRouter(include_in_schema=False)
Signed = Annotated[Page, Depends(signed_in)]
EMPTY_BRANCHES = 3  # blank branch rows under each node, and one blank node at the end, to add to the tree
TARGETS = ("node", "queue", "agent", "external", "hangup")
_FIELD = re.compile(r"^nodes\[(\d+)\]\[(\w+)\](?:\[(\d+)\]\[(\w+)\])?$")


def _admin(page: Page) -> str:
    require(page, "admin")
    return page.tenant


def _choices(page: Page, tenant: str) -> dict[str, Any]:
    with page.ctx.uow() as uow:
        audio, _total = uow.audio.list(tenant, 500, 0)
        return {"queues": uow.queues.all(tenant), "agents": uow.agents.all(tenant), "audio": audio}


def _node_forms(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The tree's nodes as the form shows them, with blank branch rows and a blank node to add."""
    shown = []
    for node in [*nodes, {"id": "", "type": "menu", "prompt": {"type": "tts", "language": "vi"}, "branches": {}}]:
        prompt = node.get("prompt") or {}
        branches = []
        for key, target in (node.get("branches") or {}).items():
            value = target.get("node_id") or target.get("queue_id") or target.get("agent_id") or target.get("number")
            branches.append({"key": key, "type": target.get("type", ""), "value": value or ""})
        branches += [{"key": "", "type": "", "value": ""}] * EMPTY_BRANCHES
        shown.append({"id": node.get("id", ""), "type": node.get("type", "menu"),
                      "timeout_seconds": node.get("timeout_seconds", 5), "max_digits": node.get("max_digits", 1),
                      "prompt_type": prompt.get("type", "tts"), "text": prompt.get("text") or "",
                      "language": prompt.get("language", "vi"), "audio_id": prompt.get("audio_id") or "",
                      "branches": branches})
    return shown


def _posted_nodes(fields: dict[str, Any]) -> tuple[list[dict[str, Any]], list[Violation]]:
    """The nodes the editor posted, in the API's shape (blank rows and a blank new node left out)."""
    raw: dict[int, dict[str, Any]] = {}
    for name, value in fields.items():
        match = _FIELD.match(name)
        if not match:
            continue
        i, attr, j, battr = match.groups()
        entry = raw.setdefault(int(i), {"branches": {}})
        if j is None:
            entry[attr] = str(value).strip()
        else:
            entry["branches"].setdefault(int(j), {})[battr] = str(value).strip()
    nodes: list[dict[str, Any]] = []
    problems: list[Violation] = []
    for i in sorted(raw):
        n = raw[i]
        if not n.get("id"):
            continue
        prompt: dict[str, Any] = {"type": n.get("prompt_type", "tts"), "language": n.get("language", "vi")}
        if prompt["type"] == "tts":
            prompt["text"] = n.get("text", "")
        else:
            prompt["audio_id"] = n.get("audio_id") or None
        branches: dict[str, Any] = {}
        for j in sorted(n["branches"]):
            b = n["branches"][j]
            key, kind, value = b.get("key", ""), b.get("type", ""), b.get("value", "")
            if not key and not kind:
                continue
            field = {"node": "node_id", "queue": "queue_id", "agent": "agent_id", "external": "number"}.get(kind)
            branches[key] = {"type": kind, **({field: value or None} if field else {})}
        node: dict[str, Any] = {"id": n["id"], "type": n.get("type", "menu"), "branches": branches}
        if node["type"] != "hours":
            node["prompt"] = prompt
        for number_field in ("timeout_seconds", "max_digits"):
            text = n.get(number_field, "")
            if text:
                try:
                    node[number_field] = int(text)
                except ValueError:
                    problems.append(Violation(f"nodes[{len(nodes)}].{number_field}", "invalid_value", "a number"))
        nodes.append(node)
    return nodes, problems


@router.get("/ivr")
def list_page(page: Signed):
    tenant = _admin(page)
    with page.ctx.uow() as uow:
        trees = uow.ivr_trees.all(tenant)
        audio, _total = uow.audio.list(tenant, 500, 0)
    return render(page, "ivr/list.html", trees=trees, audio=audio, errors={}, values={})


@router.post("/ivr")
async def create(page: Signed):
    tenant = _admin(page)
    fields = await form(page)
    data = {"name": str(fields.get("name", "")).strip(), "root_node_id": "menu", "nodes": [{
        "id": "menu", "prompt": {"type": "tts", "language": str(fields.get("language", "vi")),
                                 "text": str(fields.get("text", "")).strip()}}]}
    try:
        with page.ctx.uow() as uow:
            tree = ivr.create_ivr_tree(uow, tenant_id=tenant, data=data)
    except RuleViolation as exc:
        with page.ctx.uow() as uow:
            trees = uow.ivr_trees.all(tenant)
            audio, _total = uow.audio.list(tenant, 500, 0)
        errors = {("text" if k.endswith("prompt.text") else k): v for k, v in field_errors(page, exc).items()}
        return render(page, "ivr/list.html", status=422, trees=trees, audio=audio, errors=errors, values=fields)
    return redirect(f"/ivr/{tree.id}?saved=1")


@router.post("/ivr/audio")
async def upload(page: Signed, file: Annotated[UploadFile, File()]):
    tenant = _admin(page)
    fields = await form(page)
    data = await file.read(ivr.MAX_AUDIO_BYTES + 1)
    back = str(fields.get("back", "/ivr"))
    try:
        with page.ctx.uow() as uow:
            ivr.upload_audio(uow, tenant_id=tenant, name=file.filename or "prompt", data=data, now=page.ctx.clock(),
                             convert=page.ctx.audio_upload)
    except RuleViolation as exc:
        with page.ctx.uow() as uow:
            trees = uow.ivr_trees.all(tenant)
            audio, _total = uow.audio.list(tenant, 500, 0)
        return render(page, "ivr/list.html", status=422, trees=trees, audio=audio, errors=field_errors(page, exc),
                      values={})
    return redirect(back if back.startswith("/ivr") else "/ivr")


def _editor(page: Page, tenant: str, tree_id: str, errors: dict[str, str], status: int = 200,
            posted: dict[str, Any] | None = None):
    with page.ctx.uow() as uow:
        tree = get_or_404(uow.ivr_trees, "IVR tree", tree_id, tenant)
    view = ivr.tree_view(tree)
    if posted is not None:
        view = {**view, **posted}
    per_node: dict[int, list[str]] = {}
    general = []
    for field, message in errors.items():
        match = re.match(r"^nodes\[(\d+)\]\.?(.*)$", field)
        if match:
            per_node.setdefault(int(match.group(1)), []).append(f"{match.group(2) or field}: {message}")
        else:
            general.append(f"{field}: {message}")
    return render(page, "ivr/editor.html", status=status, tree=tree, view=view, nodes=_node_forms(view["nodes"]),
                  node_errors=per_node, general_errors=general, targets=TARGETS, errors=errors,
                  saved=page.request.query_params.get("saved") == "1", **_choices(page, tenant))


@router.get("/ivr/{tree_id}")
def editor(page: Signed, tree_id: str):
    return _editor(page, _admin(page), tree_id, {})


@router.post("/ivr/{tree_id}")
async def save(page: Signed, tree_id: str):
    tenant = _admin(page)
    fields = await form(page)
    nodes, problems = _posted_nodes(fields)
    changes = {"name": str(fields.get("name", "")).strip(), "root_node_id": str(fields.get("root_node_id", "")),
               "nodes": nodes}
    try:
        if problems:
            raise RuleViolation(problems)
        with page.ctx.uow() as uow:
            ivr.update_ivr_tree(uow, tenant_id=tenant, tree_id=tree_id, changes=changes)
    except RuleViolation as exc:
        return _editor(page, tenant, tree_id, field_errors(page, exc), status=422, posted=changes)
    return redirect(f"/ivr/{tree_id}?saved=1")


@router.post("/ivr/{tree_id}/delete")
async def delete(page: Signed, tree_id: str):
    tenant = _admin(page)
    await form(page)
    with page.ctx.uow() as uow:
        ivr.delete_ivr_tree(uow, tenant_id=tenant, tree_id=tree_id)
    return redirect("/ivr")


@router.get("/ivr/{tree_id}/nodes/{node_id}/prompt")
def prompt(page: Signed, tree_id: str, node_id: str):
    """The node's prompt as callers hear it (what the play button plays)."""
    tenant = _admin(page)
    with page.ctx.uow() as uow:
        spoken, upload = ivr.node_prompt(uow, tenant_id=tenant, tree_id=tree_id, node_id=node_id)
    if page.ctx.prompt_audio is None:
        raise RuleViolation(Violation("prompt", "prompt_unavailable", "prompts are not made in this process"))
    return Response(page.ctx.prompt_audio(spoken, upload), media_type="audio/wav")
