"""Load a downloaded annolab model with plain Spark NLP and print its entities, as a user would.

    python plain_sparknlp.py <pipeline folder> <jars folder> <entities.json> < texts.json

Run as a script in a process of its own (tests/training/test_model_files_spark.py): it imports
pyspark and sparknlp and nothing of annolab, and says so by failing if anything else came in.
Each entity is ``[start, end, label]`` in Python offsets (end exclusive), read from the
``ner_chunk`` column the README names.
"""

import glob
import json
import os
import sys

import sparknlp  # noqa: F401 - registers Spark NLP's Python annotators for PipelineModel.load
from pyspark.ml import PipelineModel
from pyspark.sql import SparkSession


def python_offsets(text, begin, end):
    """Java's UTF-16 begin/end (inclusive) as a Python slice of ``text``."""
    encoded = text.encode("utf-16-le")
    start = len(encoded[: begin * 2].decode("utf-16-le"))
    stop = len(encoded[: (end + 1) * 2].decode("utf-16-le"))
    return start, stop


def main():
    folder, jars_dir, output = sys.argv[1], sys.argv[2], sys.argv[3]
    texts = json.load(sys.stdin)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    spark = (
        SparkSession.builder.master("local[1]")
        .appName("plain-spark-nlp")
        .config("spark.driver.memory", "1g")
        .config("spark.jars", ",".join(sorted(glob.glob(os.path.join(jars_dir, "*.jar")))))
        .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
        .config("spark.kryoserializer.buffer.max", "2000M")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    pipeline = PipelineModel.load(folder)
    # What the README says annolab does first: Spark NLP's reserved characters become spaces.
    blank = {c: " " for c in range(0xF050, 0xF058)}
    frame = spark.createDataFrame(
        [(i, text.translate(blank)) for i, text in enumerate(texts)], ["index", "text"]
    )
    rows = pipeline.transform(frame).select("index", "ner_chunk").collect()
    by_index = {row["index"]: row["ner_chunk"] for row in rows}
    entities = []
    for i, text in enumerate(texts):
        found = []
        for chunk in by_index[i]:
            start, stop = python_offsets(text, chunk.begin, chunk.end)
            found.append([start, stop, chunk.metadata["entity"]])
        entities.append(sorted(found))
    spark.stop()
    ours = sorted(
        name
        for name in sys.modules
        if name.split(".")[0] in {"annolab", "training", "projects", "activelearning", "django"}
    )
    if ours:
        raise SystemExit(f"imported annolab's code: {ours}")
    with open(output, "w", encoding="utf-8") as out:
        json.dump(entities, out)


if __name__ == "__main__":
    main()
