"""Starting Spark offline: the Spark NLP jars come from a local folder, never from a registry."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from training.engine.errors import EngineError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: The jars without which Spark NLP cannot load or train (itself, TensorFlow's Java API and its
#: Linux natives); the rest of the folder is their dependencies, fetched together by
#: scripts/fetch_jars.sh.
REQUIRED_JAR_GLOBS = (
    "spark-nlp_*.jar",
    "tensorflow-core-api-*[0-9].jar",
    "tensorflow-core-api-*-linux-x86_64.jar",
)


def jars_present(jars_dir: Path) -> bool:
    """Whether ``jars_dir`` holds the Spark NLP jars that scripts/fetch_jars.sh fetches."""
    return jars_dir.is_dir() and all(any(jars_dir.glob(pattern)) for pattern in REQUIRED_JAR_GLOBS)


def start_spark(
    *,
    master: str,
    driver_memory: str,
    jars_dir: Path,
    app_name: str,
    local_dir: Path | None = None,
) -> SparkSession:
    """Start (or join) the Spark session of this process with Spark NLP on its classpath.

    ``master`` is ``local[N]``/``local[*]`` or ``spark://host:port``; nothing else changes with it,
    because ``spark.jars`` ships the local jars to the executors either way.
    """
    if not jars_present(jars_dir):
        raise EngineError(
            f"The Spark NLP jars are missing from {jars_dir}: run scripts/fetch_jars.sh first."
        )
    jars = ",".join(str(path) for path in sorted(jars_dir.glob("*.jar")))

    # Both are read by the JVM that getOrCreate() launches. SPARK_LOCAL_IP keeps Spark from
    # resolving the machine's hostname to a public interface; TF_CPP_MIN_LOG_LEVEL silences
    # TensorFlow's per-op placement chatter, which would bury the training log.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.driver.memory", driver_memory)
        .config("spark.jars", jars)
        # Spark NLP's documented settings: Kryo with a large buffer for its annotation rows,
        # and no cap on results collected to the driver (training collects the dataset).
        .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
        .config("spark.kryoserializer.buffer.max", "2000M")
        .config("spark.driver.maxResultSize", "0")
        .config("spark.ui.enabled", "false")
        # The console progress bar only garbles the child process's captured stderr.
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        # Workers run Python only for Python UDFs, but then they must use this interpreter.
        .config("spark.pyspark.python", sys.executable)
    )
    if local_dir is not None:
        local_dir.mkdir(parents=True, exist_ok=True)
        builder = builder.config("spark.local.dir", str(local_dir))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark
