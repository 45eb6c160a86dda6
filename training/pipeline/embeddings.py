"""The embeddings a run trains on: Word2Vec on the project's texts (cached), a file, or a name.

Word2Vec is trained on every task text of the project, labelled or not, and cached per project
under MODELS_DIR/embeddings/ keyed by a hash of the texts and the number of passes, so runs reuse
it until texts change.
Files are read from EMBEDDINGS_DIR only, so a request cannot name an arbitrary server path.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.conf import settings

from training import datasets, params
from training.engine import embeddings as engine
from training.engine.errors import EngineError
from training.pipeline.context import RunContext


def embeddings_file(path: str) -> str:
    """The file under EMBEDDINGS_DIR that ``path`` names, or EngineError (deleted since)."""
    candidate = params.embeddings_file(path)
    if candidate is None:
        raise EngineError(f"No embeddings file {path!r} in the server's embeddings directory.")
    return str(candidate)


def project_embeddings(context: RunContext) -> engine.Embeddings:
    choice = context.params.embeddings
    source = choice.get("source", "word2vec")
    if source == "file":
        return engine.embeddings_from_file(
            context.spark, Path(embeddings_file(choice["path"])), work_dir=context.run_dir
        )
    if source == "pretrained":
        return engine.pretrained_embeddings(choice["name"])
    texts = datasets.project_texts(context.project)
    passes = engine.word2vec_passes(texts)
    digest = hashlib.sha256("\x00".join(texts).encode("utf-8")).hexdigest()[:16]
    # The pass count is in the name so a model cached under an older rule is not reused.
    name = f"project-{context.project.pk}-{digest}-{passes}p"
    cached = settings.MODELS_DIR / "embeddings" / name
    if cached.exists():
        return engine.load_word2vec(cached)
    cached.parent.mkdir(parents=True, exist_ok=True)
    return engine.train_word2vec(context.spark, texts, save_to=cached, passes=passes)
