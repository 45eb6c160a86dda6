"""Which ``<Choices>`` groups a classification run trains: one by default, or all.

The real Spark NLP run (a ClassifierDL and a MultiClassifierDL from one run, a group that cannot
be trained, logs, metrics, deployment, pre-annotation) is in ``test_mixed_training``, which trains
them once beside NER and assertion status.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from projects.labeling_config import parse_labeling_config
from training.params import TrainingParams
from training.pipeline.trainers.classification import groups_to_train

CLASSIFICATION_CONFIG = """<View>
  <Text name="text" value="$text"/>
  <Labels name="label" toName="text">
    <Label value="Symptom"/>
    <Label value="Disease"/>
    <Label value="Absent" assertion="true"/>
    <Label value="Present" assertion="true"/>
  </Labels>
  <Choices name="age" toName="text" choice="single">
    <Choice value="Child"/>
    <Choice value="Adult"/>
  </Choices>
  <Choices name="smoking" toName="text" choice="single">
    <Choice value="Smoker"/>
    <Choice value="Nonsmoker"/>
  </Choices>
  <Choices name="systems" toName="text" choice="multiple">
    <Choice value="Respiratory"/>
    <Choice value="Neurological"/>
    <Choice value="Other"/>
  </Choices>
</View>
"""


def test_default_trains_one_group_and_all_trains_every_group() -> None:
    config = parse_labeling_config(CLASSIFICATION_CONFIG)
    flagged = parse_labeling_config(
        CLASSIFICATION_CONFIG.replace('name="systems"', 'name="systems" train="true"')
    )

    def names(config: Any, groups: str) -> list[str]:
        context: Any = SimpleNamespace(
            config=config, params=TrainingParams(classification_groups=groups)
        )
        return [group.name for group in groups_to_train(context)]

    # without train="true" the default is the alphabetically first name
    assert names(config, "default") == ["age"]
    assert names(flagged, "default") == ["systems"]
    assert names(config, "all") == ["age", "smoking", "systems"]
