"""One caller's walk through an IVR tree: a pure state machine (no I/O, no clock of its own).

The switch feeds it what happens (the walk starts, a prompt began playing and how long it lasts, a key
was pressed, time passed) and carries out what it answers (play a prompt, stop it, route the call, say
goodbye and hang up). Defaults, as `docs/ivr.md` states them:

- a key pressed while a prompt plays stops it (barge-in) and is acted on at once;
- a node waits `timeout_seconds` after its prompt ends; then its `no_input` branch, or when it has none
  the prompt again;
- a key the node does not map follows its `invalid_input` branch, or when it has none the prompt again;
- after 3 plays of the same node without a usable key, the caller hears goodbye and the call ends;
- a node that takes several digits (`max_digits` > 1, or an extension node) ends the input with `#`, its
  last digit, or a pause of INTER_DIGIT_SECONDS; the digits then pick the branch (or, for an extension
  node, the agent whose extension they are);
- an agent who does not take the call (not available, declined, rang out) brings the caller back to the
  node that rang it: its `no_answer` branch, or when it has none the prompt again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .model import IvrNode, IvrTarget, IvrTree, Prompt

MAX_PLAYS = 3  # plays of one node without a usable key before goodbye
INTER_DIGIT_SECONDS = 3.0  # after a digit of several, how long the node waits for the next

GOODBYE = {
    "vi": "Cảm ơn quý khách đã gọi. Xin chào và hẹn gặp lại.",
    "en": "Thank you for calling. Goodbye.",
}


@dataclass(frozen=True)
class Play:
    """Play the node's prompt to the caller."""

    node_id: str
    prompt: Prompt


@dataclass(frozen=True)
class StopPlaying:
    """Cut the prompt that plays (the caller pressed a key)."""


@dataclass(frozen=True)
class Leave:
    """The walk is over: route the call to `target` (a queue, an external number, an extension, hang-up)."""

    target: IvrTarget
    reason: str  # why it left: the key pressed, `no_input` or `invalid_input`


@dataclass(frozen=True)
class Goodbye:
    """No usable key after every repeat: say goodbye in `language`, then hang up (`reason`)."""

    language: str
    reason: str


Effect = Play | StopPlaying | Leave | Goodbye


def always_open() -> bool:
    return True


def no_agents(extension: str) -> str | None:
    return None


@dataclass
class IvrWalk:
    tree: IvrTree
    is_open: Callable[[], bool] = always_open  # the tenant's opening hours, asked when an hours node is entered
    agent_of: Callable[[str], str | None] = no_agents  # extension -> the tenant's agent with it
    node_id: str = ""
    digits: str = ""  # the digits of a multi-digit input so far
    plays: int = 0  # plays of the current node so far
    playing: bool = False
    deadline: float | None = None  # when the current node stops waiting for a key
    started_at: float = 0.0
    ended_at: float | None = None
    path: list[str] = field(default_factory=list)  # nodes entered, in order
    keys: list[str] = field(default_factory=list)  # keys pressed, in order

    @property
    def node(self) -> IvrNode:
        return next(n for n in self.tree.nodes if n.id == self.node_id)

    @property
    def over(self) -> bool:
        return self.ended_at is not None

    def start(self, now: float) -> list[Effect]:
        self.started_at = now
        return self._enter(self.tree.root_node_id, now)

    def prompt_started(self, seconds: float, now: float) -> None:
        """The prompt plays for `seconds` (0 when it could not play): the node waits after it."""
        if not self.over and not self.digits:  # a digit already pressed keeps its inter-digit pause
            self.deadline = now + seconds + self.node.timeout_seconds

    def prompt_ended(self, now: float) -> None:
        self.playing = False

    def key(self, key: str, now: float) -> list[Effect]:
        if self.over:
            return []
        self.keys.append(key)
        effects: list[Effect] = [StopPlaying()] if self.playing else []
        self.playing = False
        node = self.node
        if node.collects:
            if key == "#":
                return effects + self._digits_entered(now)
            self.digits += key
            if len(self.digits) >= node.max_digits:
                return effects + self._digits_entered(now)
            self.deadline = now + INTER_DIGIT_SECONDS
            return effects
        target = node.branch(key)
        if target is not None:
            return effects + self._follow(target, key, now)
        return effects + self._unusable("invalid_input", now)

    def tick(self, now: float) -> list[Effect]:
        if self.over or self.deadline is None or now < self.deadline:
            return []
        self.deadline = None
        if self.digits:
            return self._digits_entered(now)
        return self._unusable("no_input", now)

    def unanswered(self, now: float) -> list[Effect]:
        """The agent a branch rang did not take the call: back to that node, its `no_answer` branch."""
        if self.ended_at is None:
            return []
        self.ended_at = None
        return self._unusable("no_answer", now)

    def hung_up(self, now: float) -> None:
        """The caller left during the walk."""
        if not self.over:
            self.ended_at = now

    # -- inside --------------------------------------------------------------------------------------

    def _digits_entered(self, now: float) -> list[Effect]:
        digits, self.digits = self.digits, ""
        node = self.node
        if node.kind == "extension":
            agent_id = self.agent_of(digits) if digits else None
            if agent_id is None:
                return self._unusable("invalid_input", now)
            self.ended_at = now
            return [Leave(IvrTarget("agent", agent_id=agent_id), digits)]
        target = node.branch(digits or "#")
        if target is not None:
            return self._follow(target, digits or "#", now)
        return self._unusable("invalid_input", now)

    def _unusable(self, what: str, now: float) -> list[Effect]:
        target = self.node.branch(what)
        if target is not None:
            return self._follow(target, what, now)
        if self.plays >= MAX_PLAYS:
            self.ended_at = now
            return [Goodbye(self._language(), what)]
        return self._play(now)

    def _follow(self, target: IvrTarget, reason: str, now: float) -> list[Effect]:
        if target.type == "node" and target.node_id:
            return self._enter(target.node_id, now)
        self.ended_at = now
        return [Leave(target, reason)]

    def _enter(self, node_id: str, now: float) -> list[Effect]:
        self.node_id = node_id
        self.plays = 0
        self.path.append(node_id)
        if self.node.kind == "hours":
            state = "open" if self.is_open() else "closed"
            target = self.node.branch(state)
            if target is None or len(self.path) > 2 * len(self.tree.nodes):  # no branch, or a loop of hours nodes
                self.ended_at = now
                return [Leave(IvrTarget("hangup"), state)]
            return self._follow(target, state, now)
        return self._play(now)

    def _play(self, now: float) -> list[Effect]:
        self.digits = ""
        self.plays += 1
        self.playing = True
        self.deadline = None  # set when the prompt starts and its length is known
        return [Play(self.node_id, self.node.prompt)]

    def _language(self) -> str:
        prompt = self.node.prompt
        return prompt.language if prompt.language in GOODBYE else "vi"

    def seconds(self, now: float) -> float:
        """Seconds spent in the IVR so far (or in all, once it is over)."""
        return round((self.ended_at if self.ended_at is not None else now) - self.started_at, 3)
