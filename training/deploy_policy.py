"""``deploy``: what a run does with the models it trained, and the rule of ``"if_better"``.

api.md: ``deploy`` is ``false``, ``true`` or ``"if_better"`` (training runs and active-learning
settings); stored as a ``DeployPolicy``. With ``"if_better"`` a new model replaces the deployed
models of its type that it would take over (``training.deployed.replaced_by``) only when its
micro-F1 on the project's frozen test set is at least each of theirs, measured on the same
completions (equal ``fingerprint``); the child re-scores a deployed model whose score is from
another version of the set before it compares. Every model of a run gets a decision and a
one-sentence reason, stored in the run's ``results``.

Pure Python and plain ORM reads: the web process checks a request with it, the child decides
with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from annolab.errors import ValidationFailed
from projects.models import Project
from projects.selection import has_test_set
from training.models import DeployPolicy, NlpModel

_FROM_API: dict[Any, DeployPolicy] = {
    False: DeployPolicy.NEVER,
    True: DeployPolicy.ALWAYS,
    "if_better": DeployPolicy.IF_BETTER,
}


def parse_deploy(value: Any, *, field: str = "deploy") -> DeployPolicy:
    """api.md's value (``true``, ``false``, ``"if_better"``) as a policy, else a 400 naming it."""
    # ``1 == True`` in Python: only real booleans and the one string are accepted.
    if isinstance(value, bool) or value == "if_better":
        return _FROM_API[value]
    message = 'Must be true, false or "if_better".'
    raise ValidationFailed.for_field(field, message)


def as_policy(value: Any) -> DeployPolicy:
    """A stored policy (``"never"``, ``"always"``, ``"if_better"``) or api.md's value."""
    if isinstance(value, str) and value in DeployPolicy.values:
        return DeployPolicy(value)
    return parse_deploy(value)


def api_value(policy: str) -> bool | str:
    """The policy as api.md shows it: ``true``, ``false`` or ``"if_better"``."""
    if policy == DeployPolicy.IF_BETTER:
        return "if_better"
    return policy == DeployPolicy.ALWAYS


def require_test_set(policy: str, project: Project, *, field: str = "deploy") -> None:
    """``"if_better"`` compares on the test set: without one it is refused at request time."""
    if policy != DeployPolicy.IF_BETTER or has_test_set(project):
        return
    if project.test_tag:
        message = (
            f'"if_better" compares models on the test set, and no task tagged '
            f"'{project.test_tag}' has a completion selected for it yet."
        )
    else:
        message = '"if_better" compares models on the test set, and the project has no test tag.'
    raise ValidationFailed(message, [{"field": field, "message": message}])


@dataclass(frozen=True)
class Decision:
    deployed: bool
    reason: str


def f1_on_test_set(model: NlpModel, fingerprint: str) -> float | None:
    """The model's test-set micro-F1 when it was measured on this version of the set."""
    scores = model.test_metrics or {}
    if scores.get("fingerprint") != fingerprint:
        return None
    value = (scores.get("micro") or {}).get("f1")
    return value if isinstance(value, int | float) else None


def decide(
    *, policy: str, model: NlpModel, rivals: Sequence[NlpModel], fingerprint: str | None
) -> Decision:
    """Whether ``model`` is deployed, and why (one sentence for the run's ``results``).

    ``rivals`` are the deployed models it would replace; ``fingerprint`` is today's test set
    (None: the project has none). A rival without a score on that set (it could not be
    re-scored: e.g. its folder is gone) does not block a model that has one.
    """
    if policy == DeployPolicy.NEVER:
        return Decision(False, "not deployed: deploy is false")
    if policy == DeployPolicy.ALWAYS:
        return Decision(True, "deployed: deploy is true")
    if fingerprint is None:
        return Decision(False, "not deployed: the project has no test set to compare on")
    new = f1_on_test_set(model, fingerprint)
    if new is None:
        return Decision(False, "not deployed: it could not be scored on the test set")
    scored = [(rival, f1_on_test_set(rival, fingerprint)) for rival in rivals]
    compared = [(rival, f1) for rival, f1 in scored if f1 is not None]
    if not rivals:
        return Decision(True, f"deployed: test F1 {new:.3f}, no {model.type} model was deployed")
    if not compared:
        names = ", ".join(rival.name for rival in rivals)
        return Decision(True, f"deployed: test F1 {new:.3f}, {names} could not be scored")
    best_rival, best = max(compared, key=lambda pair: pair[1])
    if new >= best:
        return Decision(
            True, f"deployed: test F1 {new:.3f} ≥ deployed {best:.3f} ({best_rival.name})"
        )
    return Decision(
        False, f"not deployed: test F1 {new:.3f} < deployed {best:.3f} ({best_rival.name})"
    )
