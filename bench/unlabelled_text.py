"""Unlabelled biomedical text of shared/data, for richer embeddings than a project's (bench helper).

A team with an in-domain embeddings file (GloVe or word2vec, trained on PubMed say) gives annolab
that file (params ``embeddings: {"source": "file", "path": ...}``). Here no such file can be
downloaded, so a bench that wants richer vectors learns Word2Vec on every other biomedical text
the benchmark data holds: the Hallmarks-of-Cancer abstracts (1,852, about 450,000 words; none is
an NCBI disease abstract, checked by PubMed id) and BioScope's distinct sentences (4,031), read by
the classification and assertion benches' own readers. Only the texts are used, never their
labels; never reads shared/data/holdout.
"""

from __future__ import annotations

from bench.assertion import DATA as BIOSCOPE
from bench.assertion import load as load_bioscope
from bench.classification import hoc


def biomedical_texts() -> list[str]:
    _, hoc_abstracts = hoc()
    _, bioscope_sentences = load_bioscope(BIOSCOPE)
    return hoc_abstracts + bioscope_sentences
