"""Training text classifiers (Spark NLP ClassifierDL / MultiClassifierDL) and predicting with them.

A classifier reads the whole text as one piece: the saved pipeline assembles the text straight
into the ``sentence`` column, tokenizes it, looks up the run's word embeddings and averages them
(``SentenceEmbeddings``, AVERAGE) into one vector that ClassifierDL (one class per text) or
MultiClassifierDL (any number of classes per text) reads. There is no sentence detector on
purpose: ``SentenceEmbeddings`` over a multi-sentence ``document`` column averages only the
tokens of its first sentence (it pairs tokens with sentences by index), so a note would be
classified by its opening line.

The validation split is held out here (stratified by class for single-label data) and predicted
after training with ``ClassifierPredictor``, the same code pre-annotation uses, so the scores
describe what users will get. Assertion status (``training.engine.assertion``) reuses this for
its ClassifierDL design.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from training.engine import tokenization
from training.engine.embeddings import EMBEDDINGS_COL, Embeddings
from training.engine.epochs import ZeroBasedEpochWatcher
from training.engine.errors import EngineError
from training.engine.metrics import EntityMetrics, entity_metrics_from_spans
from training.engine.predict import LIGHT_PIPELINE_LIMIT, transform_annotations

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

LABEL_COL = "label"
SENTENCE_EMBEDDINGS_COL = "sentence_embeddings"
CATEGORY_COL = "category"
#: What annolab writes next to the saved pipeline: the classes and the kind of model.
SIDECAR = "annolab.json"
#: ClassifierDL and MultiClassifierDL are built for at most this many classes.
MAX_CLASSES = 100
#: A multi-label class is chosen when its score reaches this (MultiClassifierDL's default).
MULTI_LABEL_THRESHOLD = 0.5


@dataclass(frozen=True)
class ClassifierParams:
    epochs: int = 10
    learning_rate: float = 0.005
    batch_size: int = 64
    #: ClassifierDL only: MultiClassifierDL has no dropout parameter in Spark NLP 5.5.3.
    dropout: float = 0.5
    validation_split: float = 0.2
    random_seed: int = 42


@dataclass(frozen=True)
class ClassifierResult:
    model_dir: Path
    #: Spark NLP's training log, as written.
    log_text: str
    labels: tuple[str, ...]
    multi_label: bool
    train_count: int
    #: The classes of each validation text (one for single-label), and what the model chose.
    validation_gold: tuple[tuple[str, ...], ...]
    validation_predicted: tuple[tuple[str, ...], ...]
    #: The trained model, ready to predict without loading ``model_dir`` again.
    predictor: ClassifierPredictor = field(repr=False, compare=False)

    def validation_metrics(self) -> EntityMetrics:
        return label_metrics(self.validation_gold, self.validation_predicted)

    def confusion_matrix(self) -> dict[str, Any]:
        """Single-label only: rows are the gold classes, columns the predicted ones."""
        return confusion_matrix(
            [gold[0] for gold in self.validation_gold],
            [predicted[0] if predicted else "" for predicted in self.validation_predicted],
            self.labels,
        )


def train_classifier(
    spark: SparkSession,
    *,
    texts: Sequence[str],
    labels: Sequence[str] | Sequence[Sequence[str]],
    multi_label: bool,
    embeddings: Embeddings,
    params: ClassifierParams,
    model_dir: Path,
    log_dir: Path,
    on_epoch: Callable[[int, int], None] = lambda done, total: None,
) -> ClassifierResult:
    """Train, save the prediction pipeline (and ``SIDECAR``) to ``model_dir``, score validation.

    ``labels`` holds one class per text, or a list of classes per text when ``multi_label``.
    Texts without any token, or without a class, are left out.
    """
    from pyspark.ml import PipelineModel
    from sparknlp.annotator import (
        ClassifierDLApproach,
        MultiClassifierDLApproach,
        MultiClassifierDLModel,
    )

    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    examples = [
        (text, _as_classes(label, multi_label))
        for text, label in zip(texts, labels, strict=True)
        if text.strip()
    ]
    examples = [(text, classes) for text, classes in examples if classes]
    classes = sorted({c for _, example_classes in examples for c in example_classes})
    if len(classes) < 2:
        found = f"only {classes[0]!r}" if classes else "none"
        raise EngineError(f"A classifier needs at least 2 classes in the data; found {found}.")
    if len(classes) > MAX_CLASSES:
        raise EngineError(
            f"Spark NLP classifiers take at most {MAX_CLASSES} classes; the data has "
            f"{len(classes)}."
        )
    train, validation = _split(examples, params.validation_split, params.random_seed, multi_label)
    trained_classes = {c for _, example_classes in train for c in example_classes}
    if len(trained_classes) < 2:
        raise EngineError(
            "After holding out the validation split only one class is left to train on; "
            "annotate more texts or lower validation_split."
        )

    log_dir.mkdir(parents=True, exist_ok=True)
    approach: Any
    if multi_label:
        approach = MultiClassifierDLApproach()
    else:
        approach = ClassifierDLApproach().setDropout(params.dropout)
    approach = (
        approach.setInputCols([SENTENCE_EMBEDDINGS_COL])
        .setOutputCol(CATEGORY_COL)
        .setLabelColumn(LABEL_COL)
        .setMaxEpochs(params.epochs)
        .setLr(params.learning_rate)
        .setBatchSize(params.batch_size)
        .setRandomSeed(params.random_seed)
        # Validation is held out above and scored by annolab, with the product's predictor.
        .setValidationSplit(0.0)
        .setEnableOutputLogs(True)
        .setOutputLogsPath(str(log_dir))
    )
    log_file = log_dir / f"{approach.uid}.log"

    features = feature_stages(embeddings)
    frame = PipelineModel(stages=features).transform(_label_frame(spark, train, multi_label))
    with ZeroBasedEpochWatcher(log_file, params.epochs, on_epoch):
        classifier = approach.fit(frame)
    if multi_label:
        # Spark NLP 5.5.3 wraps the fitted Java MultiClassifierDLModel in the Python class of
        # ClassifierDLModel, which has no threshold; the right wrapper has. The Java object
        # changes hands, so only the new wrapper may release it (JavaWrapper.__del__ detaches).
        java_model, classifier._java_obj = classifier._java_obj, None
        classifier = MultiClassifierDLModel(java_model=java_model)

    pipeline = PipelineModel(stages=[*features, classifier])
    pipeline.write().overwrite().save(str(model_dir))
    (model_dir / SIDECAR).write_text(
        json.dumps({"kind": "classification", "multi_label": multi_label, "classes": classes}),
        encoding="utf-8",
    )

    # Validation goes through the saved model, as pre-annotation will: a LightPipeline over the
    # in-memory pipeline once failed in a full test run with "Target Object ID does not exist
    # for this gateway" (a py4j wrapper's Java object released under it). Reloading costs seconds.
    predictor = ClassifierPredictor(spark, model_dir, multi_label)
    predicted: list[tuple[str, ...]] = []
    if validation:
        scores = predictor.predict([text for text, _ in validation])
        predicted = [tuple(chosen_classes(s, multi_label)) for s in scores]
    return ClassifierResult(
        model_dir=model_dir,
        log_text=log_file.read_text(encoding="utf-8") if log_file.exists() else "",
        labels=tuple(classes),
        multi_label=multi_label,
        train_count=len(train),
        validation_gold=tuple(tuple(example_classes) for _, example_classes in validation),
        validation_predicted=tuple(predicted),
        predictor=predictor,
    )


class ClassifierPredictor:
    """A saved classifier (see ``train_classifier``), loaded once and used for many texts."""

    def __init__(self, spark: SparkSession, model_dir: Path, multi_label: bool) -> None:
        from pyspark.ml import PipelineModel

        if not (model_dir / SIDECAR).exists():
            raise EngineError(f"No saved classification model at {model_dir}.")
        sidecar = json.loads((model_dir / SIDECAR).read_text(encoding="utf-8"))
        if bool(sidecar.get("multi_label")) != multi_label:
            kind = "multi-label" if sidecar.get("multi_label") else "single-label"
            raise EngineError(f"The model at {model_dir} is a {kind} classifier.")
        self._setup(spark, PipelineModel.load(str(model_dir)), sidecar["classes"], multi_label)

    def _setup(
        self, spark: SparkSession, pipeline: Any, classes: Sequence[str], multi_label: bool
    ) -> None:
        self.classes: tuple[str, ...] = tuple(classes)
        self.multi_label = multi_label
        self._spark = spark
        self._model = pipeline
        if multi_label:
            # MultiClassifierDL writes an annotation only for classes over its threshold, and the
            # scores ride in those annotations' metadata: with 0 every class comes back with its
            # score, and ``chosen_classes`` applies the real threshold.
            self._model.stages[-1].setThreshold(0.0)
        self._light: Any = None

    def predict(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """For each text, every class of the model with its score in [0, 1].

        Single-label scores are the softmax probabilities (they sum to 1); multi-label scores are
        independent, and a class is chosen at ``MULTI_LABEL_THRESHOLD``. A text without any
        token gets 0 for every class.
        """
        prepared = [tokenization.spark_text(text) for text in texts]
        todo = [i for i, text in enumerate(prepared) if text.strip()]
        if len(todo) < LIGHT_PIPELINE_LIMIT:
            annotated = self._light_pipeline([prepared[i] for i in todo])
        else:
            annotated = self._dataframe([prepared[i] for i in todo])
        results = [dict.fromkeys(self.classes, 0.0) for _ in texts]
        for i, categories in zip(todo, annotated, strict=True):
            results[i] = self._scores(categories)
        return results

    def _scores(self, annotations: Sequence[Any]) -> dict[str, float]:
        scores = dict.fromkeys(self.classes, 0.0)
        for annotation in annotations[:1]:  # every annotation carries every class's score
            for name in self.classes:
                try:
                    scores[name] = min(max(float(annotation.metadata.get(name, 0.0)), 0.0), 1.0)
                except ValueError:
                    scores[name] = 0.0
        return scores

    def _light_pipeline(self, texts: list[str]) -> list[list[Any]]:
        if not texts:
            return []
        from sparknlp.base import LightPipeline

        if self._light is None:
            self._light = LightPipeline(self._model)
        return [result[CATEGORY_COL] for result in self._light.fullAnnotate(texts)]

    def _dataframe(self, texts: list[str]) -> list[list[Any]]:
        return transform_annotations(self._spark, self._model, texts, CATEGORY_COL)


def chosen_classes(scores: dict[str, float], multi_label: bool) -> list[str]:
    """The classes a prediction picks: the best one, or every one at the threshold or above."""
    if not scores:
        return []
    if multi_label:
        return sorted(name for name, score in scores.items() if score >= MULTI_LABEL_THRESHOLD)
    return [max(scores, key=lambda name: scores[name])]


def feature_stages(embeddings: Embeddings) -> list[Any]:
    """Text → one ``sentence`` annotation → tokens → word embeddings → their average."""
    from sparknlp.annotator import SentenceEmbeddings

    return [
        tokenization.document_assembler(output_col=tokenization.SENTENCE_COL),
        tokenization.tokenizer(),
        embeddings.model,
        SentenceEmbeddings()
        .setInputCols([tokenization.SENTENCE_COL, EMBEDDINGS_COL])
        .setOutputCol(SENTENCE_EMBEDDINGS_COL)
        .setPoolingStrategy("AVERAGE"),
    ]


def label_metrics(
    gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]
) -> EntityMetrics:
    """Per class precision/recall/F1 over texts; with one class per text micro F1 is accuracy.

    Each text is one "entity" slot per class, so ``entity_metrics_from_spans`` counts a class
    chosen for a text that lacks it as a false positive and a missed one as a false negative.
    """
    return entity_metrics_from_spans(
        ({(i, i + 1, c) for c in classes} for i, classes in enumerate(gold)),
        ({(i, i + 1, c) for c in classes} for i, classes in enumerate(predicted)),
    )


def confusion_matrix(
    gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]
) -> dict[str, Any]:
    """``{"labels": [...], "matrix": [[...]]}``: ``matrix[i][j]`` texts of class i predicted j."""
    names = list(labels) + sorted({*gold, *predicted} - set(labels) - {""})
    position = {name: i for i, name in enumerate(names)}
    matrix = [[0] * len(names) for _ in names]
    for g, p in zip(gold, predicted, strict=True):
        if g in position and p in position:
            matrix[position[g]][position[p]] += 1
    return {"labels": names, "matrix": matrix}


def format_confusion_matrix(confusion: dict[str, Any]) -> str:
    """The matrix as a text table for the training log (rows: gold, columns: predicted)."""
    names: list[str] = confusion["labels"]
    width = max([len(name) for name in names] + [len("gold \\ predicted"), 6]) + 2
    lines = ["gold \\ predicted".ljust(width) + "".join(name.rjust(width) for name in names)]
    for name, row in zip(names, confusion["matrix"], strict=True):
        lines.append(name.ljust(width) + "".join(str(n).rjust(width) for n in row))
    return "\n".join(lines)


def _as_classes(label: str | Sequence[str], multi_label: bool) -> tuple[str, ...]:
    if multi_label:
        if isinstance(label, str):
            raise ValueError("multi-label data needs a list of classes per text")
        return tuple(sorted({str(c) for c in label if str(c)}))
    if not isinstance(label, str):
        raise ValueError("single-label data needs one class (a string) per text")
    return (label,) if label else ()


Example = tuple[str, tuple[str, ...]]


def _split(
    examples: Sequence[Example], fraction: float, seed: int, multi_label: bool
) -> tuple[list[Example], list[Example]]:
    """(train, validation). Single-label: the same fraction of every class, and each class keeps
    at least one training text, so a rare class is never only in validation."""
    if fraction <= 0 or len(examples) < 2:
        return list(examples), []
    rng = random.Random(seed)
    if multi_label:
        shuffled = list(examples)
        rng.shuffle(shuffled)
        held_out = min(max(1, round(len(shuffled) * fraction)), len(shuffled) - 1)
        return shuffled[held_out:], shuffled[:held_out]
    by_class: dict[str, list[Example]] = {}
    for example in examples:
        by_class.setdefault(example[1][0], []).append(example)
    train: list[Example] = []
    validation: list[Example] = []
    for name in sorted(by_class):
        group = by_class[name]
        rng.shuffle(group)
        held_out = min(round(len(group) * fraction), len(group) - 1)
        validation += group[:held_out]
        train += group[held_out:]
    if not validation:  # tiny data: hold out one text of the largest class
        largest = max(by_class.values(), key=len)
        if len(largest) > 1:
            validation.append(largest[0])
            train.remove(largest[0])
    rng.shuffle(train)
    return train, validation


def _label_frame(spark: SparkSession, examples: Sequence[Example], multi_label: bool) -> DataFrame:
    """``text`` and ``label``: a string for ClassifierDL, an array of strings for the multi one."""
    from pyspark.sql import types as T

    label_type: T.DataType = T.ArrayType(T.StringType()) if multi_label else T.StringType()
    schema = T.StructType(
        [
            T.StructField(tokenization.TEXT_COL, T.StringType(), False),
            T.StructField(LABEL_COL, label_type, False),
        ]
    )
    rows = [
        (tokenization.spark_text(text), list(classes) if multi_label else classes[0])
        for text, classes in examples
    ]
    return spark.createDataFrame(rows, schema)
