"""Read the CoNLL files of shared/data into sentences with character spans (bench helper)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench.shared_data import SHARED_DATA as DATA


@dataclass(frozen=True)
class ConllSentence:
    tokens: tuple[str, ...]
    tags: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.tokens)

    def spans(self) -> list[tuple[int, int, str]]:
        """Entities as (start, end, label) character spans of ``text``."""
        spans: list[tuple[int, int, str]] = []
        offset = 0
        current: list[int] | None = None
        label = ""
        for token, tag in zip(self.tokens, self.tags, strict=True):
            start, end = offset, offset + len(token)
            offset = end + 1
            prefix, _, tag_label = tag.partition("-")
            if prefix == "I" and current is not None and tag_label == label:
                current[1] = end
                continue
            if current is not None:
                spans.append((current[0], current[1], label))
                current = None
            if prefix in ("B", "I"):
                current, label = [start, end], tag_label
        if current is not None:
            spans.append((current[0], current[1], label))
        return spans


def read_conll(path: Path) -> list[ConllSentence]:
    sentences: list[ConllSentence] = []
    tokens: list[str] = []
    tags: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            if tokens:
                sentences.append(ConllSentence(tuple(tokens), tuple(tags)))
                tokens, tags = [], []
            continue
        token, tag = line.split("\t")[:2]
        tokens.append(token)
        tags.append(tag)
    if tokens:
        sentences.append(ConllSentence(tuple(tokens), tuple(tags)))
    return sentences


def ncbi(split: str) -> list[ConllSentence]:
    return read_conll(DATA / "ncbi_disease" / "conll" / f"{split}.tsv")
