"""The Spark NLP engine: everything that touches pyspark and sparknlp, and nothing else.

The training child process calls into this package; the web process never imports its Spark
modules (``session``, ``tokenization``, ``embeddings``, ``ner``, ``predict``), so it never starts a
JVM. ``metrics`` and ``errors`` are pure Python. No Django import anywhere in here: the caller
turns database rows into the plain values these functions take.
"""

from training.engine.errors import EngineError

__all__ = ["EngineError"]
