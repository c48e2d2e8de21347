"""The supervisors' wallboard: per queue, the calls waiting (how long; past the hotline's answer-time
alert highlighted) and answered, and its agents by state with the time in that state. The page listens to
the tenant's event stream and, when something happens, fetches its board again (at most once a second);
the clocks on it tick in the browser."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse

from ..web import Page, render, require, signed_in

router = APIRouter(include_in_schema=False)
Signed = Annotated[Page, Depends(signed_in)]


def _board(page: Page) -> dict[str, Any]:
    require(page, "admin", "supervisor")
    tenant = page.tenant
    with page.ctx.uow() as uow:
        queues = uow.queues.all(tenant)
        names = {a.id: a.name for a in uow.agents.all(tenant)}
    live = page.ctx.live
    boards = []
    for queue in queues:
        state = live.queue_live(queue.id) if live is not None else None
        boards.append({"queue": queue, "live": state})
    return {"boards": boards, "names": names, "running": live is not None, "now": page.ctx.clock()}


@router.get("/wallboard")
def wallboard(page: Signed):
    return render(page, "wallboard/page.html", **_board(page))


@router.get("/wallboard/board")
def board(page: Signed):
    """The board alone (what the page swaps in when the event stream says something changed)."""
    return render(page, "wallboard/_board.html", **_board(page))


@router.get("/wallboard/events")
async def events(page: Signed):
    require(page, "admin", "supervisor")
    return StreamingResponse(page.ctx.bus.subscribe(page.tenant), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
