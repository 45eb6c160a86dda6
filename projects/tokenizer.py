"""THE tokenizer: how annolab cuts a task's text into sentences and tokens.

Every part of the lab that speaks of tokens goes through here: the import that turns span
annotations into BIO tags, training (which hands these exact tokens to Spark NLP), and
pre-annotation (whose Spark pipeline must find the same tokens again). Pure Python, no Spark.

Rules, with offsets into the original ``str`` (Python indices, ``end`` exclusive):

* Sentences end after ``.``, ``!`` or ``?`` followed by whitespace, and at every line break.
  The whitespace between sentences belongs to no sentence; whitespace-only pieces are dropped.
* Tokens are maximal runs of word characters (Unicode letters, combining marks and digits:
  general categories ``L*``, ``M*``, ``N*``) and every other visible character on its own, so
  ``3.5mg`` is ``3 . 5mg`` and ``well-known`` is ``well - known``.
* Whitespace (Unicode ``White_Space``), control characters and a few invisible characters only
  separate tokens.

The two patterns below are written in the syntax that Python's ``re`` and Java's
``java.util.regex`` read the same way, because Spark NLP runs them verbatim:

* ``SENTENCE_BOUNDARY`` is the custom bound of Spark NLP's ``SentenceDetector``
  (``setUseCustomBoundsOnly(True)``); this module splits with the very same pattern.
* ``TOKEN_PATTERN`` is the *delimiter* pattern of Spark NLP's ``RegexTokenizer`` (it splits on
  matches, keeping what lies between). Python's ``re`` has no ``\\p{L}``, so ``tokenize`` applies
  the same rule with ``unicodedata`` instead; tests/training/test_tokenizer_parity.py runs both.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

#: Characters that only separate. Beyond Unicode White_Space (with NBSP and the ideographic
#: space) and the C0/C1 controls, this holds the zero-width space and the BOM, which arrive in
#: copied text and must not become tokens, and U+F050-U+F057: private-use characters that Spark
#: NLP's sentence detector uses as internal markers. A text that contains them would be cut
#: and re-located wrongly there, so training and prediction blank them (see
#: ``SPARK_RESERVED_CHARS``) and here they are whitespace, which keeps both sides identical.
#:
#: The invisible tag characters U+E0001 and U+E0020-U+E007F close the class and are written as
#: the characters themselves, not as escapes, on purpose: Java compiles a pattern that holds a
#: literal supplementary character in its code-point mode, where a lookbehind steps back over a
#: whole surrogate pair. Without one, Java looks back at half a pair and splits "𝐀𝐁" (two
#: letters outside the BMP) in two, while Python keeps it whole.
SEPARATOR_CLASS = (
    r"\x00-\x20\x7F-\xA0\u1680\u2000-\u200B\u2028\u2029\u202F\u205F\u3000\uFEFF\uF050-\uF057"
    "\U000e0001\U000e0020-\U000e007f"
)
#: Line breaks end a sentence wherever they are.
LINE_BREAK_CLASS = r"\n\x0B\x0C\r\x85\u2028\u2029"
#: Characters Spark NLP reserves; see ``SEPARATOR_CLASS``.
SPARK_RESERVED_CHARS = "".join(chr(c) for c in range(0xF050, 0xF058))

#: Sentence boundaries: a separator run after ``.``/``!``/``?``, a separator run holding a line
#: break, and the separator runs at both ends of the text (Spark NLP trims only ASCII
#: whitespace from a sentence, so the ``^``/``$`` arms make it drop an edge NBSP too). Every arm
#: consumes a whole separator run, so the pieces in between never start or end with one.
SENTENCE_BOUNDARY = (
    rf"^[{SEPARATOR_CLASS}]+"
    rf"|[{SEPARATOR_CLASS}]+$"
    rf"|(?<=[.!?])[{SEPARATOR_CLASS}]+"
    rf"|[{SEPARATOR_CLASS}]*[{LINE_BREAK_CLASS}][{SEPARATOR_CLASS}]*"
)

_WORD_CLASS = r"\p{L}\p{M}\p{N}"
#: Delimiters for Spark NLP's ``RegexTokenizer``: separator runs, plus the empty string between
#: two visible characters unless both are word characters. Java regex only (``\p{..}``).
TOKEN_PATTERN = (
    rf"[{SEPARATOR_CLASS}]+"
    rf"|(?<=[^{SEPARATOR_CLASS}{_WORD_CLASS}])(?=[^{SEPARATOR_CLASS}])"
    rf"|(?<=[^{SEPARATOR_CLASS}])(?=[^{SEPARATOR_CLASS}{_WORD_CLASS}])"
)

_SENTENCE_BOUNDARY_RE = re.compile(SENTENCE_BOUNDARY)
_SEPARATOR_RE = re.compile(f"[{SEPARATOR_CLASS}]")


class Span(NamedTuple):
    start: int
    end: int


class Token(NamedTuple):
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str
    tokens: tuple[Token, ...]


def split_sentences(text: str) -> list[Span]:
    """The sentences of ``text`` as spans; never an empty or whitespace-only one."""
    spans: list[Span] = []
    start = 0
    for bound in _SENTENCE_BOUNDARY_RE.finditer(text):
        if bound.start() > start:
            spans.append(Span(start, bound.start()))
        start = bound.end()
    if start < len(text):
        spans.append(Span(start, len(text)))
    return spans


def tokenize(text: str) -> list[Sentence]:
    """The sentences of ``text`` with their tokens; offsets index ``text``."""
    return [
        Sentence(
            span.start, span.end, text[span.start : span.end], _tokens(text, span.start, span.end)
        )
        for span in split_sentences(text)
    ]


def _is_word_char(char: str) -> bool:
    # isalnum() is exactly categories L* and N*; combining marks keep "é" (e + U+0301) and
    # Indic vowel signs inside their word, as Java's \p{M} does.
    return char.isalnum() or unicodedata.category(char)[0] == "M"


def _tokens(text: str, start: int, end: int) -> tuple[Token, ...]:
    tokens: list[Token] = []
    i = start
    while i < end:
        char = text[i]
        if _SEPARATOR_RE.match(char):
            i += 1
            continue
        j = i + 1
        if _is_word_char(char):
            while j < end and _is_word_char(text[j]):
                j += 1
        tokens.append(Token(i, j, text[i:j]))
        i = j
    return tuple(tokens)
