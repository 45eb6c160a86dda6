"""Assertion status: is a chunk (a NER span) present, absent, possible... in its sentence?

Open-source Spark NLP has no assertion trainer, so annolab frames the problem as the licensed
AssertionDLApproach does, one example per (sentence, target chunk, status), and trains one of two
designs with the open-source annotators:

* ``"classifier"``: ClassifierDL over the average word embedding (SentenceEmbeddings AVERAGE) of
  a window of ``WINDOW`` tokens either side of the chunk, with the chunk wrapped in ``[[ ]]``.
  The window is what tells two chunks of one sentence apart: averaged over the whole sentence,
  markers or not, every chunk of a sentence would get the same vector and so the same status.
* ``"ner"``: NerDL over the whole sentence with the chunk wrapped in ``[[ ]]``, the chunk's
  tokens tagged ``B-<status>``/``I-<status>`` and every other token ``O``. The BiLSTM reads the
  cue words in order ("no evidence of", "cannot be excluded") and the markers say which chunk is
  asked about; at prediction the chunk's tokens vote with their tag probabilities.

``ASSERTION_DESIGN`` is the product's choice (see docs/benchmarks.md, "Model quality": the NER
design is clearly better on BioScope); the other stays callable for ``bench/assertion.py``.

Examples and predictions both go through ``sentence_around``, which cuts the sentence(s) holding
the chunk with projects.tokenizer, so training and pre-annotation see the same text whatever
the caller passed (a task text, or a sentence).
"""

from __future__ import annotations

import json
import random
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from projects.tokenizer import split_sentences, tokenize
from training.engine import tokenization
from training.engine.classification import (
    ClassifierParams,
    ClassifierPredictor,
    confusion_matrix,
    label_metrics,
    train_classifier,
)
from training.engine.embeddings import Embeddings
from training.engine.errors import EngineError
from training.engine.metrics import EntityMetrics
from training.engine.ner import NER_COL, LabeledSentence, NerParams, train_ner
from training.engine.predict import (
    LIGHT_PIPELINE_LIMIT,
    TOKEN_TEXT_METADATA,
    transform_annotations,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

Design = Literal["classifier", "ner"]
DESIGNS: tuple[Design, ...] = ("classifier", "ner")
#: The design the product trains (bench/assertion.py compares both).
ASSERTION_DESIGN: Design = "ner"
#: Tokens of context either side of the chunk in the classifier design.
WINDOW = 4
MARK_OPEN = "[["
MARK_CLOSE = "]]"
#: What annolab writes next to the saved pipeline: design, statuses, window.
SIDECAR = "annolab.json"


@dataclass(frozen=True)
class AssertionExample:
    """A chunk of ``text`` (``start``/``end``: character offsets, end exclusive) and its status."""

    text: str
    start: int
    end: int
    status: str

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= len(self.text):
            raise ValueError(
                f"chunk ({self.start}, {self.end}) is outside a text of {len(self.text)} characters"
            )


@dataclass(frozen=True)
class AssertionParams:
    epochs: int = 10
    learning_rate: float = 0.005
    batch_size: int = 64
    dropout: float = 0.5
    validation_split: float = 0.2
    #: NerDL design only: the learning rate of epoch e is lr / (1 + decay * e).
    decay: float = 0.005
    random_seed: int = 42


@dataclass(frozen=True)
class AssertionResult:
    model_dir: Path
    design: Design
    #: Spark NLP's training log, as written (ClassifierDL's or NerDL's).
    log_text: str
    labels: tuple[str, ...]
    train_count: int
    #: The held-out examples, their statuses and what the trained model predicts for them.
    validation: tuple[AssertionExample, ...]
    validation_gold: tuple[str, ...]
    validation_predicted: tuple[str, ...]
    #: The trained model, ready to predict without loading ``model_dir`` again.
    predictor: AssertionPredictor = field(repr=False, compare=False)

    def validation_metrics(self) -> EntityMetrics:
        """Per status precision/recall/F1 over chunks; micro F1 is the accuracy."""
        return label_metrics(
            [(status,) for status in self.validation_gold],
            [(status,) for status in self.validation_predicted],
        )

    def confusion_matrix(self) -> dict[str, Any]:
        return confusion_matrix(
            list(self.validation_gold), list(self.validation_predicted), self.labels
        )


def sentence_around(text: str, start: int, end: int) -> tuple[str, int]:
    """The sentence of ``text`` holding ``[start, end)`` (several if the chunk crosses a
    boundary), and where it starts in ``text``."""
    sentences = [s for s in split_sentences(text) if s.start < end and s.end > start]
    first = min([start, *(s.start for s in sentences)])
    last = max([end, *(s.end for s in sentences)])
    return text[first:last], first


def marked(text: str, start: int, end: int) -> tuple[str, int, int]:
    """``text`` with the chunk wrapped in ``[[ ]]``, and the chunk's offsets in the new text."""
    before, after = text[:start].rstrip(), text[end:].lstrip()
    prefix = f"{before} {MARK_OPEN} " if before else f"{MARK_OPEN} "
    suffix = f" {MARK_CLOSE} {after}" if after else f" {MARK_CLOSE}"
    return f"{prefix}{text[start:end]}{suffix}", len(prefix), len(prefix) + end - start


def windowed(text: str, start: int, end: int, window: int = WINDOW) -> str:
    """The classifier design's input: ``window`` tokens each side of the marked chunk."""
    before = [t.text for s in tokenize(text[:start]) for t in s.tokens][-window:] if window else []
    after = [t.text for s in tokenize(text[end:]) for t in s.tokens][:window] if window else []
    return " ".join([*before, MARK_OPEN, text[start:end], MARK_CLOSE, *after])


def train_assertion(
    spark: SparkSession,
    *,
    examples: Sequence[AssertionExample],
    embeddings: Embeddings,
    params: AssertionParams,
    model_dir: Path,
    log_dir: Path,
    on_epoch: Callable[[int, int], None] = lambda done, total: None,
    design: Design = ASSERTION_DESIGN,
    window: int = WINDOW,
) -> AssertionResult:
    """Train ``design``, save its pipeline (and ``SIDECAR``) to ``model_dir``, score validation.

    The validation split is drawn by sentence, so the chunks of one sentence are all on the
    same side, and it is predicted with ``AssertionPredictor``, as pre-annotation will.
    """
    if design not in DESIGNS:
        raise ValueError(f"unknown assertion design {design!r}; known: {', '.join(DESIGNS)}")
    examples = [_normalized(example) for example in examples]
    statuses = sorted({example.status for example in examples})
    if len(statuses) < 2:
        found = f"only {statuses[0]!r}" if statuses else "none"
        raise EngineError(
            f"Assertion training needs at least 2 different statuses in the data; found {found}."
        )
    train, validation = _split_by_sentence(examples, params.validation_split, params.random_seed)
    if len({example.status for example in train}) < 2:
        raise EngineError(
            "After holding out the validation split only one status is left to train on; "
            "annotate more chunks or lower validation_split."
        )

    model_dir.mkdir(parents=True, exist_ok=True)
    if design == "classifier":
        log_text, model = _train_classifier_design(
            spark, train, embeddings, params, model_dir, log_dir, on_epoch, window
        )
    else:
        log_text, model = _train_ner_design(
            spark, train, embeddings, params, model_dir, log_dir, on_epoch
        )
    (model_dir / SIDECAR).write_text(
        json.dumps({"kind": "assertion", "design": design, "labels": statuses, "window": window}),
        encoding="utf-8",
    )

    # The model in memory, not reloaded: loading a TensorFlow graph back costs seconds.
    predictor = AssertionPredictor.of_model(spark, design, statuses, window, model)
    predicted: list[str] = []
    if validation:
        answers = predictor.predict([(e.text, [(e.start, e.end)]) for e in validation])
        predicted = [per_chunk[0][0] for per_chunk in answers]
    return AssertionResult(
        model_dir=model_dir,
        design=design,
        log_text=log_text,
        labels=tuple(statuses),
        train_count=len(train),
        validation=tuple(validation),
        validation_gold=tuple(example.status for example in validation),
        validation_predicted=tuple(predicted),
        predictor=predictor,
    )


class AssertionPredictor:
    """A saved assertion model (see ``train_assertion``), loaded once and used for many texts.

    Each chunk is one text for Spark (its marked sentence or window): fewer than
    ``LIGHT_PIPELINE_LIMIT`` go through a LightPipeline, more through a DataFrame transform.
    """

    def __init__(self, spark: SparkSession, model_dir: Path) -> None:
        if not (model_dir / SIDECAR).exists():
            raise EngineError(f"No saved assertion model at {model_dir}.")
        sidecar = json.loads((model_dir / SIDECAR).read_text(encoding="utf-8"))
        model: Any
        if sidecar["design"] == "classifier":
            model = ClassifierPredictor(spark, model_dir / "classifier", False)
        else:
            from pyspark.ml import PipelineModel

            model = PipelineModel.load(str(model_dir))
        window = int(sidecar.get("window", WINDOW))
        self._setup(spark, sidecar["design"], sidecar["labels"], window, model)

    @classmethod
    def of_model(
        cls, spark: SparkSession, design: Design, labels: Sequence[str], window: int, model: Any
    ) -> AssertionPredictor:
        """A predictor over a model in memory (what ``train_assertion`` saves): a
        ``ClassifierPredictor`` for the classifier design, the NER PipelineModel for the other."""
        predictor = cls.__new__(cls)
        predictor._setup(spark, design, labels, window, model)
        return predictor

    def _setup(
        self, spark: SparkSession, design: Design, labels: Sequence[str], window: int, model: Any
    ) -> None:
        self.design: Design = design
        self.labels: tuple[str, ...] = tuple(labels)
        self._window = int(window)
        self._spark = spark
        self._classifier: ClassifierPredictor | None = model if design == "classifier" else None
        #: The NER design's PipelineModel (None for the classifier design).
        self.ner_pipeline: Any = model if design == "ner" else None
        self._light: Any = None

    def predict(
        self, items: Sequence[tuple[str, Sequence[tuple[int, int]]]]
    ) -> list[list[tuple[str, float]]]:
        """For each text and its chunks (character offsets into that text, end exclusive), the
        status of every chunk with the model's confidence in it, in [0, 1], in chunk order."""
        queries: list[tuple[str, int, int]] = []
        for text, chunks in items:
            for start, end in chunks:
                if not 0 <= start < end <= len(text):
                    raise EngineError(
                        f"Chunk ({start}, {end}) is outside a text of {len(text)} characters."
                    )
                sentence, offset = sentence_around(text, start, end)
                queries.append((sentence, start - offset, end - offset))
        if self._classifier is not None:
            answers = self._predict_classifier(queries)
        else:
            answers = self._predict_ner(queries)
        results: list[list[tuple[str, float]]] = []
        position = 0
        for _, chunks in items:
            results.append(answers[position : position + len(chunks)])
            position += len(chunks)
        return results

    def _predict_classifier(self, queries: list[tuple[str, int, int]]) -> list[tuple[str, float]]:
        assert self._classifier is not None
        # ClassifierPredictor picks LightPipeline or a DataFrame by the number of texts.
        scores = self._classifier.predict([windowed(*q, window=self._window) for q in queries])
        answers = []
        for per_status in scores:
            status = max(per_status, key=lambda name: per_status[name])
            answers.append((status, per_status[status]))
        return answers

    def _predict_ner(self, queries: list[tuple[str, int, int]]) -> list[tuple[str, float]]:
        marked_queries = [marked(*query) for query in queries]
        texts = [tokenization.spark_text(text) for text, _, _ in marked_queries]
        # Each chunk in the Spark offsets of its marked sentence: the tokens its vote reads.
        chunks = [
            tokenization.Utf16Offsets(text).span_to_spark(start, end)
            for text, start, end in marked_queries
        ]
        if len(texts) < LIGHT_PIPELINE_LIMIT:
            tagged = self._light_pipeline(texts)
        else:
            tagged = self._dataframe(texts, chunks)
        return [self._vote(chunk, tokens) for chunk, tokens in zip(chunks, tagged, strict=True)]

    def _vote(self, chunk: tuple[int, int], tokens: Sequence[Any]) -> tuple[str, float]:
        """The status with the most probability over the chunk's tokens (B- and I- summed).

        The confidence is that status's mean probability per token, so a chunk whose tokens
        disagree, or lean towards ``O``, gets a low one.
        """
        begin, last = chunk
        inside = [t for t in tokens if t.begin >= begin and t.end <= last]
        totals = dict.fromkeys(self.labels, 0.0)
        for token in inside:
            for status in self.labels:
                for tag in (f"B-{status}", f"I-{status}"):
                    totals[status] += _probability(token.metadata.get(tag))
            # A model saved without every tag's score still names its own tag.
            if not any(f"B-{s}" in token.metadata for s in self.labels):
                status = token.result.partition("-")[2]
                if status in totals:
                    totals[status] += _probability(token.metadata.get("confidence", "1"))
        if not inside:
            return self.labels[0], 0.0
        status = max(self.labels, key=lambda name: totals[name])
        return status, min(max(totals[status] / len(inside), 0.0), 1.0)

    def _light_pipeline(self, texts: list[str]) -> list[list[Any]]:
        if not texts:
            return []
        from sparknlp.base import LightPipeline

        if self._light is None:
            self._light = LightPipeline(self.ner_pipeline)
        return [result[NER_COL] for result in self._light.fullAnnotate(texts)]

    def _dataframe(self, texts: list[str], chunks: list[tuple[int, int]]) -> list[list[Any]]:
        # Only the chunk's tokens leave the JVM: the rest of the sentence is no vote's business.
        return transform_annotations(
            self._spark,
            self.ner_pipeline,
            texts,
            NER_COL,
            drop_metadata=TOKEN_TEXT_METADATA,
            within=chunks,
        )


def _probability(raw: Any) -> float:
    try:
        return min(max(float(raw), 0.0), 1.0) if raw is not None else 0.0
    except ValueError:
        return 0.0


def _normalized(example: AssertionExample) -> AssertionExample:
    sentence, offset = sentence_around(example.text, example.start, example.end)
    return AssertionExample(sentence, example.start - offset, example.end - offset, example.status)


def _split_by_sentence(
    examples: Sequence[AssertionExample], fraction: float, seed: int
) -> tuple[list[AssertionExample], list[AssertionExample]]:
    """(train, validation), whole sentences at a time, about ``fraction`` of the chunks held out."""
    if fraction <= 0:
        return list(examples), []
    by_sentence: dict[str, list[AssertionExample]] = {}
    for example in examples:
        by_sentence.setdefault(example.text, []).append(example)
    if len(by_sentence) < 2:
        return list(examples), []
    sentences = sorted(by_sentence)
    random.Random(seed).shuffle(sentences)
    wanted = max(1, round(len(examples) * fraction))
    validation: list[AssertionExample] = []
    train: list[AssertionExample] = []
    for number, sentence in enumerate(sentences):
        # Always leave the last sentence to training, whatever the fraction asks.
        if len(validation) < wanted and number < len(sentences) - 1:
            validation += by_sentence[sentence]
        else:
            train += by_sentence[sentence]
    return train, validation


def _train_classifier_design(
    spark: SparkSession,
    train: Sequence[AssertionExample],
    embeddings: Embeddings,
    params: AssertionParams,
    model_dir: Path,
    log_dir: Path,
    on_epoch: Callable[[int, int], None],
    window: int,
) -> tuple[str, ClassifierPredictor]:
    result = train_classifier(
        spark,
        texts=[windowed(e.text, e.start, e.end, window) for e in train],
        labels=[e.status for e in train],
        multi_label=False,
        embeddings=embeddings,
        params=ClassifierParams(
            epochs=params.epochs,
            learning_rate=params.learning_rate,
            batch_size=params.batch_size,
            dropout=params.dropout,
            validation_split=0.0,  # held out by sentence in train_assertion
            random_seed=params.random_seed,
        ),
        model_dir=model_dir / "classifier",
        log_dir=log_dir,
        on_epoch=on_epoch,
    )
    return result.log_text, result.predictor


def _train_ner_design(
    spark: SparkSession,
    train: Sequence[AssertionExample],
    embeddings: Embeddings,
    params: AssertionParams,
    model_dir: Path,
    log_dir: Path,
    on_epoch: Callable[[int, int], None],
) -> tuple[str, Any]:
    """NerDL through ``train_ner`` (graph checks, epoch watcher, log), then re-saved as a
    pipeline without a sentence detector: the marked sentence is one piece, as in training,
    even where it holds ". " (``[[ fever. ]] and``)."""
    from pyspark.ml import PipelineModel
    from sparknlp.annotator import NerDLModel

    sentences = [_tagged_sentence(example) for example in train]
    with tempfile.TemporaryDirectory(prefix="annolab-assertion-", dir=model_dir.parent) as work:
        result = train_ner(
            spark,
            sentences=sentences,
            embeddings=embeddings,
            params=NerParams(
                epochs=params.epochs,
                learning_rate=params.learning_rate,
                decay=params.decay,
                dropout=params.dropout,
                batch_size=params.batch_size,
                validation_split=0.0,  # held out by sentence in train_assertion
                random_seed=params.random_seed,
            ),
            model_dir=Path(work) / "ner",
            log_dir=log_dir,
            on_epoch=on_epoch,
        )
        ner_model = next(
            stage
            for stage in PipelineModel.load(str(result.model_dir)).stages
            if isinstance(stage, NerDLModel)
        )
        # Every tag's probability on each token, for the vote over the chunk's tokens.
        ner_model.setIncludeAllConfidenceScores(True)
        pipeline = PipelineModel(
            stages=[
                tokenization.document_assembler(output_col=tokenization.SENTENCE_COL),
                tokenization.tokenizer(),
                embeddings.model,
                ner_model,
            ]
        )
        pipeline.write().overwrite().save(str(model_dir))
    return result.log_text, pipeline


def _tagged_sentence(example: AssertionExample) -> LabeledSentence:
    text, start, end = marked(example.text, example.start, example.end)
    tokens = [(t.start, t.end) for s in tokenize(text) for t in s.tokens]
    tags = []
    inside = False
    for token_start, token_end in tokens:
        if token_start >= start and token_end <= end:
            tags.append(f"{'I' if inside else 'B'}-{example.status}")
            inside = True
        else:
            tags.append("O")
    return LabeledSentence(text=text, tokens=tuple(tokens), tags=tuple(tags))


def params_dict(params: AssertionParams, design: Design) -> dict[str, Any]:
    """The parameters that mattered for ``design``, for the model list and the log."""
    values = asdict(params)
    if design == "classifier":
        values.pop("decay")
    return {**values, "design": design}
