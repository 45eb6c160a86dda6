"""Spark NLP stages that cut text exactly as projects.tokenizer does, and offset conversion.

The rules live in projects/tokenizer.py; here they are only handed to Spark NLP 5.5.3:

* ``SentenceDetector`` with ``SENTENCE_BOUNDARY`` as its only custom bound. The bound's match is
  replaced by a break, so the whitespace it consumes belongs to no sentence, as in Python.
* ``RegexTokenizer`` with ``TOKEN_PATTERN``. In this version the pattern is a *delimiter*
  (``Regex.split``), and with ``positionalMask`` off each token is found with
  ``indexOf(token, end of previous token)``, which is exact because delimiters are whitespace
  or empty. ``trimWhitespace`` stays off: our tokens never hold whitespace.

Spark (Java) counts offsets in UTF-16 code units with an inclusive end; Python counts code
points with an exclusive end. They differ after any character outside the BMP (emoji, 𝐀),
so every offset crossing the boundary goes through ``Utf16Offsets``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import TYPE_CHECKING

from projects.tokenizer import SENTENCE_BOUNDARY, SPARK_RESERVED_CHARS, TOKEN_PATTERN

if TYPE_CHECKING:
    from sparknlp.annotator import RegexTokenizer, SentenceDetector
    from sparknlp.base import DocumentAssembler

TEXT_COL = "text"
DOCUMENT_COL = "document"
SENTENCE_COL = "sentence"
TOKEN_COL = "token"

#: A character outside the BMP: two UTF-16 units in Java, one code point in Python.
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_SPARK_TEXT = str.maketrans(dict.fromkeys(SPARK_RESERVED_CHARS, " "))


def spark_text(text: str) -> str:
    """``text`` as it must be sent to Spark: the characters Spark NLP reserves become spaces.

    Same length, same offsets; projects.tokenizer already treats those characters as spaces.
    """
    return text.translate(_SPARK_TEXT)


def document_assembler(
    input_col: str = TEXT_COL, output_col: str = DOCUMENT_COL
) -> DocumentAssembler:
    from sparknlp.base import DocumentAssembler

    # "disabled" passes the text through untouched, so offsets index the text we sent.
    return (
        DocumentAssembler()
        .setInputCol(input_col)
        .setOutputCol(output_col)
        .setCleanupMode("disabled")
    )


def sentence_detector(
    input_col: str = DOCUMENT_COL, output_col: str = SENTENCE_COL
) -> SentenceDetector:
    from sparknlp.annotator import SentenceDetector

    return (
        SentenceDetector()
        .setInputCols([input_col])
        .setOutputCol(output_col)
        .setCustomBounds([SENTENCE_BOUNDARY])
        .setUseCustomBoundsOnly(True)
        # "none" drops the bound's match from both sentences around it.
        .setCustomBoundsStrategy("none")
        .setExplodeSentences(False)
        .setMinLength(0)
    )


def tokenizer(input_col: str = SENTENCE_COL, output_col: str = TOKEN_COL) -> RegexTokenizer:
    from sparknlp.annotator import RegexTokenizer

    return (
        RegexTokenizer()
        .setInputCols([input_col])
        .setOutputCol(output_col)
        .setPattern(TOKEN_PATTERN)
        .setPositionalMask(False)
        .setTrimWhitespace(False)
        .setPreservePosition(True)
        .setToLowercase(False)
        .setMinLength(1)
    )


class Utf16Offsets:
    """Converts one text's offsets between Python (code points) and Spark (UTF-16 units)."""

    def __init__(self, text: str) -> None:
        # Python index of each character outside the BMP; empty for almost every text.
        self._astral = [match.start() for match in _ASTRAL.finditer(text)]
        # The UTF-16 index at which each of those characters starts.
        self._astral_utf16 = [i + n for n, i in enumerate(self._astral)]

    def to_utf16(self, index: int) -> int:
        return index + bisect_right(self._astral, index - 1)

    def to_python(self, utf16_index: int) -> int:
        return utf16_index - bisect_right(self._astral_utf16, utf16_index - 2)

    def span_from_spark(self, begin: int, end_inclusive: int) -> tuple[int, int]:
        """A Spark annotation's ``begin``/``end`` as a Python ``(start, end)`` slice."""
        return self.to_python(begin), self.to_python(end_inclusive + 1)

    def span_to_spark(self, start: int, end: int) -> tuple[int, int]:
        """A Python ``(start, end)`` slice as a Spark annotation's ``begin``/``end``."""
        return self.to_utf16(start), self.to_utf16(end) - 1
