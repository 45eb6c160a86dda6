"""Choosing NerDL's graph up front, so a run that cannot train says why before Spark starts."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from training.engine.ner import BUNDLED_NER_GRAPHS, check_ner_graph, ner_graph_for
from training.engine.session import jars_present

JARS = Path(os.environ.get("SPARK_JARS_DIR", Path(__file__).resolve().parents[2] / "var" / "jars"))


def test_small_projects_get_the_smallest_graph_for_their_dimension() -> None:
    assert ner_graph_for(5, 100, 40) == "blstm_10_100_128_120"
    assert check_ner_graph(5, 100, 40) is None


def test_more_tags_or_characters_move_to_the_larger_graph() -> None:
    assert ner_graph_for(11, 100, 40) == "blstm_38_100_128_200"
    # NerDL reserves one character slot: 119 distinct characters still fit 120.
    assert ner_graph_for(5, 100, 119) == "blstm_10_100_128_120"
    assert ner_graph_for(5, 100, 120) == "blstm_38_100_128_200"
    assert ner_graph_for(5, 128, 120) is None


def test_reasons_name_the_limit_that_was_hit() -> None:
    assert "50-dimensional" in (check_ner_graph(5, 50, 40) or "")
    assert "39 distinct tags" in (check_ner_graph(39, 100, 40) or "")
    assert "at most 38" in (check_ner_graph(39, 100, 40) or "")
    assert "300 distinct characters" in (check_ner_graph(5, 100, 300) or "")
    assert "at most 199" in (check_ner_graph(5, 100, 300) or "")


def test_a_graph_folder_replaces_the_bundled_graphs(tmp_path: Path) -> None:
    (tmp_path / "blstm_60_50_64_300.pb").write_bytes(b"")
    assert ner_graph_for(50, 50, 250, graph_dir=tmp_path) == "blstm_60_50_64_300"
    assert "in " + str(tmp_path) in (check_ner_graph(5, 100, 40, graph_dir=tmp_path) or "")


@pytest.mark.spark
def test_bundled_list_matches_the_spark_nlp_jar() -> None:
    jars = list(JARS.glob("spark-nlp_*.jar"))
    if not jars_present(JARS):
        pytest.fail(f"Spark NLP jars are missing from {JARS}: run scripts/fetch_jars.sh")
    with zipfile.ZipFile(jars[0]) as jar:
        names = [
            Path(name).stem
            for name in jar.namelist()
            if name.startswith("ner-dl/blstm_") and name.endswith(".pb")
        ]
    assert tuple(names) == BUNDLED_NER_GRAPHS
