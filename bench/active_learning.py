"""Active learning curve on NCBI disease: picking by uncertainty vs at random, simulated annotators.

    .venv/bin/python bench/active_learning.py [--seeds 3] [--pool 1000] [--rounds 10] [--quick]
        [--embedding-texts project|biomedical] [--word2vec-passes N] [--batch-size N]

Sentences are tasks and the NCBI gold tags are the annotators. Each seed starts from 50 random
labelled sentences of the pool, then adds 50 per round, picked either by the product's
``uncertainty`` rule or at random, retrains NerDL from scratch (5 epochs, no validation split)
and scores entity F1 on the whole test split (940 sentences).

* Training parameters: annolab's NER defaults except the learning rate, 0.005 instead of
  NerDL's 0.001, and batches of 4 instead of 8. Five epochs of 50-500 sentences at 0.001 are a
  few hundred optimiser steps: the models stay under-trained and their F1 swings by 0.1-0.2 from
  one round to the next, which buries the difference between the strategies (3 seeds at 0.001:
  random's F1 at 500 labels 0.45; at 0.005: 0.62). Halving the batch doubles the steps again
  (3 seeds: uncertainty's F1 at 300 labels 0.604 -> 0.650, random's at 500 0.638 -> 0.651). A
  project sets both in its active-learning ``params`` (``learning_rate``, ``batch_size``), so
  the bench trains as such a project would.
* Pool: a fixed random subset (seeded once, the same for every seed) of the NCBI train split,
  because predicting all 5,432 train sentences every round costs about a minute per round on
  this 2-core machine (``--pool 5432`` does it; one seed to 300 labels did no better, see
  docs/benchmarks.md).
* Embeddings: one Word2Vec (100 dimensions) trained once and reused by every model, on every
  NCBI train + devel sentence text (unlabelled text is free in active learning) and every other
  biomedical text of shared/data (``bench/unlabelled_text.py``: 12,238 texts, 4x NCBI's words),
  with the product's number of passes for NCBI's texts (``word2vec_passes``: 15;
  ``--word2vec-passes 1`` gives Spark's single pass, the product's rule before 2026-11-26).
  These stand for the in-domain embeddings file a clinical team gives annolab (params
  ``embeddings: {"source": "file", "path": ...}``, the brief's second offline default; no
  PubMed-sized file can be downloaded here): real NER models never learn their vectors from the
  few thousand sentences of one project. ``--embedding-texts project`` learns from the NCBI
  texts alone, the product's default for a project without a file (the default here until
  2026-11-26; 3 seeds: uncertainty 0.001 short of the target, see docs/benchmarks.md).
* Uncertainty picking, as the product ranks tasks: the current model predicts the unlabelled
  pool (one ``NerPredictor`` load per round, which also scores the test split) and each sentence
  gets the certainty pre-annotation stores for a NER-only project, the sequence certainty of
  ``training.engine.predict`` (geometric mean of every token's confidence, entity or not); the
  50 least certain are labelled next (ties: lowest pool index, as the product breaks ties by
  lowest task id).
* Random picking: 50 pool sentences drawn with the seed.
* The 50-label model is the same for both strategies of a seed, so it is trained once.

Training data goes through the product's path: ``projects.tokenizer`` cuts the sentence text,
``projects.exports.bio_tags`` maps the gold character spans onto those tokens. Progress goes to
stderr; the table, the target verdict (does uncertainty reach random's F1 at the largest budget
with at most 300 labels?) go to stdout, the curve to var/bench/active_learning.png and the raw
per-seed scores to var/bench/active_learning.json (another folder with ``--out``, for a side
experiment beside a running bench). Never reads shared/data/holdout.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annolab.settings")
os.environ.setdefault("SECRET_KEY", "bench")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from bench.conll import ConllSentence, ncbi  # noqa: E402
from bench.unlabelled_text import biomedical_texts  # noqa: E402
from projects.exports import bio_tags  # noqa: E402
from projects.tokenizer import tokenize  # noqa: E402
from training.engine.embeddings import Embeddings, train_word2vec, word2vec_passes  # noqa: E402
from training.engine.metrics import entity_metrics_from_spans  # noqa: E402
from training.engine.ner import LabeledSentence, NerParams, train_ner  # noqa: E402
from training.engine.predict import NerPredictor, PredictedEntity, TextPrediction  # noqa: E402
from training.engine.session import start_spark  # noqa: E402

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

STRATEGIES = ("uncertainty", "random")
#: The issue's target: uncertainty matches random's F1 at the largest budget with this many labels.
TARGET_LABELS = 300
#: The pool is drawn once with this seed, whatever the run seeds are, so every seed and both
#: strategies pick from the same sentences.
POOL_SEED = 0
OUT_DIR = ROOT / "var" / "bench"

#: {strategy: [F1 after each round]} of one seed, and those of every seed.
Curves = dict[str, list[float]]
Results = dict[int, Curves]


_STARTED = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.perf_counter() - _STARTED:6.0f}s] {message}", file=sys.stderr, flush=True)


def results_stream() -> TextIO:
    """Standard output for the results alone; call before Spark starts.

    The JVM inherits the process's file descriptor 1 and NerDL prints its epoch lines there, ahead
    of the table. Pointing descriptor 1 at stderr before the JVM starts sends them to the progress
    log; the returned stream writes to the original standard output.
    """
    sys.stdout.flush()
    results = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    return results


# --- data ---------------------------------------------------------------------------------------


def labelled(sentence: ConllSentence) -> list[LabeledSentence]:
    """The gold sentence as training would see it: product tokens, spans mapped to BIO tags."""
    text, spans = sentence.text, sentence.spans()
    result = []
    for piece in tokenize(text):
        inside = [span for span in spans if span[0] < piece.end and span[1] > piece.start]
        tags, _ = bio_tags(piece.tokens, inside)
        result.append(LabeledSentence.from_sentence(piece, tags))
    return result


# --- prediction ---------------------------------------------------------------------------------


def certainty(prediction: TextPrediction) -> float:
    """The product's certainty of one sentence (a NER-only project): its sequence certainty.

    A text without tokens has none; it ranks last, as the product ranks tasks without one.
    """
    return 2.0 if prediction.certainty is None else prediction.certainty


def least_certain_first(certainties: dict[int, float]) -> list[int]:
    """Pool indices, the least certain first; ties by lowest index (the product: lowest task id)."""
    return sorted(certainties, key=lambda index: (certainties[index], index))


def f1(test: Sequence[ConllSentence], predicted: Sequence[list[PredictedEntity]]) -> float:
    metrics = entity_metrics_from_spans(
        (set(sentence.spans()) for sentence in test),
        ({(e.start, e.end, e.label) for e in entities} for entities in predicted),
    )
    return metrics.micro.f1


# --- the simulation -----------------------------------------------------------------------------


@dataclass
class Bench:
    spark: SparkSession
    embeddings: Embeddings
    pool: list[ConllSentence]
    pool_labelled: list[list[LabeledSentence]]
    test: list[ConllSentence]
    params: NerParams
    work: Path

    def train(self, picked: Sequence[int], *, seed: int, name: str) -> Path:
        model_dir = self.work / name
        train_ner(
            self.spark,
            sentences=[s for i in picked for s in self.pool_labelled[i]],
            embeddings=self.embeddings,
            params=replace(self.params, random_seed=seed),
            model_dir=model_dir,
            log_dir=self.work / "logs",
        )
        return model_dir

    def evaluate(self, model_dir: Path, unlabelled: Sequence[int]) -> tuple[float, list[int]]:
        """Test F1 and, when ``unlabelled`` is given, those pool indices least certain first."""
        predictor = NerPredictor(self.spark, model_dir)
        texts = [s.text for s in self.test] + [self.pool[i].text for i in unlabelled]
        predicted = predictor.predict_with_certainty(texts)
        score = f1(self.test, [p.entities for p in predicted[: len(self.test)]])
        certainties = {
            index: certainty(prediction)
            for index, prediction in zip(unlabelled, predicted[len(self.test) :], strict=True)
        }
        return score, least_certain_first(certainties)


def run_seed(
    bench: Bench,
    seed: int,
    *,
    start: int,
    step: int,
    rounds: int,
    done: Curves,
    save: Callable[[Curves], None],
) -> Curves:
    """F1 after each round for both strategies of one seed: {strategy: [f1 per round]}.

    Curves already complete in ``done`` (from ``--resume``) are kept; an unfinished one is run
    again from its start, since its picks depend on models that are gone. ``save`` gets the
    curves after every round.
    """
    curves = {strategy: f1s for strategy, f1s in done.items() if len(f1s) == rounds}
    todo = [strategy for strategy in STRATEGIES if strategy not in curves]
    if not todo:
        log(f"seed {seed}: done in an earlier run")
        return curves
    rng = random.Random(seed)
    initial = rng.sample(range(len(bench.pool)), start)
    model_dir = bench.train(initial, seed=seed, name=f"s{seed}-initial")
    chosen = set(initial)
    rest = [i for i in range(len(bench.pool)) if i not in chosen]
    first_f1, first_ranking = bench.evaluate(model_dir, rest if rounds > 1 else [])
    log(f"seed {seed}: {start} labels, F1 {first_f1:.4f} ({', '.join(todo)})")
    for strategy in todo:
        picked, scores, ranking = list(initial), [first_f1], first_ranking
        pick_rng = random.Random(seed * 1000 + 1)
        for round_number in range(2, rounds + 1):
            taken = set(picked)
            if strategy == "uncertainty":
                new = ranking[:step]
            else:
                new = pick_rng.sample([i for i in range(len(bench.pool)) if i not in taken], step)
            picked += new
            name = f"s{seed}-{strategy}-{len(picked)}"
            round_started = time.perf_counter()
            next_model = bench.train(picked, seed=seed, name=name)
            trained = time.perf_counter()
            unlabelled: list[int] = []
            if strategy == "uncertainty" and round_number < rounds:
                taken = set(picked)
                unlabelled = [i for i in range(len(bench.pool)) if i not in taken]
            score, ranking = bench.evaluate(next_model, unlabelled)
            scores.append(score)
            shutil.rmtree(next_model, ignore_errors=True)
            save({**curves, strategy: scores})
            # How many gold entities the new picks hold tells whether a strategy finds them.
            entities = sum(len(bench.pool[i].spans()) for i in new)
            log(
                f"seed {seed} {strategy:<11} {len(picked):>4} labels  F1 {score:.4f}  "
                f"(+{step} picked, {entities} gold entities; train "
                f"{trained - round_started:.0f}s, predict {time.perf_counter() - trained:.0f}s)"
            )
        curves[strategy] = scores
    shutil.rmtree(model_dir, ignore_errors=True)
    return curves


# --- report -------------------------------------------------------------------------------------


def summary(values: Sequence[float]) -> str:
    spread = statistics.pstdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.3f} ± {spread:.3f} ({min(values):.3f}–{max(values):.3f})"


def table(labels: Sequence[int], results: Results) -> str:
    seeds = sorted(results)
    header = "| labels | uncertainty F1 | random F1 |\n|---:|---|---|"
    rows = [header]
    for position, count in enumerate(labels):
        cells = [
            summary([results[seed][strategy][position] for seed in seeds])
            for strategy in STRATEGIES
        ]
        rows.append(f"| {count} | {cells[0]} | {cells[1]} |")
    return "\n".join(rows)


def means(labels: Sequence[int], results: Results, strategy: str) -> list[float]:
    return [
        statistics.mean(results[seed][strategy][position] for seed in results)
        for position in range(len(labels))
    ]


def verdict(labels: Sequence[int], results: Results) -> str:
    goal = means(labels, results, "random")[-1]
    if goal == 0:
        return f"Random's F1 at {labels[-1]} labels is 0: nothing to reach, no verdict."
    reached = next(
        (
            count
            for count, value in zip(labels, means(labels, results, "uncertainty"), strict=True)
            if value >= goal
        ),
        None,
    )
    where = (
        f"reaches it with {reached} labels"
        if reached is not None
        else f"does not reach it within {labels[-1]} labels"
    )
    met = reached is not None and reached <= TARGET_LABELS
    return (
        f"Random's mean F1 at {labels[-1]} labels is {goal:.3f}; uncertainty (mean over seeds) "
        f"{where}. Target (at most {TARGET_LABELS} labels): {'MET' if met else 'NOT MET'}."
    )


def plot(labels: Sequence[int], results: Results, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 5), dpi=120)
    for strategy, colour in zip(STRATEGIES, ("tab:blue", "tab:orange"), strict=True):
        per_seed = [[results[seed][strategy][p] for seed in results] for p in range(len(labels))]
        axes.fill_between(
            labels, [min(v) for v in per_seed], [max(v) for v in per_seed], color=colour, alpha=0.2
        )
        axes.plot(
            labels,
            [statistics.mean(v) for v in per_seed],
            marker="o",
            color=colour,
            label=f"{strategy} (mean, band = min–max over seeds)",
        )
    goal = means(labels, results, "random")[-1]
    axes.axhline(goal, color="grey", linestyle="--", linewidth=1, label=f"random at {labels[-1]}")
    axes.axvline(TARGET_LABELS, color="grey", linestyle=":", linewidth=1, label="target: 300")
    axes.set_xlabel("labelled sentences")
    axes.set_ylabel("entity F1 on the test split")
    axes.set_title(title, fontsize=10)
    axes.set_xticks(list(labels))
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)


# --- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=3, help="run seeds 1..N (default 3)")
    parser.add_argument("--pool", type=int, default=1000, help="pool sentences (default 1000)")
    parser.add_argument(
        "--rounds", type=int, default=10, help="trainings per curve: 50, 100, ... (default 10)"
    )
    parser.add_argument("--start", type=int, default=50, help="labels of the first round")
    parser.add_argument("--step", type=int, default=50, help="labels added per round")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--learning-rate", type=float, default=0.005)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument(
        "--word2vec-passes",
        type=int,
        help="passes of Word2Vec over the texts (default: the product's rule, 15 here)",
    )
    parser.add_argument(
        "--embedding-texts",
        choices=("project", "biomedical"),
        default="biomedical",
        help="what Word2Vec learns from: the NCBI train+devel texts and the other biomedical "
        "texts of shared/data (bench/unlabelled_text.py; default), or the NCBI texts alone",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 1 seed, pool 300, 3 rounds of 20 from 20, 1 epoch, 200 test sentences",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep the complete curves of var/bench/active_learning.json (same setup only)",
    )
    parser.add_argument(
        "--out", type=Path, default=OUT_DIR, help="folder of the JSON and the plot (var/bench)"
    )
    args = parser.parse_args()
    test = ncbi("test")
    if args.quick:
        args.seeds, args.pool, args.rounds, args.epochs = 1, 300, 3, 1
        args.start = args.step = 20
        test = test[:200]
    train, devel = ncbi("train"), ncbi("devel")
    if args.start + args.step * (args.rounds - 1) > args.pool:
        parser.error("the pool is smaller than the last round's labels")
    pool = random.Random(POOL_SEED).sample(train, args.pool)
    labels = [args.start + args.step * r for r in range(args.rounds)]
    texts = [s.text for s in train + devel]
    # The pass count follows the project's texts in both cases, so NCBI's words get the same
    # training and the other texts only add to it.
    passes = args.word2vec_passes or word2vec_passes(texts)
    if args.embedding_texts == "biomedical":
        texts += biomedical_texts()
    setup = (
        f"NCBI disease: pool of {len(pool)} of {len(train)} train sentences (fixed, seed "
        f"{POOL_SEED}), {len(test)} test sentences, labels {labels[0]}..{labels[-1]} by "
        f"{args.step}, {args.epochs} epochs per model (learning rate {args.learning_rate}, "
        f"batch {args.batch_size}), Word2Vec 100d on "
        f"{len(texts)} {'train+devel' if args.embedding_texts == 'project' else 'biomedical'} "
        f"texts, {passes} passes"
    )  # without the seed count, so --resume can add seeds to a finished run
    log(setup)

    raw_path = args.out / "active_learning.json"
    results: Results = {}
    if args.resume and raw_path.exists():
        saved = json.loads(raw_path.read_text())
        if saved["setup"] != setup:
            sys.exit(f"{raw_path} holds another setup: {saved['setup']}")
        results = {int(seed): curves for seed, curves in saved["f1"].items()}
    args.out.mkdir(parents=True, exist_ok=True)

    def save(seed: int, curves: Curves) -> None:
        # After every round, so a run cut short (a shared machine) keeps what it finished.
        results[seed] = curves
        raw_path.write_text(json.dumps({"setup": setup, "labels": labels, "f1": results}))

    out = results_stream()
    started = time.perf_counter()
    spark = start_spark(
        master=settings.SPARK_MASTER,
        driver_memory=settings.SPARK_DRIVER_MEMORY,
        jars_dir=settings.SPARK_JARS_DIR,
        app_name="bench-active-learning",
    )
    with tempfile.TemporaryDirectory(prefix="bench-al-") as work:
        embeddings = train_word2vec(spark, texts, dimension=100, passes=passes)
        log("Word2Vec trained")
        bench = Bench(
            spark=spark,
            embeddings=embeddings,
            pool=pool,
            pool_labelled=[labelled(s) for s in pool],
            test=test,
            params=NerParams(
                epochs=args.epochs,
                learning_rate=args.learning_rate,
                batch_size=args.batch_size,
                validation_split=0.0,
            ),
            work=Path(work),
        )
        for seed in range(1, args.seeds + 1):
            results[seed] = run_seed(
                bench,
                seed,
                start=args.start,
                step=args.step,
                rounds=args.rounds,
                done=results.get(seed, {}),
                save=lambda curves, seed=seed: save(seed, curves),
            )
    spark.stop()
    minutes = (time.perf_counter() - started) / 60

    plot_path = args.out / "active_learning.png"
    plot(
        labels,
        results,
        plot_path,
        f"Active learning on NCBI disease (pool {len(pool)}, {args.seeds} seeds, "
        f"{args.epochs} epochs)",
    )
    print(f"{setup}, seeds 1..{args.seeds}", file=out)
    print(
        "F1 = entity-level micro F1 on the test split; mean ± std (min–max) over seeds.\n", file=out
    )
    print(table(labels, results), file=out)
    print(file=out)
    print(verdict(labels, results), file=out)
    print(f"Wall time {minutes:.0f} min. Plot: {plot_path}", file=out)
    out.close()


if __name__ == "__main__":
    main()
