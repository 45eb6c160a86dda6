"""The baseline of bench/ner_training.py: the same training as a plain Spark NLP script.

No annolab code trains here: Spark NLP's CoNLL reader, Word2VecApproach and NerDLApproach with
the parameters annolab uses (``bench/ner_training.py`` passes annolab's Word2Vec pass count).
Prints one JSON line: wall seconds and entity-level F1 on test.

    python bench/plain_ner.py --epochs 10 --jars var/jars --out /tmp/plain
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.conll import ConllSentence, ncbi  # noqa: E402
from training.engine.metrics import entity_metrics  # noqa: E402 - arithmetic only


def write_conll(sentences: list[ConllSentence], path: Path) -> None:
    lines = ["-DOCSTART- -X- -X- O", ""]
    for sentence in sentences:
        lines += [f"{t} -X- -X- {g}" for t, g in zip(sentence.tokens, sentence.tags, strict=True)]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--word2vec-passes", type=int, default=1)
    parser.add_argument("--jars", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--driver-memory", default="6g")
    args = parser.parse_args()
    started = time.perf_counter()
    args.out.mkdir(parents=True, exist_ok=True)
    train, devel, test = ncbi("train"), ncbi("devel"), ncbi("test")
    if args.limit:
        train = train[: args.limit]
    for name, sentences in (("train", train), ("devel", devel), ("test", test)):
        write_conll(sentences, args.out / f"{name}.conll")

    from pyspark.sql import SparkSession
    from sparknlp.annotator import NerDLApproach, Word2VecApproach
    from sparknlp.training import CoNLL

    spark = (
        SparkSession.builder.master("local[*]")
        .config("spark.driver.memory", args.driver_memory)
        .config("spark.jars", ",".join(str(p) for p in sorted(args.jars.glob("*.jar"))))
        .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
        .config("spark.kryoserializer.buffer.max", "2000M")
        .config("spark.driver.maxResultSize", "0")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .getOrCreate()
    )
    reader = CoNLL()
    train_df = reader.readDataset(spark, str(args.out / "train.conll"))
    devel_df = reader.readDataset(spark, str(args.out / "devel.conll"))
    test_df = reader.readDataset(spark, str(args.out / "test.conll"))
    word2vec = (
        Word2VecApproach()
        .setInputCols(["token"])
        .setOutputCol("embeddings")
        .setVectorSize(100)
        .setMinCount(1)
        .setMaxIter(args.word2vec_passes)
        .setSeed(44)
        .setStorageRef("plain_word2vec_100")
        .fit(train_df.select("token").union(devel_df.select("token")))
    )
    ner = (
        NerDLApproach()
        .setInputCols(["sentence", "token", "embeddings"])
        .setLabelColumn("label")
        .setOutputCol("ner")
        .setMaxEpochs(args.epochs)
        .setLr(0.001)
        .setPo(0.005)
        .setDropout(0.5)
        .setBatchSize(8)
        .setRandomSeed(42)
        .fit(word2vec.transform(train_df))
    )
    rows = ner.transform(word2vec.transform(test_df)).select("label", "ner").collect()
    gold = [[a.result for a in row["label"]] for row in rows]
    predicted = [[a.result for a in row["ner"]] for row in rows]
    metrics = entity_metrics(gold, predicted)
    spark.stop()
    print(
        json.dumps(
            {
                "seconds": round(time.perf_counter() - started, 1),
                "f1": round(metrics.micro.f1, 4),
                "precision": round(metrics.micro.precision, 4),
                "recall": round(metrics.micro.recall, 4),
                "train_sentences": len(train),
            }
        )
    )


if __name__ == "__main__":
    main()
