"""A model's folder as files, in the web process (no Spark): the download zip and its README,
and where an uploaded zip's pipeline is.

The download is the saved folder as it is, under one top-level folder named after the model,
with a ``README.txt`` beside ``metadata/`` and ``stages/``: every folder annolab saves is a
Spark ``PipelineModel`` that plain Spark NLP loads (NER: document, sentence, the training
tokenizer, embeddings, NerDL, NerConverter; assertion: the same without a sentence detector, the
marked sentence being one piece; classification: document, tokenizer, embeddings, their average,
ClassifierDL or MultiClassifierDL), so no stage is added. ``annolab.json`` (the classes of a
classifier, the statuses of an assertion model) stays in: ``PipelineModel.load`` ignores files
it does not know, and annolab reads it when the zip is uploaded again.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

from projects.tokenizer import SPARK_RESERVED_CHARS
from training.models import ModelType, NlpModel

README = "README.txt"
#: What annolab writes next to an assertion or classification pipeline (training.engine).
SIDECAR = "annolab.json"
#: Bytes read from a model file per chunk of the streamed zip.
CHUNK = 1024 * 1024
#: Folders an archiver adds beside the content (macOS Finder), never part of a model.
IGNORED_TOP_LEVEL = {"__MACOSX"}


def _version(package: str, default: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return default


def spark_nlp_version() -> str:
    """The installed Spark NLP (Python package; the jar of deploy/spark-nlp-pom.xml matches)."""
    return _version("spark-nlp", "5.5.3")


def _sidecar(folder: Path) -> dict:
    try:
        return json.loads((folder / SIDECAR).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def pipeline_folder(folder: Path) -> Path | None:
    """The saved ``PipelineModel`` folder of a model's folder (itself, or ``classifier/`` for an
    assertion model of the classifier design), or None when there is none."""
    if (folder / "metadata").is_dir():
        return folder
    if (folder / "classifier" / "metadata").is_dir():
        return folder / "classifier"
    return None


def download_name(model: NlpModel) -> str:
    """The zip's file name, safe in a Content-Disposition header whatever the model's name."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", model.name) + ".zip"


def readme(model: NlpModel, folder: Path) -> str:
    """How to use the model with plain Spark NLP: versions, columns, what annolab does first."""
    version = spark_nlp_version()
    labels = ", ".join(model.labels or []) or "(none recorded)"
    inner = pipeline_folder(folder)
    load_path = model.name if inner in (None, folder) else f"{model.name}/{inner.name}"
    lines = [
        f"{model.name}: a Spark NLP {model.get_type_display()} model exported by annolab",
        "",
        f"Spark NLP {version} (the spark-nlp_2.12 jar and the spark-nlp Python package), "
        f"PySpark {_version('pyspark', '3.5.6')}.",
        f"Model type: {model.type}",
        f"Labels: {labels}",
        f"Source: {'trained in annolab' if model.source == 'trained' else 'registered'}"
        + (f", project {model.project.name}" if model.project else ", shared"),
        "",
        "Load it with plain Spark NLP, nothing of annolab needed:",
        "",
        "    import sparknlp  # registers Spark NLP's annotators for PipelineModel.load",
        "    from pyspark.ml import PipelineModel",
        "    from pyspark.sql import SparkSession",
        "    # The Spark NLP jars on the classpath (annolab's: deploy/spark-nlp-pom.xml, fetched",
        "    # by scripts/fetch_jars.sh), or sparknlp.start() where Maven serves them all.",
        '    spark = SparkSession.builder.config("spark.jars", JARS).getOrCreate()',
        f'    pipeline = PipelineModel.load("{load_path}")',
        '    frame = spark.createDataFrame([("your text",)], ["text"])',
    ]
    reserved = f"U+{ord(SPARK_RESERVED_CHARS[0]):04X} to U+{ord(SPARK_RESERVED_CHARS[-1]):04X}"
    text_rule = [
        "",
        "Input column: text (one string per row).",
        "Before predicting, annolab replaces the characters Spark NLP's sentence detector",
        f"reserves ({reserved}) with spaces;",
        "same length, so offsets still index your text:",
        "    text = text.translate({c: ' ' for c in range(0xF050, 0xF058)})",
        "Offsets in the output (begin, end) are Java's: UTF-16 code units, end inclusive.",
    ]
    if model.type == ModelType.NER:
        lines += [
            '    result = pipeline.transform(frame).select("ner_chunk").collect()',
            *text_rule,
            "Output columns: ner (one IOB tag per token, with its confidence in metadata) and",
            "ner_chunk (the entities: result = the entity text, metadata['entity'] = its label,",
            "begin/end their offsets). Stages: DocumentAssembler, SentenceDetector, the",
            "RegexTokenizer annolab trained with, word embeddings, NerDLModel, NerConverter.",
        ]
    elif model.type == ModelType.ASSERTION:
        design = _sidecar(folder).get("design", "ner")
        lines += [
            '    result = pipeline.transform(frame).select("ner").collect()',
            *text_rule,
            "Assertion status is asked one chunk at a time: the input text is the sentence",
            "holding the chunk, with the chunk wrapped in [[ ]] and one space either side:",
            '    "Patient denies [[ chest pain ]] today."',
        ]
        if design == "classifier":
            lines += [
                "This model (the classifier design) reads only 4 tokens either side of the",
                "marked chunk: the input is those tokens, [[, the chunk, ]] joined by spaces.",
                "Output column: category (result = the status; metadata holds every status's",
                "score).",
            ]
        else:
            lines += [
                "Output column: ner: the chunk's tokens are tagged B-<status>/I-<status>, and",
                "each token's metadata holds every tag's probability. annolab sums, over the",
                "chunk's tokens, the B- and I- probabilities of each status and takes the",
                "largest. Stages: DocumentAssembler (straight into the sentence column: the",
                "marked sentence is one piece), RegexTokenizer, word embeddings, NerDLModel.",
            ]
    else:
        multi = _sidecar(folder).get("multi_label", model.multi_label)
        lines += [
            '    result = pipeline.transform(frame).select("category").collect()',
            *text_rule,
            "Output column: category: result = the chosen class"
            + (
                " (every class scoring 0.5 or more: a multi-label model)"
                if multi
                else " (one per text)"
            )
            + ",",
            "metadata = every class's score. The whole text is one piece: no sentence detector.",
            "Stages: DocumentAssembler, RegexTokenizer, word embeddings, SentenceEmbeddings",
            f"(average), {'MultiClassifierDLModel' if multi else 'ClassifierDLModel'}.",
        ]
        if model.choices_group:
            lines.append(f"It predicts the <Choices> group '{model.choices_group}'.")
    lines += [
        "",
        f"{SIDECAR} is annolab's note of the labels (ignored by PipelineModel.load). Upload this",
        "zip to another annolab with POST /api/models/ (multipart: file, name, type, labels).",
        "",
    ]
    return "\n".join(lines)


class _Sink:
    """A write-only file for ``zipfile`` whose bytes are handed out as they are written."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.position = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def stream_zip(model: NlpModel, folder: Path) -> Iterator[bytes]:
    """The download, produced a chunk at a time: never the whole zip in memory.

    The stream is not seekable, so ``zipfile`` writes each entry's sizes after its data (a data
    descriptor), which every unzip tool reads.
    """
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:  # type: ignore[arg-type]
        archive.writestr(f"{model.name}/{README}", readme(model, folder))
        yield sink.take()
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder).as_posix()
            # A model folder holds only its own files; a link could point anywhere on the server.
            if path.is_symlink() or not path.is_file() or relative == README:
                continue
            with path.open("rb") as source, archive.open(f"{model.name}/{relative}", "w") as out:
                while chunk := source.read(CHUNK):
                    out.write(chunk)
                    yield sink.take()
    # Closing wrote the last entry's data descriptor and the central directory.
    yield sink.take()


def uploaded_pipeline(staging: Path) -> Path | None:
    """The pipeline folder of an unpacked upload: its root, or its one top-level folder (what
    the download produces), or None. An assertion model of the classifier design is its
    ``annolab.json`` with the pipeline in ``classifier/``."""
    candidates = [staging]
    top = [p for p in staging.iterdir() if p.name not in IGNORED_TOP_LEVEL]
    if len(top) == 1 and top[0].is_dir() and not top[0].is_symlink():
        candidates.append(top[0])
    for folder in candidates:
        if (folder / "metadata").is_dir():
            return folder
        if (folder / "classifier" / "metadata").is_dir() and (folder / SIDECAR).is_file():
            return folder
    return None


def write_sidecar_if_missing(
    folder: Path, *, model_type: str, labels: list[str], multi_label: bool
) -> None:
    """An assertion or classification pipeline trained elsewhere has no ``annolab.json``:
    annolab's predictors read the statuses or classes from it, so the form's labels are
    written there (an existing one, e.g. from annolab's own download, is kept)."""
    if model_type == ModelType.NER or (folder / SIDECAR).exists():
        return
    if model_type == ModelType.ASSERTION:
        note = {"kind": "assertion", "design": "ner", "labels": labels}
    else:
        note = {"kind": "classification", "multi_label": multi_label, "classes": labels}
    (folder / SIDECAR).write_text(json.dumps(note), encoding="utf-8")
