"""A small configuration snapshot built from domain objects, for tests of routing and queueing that
run without SIP peers or a database."""

from __future__ import annotations

from dataclasses import replace

from tongdai.domain.directory import Directory
from tongdai.domain.model import Agent, Hotline, MaxWaitAction, Queue, QueueGroup, Tenant, Trunk

TENANT = Tenant("te_shop", "Shop", "shop.tongdai.local")
OTHER = Tenant("te_other", "Other", "other.tongdai.local")
TRUNK = Trunk("tr_carrier", "Carrier", "127.0.0.1", 5070, source_addresses=("10.0.0.1",))
SALES = Queue("qu_sales", TENANT.id, "Sales", groups=(QueueGroup("gr_sales", 1),), ring_timeout_seconds=20,
              max_wait_seconds=60)
LINE = Hotline("hl_main", TENANT.id, "carrier", "VN", "mobile", "+84981234567", "Main", queue_id=SALES.id,
               trunk_id=TRUNK.id, carrier="viettel", wrap_up_seconds=15, notify_answer_seconds=30,
               outbound_enabled=True)
IVR_LINE = Hotline("hl_ivr", TENANT.id, "carrier", "VN", "toll_free", "+8418001234", "Menu", ivr_enabled=True,
                   ivr_tree_id="iv_menu", trunk_id=TRUNK.id)
AN = Agent("ag_an", TENANT.id, "An", "an", "101", groups=("gr_sales",))
BINH = Agent("ag_binh", TENANT.id, "Binh", "binh", "102", groups=("gr_sales",))


def directory(*, queues=(SALES,), hotlines=(LINE, IVR_LINE), agents=(AN, BINH)) -> Directory:
    return Directory.build(tenants=[TENANT, OTHER], agents=list(agents), trunks=[TRUNK], hotlines=list(hotlines),
                           adaptive_numbers=[], operator_ported={}, tenant_ported={}, queues=list(queues))


def with_overflow(queue: Queue, action: MaxWaitAction) -> Queue:
    return replace(queue, max_wait_action=action)
