"""A real Spark session with Spark NLP for the tests marked ``spark``: one JVM per run."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from projects.models import Project
    from training.models import NlpModel

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


@pytest.fixture(scope="session")
def ner_word2vec(spark: SparkSession) -> Any:
    from tests.training.synthetic import corpus
    from training.engine.embeddings import train_word2vec

    return train_word2vec(spark, [s.text for s in corpus(120)])


@pytest.fixture(scope="session")
def trained_ner(
    spark: SparkSession, ner_word2vec: Any, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Any, list[tuple[int, int]]]:
    """A small NER model (PER, LOC) trained once per session with the NER trainer's engine,
    ``training.engine.ner.train_ner``, and each epoch it reported: the engine tests read it,
    the download and upload tests (test_model_files_spark.py) export it, and the browser
    pre-annotation test (test_preannotation.py) deploys it, so none of them trains its own."""
    from tests.training.synthetic import corpus
    from training.engine.ner import NerParams, train_ner

    work = tmp_path_factory.mktemp("ner")
    epochs: list[tuple[int, int]] = []
    result = train_ner(
        spark,
        sentences=corpus(120),
        embeddings=ner_word2vec,
        params=NerParams(epochs=4, learning_rate=0.01, batch_size=8, validation_split=0.2),
        model_dir=work / "model",
        log_dir=work / "logs",
        on_epoch=lambda done, total: epochs.append((done, total)),
    )
    return result, epochs


@pytest.fixture
def register_trained_ner(
    trained_ner: tuple[Any, list[tuple[int, int]]], settings: Any
) -> Callable[[Project, str], NlpModel]:
    """Register the session's NER model in a project as one of its trained models: copied to
    MODELS_DIR/<name>, where a run saves it (use with ``workdirs``)."""
    from training.models import ModelSource, NlpModel

    def register(project: Project, name: str) -> NlpModel:
        folder = settings.MODELS_DIR / name
        shutil.copytree(trained_ner[0].model_dir, folder)
        return NlpModel.objects.create(
            name=name,
            type="ner",
            project=project,
            labels=["LOC", "PER"],
            source=ModelSource.TRAINED,
            path=str(folder),
        )

    return register
