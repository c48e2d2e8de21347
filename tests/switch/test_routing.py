"""Where an INVITE goes, decided on the configuration snapshot alone: milliseconds, no SIP peers."""

from dataclasses import replace

from tongdai.domain.routing import Inbound, Internal, Outbound, Refusal, route_invite

from .world import AN, BINH, IVR_LINE, LINE, SALES, TENANT, directory

CARRIER = ("10.0.0.1", 5060)
PHONE = ("127.0.0.1", 5080)


def test_a_carriers_call_to_a_hotline_goes_to_its_queue():
    route = route_invite(directory(), CARRIER, "0912345678", "carrier.example", "0981234567")
    assert route == Inbound(LINE, "+84912345678", SALES.id, "+84912345678")


def test_a_caller_whose_number_does_not_parse_is_kept_as_sent_and_shown_as_anonymous():
    route = route_invite(directory(), CARRIER, "anonymous", "carrier.example", "+84981234567")
    assert isinstance(route, Inbound) and (route.customer_number, route.caller) == ("anonymous", "")


def test_a_number_that_is_no_hotline_on_that_trunk_is_404():
    route = route_invite(directory(), CARRIER, "0912345678", "carrier.example", "0999999999")
    assert isinstance(route, Refusal) and (route.status, route.code, route.hotline) == (404, "no_hotline", None)


def test_a_hotline_with_ivr_on_is_refused_and_kept_in_the_call_log():
    route = route_invite(directory(), CARRIER, "0912345678", "carrier.example", "18001234")
    assert isinstance(route, Refusal)
    assert (route.status, route.code, route.hotline) == (480, "ivr_not_available", IVR_LINE)


def test_a_hotline_whose_queue_is_not_in_the_snapshot_is_refused_queue_not_available():
    route = route_invite(directory(queues=()), CARRIER, "0912345678", "carrier.example", "0981234567")
    assert isinstance(route, Refusal) and (route.status, route.code) == (480, "queue_not_available")
    orphan = replace(LINE, queue_id=None)
    route = route_invite(directory(hotlines=(orphan,)), CARRIER, "0912345678", "x", "0981234567")
    assert isinstance(route, Refusal) and route.code == "queue_not_available"


def test_an_agent_dialling_an_extension_of_its_tenant_is_an_internal_call():
    route = route_invite(directory(), PHONE, "an", TENANT.sip_domain, BINH.extension)
    assert route == Internal(TENANT.sip_domain, TENANT.id, "an", BINH.extension, BINH.id)


def test_an_agent_dialling_a_number_is_an_outbound_call():
    route = route_invite(directory(), PHONE, "an", TENANT.sip_domain, "0987654321")
    assert route == Outbound(TENANT.sip_domain, TENANT.id, "an", "0987654321")


def test_a_softphone_using_the_servers_address_as_domain_is_refused_like_any_unknown_domain():
    """Deriving the tenant from a unique username let one tenant lock out another's agent and told a
    prober which usernames exist (D9, D15): an unknown username and a known one get the same answer."""
    known = route_invite(directory(), PHONE, "an", "127.0.0.1", "0987654321")
    unknown = route_invite(directory(), PHONE, "nobody", "127.0.0.1", "0987654321")
    assert isinstance(known, Refusal) and isinstance(unknown, Refusal)
    assert (known.status, known.code) == (unknown.status, unknown.code) == (403, "unknown_sender")


def test_an_ip_only_trunk_source_never_takes_an_agents_call_from_the_same_address():
    """The carrier's address lists its host alone; an agent's phone on that host (behind the same NAT)
    calls from the tenant's domain and is routed as the agent, to be challenged."""
    d = directory()
    trunk = next(iter(d.trunks.values()))
    shared = replace(d, trunks_by_source={**d.trunks_by_source, "192.0.2.50": (trunk.id,)})
    agent = route_invite(shared, ("192.0.2.50", 5062), "an", TENANT.sip_domain, "0987654321")
    assert agent == Outbound(TENANT.sip_domain, TENANT.id, "an", "0987654321")
    carrier = route_invite(shared, ("192.0.2.50", 5060), "0912345678", "192.0.2.50", "0981234567")
    assert isinstance(carrier, Inbound)


def test_an_unknown_sender_is_refused_403():
    route = route_invite(directory(), PHONE, "mallory", "evil.example", "0987654321")
    assert isinstance(route, Refusal) and (route.status, route.code) == (403, "unknown_sender")


def test_an_agent_never_reaches_another_tenants_extension():
    other_agent = replace(AN, id="ag_other", tenant_id="te_other", sip_username="chi", extension="201")
    d = directory(agents=(AN, BINH, other_agent))
    route = route_invite(d, PHONE, "an", TENANT.sip_domain, "201")
    assert isinstance(route, Outbound)


def test_trunk_health_from_options_answers_and_silence():
    from tongdai.switch.trunks import TrunkMonitor
    now = [0.0]
    sent: list[tuple[str, int, object]] = []
    monitor = TrunkMonitor(lambda host, port, cb: sent.append((host, port, cb)) or True, interval=30, timeout=5,
                           clock=lambda: now[0])
    d = directory()
    trunk = next(iter(d.trunks.values()))
    monitor.tick(d)
    assert len(sent) == 1 and monitor.reachable(trunk.id) and monitor.view()[trunk.id]["state"] == "unknown"
    now[0] = 5.5
    monitor.tick(d)  # silent for longer than the timeout
    assert not monitor.reachable(trunk.id) and monitor.view()[trunk.id]["state"] == "down"
    sent[0][2](408)  # sippy's own timeout arrives later: already judged, nothing changes
    now[0] = 30.0
    monitor.tick(d)
    assert len(sent) == 2
    sent[1][2](404)  # any answer means the carrier is there
    assert monitor.reachable(trunk.id) and monitor.view()[trunk.id]["last_status"] == 404
    monitor.unanswered_invite(trunk.id)
    assert not monitor.reachable(trunk.id)


def test_a_hotline_with_ivr_on_and_its_tree_goes_to_the_ivr():
    from tongdai.domain.model import IvrNode, IvrTree, Prompt
    from tongdai.domain.routing import IvrInbound
    tree = IvrTree("iv_menu", TENANT.id, "Menu", "m", (IvrNode("m", Prompt("tts", "Xin chào")),))
    d = directory()
    with_tree = replace(d, ivr_trees={tree.id: tree})
    route = route_invite(with_tree, CARRIER, "0912345678", "carrier.example", "18001234")
    assert route == IvrInbound(IVR_LINE, "+84912345678", "iv_menu", "+84912345678")
