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


# -- several digits: a code, an extension -----------------------------------------------------------

AN = IvrTarget("agent", agent_id="ag_an")
CODES = IvrNode("codes", Prompt("tts", "Nhập mã đơn hàng gồm ba chữ số."), max_digits=3,
                branches=(("123", SALES), ("9", SUPPORT), ("#", IvrTarget("hangup"))))
EXTENSION = IvrNode("ext", Prompt("tts", "Xin nhập số máy lẻ, kết thúc bằng phím thăng."), kind="extension",
                    max_digits=6, branches=(("no_answer", SUPPORT),))
DIRECT = IvrNode("direct", Prompt("tts", "Bấm 1 để gặp anh An."), branches=(("1", AN),))


def walk_of(*nodes: IvrNode, agents: dict[str, str] | None = None) -> tuple[IvrWalk, list]:
    w = IvrWalk(IvrTree("iv_x", "te_1", "X", nodes[0].id, nodes), agent_of=(agents or {}).get)
    return w, w.start(0.0)


def test_a_code_is_taken_digit_by_digit_and_ends_with_its_last_digit_a_pound_or_a_pause():
    w, _ = walk_of(CODES)
    w.prompt_started(4.0, 0.0)
    assert w.key("1", 1.0) == [StopPlaying()]
    assert w.key("2", 1.5) == [] and not w.over
    assert w.key("3", 2.0) == [Leave(SALES, "123")]  # three digits: no need to wait
    w, _ = walk_of(CODES)
    w.prompt_started(4.0, 0.0)
    w.key("9", 5.0)
    assert w.key("#", 6.0) == [Leave(SUPPORT, "9")]
    w, _ = walk_of(CODES)
    w.prompt_started(4.0, 0.0)
    w.key("9", 5.0)
    assert w.tick(7.9) == []  # a pause shorter than INTER_DIGIT_SECONDS: still typing
    assert w.tick(8.0) == [Leave(SUPPORT, "9")]
    w, _ = walk_of(CODES)
    w.prompt_started(4.0, 0.0)
    assert w.key("#", 5.0) == [StopPlaying(), Leave(IvrTarget("hangup"), "#")]  # `#` alone: its own branch


def test_a_code_that_matches_nothing_is_invalid_input_and_the_prompt_plays_again():
    w, _ = walk_of(CODES)
    w.prompt_started(4.0, 0.0)
    for key in "45":
        w.key(key, 5.0)
    assert w.key("#", 5.5) == [Play("codes", CODES.prompt)]
    assert w.digits == "" and w.keys == ["4", "5", "#"]


def test_an_extension_rings_its_agent_and_an_unknown_one_is_invalid_input():
    w, _ = walk_of(EXTENSION, agents={"101": "ag_an"})
    w.prompt_started(3.0, 0.0)
    for key in "101":
        w.key(key, 4.0)
    assert w.key("#", 4.5) == [Leave(AN, "101")]
    w, _ = walk_of(EXTENSION, agents={"101": "ag_an"})
    w.prompt_started(3.0, 0.0)
    w.key("1", 1.0)
    w.key("0", 1.2)
    assert w.tick(4.2) == [Play("ext", EXTENSION.prompt)]  # "10" is nobody's extension


def test_an_agent_who_does_not_answer_brings_the_caller_back_to_the_node_that_rang_it():
    w, _ = walk_of(DIRECT)
    w.prompt_started(2.0, 0.0)
    assert w.key("1", 1.0) == [StopPlaying(), Leave(AN, "1")] and w.over
    assert w.unanswered(21.0) == [Play("direct", DIRECT.prompt)]  # no no_answer branch: the prompt again
    assert not w.over and w.key("1", 22.0) == [StopPlaying(), Leave(AN, "1")]
    w, _ = walk_of(EXTENSION, agents={"101": "ag_an"})
    w.prompt_started(3.0, 0.0)
    for key in "101#":
        w.key(key, 4.0)
    assert w.unanswered(25.0) == [Leave(SUPPORT, "no_answer")]
