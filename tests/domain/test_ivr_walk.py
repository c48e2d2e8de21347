"""The IVR walk, step by step, without SIP: keys, barge-in, timeouts, repeats, goodbye."""

from tongdai.domain.ivr import MAX_PLAYS, Goodbye, IvrWalk, Leave, Play, StopPlaying
from tongdai.domain.model import IvrNode, IvrTarget, IvrTree, Prompt

SALES, SUPPORT = IvrTarget("queue", queue_id="qu_sales"), IvrTarget("queue", queue_id="qu_support")
MENU = IvrNode("menu", Prompt("tts", "Bấm 1 để gặp bộ phận bán hàng, bấm 2 để được hỗ trợ."),
               branches=(("1", SALES), ("2", IvrTarget("node", node_id="support")), ("0", IvrTarget("hangup"))),
               timeout_seconds=5)
SUPPORT_MENU = IvrNode("support", Prompt("tts", "Press 1 for billing.", language="en"),
                       branches=(("1", SUPPORT), ("no_input", SUPPORT), ("invalid_input", IvrTarget("node",
                                                                                                   node_id="menu"))),
                       timeout_seconds=3)
TREE = IvrTree("iv_main", "te_1", "Main", "menu", (MENU, SUPPORT_MENU))


def walk() -> tuple[IvrWalk, list]:
    w = IvrWalk(TREE)
    return w, w.start(0.0)


def test_the_root_prompt_plays_and_a_key_during_it_stops_it_and_routes_the_call():
    w, effects = walk()
    assert effects == [Play("menu", MENU.prompt)]
    w.prompt_started(8.0, 0.1)
    assert w.key("1", 2.0) == [StopPlaying(), Leave(SALES, "1")]
    assert w.over and w.path == ["menu"] and w.keys == ["1"] and w.seconds(99) == 2.0


def test_a_key_to_another_node_plays_that_node():
    w, _ = walk()
    w.prompt_started(8.0, 0.1)
    w.prompt_ended(8.1)
    assert w.key("2", 9.0) == [Play("support", SUPPORT_MENU.prompt)]
    assert w.path == ["menu", "support"] and not w.over


def test_no_input_follows_its_branch_and_otherwise_repeats_the_prompt_then_says_goodbye():
    w, _ = walk()
    w.prompt_started(8.0, 0.0)
    assert w.tick(12.9) == []  # 8 s of prompt + 5 s of waiting
    for n in range(2, MAX_PLAYS + 1):
        assert w.tick(13.0 * (n - 1)) == [Play("menu", MENU.prompt)], n
        w.prompt_started(8.0, 13.0 * (n - 1))
    assert w.tick(13.0 * MAX_PLAYS) == [Goodbye("vi", "no_input")]
    assert w.over and w.key("1", 50) == []  # a digit after the end changes nothing
    w, _ = walk()
    w.key("2", 1.0)
    w.prompt_started(2.0, 1.0)
    assert w.tick(6.0) == [Leave(SUPPORT, "no_input")]


def test_an_unmapped_key_follows_invalid_input_or_repeats_the_prompt():
    w, _ = walk()
    w.prompt_started(8.0, 0.0)
    assert w.key("7", 1.0) == [StopPlaying(), Play("menu", MENU.prompt)]
    w, _ = walk()
    w.key("2", 1.0)
    w.prompt_started(2.0, 1.0)
    assert w.key("9", 1.5) == [StopPlaying(), Play("menu", MENU.prompt)]  # invalid_input: back to the menu
    assert w.path == ["menu", "support", "menu"]


def test_a_prompt_that_could_not_play_still_waits_for_a_key():
    w, _ = walk()
    w.prompt_started(0.0, 0.0)
    assert w.tick(5.0) == [Play("menu", MENU.prompt)]


def test_hang_up_during_the_walk_ends_it():
    w, _ = walk()
    w.hung_up(3.0)
    assert w.over and w.tick(100) == [] and w.seconds(100) == 3.0


def test_an_hours_node_follows_open_or_closed_at_once():
    hours = IvrNode("hours", Prompt("tts", "-"), kind="hours",
                    branches=(("open", IvrTarget("node", node_id="menu")), ("closed", IvrTarget("hangup"))))
    tree = IvrTree("iv_h", "te_1", "Hours", "hours", (hours, MENU, SUPPORT_MENU))
    open_walk = IvrWalk(tree, is_open=lambda: True)
    assert open_walk.start(0.0) == [Play("menu", MENU.prompt)] and open_walk.path == ["hours", "menu"]
    closed_walk = IvrWalk(tree, is_open=lambda: False)
    assert closed_walk.start(0.0) == [Leave(IvrTarget("hangup"), "closed")] and closed_walk.over
