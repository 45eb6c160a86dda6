"""Does pre-annotation help? The share of predicted regions annotators keep, per model version.

    .venv/bin/python bench/usefulness.py [--seeds 3] [--quick]

The model versions are ``bench/ncbi_rounds.py``'s (rounds of 50 NCBI labels up to 500, 3 seeds),
trained once and shared with ``bench/deploy_policy.py``. Each version pre-annotates the next
round's 50 sentences; a simulated annotator starts from those regions, accepts the correct ones
and fixes the rest, so the completion they submit is the gold annotation. The product's rule
(``projects.prediction_diff.match_spans``, the one the review page and
``GET /api/models/{name}/usefulness`` use) then counts each predicted region as kept, changed
(relabelled or moved boundary) or deleted, and each gold region without a prediction as added.

Prints, per number of training labels, the mean over seeds of: predicted regions, the share kept,
changed and deleted, and the gold regions the annotator had to add; and the model's judge F1 on
the test split, to read the share against the model's quality.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.active_learning import results_stream  # noqa: E402 - also sets Django up
from bench.ncbi_rounds import Setup, pool_sentences, region, rounds  # noqa: E402
from projects.prediction_diff import Outcome, match_spans, spans_of  # noqa: E402


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
    out = results_stream()
    result = rounds(setup)
    pool = pool_sentences(setup)
    seeds = sorted(result["seeds"], key=int)[: setup.seeds]
    every = lambda label: True  # noqa: E731 - NCBI has one label, Disease

    rows: dict[int, list[dict[str, float]]] = {}
    for seed in seeds:
        for version in result["seeds"][seed]:
            counts = dict.fromkeys(Outcome, 0)
            for index, predicted in zip(
                version["next_sentences"], version["next_predictions"], strict=True
            ):
                text = pool[index].text
                proposal = [region(text, *span, n) for n, span in enumerate(predicted)]
                gold = [region(text, *span, n) for n, span in enumerate(pool[index].spans())]
                for match in match_spans(spans_of(proposal, every), spans_of(gold, every)):
                    counts[match.outcome] += 1
            predicted_regions = (
                counts[Outcome.KEPT] + counts[Outcome.CHANGED] + counts[Outcome.DELETED]
            )
            total = predicted_regions or 1  # no prediction at all: every share is 0
            rows.setdefault(version["labels"], []).append(
                {
                    "predicted": predicted_regions,
                    "kept": counts[Outcome.KEPT] / total,
                    "changed": counts[Outcome.CHANGED] / total,
                    "deleted": counts[Outcome.DELETED] / total,
                    "added": counts[Outcome.ADDED],
                    "judge_f1": version["judge_f1"],
                }
            )

    def mean(labels: int, key: str) -> float:
        return statistics.mean(row[key] for row in rows[labels])

    print(
        f"NCBI disease, {len(seeds)} seeds; each version pre-annotates the next {setup.step} "
        "sentences; the simulated annotator submits the gold regions (means over seeds)\n",
        file=out,
    )
    print(
        "| labels | judge F1 | predicted regions | kept | changed | deleted | added by hand |",
        file=out,
    )
    print("|---:|---:|---:|---:|---:|---:|---:|", file=out)
    for labels in sorted(rows):
        print(
            f"| {labels} | {mean(labels, 'judge_f1'):.3f} | {mean(labels, 'predicted'):.1f} "
            f"| {mean(labels, 'kept'):.0%} | {mean(labels, 'changed'):.0%} "
            f"| {mean(labels, 'deleted'):.0%} | {mean(labels, 'added'):.1f} |",
            file=out,
        )


if __name__ == "__main__":
    main()
