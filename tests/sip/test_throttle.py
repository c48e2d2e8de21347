"""Digest failures per (source address, account): that pair is refused for a while after too many,
longer each time it happens again, and forgiven on success; other accounts on the address are not."""

from tongdai.sip.auth import Throttle

NAT = "203.0.113.9"


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_a_pair_is_refused_after_the_limit_of_failures_within_the_window_and_then_let_back():
    clock = Clock()
    t = Throttle(limit=3, window_s=60, block_s=30, clock=clock)
    for _ in range(2):
        t.failure(NAT, "an@demo")
    assert not t.blocked(NAT, "an@demo")
    t.failure(NAT, "an@demo")
    assert t.blocked(NAT, "an@demo")
    clock.now = 29.9
    assert t.blocked(NAT, "an@demo")
    clock.now = 30.0
    assert not t.blocked(NAT, "an@demo")


def test_a_guesser_behind_a_shared_address_locks_out_only_the_account_it_guesses():
    t = Throttle(limit=3, window_s=60, block_s=30, clock=Clock())
    for _ in range(3):
        t.failure(NAT, "an@demo")
    assert t.blocked(NAT, "an@demo")
    assert not t.blocked(NAT, "binh@demo")  # the colleague behind the same NAT
    assert not t.blocked("198.51.100.4", "an@demo")  # An's own phone from elsewhere


def test_each_new_block_of_the_same_pair_lasts_twice_as_long_up_to_the_most():
    clock = Clock()
    t = Throttle(limit=2, window_s=60, block_s=30, block_most_s=100, clock=clock)
    lengths = []
    for _ in range(4):
        start = clock.now
        t.failure(NAT, "an@demo")
        t.failure(NAT, "an@demo")
        while t.blocked(NAT, "an@demo"):
            clock.now += 1
        lengths.append(clock.now - start)
    assert lengths == [30, 60, 100, 100]


def test_failures_older_than_the_window_do_not_count():
    clock = Clock()
    t = Throttle(limit=3, window_s=60, block_s=30, clock=clock)
    t.failure(NAT, "a@x")
    t.failure(NAT, "a@x")
    clock.now = 61
    t.failure(NAT, "a@x")
    assert not t.blocked(NAT, "a@x")


def test_a_success_forgives_earlier_failures_and_blocks():
    clock = Clock()
    t = Throttle(limit=2, window_s=60, block_s=30, clock=clock)
    t.failure(NAT, "a@x")
    t.failure(NAT, "a@x")
    clock.now = 31  # served its block
    t.success(NAT, "a@x")
    t.failure(NAT, "a@x")
    assert not t.blocked(NAT, "a@x")
    t.failure(NAT, "a@x")
    assert t.blocked(NAT, "a@x") and t._blocked_until[(NAT, "a@x")] == 61  # a first block again: 30 s
