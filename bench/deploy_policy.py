"""Deploy ``true`` against ``"if_better"`` over labeling rounds on NCBI disease.

    .venv/bin/python bench/deploy_policy.py [--seeds 3] [--quick]

The model versions are ``bench/ncbi_rounds.py``'s (rounds of 50 labels up to 500, 3 seeds; a
test set of 200 train sentences; the fixed NCBI test split as the judge). Each policy walks the
same versions round by round:

* ``true``: every new version is deployed;
* ``"if_better"``: a new version replaces the deployed one only when its test-set micro-F1 is at
  least the deployed one's on the same set — the product's rule itself,
  ``training.deploy_policy.decide``.

Printed per policy: how often the deployed model's judge F1 dropped from one round to the next
(a drop = lower by more than 0.005, so rounding noise does not count), the mean size of those
drops, and the final deployed judge F1, each over the seeds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.active_learning import results_stream
from bench.ncbi_rounds import Setup, rounds
from training.deploy_policy import decide
from training.models import DeployPolicy, NlpModel

#: A drop smaller than this is noise of the judge's rounding, not a worse deployed model.
DROP = 0.005


def walk(versions: list[dict[str, Any]], policy: str) -> list[dict[str, Any]]:
    """The deployed version after each round under ``policy``."""
    deployed: dict[str, Any] | None = None
    history = []
    for version in versions:
        model = NlpModel(
            name=f"v{version['labels']}", type="ner", test_metrics=version["test_metrics"]
        )
        rivals = []
        if deployed is not None:
            rivals = [
                NlpModel(
                    name=f"v{deployed['labels']}", type="ner", test_metrics=deployed["test_metrics"]
                )
            ]
        decision = decide(
            policy=policy,
            model=model,
            rivals=rivals,
            fingerprint=version["test_metrics"]["fingerprint"],
        )
        if decision.deployed or deployed is None:
            deployed = version
        history.append(deployed)
    return history


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="1 seed, 3 rounds of 20, 1 epoch")
    args = parser.parse_args()
    setup = Setup(seeds=args.seeds)
    if args.quick:
        setup = Setup(seeds=1, start=20, step=20, last=60, epochs=1, judge=200)
    out = results_stream()  # NerDL's epoch lines go to stderr, the tables to stdout
    result = rounds(setup)
    seeds = sorted(result["seeds"], key=int)[: setup.seeds]
    policies = {"deploy: true": DeployPolicy.ALWAYS, 'deploy: "if_better"': DeployPolicy.IF_BETTER}
    print(
        f"NCBI disease, {len(seeds)} seeds, labels {setup.labels[0]}..{setup.labels[-1]} by "
        f"{setup.step}; test set {setup.test_set} train sentences; judge: the test split",
        file=out,
    )
    print("\n| seed | labels | new version judge F1 | its test-set F1 |", file=out)
    print("|---:|---:|---:|---:|", file=out)
    for seed in seeds:
        for v in result["seeds"][seed]:
            print(
                f"| {seed} | {v['labels']} | {v['judge_f1']:.3f} "
                f"| {v['test_metrics']['micro']['f1']:.3f} |",
                file=out,
            )
    print(
        "\n| policy | rounds where the deployed judge F1 dropped | mean drop "
        "| final deployed judge F1 | deployments |",
        file=out,
    )
    print("|---|---:|---:|---:|---:|", file=out)
    for title, policy in policies.items():
        drops, sizes, finals, swaps = 0, [], [], 0
        transitions = 0
        for seed in seeds:
            history = walk(result["seeds"][seed], policy)
            for before, after in zip(history, history[1:], strict=False):
                transitions += 1
                if after is not before:
                    swaps += 1
                if after["judge_f1"] < before["judge_f1"] - DROP:
                    drops += 1
                    sizes.append(before["judge_f1"] - after["judge_f1"])
            finals.append(history[-1]["judge_f1"])
        mean_drop = f"{statistics.mean(sizes):.3f}" if sizes else "–"
        final = f"{statistics.mean(finals):.3f} ({', '.join(f'{f:.3f}' for f in finals)})"
        print(f"| {title} | {drops} of {transitions} | {mean_drop} | {final} | {swaps} |", file=out)
    if "minutes" in result:
        print(
            f"\nTrainings: {result['minutes']} min (cached in var/bench/ncbi_rounds.json).",
            file=out,
        )


if __name__ == "__main__":
    main()
