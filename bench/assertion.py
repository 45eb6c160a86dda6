"""Assertion status designs compared on BioScope (P present / U uncertain / N negated).

    .venv/bin/python bench/assertion.py [--designs classifier,ner] [--epochs 10]

Uses the rows of bioscope.csv that carry a concept span, split 80/20 by sentence id (the id
without its ``_a<offset>`` concept suffix, so every concept of a sentence is on one side; seed 0).
Word2Vec (``train_word2vec``, the product's settings) learns from every distinct BioScope
sentence, labelled or not, as a project's Word2Vec learns from all its task texts. Each design is
trained with ``train_assertion`` on the 80% (the product's defaults unless overridden) and
scored on the 20% through ``AssertionPredictor``: accuracy, macro-F1, per-status F1 and the
training time. One Spark session (local[2], 4g) for everything; no Django, no database.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.shared_data import SHARED_DATA  # noqa: E402
from training.engine.assertion import (  # noqa: E402
    DESIGNS,
    WINDOW,
    AssertionExample,
    AssertionParams,
    AssertionPredictor,
    train_assertion,
)
from training.engine.classification import label_metrics  # noqa: E402
from training.engine.embeddings import train_word2vec  # noqa: E402
from training.engine.session import start_spark  # noqa: E402

DATA = SHARED_DATA / "bioscope_assertion" / "bioscope.csv"


def load(path: Path) -> tuple[list[tuple[str, AssertionExample]], list[str]]:
    """(sentence id, example) for every row with a concept span, and every distinct sentence."""
    examples = []
    sentences: dict[str, None] = {}
    with path.open(encoding="utf-8-sig", newline="") as file:
        for row in csv.DictReader(file):
            sentences.setdefault(row["sentence"])
            if not row["concept_start"]:
                continue
            start, end = int(row["concept_start"]), int(row["concept_end"])
            if row["sentence"][start:end] != row["concept"]:
                raise SystemExit(f"{row['sentence_id']}: span does not match its concept")
            sentence_id = row["sentence_id"].split("_a")[0]
            examples.append(
                (sentence_id, AssertionExample(row["sentence"], start, end, row["label"]))
            )
    return examples, list(sentences)


def split(
    examples: list[tuple[str, AssertionExample]], seed: int = 0
) -> tuple[list[AssertionExample], list[AssertionExample]]:
    ids = sorted({sentence_id for sentence_id, _ in examples})
    random.Random(seed).shuffle(ids)
    held_out = set(ids[: round(len(ids) * 0.2)])
    train = [e for sentence_id, e in examples if sentence_id not in held_out]
    test = [e for sentence_id, e in examples if sentence_id in held_out]
    return train, test


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--designs", default=",".join(DESIGNS))
    parser.add_argument("--epochs", type=int, default=AssertionParams.epochs)
    parser.add_argument("--learning-rate", type=float, default=AssertionParams.learning_rate)
    parser.add_argument("--batch-size", type=int, default=AssertionParams.batch_size)
    parser.add_argument("--window", type=int, default=WINDOW)
    parser.add_argument("--limit", type=int, default=0, help="a quick check on N examples")
    args = parser.parse_args()

    examples, sentences = load(DATA)
    train, test = split(examples)
    if args.limit:
        train, test = train[: args.limit], test[: max(1, args.limit // 4)]
    print(f"examples: {len(examples)} ({dict(Counter(e.status for _, e in examples))})")
    print(f"train: {len(train)}  test: {len(test)} ({dict(Counter(e.status for e in test))})")

    work = Path(tempfile.mkdtemp(prefix="bench-assertion-"))
    spark = start_spark(
        master="local[2]",
        driver_memory="4g",
        jars_dir=ROOT / "var" / "jars",
        app_name="bench-assertion",
        local_dir=work / "spark",
    )
    started = time.monotonic()
    embeddings = train_word2vec(spark, sentences)
    print(f"Word2Vec on {len(sentences)} sentences: {time.monotonic() - started:.1f}s")

    params = AssertionParams(
        epochs=args.epochs,
        learning_rate=args.learning_rate,
        batch_size=args.batch_size,
        validation_split=0.0,
    )
    print(f"params: {params}, window (classifier design): {args.window}")
    seen = {e.text for e in train}
    for design in args.designs.split(","):
        started = time.monotonic()
        result = train_assertion(
            spark,
            examples=train,
            embeddings=embeddings,
            params=params,
            model_dir=work / design,
            log_dir=work / "logs" / design,
            design=design,  # type: ignore[arg-type]
            window=args.window,
        )
        trained = time.monotonic() - started
        started = time.monotonic()
        predicted = AssertionPredictor(spark, result.model_dir).predict(
            [(e.text, [(e.start, e.end)]) for e in test]
        )
        predicting = time.monotonic() - started
        statuses = [answer[0][0] for answer in predicted]
        assert all(0.0 <= answer[0][1] <= 1.0 for answer in predicted)
        metrics = label_metrics([(e.status,) for e in test], [(s,) for s in statuses])
        per_status = "  ".join(f"{s} {score.f1:.3f}" for s, score in metrics.per_label.items())
        print(
            f"{design:<11} accuracy {metrics.micro.f1:.3f}  macro-F1 {metrics.macro.f1:.3f}  "
            f"F1 per status: {per_status}  train {trained:.0f}s  predict {predicting:.0f}s "
            f"({len(test)} chunks)"
        )
        # Radiology reports repeat themselves ("No evidence of pneumonia."): the same sentence
        # text sits on both sides of an id split. These chunks' sentences were never trained on.
        unseen = [i for i, e in enumerate(test) if e.text not in seen]
        metrics = label_metrics(
            [(test[i].status,) for i in unseen], [(statuses[i],) for i in unseen]
        )
        print(
            f"{'':<11} on the {len(unseen)} chunks of sentences absent from training: "
            f"accuracy {metrics.micro.f1:.3f}  macro-F1 {metrics.macro.f1:.3f}"
        )
    spark.stop()


if __name__ == "__main__":
    main()
