"""Classification quality: SMS spam (single choice) and Hallmarks of Cancer (multiple choice).

    .venv/bin/python bench/classification.py [--datasets sms,hoc] [--epochs 10]

Each data set is split 80/20 at random (seed 0). Word2Vec (``train_word2vec``, the product's
settings) learns from every text of the data set, as a project's Word2Vec learns from all its task
texts. ``train_classifier`` trains on the 80% with the product's defaults for classification
(unless overridden) and ``ClassifierPredictor`` scores the 20%, as pre-annotation would:

* SMS spam (ham/spam): accuracy and macro-F1 (the best class per text);
* HoC (10 hallmarks, several per abstract; the literal ``NULL`` label dropped): micro-F1 and
  macro-F1 over labels, a label chosen at score >= 0.5, and the exact-match ratio. Abstracts left
  without any label are not examples (a ``<Choices>`` left empty is not one either).

Also prints the training time. One Spark session (local[2], 4g); no Django, no database.
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

from bench.shared_data import SHARED_DATA as DATA  # noqa: E402
from training.engine.classification import (  # noqa: E402
    ClassifierParams,
    ClassifierPredictor,
    chosen_classes,
    label_metrics,
    train_classifier,
)
from training.engine.embeddings import train_word2vec  # noqa: E402
from training.engine.session import start_spark  # noqa: E402

SMS = DATA / "sms_spam" / "SMSSpamCollection.tsv"
HOC = DATA / "hoc_multilabel" / "hoc_documents.tsv"

Example = tuple[str, list[str]]


def sms() -> list[Example]:
    # QUOTE_NONE: a message may start with a quote that is text, not CSV quoting.
    with SMS.open(encoding="utf-8", newline="") as file:
        rows = csv.DictReader(file, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [(row["SMS"], [row["Label"]]) for row in rows]


def hoc() -> tuple[list[Example], list[str]]:
    """(abstracts with at least one hallmark, every abstract's text)."""
    csv.field_size_limit(1 << 24)
    examples, texts = [], []
    with HOC.open(encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file, delimiter="\t", quoting=csv.QUOTE_NONE):
            texts.append(row["text"])
            labels = [label for label in row["labels"].split("|") if label and label != "NULL"]
            if labels:
                examples.append((row["text"], sorted(set(labels))))
    return examples, texts


def split(examples: list[Example], seed: int = 0) -> tuple[list[Example], list[Example]]:
    shuffled = list(examples)
    random.Random(seed).shuffle(shuffled)
    held_out = round(len(shuffled) * 0.2)
    return shuffled[held_out:], shuffled[:held_out]


def run(
    spark: object,
    name: str,
    examples: list[Example],
    texts: list[str],
    multi_label: bool,
    params: ClassifierParams,
    work: Path,
) -> None:
    train, test = split(examples)
    counts = Counter(label for _, labels in examples for label in labels)
    print(
        f"\n{name}: {len(examples)} examples, {len(counts)} classes; train {len(train)}, "
        f"test {len(test)}"
    )
    started = time.monotonic()
    embeddings = train_word2vec(spark, texts)  # type: ignore[arg-type]
    print(f"  Word2Vec on {len(texts)} texts: {time.monotonic() - started:.0f}s")
    started = time.monotonic()
    result = train_classifier(
        spark,  # type: ignore[arg-type]
        texts=[text for text, _ in train],
        labels=[labels for _, labels in train] if multi_label else [c[0] for _, c in train],
        multi_label=multi_label,
        embeddings=embeddings,
        params=params,
        model_dir=work / name,
        log_dir=work / "logs" / name,
    )
    trained = time.monotonic() - started
    started = time.monotonic()
    scores = ClassifierPredictor(spark, result.model_dir, multi_label).predict(  # type: ignore[arg-type]
        [text for text, _ in test]
    )
    predicting = time.monotonic() - started
    assert all(0.0 <= p <= 1.0 for s in scores for p in s.values())
    predicted = [chosen_classes(s, multi_label) for s in scores]
    gold = [labels for _, labels in test]
    metrics = label_metrics(gold, predicted)
    if multi_label:
        exact = sum(set(g) == set(p) for g, p in zip(gold, predicted, strict=True)) / len(gold)
        print(
            f"  micro-F1 {metrics.micro.f1:.3f}  macro-F1 {metrics.macro.f1:.3f}  "
            f"exact match {exact:.3f}  train {trained:.0f}s  predict {predicting:.0f}s"
        )
    else:
        print(
            f"  accuracy {metrics.micro.f1:.3f}  macro-F1 {metrics.macro.f1:.3f}  "
            f"train {trained:.0f}s  predict {predicting:.0f}s"
        )
    for label, score in metrics.per_label.items():
        print(f"    {label:<40} F1 {score.f1:.3f}  support {score.support}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", default="sms,hoc")
    parser.add_argument("--epochs", type=int, default=ClassifierParams.epochs)
    parser.add_argument("--learning-rate", type=float, default=ClassifierParams.learning_rate)
    parser.add_argument("--batch-size", type=int, default=ClassifierParams.batch_size)
    args = parser.parse_args()
    params = ClassifierParams(
        epochs=args.epochs,
        learning_rate=args.learning_rate,
        batch_size=args.batch_size,
        validation_split=0.0,  # the bench holds out its own 20%
    )
    print(f"params: {params}")

    work = Path(tempfile.mkdtemp(prefix="bench-classification-"))
    spark = start_spark(
        master="local[2]",
        driver_memory="4g",
        jars_dir=ROOT / "var" / "jars",
        app_name="bench-classification",
        local_dir=work / "spark",
    )
    for name in args.datasets.split(","):
        if name == "sms":
            examples = sms()
            run(spark, "sms", examples, [t for t, _ in examples], False, params, work)
        elif name == "hoc":
            examples, texts = hoc()
            run(spark, "hoc", examples, texts, True, params, work)
        else:
            raise SystemExit(f"unknown data set {name!r}: sms or hoc")
    spark.stop()


if __name__ == "__main__":
    main()
