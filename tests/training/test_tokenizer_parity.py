"""Spark NLP's stages find exactly the sentences and tokens of projects.tokenizer.

Training hands Spark our tokens, but pre-annotation lets the saved pipeline tokenize new text: if
the two disagreed by one offset, every predicted span would land beside its word.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from projects.tokenizer import tokenize
from training.engine import tokenization

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark

TRICKY_TEXTS = [
    "Dr. Smith took 3.5mg of well-known drug X-12 on 2024-01-05.  Then he left!\nNew line here",
    "  leading spaces\ttabs\tand   multiple   spaces.  ",
    "Émile Zoë naïve café (décomposé e\u0301) — “quotes” ok?Yes",
    "emoji 😀 here😀x and ❤️ 👩\u200d👧 🇫🇷 done.",
    "𝐀𝐁 math bold, 𠀀 CJK extension B𝐀. ok",
    "\u3000ideographic\u3000space\u00a0nbsp. Next\u2028line\u2029para",
    "",
    "...",
    "\n\n\n",
    "a\r\nb\rc",
    "नमस्ते दुनिया। 東京は晴れ。 مرحبا بالعالم ١٢٣.",
    "trailing\u3000",
    "Wait... what?! Really?? Yes.",
    "e.g. this; i.e. that: ok",
    "tab\tafter.\tNext",
    "x\x01y\x7fz",
    "\ufeffBOM start. zero\u200bwidth",
    "Mr.\u00a0Smith. A",
    "1,000.50 USD; 3/4 cup; 50% off; $5; #tag @user http://a.b/c?d=1 [x] {y} <z> a_b",
    "Spark markers \uf050\uf051\uf052. inside\uf056text\uf057 here",
    "Ends without punctuation",
    "Blood pressure 120/80 mmHg at 10:30 a.m. on Jan. 5th.\n\n- item one\n- item two",
]


def spark_sentences_and_tokens(
    spark: SparkSession, texts: list[str]
) -> list[tuple[list[tuple[int, int]], list[tuple[int, int, str]]]]:
    from pyspark.ml import Pipeline

    frame = spark.createDataFrame(
        [(i, tokenization.spark_text(text)) for i, text in enumerate(texts)],
        ["index", tokenization.TEXT_COL],
    )
    pipeline = Pipeline(
        stages=[
            tokenization.document_assembler(),
            tokenization.sentence_detector(),
            tokenization.tokenizer(),
        ]
    )
    rows = pipeline.fit(frame).transform(frame).orderBy("index").collect()
    results = []
    for text, row in zip(texts, rows, strict=True):
        offsets = tokenization.Utf16Offsets(text)
        sentences = [offsets.span_from_spark(a.begin, a.end) for a in row.sentence]
        tokens = [(*offsets.span_from_spark(a.begin, a.end), a.result) for a in row.token]
        results.append((sentences, tokens))
    return results


def python_sentences_and_tokens(
    text: str,
) -> tuple[list[tuple[int, int]], list[tuple[int, int, str]]]:
    sentences = tokenize(text)
    return (
        [(s.start, s.end) for s in sentences],
        [(t.start, t.end, t.text) for s in sentences for t in s.tokens],
    )


def test_spark_finds_the_same_sentences_and_tokens(spark: SparkSession) -> None:
    spark_results = spark_sentences_and_tokens(spark, TRICKY_TEXTS)
    for text, spark_result in zip(TRICKY_TEXTS, spark_results, strict=True):
        assert spark_result == python_sentences_and_tokens(text), text


def test_spark_tokens_slice_the_original_text(spark: SparkSession) -> None:
    text = "Reserved \uf051 mark and 😀 emoji before Paris."
    [(_, tokens)] = spark_sentences_and_tokens(spark, [text])
    assert [text[start:end] for start, end, _ in tokens] == [word for _, _, word in tokens]
    assert tokens[-2] == (text.index("Paris"), text.index("Paris") + 5, "Paris")


def test_offsets_convert_both_ways_around_astral_characters() -> None:
    text = "a😀b𝐀𝐁c"
    offsets = tokenization.Utf16Offsets(text)
    utf16 = [offsets.to_utf16(i) for i in range(len(text) + 1)]
    assert utf16 == [0, 1, 3, 4, 6, 8, 9]
    assert [offsets.to_python(u) for u in utf16] == list(range(len(text) + 1))
    assert offsets.span_from_spark(4, 7) == (3, 5)
    assert offsets.span_to_spark(3, 5) == (4, 7)
