"""A real Spark session with Spark NLP for the tests marked ``spark``: one JVM per run."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    from training.engine.session import jars_present, start_spark

    jars_dir = Path(os.environ.get("SPARK_JARS_DIR", ROOT / "var" / "jars"))
    if not jars_present(jars_dir):
        # A skip would let a green run hide that Spark NLP was never exercised.
        pytest.fail(f"Spark NLP jars are missing from {jars_dir}: run scripts/fetch_jars.sh")
    session = start_spark(
        master="local[2]",
        driver_memory=os.environ.get("SPARK_DRIVER_MEMORY", "2g"),
        jars_dir=jars_dir,
        app_name="annolab-tests",
        local_dir=tmp_path_factory.mktemp("spark-local"),
    )
    yield session
    session.stop()
    # py4j logs its connection teardown at INFO from __del__, after pytest closed the streams.
    logging.getLogger("py4j").setLevel(logging.WARNING)


@pytest.fixture
def workdirs(settings: Any, tmp_path: Path) -> Path:
    """Runs, models and logs of this test in its own folders; a small local Spark."""
    settings.VAR_DIR = tmp_path / "var"
    settings.MODELS_DIR = tmp_path / "models"
    settings.SPARK_DRIVER_MEMORY = "2g"
    settings.SPARK_MASTER = "local[2]"
    return tmp_path
