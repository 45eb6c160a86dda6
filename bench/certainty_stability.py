"""Does a task's certainty depend on the tasks predicted beside it? NerDL batch padding, measured.

    .venv/bin/python bench/certainty_stability.py [--labels 300] [--seed 1]

NerDL tags sentences in batches and pads each batch to its longest sentence and word; its
character CNN sees that padding, so a sentence's token confidences, and the certainty that
``next-task`` ranks by, can move with its batch neighbours. This bench measures by how much.

One NerDL model is trained as the active-learning bench trains its 300-label round (same pool of
NCBI disease train sentences, Word2Vec on the project texts, 5 epochs, learning rate 0.005,
batches of 4), then predicts the rest of the pool four ways: in pool order with the model's own
batch size (the reference), the same in a shuffled order (other neighbours), with batches of 1
(no neighbours) and of 32. For each it prints how many of the reference's 50 least certain
sentences (one active-learning round) it also ranks among its 50 least certain, the rank
correlation with the reference, the mean and largest change of a certainty, and the seconds the
prediction took after a warm-up (on a busy machine these move; the rest does not depend on
load). Progress and NerDL's own lines go to stderr, the table to stdout.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from django.conf import settings  # noqa: E402

from bench.active_learning import (  # noqa: E402  (sets up Django)
    POOL_SEED,
    certainty,
    labelled,
    least_certain_first,
    results_stream,
)
from bench.conll import ncbi  # noqa: E402
from training.engine.embeddings import train_word2vec  # noqa: E402
from training.engine.ner import NerParams, train_ner  # noqa: E402
from training.engine.predict import NerPredictor  # noqa: E402
from training.engine.session import start_spark  # noqa: E402

POOL = 1000
ROUND = 50


def ranks(values: list[float]) -> list[int]:
    order = sorted(range(len(values)), key=values.__getitem__)
    result = [0] * len(values)
    for rank, index in enumerate(order):
        result[index] = rank
    return result


def least_certain(certainties: dict[int, float]) -> set[int]:
    """The sentences one active-learning round would hand out."""
    return set(least_certain_first(certainties)[:ROUND])


def resaved(work: Path, batch_size: int) -> Path:
    """The trained pipeline saved again with NerDL predicting ``batch_size`` sentences at a time."""
    from pyspark.ml import PipelineModel

    target = work / f"model-batch-{batch_size}"
    if not target.exists():
        pipeline = PipelineModel.load(str(work / "model"))
        for stage in pipeline.stages:
            if type(stage).__name__ == "NerDLModel":
                stage.setBatchSize(batch_size)
        pipeline.write().save(str(target))
    return target


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--labels", type=int, default=300, help="training sentences (300)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    train, devel = ncbi("train"), ncbi("devel")
    pool = random.Random(POOL_SEED).sample(train, POOL)
    picked = set(random.Random(args.seed).sample(range(POOL), args.labels))
    rest = [i for i in range(POOL) if i not in picked]
    out = results_stream()
    spark = start_spark(
        master=settings.SPARK_MASTER,
        driver_memory=settings.SPARK_DRIVER_MEMORY,
        jars_dir=settings.SPARK_JARS_DIR,
        app_name="bench-certainty-stability",
    )
    with tempfile.TemporaryDirectory(prefix="bench-certainty-") as work:
        embeddings = train_word2vec(spark, [s.text for s in train + devel], dimension=100)
        params = NerParams(
            epochs=5,
            learning_rate=0.005,
            batch_size=4,
            validation_split=0.0,
            random_seed=args.seed,
        )
        train_ner(
            spark,
            sentences=[s for i in sorted(picked) for s in labelled(pool[i])],
            embeddings=embeddings,
            params=params,
            model_dir=Path(work) / "model",
            log_dir=Path(work) / "logs",
        )
        own_batch = params.batch_size

        def predict(order: list[int], batch_size: int) -> tuple[dict[int, float], float]:
            predictor = NerPredictor(spark, resaved(Path(work), batch_size))
            texts = [pool[i].text for i in order]
            predictor.predict_with_certainty(texts)  # warm-up: graph and session loaded
            started = time.perf_counter()
            predictions = predictor.predict_with_certainty(texts)
            seconds = time.perf_counter() - started
            return {i: certainty(p) for i, p in zip(order, predictions, strict=True)}, seconds

        reference, reference_seconds = predict(rest, own_batch)
        shuffled = rest[:]
        random.Random(args.seed).shuffle(shuffled)
        variants = {
            f"batches of {own_batch}, shuffled": predict(shuffled, own_batch),
            "batches of 1": predict(rest, 1),
            "batches of 32": predict(rest, 32),
        }
    spark.stop()

    print(
        f"NerDL trained on {args.labels} NCBI pool sentences (seed {args.seed}), certainty of "
        f"the other {len(rest)}; reference: pool order, batches of {own_batch} "
        f"({reference_seconds:.1f} s)",
        file=out,
    )
    print(
        f"{'prediction':<26}{'same 50 least certain':>22}{'rank corr.':>12}"
        f"{'mean |Δ|':>10}{'max |Δ|':>10}{'seconds':>9}",
        file=out,
    )
    reference_ranks = ranks([reference[i] for i in rest])
    for name, (certainties, seconds) in variants.items():
        changes = [abs(certainties[i] - reference[i]) for i in rest]
        correlation = statistics.correlation(reference_ranks, ranks([certainties[i] for i in rest]))
        overlap = len(least_certain(certainties) & least_certain(reference))
        print(
            f"{name:<26}{overlap:>19}/{ROUND}{correlation:>12.4f}"
            f"{statistics.mean(changes):>10.5f}{max(changes):>10.4f}{seconds:>9.1f}",
            file=out,
        )
    out.close()


if __name__ == "__main__":
    main()
