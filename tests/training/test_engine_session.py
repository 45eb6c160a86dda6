"""Spark starts only from local jars; without them the user is told what to run."""

from __future__ import annotations

from pathlib import Path

import pytest

from training.engine import EngineError
from training.engine.session import jars_present, start_spark


def test_jars_present_needs_spark_nlp_and_tensorflow(tmp_path: Path) -> None:
    assert not jars_present(tmp_path / "missing")
    (tmp_path / "spark-nlp_2.12-5.5.3.jar").write_bytes(b"")
    assert not jars_present(tmp_path)
    (tmp_path / "tensorflow-core-api-0.4.2.jar").write_bytes(b"")
    assert not jars_present(tmp_path)  # the Java API without its native library
    (tmp_path / "tensorflow-core-api-0.4.2-linux-x86_64.jar").write_bytes(b"")
    assert jars_present(tmp_path)


def test_start_spark_without_jars_names_the_fetch_script(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="scripts/fetch_jars.sh"):
        start_spark(master="local[1]", driver_memory="1g", jars_dir=tmp_path, app_name="t")
