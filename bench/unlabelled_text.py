"""Unlabelled biomedical text of shared/data, for richer embeddings than a project's (bench helper).

A team with an in-domain embeddings file (GloVe or word2vec, trained on PubMed say) gives annolab
that file (``embeddings: {"path": ...}``). Here no such file can be downloaded, so a bench that
wants to measure what richer vectors do learns Word2Vec on every other biomedical text the
benchmark data holds: the Hallmarks-of-Cancer abstracts (1,852, about 450,000 words; none is an
NCBI disease abstract, checked by PubMed id) and BioScope's distinct sentences (4,031). Only the
texts are read, never their labels; never reads shared/data/holdout.
"""

from __future__ import annotations

import csv
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
HOC = DATA / "hoc_multilabel" / "hoc_documents.tsv"
BIOSCOPE = DATA / "bioscope_assertion" / "bioscope.csv"


def hoc_abstracts() -> list[str]:
    csv.field_size_limit(1 << 24)
    with HOC.open(encoding="utf-8", newline="") as file:
        rows = csv.DictReader(file, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [row["text"] for row in rows]


def bioscope_sentences() -> list[str]:
    with BIOSCOPE.open(encoding="utf-8-sig", newline="") as file:
        return list(dict.fromkeys(row["sentence"] for row in csv.DictReader(file)))


def biomedical_texts() -> list[str]:
    return hoc_abstracts() + bioscope_sentences()
